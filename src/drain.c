/*
 * drain.c
 *		Sending the outbox. The worker claims due rows (state 'sending',
 *		committed), packs rows that share their root-level fields into bulk
 *		requests of up to queue_batch_size, keeps up to HTTP_MAX_PARALLEL of
 *		them in flight, and records each round's outcomes in one
 *		transaction:
 *
 *		- accepted: 'sent', with message_id, batch_id, sent_at;
 *		- rejected by the API (400, other 4xx but 401/403/404/429): the
 *		  batch is split in halves and resent until the bad message is
 *		  alone, which becomes 'failed';
 *		- 401/403/404: the account or URL is wrong, not the messages:
 *		  draining pauses until the settings change;
 *		- anything else (429, 5xx, no answer, unusable answer): 'queued'
 *		  again after a backoff of 1 s, 2 s, 4 s ... up to 5 minutes, with
 *		  jitter; 'failed' after queue_max_attempts.
 *
 * A crash between claim and record leaves rows in 'sending'; the worker
 * returns them to 'queued' when it starts. That, and a request whose answer
 * was lost, are the only ways a message can be sent twice.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "api.h"
#include "codec.h"
#include "drain.h"
#include "guc.h"
#include "http.h"
#include "shmem.h"
#include "sms_api.h"
#include "store.h"
#include "validate.h"
#include "worker.h"

/* A claimed outbox row. */
typedef struct Row
{
	int64		id;
	char	   *root_key;		/* rows with equal keys share a request */
	SmsMessage	msg;			/* UTF-8, as the codec wants it */
	char	   *destination;	/* as stored (database encoding) */
} Row;

/* Rows that go out in one request. */
typedef struct Batch
{
	Row		  **rows;
	int			n;
} Batch;

/* Outcomes of one round, by what happens to the rows. */
typedef struct Outcome
{
	int			n;
	int64	   *ids;
	char	  **errors;			/* retry, failed, paused */
	pg_uuid_t  *message_ids;	/* sent */
	pg_uuid_t  *batch_ids;		/* sent */
	bool	   *has_batch_id;	/* sent */
	char	  **correlation_ids;	/* sent */
	char	  **destinations;	/* sent */
} Outcome;

enum
{
	OUT_SENT,
	OUT_RETRY,
	OUT_FAILED,
	OUT_PAUSED,
	OUT_KINDS
};

static MemoryContext drain_cxt = NULL;
static Batch *queue;			/* batches still to send */
static Batch inflight[HTTP_MAX_PARALLEL];	/* the round being sent */
static bool inflight_done[HTTP_MAX_PARALLEL];
static int	ninflight;
static MemoryContext round_cxt = NULL;	/* bodies and answers of one round */
static int	queue_len;
static int	queue_cap;
static Outcome outcomes[OUT_KINDS];
static int	claimed;

static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr record_plans[OUT_KINDS];

TimestampTz drain_next_due_at = 0;
bool		drain_paused = false;

static void
reset_state(void)
{
	if (drain_cxt == NULL)
		drain_cxt = AllocSetContextCreate(TopMemoryContext, "sms_api outbox drain",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(drain_cxt);
	queue = NULL;
	queue_len = queue_cap = 0;
	ninflight = 0;
	memset(outcomes, 0, sizeof(outcomes));
	claimed = 0;
}

static void
outcome_add(int kind, Row *row, const char *error)
{
	Outcome    *o = &outcomes[kind];
	MemoryContext old = MemoryContextSwitchTo(drain_cxt);

	if (o->ids == NULL)
	{
		o->ids = palloc(claimed * sizeof(int64));
		o->errors = palloc0(claimed * sizeof(char *));
		o->message_ids = palloc(claimed * sizeof(pg_uuid_t));
		o->batch_ids = palloc(claimed * sizeof(pg_uuid_t));
		o->has_batch_id = palloc(claimed * sizeof(bool));
		o->correlation_ids = palloc(claimed * sizeof(char *));
		o->destinations = palloc(claimed * sizeof(char *));
	}
	o->ids[o->n] = row->id;
	o->errors[o->n] = error ? pstrdup(error) : NULL;
	o->destinations[o->n] = row->destination;
	o->n++;
	MemoryContextSwitchTo(old);
}

/*
 * A generic plan: the arrays of a claim or a round are small next to the
 * outbox, and a custom plan may still pick a scan of the whole table.
 */
static SPIPlanPtr
prepare_generic(const char *sql, int nargs, Oid *types)
{
	return SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
}

static SPIPlanPtr
keep(SPIPlanPtr plan)
{
	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare an outbox statement: %s",
			 SPI_result_code_string(SPI_result));
	return plan;
}

bool
drain_recover(void)
{
	SPI_connect();
	if (SPI_execute("UPDATE sms_api.outbox SET state = 'queued' "
					"WHERE state = 'sending' AND next_attempt_at IS NOT NULL",
					false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not recover the outbox");
	if (SPI_processed > 0)
		ereport(LOG,
				(errmsg("sms_api worker: " UINT64_FORMAT " outbox rows left in 'sending' are queued again",
						(uint64) SPI_processed),
				 errdetail("The worker stopped before it knew whether the API accepted them; they may be sent twice.")));
	SPI_finish();
	return true;
}

static char *
claim_sql(void)
{
	StringInfoData sql;
	int			nroot;
	const char *const *root = bulk_root_fields(&nroot);

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "UPDATE sms_api.outbox o SET state = 'sending', attempts = o.attempts + 1 "
						   "WHERE o.id = ANY (ARRAY(SELECT id FROM sms_api.outbox "
						   "WHERE state = 'queued' AND next_attempt_at <= pg_catalog.now() "
						   "ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)) "
						   "RETURNING o.id, o.destination, o.message_text, o.correlation_id, "
						   "o.extra_info, o.flash, pg_catalog.floor(extract(epoch FROM o.scheduled_at) * 1000)::int8, "
						   "pg_catalog.floor(extract(epoch FROM o.expires_at) * 1000)::int8, o.campaign_alias, "
						   "o.sub_account, o.options::text, "
						   "pg_catalog.concat(o.campaign_alias, E'\\x1f', CASE WHEN o.options IS NOT NULL THEN "
						   "(SELECT pg_catalog.jsonb_object_agg(k, v) "
						   "FROM pg_catalog.jsonb_each(o.options) AS e(k, v) WHERE v <> 'null' AND k IN (");
	/* root-level fields (campaignAlias is its own column) */
	for (int i = 0, first = 1; i < nroot; i++)
	{
		if (strcmp(root[i], "campaignAlias") == 0)
			continue;
		appendStringInfo(&sql, "%s'%s'", first ? "" : ", ", root[i]);
		first = 0;
	}
	appendStringInfoString(&sql, "))::text END)");
	return sql.data;
}

static char *
utf8(const char *s)
{
	return s ? (char *) pg_server_to_any(s, strlen(s), PG_UTF8) : NULL;
}

static int
compare_rows(const void *a, const void *b)
{
	const Row  *x = *(Row *const *) a;
	const Row  *y = *(Row *const *) b;
	int			c = strcmp(x->root_key, y->root_key);

	if (c != 0)
		return c;
	return (x->id > y->id) - (x->id < y->id);
}

static void
push_batch(Row **rows, int n, bool front)
{
	if (queue_len == queue_cap)
	{
		queue_cap = Max(16, queue_cap * 2);
		queue = queue ? repalloc(queue, queue_cap * sizeof(Batch))
			: MemoryContextAlloc(drain_cxt, queue_cap * sizeof(Batch));
	}
	if (front)
	{
		memmove(queue + 1, queue, queue_len * sizeof(Batch));
		queue[0].rows = rows;
		queue[0].n = n;
	}
	else
	{
		queue[queue_len].rows = rows;
		queue[queue_len].n = n;
	}
	queue_len++;
}

bool
drain_claim(void)
{
	Datum		limit;
	Oid			type = INT4OID;
	Row		   *rows;
	Row		  **sorted;
	MemoryContext old;

	reset_state();
	limit = Int32GetDatum(sms_api_queue_batch_size * HTTP_MAX_PARALLEL);

	SPI_connect();
	if (claim_plan == NULL)
		claim_plan = keep(prepare_generic(claim_sql(), 1, &type));
	if (SPI_execute_plan(claim_plan, &limit, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not claim outbox rows");

	old = MemoryContextSwitchTo(drain_cxt);
	claimed = (int) SPI_processed;
	rows = palloc0(Max(claimed, 1) * sizeof(Row));
	sorted = palloc(Max(claimed, 1) * sizeof(Row *));
	for (int i = 0; i < claimed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Row		   *r = &rows[i];
		bool		isnull;
		char	   *flash;
		char	   *ms;

		r->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		r->destination = SPI_getvalue(tup, desc, 2);
		r->msg.destination = utf8(r->destination);
		r->msg.message_text = utf8(SPI_getvalue(tup, desc, 3));
		r->msg.correlation_id = utf8(SPI_getvalue(tup, desc, 4));
		r->msg.extra_info = utf8(SPI_getvalue(tup, desc, 5));
		flash = SPI_getvalue(tup, desc, 6);
		r->msg.flash = flash ? (flash[0] == 't') : -1;
		if ((ms = SPI_getvalue(tup, desc, 7)) != NULL)
		{
			r->msg.has_scheduled_at = true;
			r->msg.scheduled_at_ms = pg_strtoint64(ms);
		}
		if ((ms = SPI_getvalue(tup, desc, 8)) != NULL)
		{
			r->msg.has_expires_at = true;
			r->msg.expires_at_ms = pg_strtoint64(ms);
		}
		r->msg.campaign_alias = utf8(SPI_getvalue(tup, desc, 9));
		r->msg.sub_account = utf8(SPI_getvalue(tup, desc, 10));
		r->msg.options_json = utf8(SPI_getvalue(tup, desc, 11));
		r->root_key = SPI_getvalue(tup, desc, 12);
		sorted[i] = r;
	}
	MemoryContextSwitchTo(old);
	SPI_finish();

	/* rows sharing root-level fields go together, each group in id order */
	qsort(sorted, claimed, sizeof(Row *), compare_rows);
	for (int start = 0; start < claimed;)
	{
		int			end = start;

		while (end < claimed && end - start < sms_api_queue_batch_size &&
			   strcmp(sorted[end]->root_key, sorted[start]->root_key) == 0)
			end++;
		push_batch(sorted + start, end - start, false);
		start = end;
	}
	return claimed > 0;
}

/* What a failed request means for its rows. */
static void
settle_failure(const Batch *b, const HttpResult *res, const ApiError *err)
{
	char	   *error = psprintf("%s: %s%s%s", unpack_sql_state(err->sqlstate), err->message,
								 err->detail ? ": " : "", err->detail ? err->detail : "");
	bool		wrong_account = err->sqlstate == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION ||
		(res->outcome == HTTP_ANSWERED && res->status == 404);
	int			kind;

	shmem_record_error(error);
	if (wrong_account)
	{
		drain_paused = true;
		kind = OUT_PAUSED;
	}
	else if (err->sqlstate == ERRCODE_SMS_API_REJECTED && b->n > 1)
	{
		/* find the bad message: resend both halves */
		int			half = b->n / 2;

		push_batch(b->rows + half, b->n - half, true);
		push_batch(b->rows, half, true);
		return;
	}
	else if (err->sqlstate == ERRCODE_SMS_API_REJECTED)
		kind = OUT_FAILED;
	else
		kind = OUT_RETRY;
	for (int i = 0; i < b->n; i++)
		outcome_add(kind, b->rows[i], error);
}

static void
settle_success(const Batch *b, const HttpResult *res)
{
	BulkAccepted *items = palloc0(b->n * sizeof(BulkAccepted));
	pg_uuid_t	batch_id;
	bool		has_batch_id;
	const char *problem = codec_bulk_answer(res->body, res->body_len, b->n,
											&batch_id, &has_batch_id, items);

	if (problem != NULL)
	{
		ApiError	err;

		/* it was probably accepted: retrying risks a duplicate, not a loss */
		err.sqlstate = ERRCODE_SMS_API_BAD_ANSWER;
		err.message = "the SMS API answered something unusable to a bulk send";
		err.detail = (char *) problem;
		settle_failure(b, res, &err);
		return;
	}
	for (int i = 0; i < b->n; i++)
	{
		Outcome    *o = &outcomes[OUT_SENT];
		int			k;

		outcome_add(OUT_SENT, b->rows[i], NULL);
		k = o->n - 1;
		o->message_ids[k] = items[i].id;
		o->batch_ids[k] = batch_id;
		o->has_batch_id[k] = has_batch_id;
		o->correlation_ids[k] = items[i].correlation_id ?
			MemoryContextStrdup(drain_cxt, items[i].correlation_id) :
			(char *) b->rows[i]->msg.correlation_id;
	}
}

/* Record what is settled so far, in a transaction of its own. */
static void
record_now(void)
{
	worker_begin_transaction();
	drain_record();
	worker_commit_transaction();
}

/*
 * A request of the round is complete: settle and record its rows at once,
 * so that a crash while the others are in flight can send again only
 * those still in flight.
 */
static void
batch_done(int i, bool ok, const HttpResult *res, const ApiError *err, void *arg)
{
	if (ok)
		settle_success(&inflight[i], res);
	else
		settle_failure(&inflight[i], res, err);
	inflight_done[i] = true;
	record_now();
}

bool
drain_send_round(void)
{
	int			n = Min(queue_len, HTTP_MAX_PARALLEL);
	char	   *bodies[HTTP_MAX_PARALLEL];
	size_t		lens[HTTP_MAX_PARALLEL];
	MemoryContext old;

	if (n == 0 || drain_paused)
		return false;
	if (round_cxt == NULL)
		round_cxt = AllocSetContextCreate(TopMemoryContext, "sms_api outbox round",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(round_cxt);
	old = MemoryContextSwitchTo(round_cxt);

	memcpy(inflight, queue, n * sizeof(Batch));
	memmove(queue, queue + n, (queue_len - n) * sizeof(Batch));
	queue_len -= n;
	memset(inflight_done, 0, sizeof(inflight_done));
	for (int i = 0; i < n; i++)
	{
		SmsMessage *msgs = palloc(inflight[i].n * sizeof(SmsMessage));

		for (int j = 0; j < inflight[i].n; j++)
			msgs[j] = inflight[i].rows[j]->msg;
		bodies[i] = codec_outbox_request(msgs, inflight[i].n, &lens[i]);
	}
	ninflight = n;
	api_post_many("/v1/send-bulk-sms", bodies, lens, n, batch_done, NULL);
	ninflight = 0;
	MemoryContextSwitchTo(old);

	if (drain_paused && queue_len > 0)
	{
		/* the rest waits too */
		for (int i = 0; i < queue_len; i++)
			for (int j = 0; j < queue[i].n; j++)
				outcome_add(OUT_PAUSED, queue[i].rows[j], "paused: the API refused the account or URL");
		queue_len = 0;
		record_now();
	}
	return queue_len > 0;
}

void
drain_abort_round(const char *error)
{
	drain_paused = true;
	for (int i = 0; i < ninflight; i++)
		if (!inflight_done[i])
			for (int j = 0; j < inflight[i].n; j++)
				outcome_add(OUT_PAUSED, inflight[i].rows[j], error);
	ninflight = 0;
	for (int i = 0; i < queue_len; i++)
		for (int j = 0; j < queue[i].n; j++)
			outcome_add(OUT_PAUSED, queue[i].rows[j], error);
	queue_len = 0;
}

static Datum
array_of(Oid elemtype, Datum *values, bool *nulls, int n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval, typalign));
}

static const char *const record_sql[OUT_KINDS] = {
	"UPDATE sms_api.outbox o SET state = 'sent', message_id = u.mid, batch_id = u.bid, "
	"sent_at = pg_catalog.now(), next_attempt_at = NULL, last_error = NULL "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::uuid[]) AS mid, pg_catalog.unnest($3::uuid[]) AS bid) AS u "
	"WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET "
	"state = CASE WHEN o.attempts >= $3 THEN 'failed' ELSE 'queued' END, "
	"next_attempt_at = CASE WHEN o.attempts >= $3 THEN NULL ELSE pg_catalog.now() + "
	"pg_catalog.make_interval(secs => least(300, 2 ^ (o.attempts - 1)) * (0.75 + pg_catalog.random() / 2)) END, "
	"last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err) AS u WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET state = 'failed', next_attempt_at = NULL, last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err) AS u WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET state = 'queued', attempts = o.attempts - 1, last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err) AS u WHERE o.id = u.id",
};

bool
drain_record(void)
{
	SPI_connect();
	for (int kind = 0; kind < OUT_KINDS; kind++)
	{
		Outcome    *o = &outcomes[kind];
		Datum		params[3];
		Datum	   *values;
		bool	   *nulls;
		Oid			types[3] = {INT8ARRAYOID,
			kind == OUT_SENT ? UUIDARRAYOID : TEXTARRAYOID,
			kind == OUT_SENT ? UUIDARRAYOID : INT4OID};
		int			nparams = (kind == OUT_RETRY || kind == OUT_SENT) ? 3 : 2;

		if (o->n == 0)
			continue;
		if (record_plans[kind] == NULL)
			record_plans[kind] = keep(prepare_generic(record_sql[kind], nparams, types));

		values = palloc(o->n * sizeof(Datum));
		nulls = palloc0(o->n * sizeof(bool));
		for (int i = 0; i < o->n; i++)
			values[i] = Int64GetDatum(o->ids[i]);
		params[0] = array_of(INT8OID, values, nulls, o->n);
		if (kind == OUT_SENT)
		{
			for (int i = 0; i < o->n; i++)
				values[i] = UUIDPGetDatum(&o->message_ids[i]);
			params[1] = array_of(UUIDOID, values, nulls, o->n);
			for (int i = 0; i < o->n; i++)
			{
				values[i] = UUIDPGetDatum(&o->batch_ids[i]);
				nulls[i] = !o->has_batch_id[i];
			}
			params[2] = array_of(UUIDOID, values, nulls, o->n);
		}
		else
		{
			for (int i = 0; i < o->n; i++)
				values[i] = CStringGetTextDatum(o->errors[i]);
			params[1] = array_of(TEXTOID, values, nulls, o->n);
			params[2] = Int32GetDatum(sms_api_queue_max_attempts);
		}
		if (SPI_execute_plan(record_plans[kind], params, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not record outbox outcomes");
	}
	SPI_finish();

	if (outcomes[OUT_SENT].n > 0)
	{
		store_sent(outcomes[OUT_SENT].n, outcomes[OUT_SENT].message_ids,
				   outcomes[OUT_SENT].correlation_ids, outcomes[OUT_SENT].destinations);
		pg_atomic_fetch_add_u64(&sms_api_shared->messages_sent, outcomes[OUT_SENT].n);
	}
	memset(outcomes, 0, sizeof(outcomes));
	return true;
}

bool
drain_next_due(void)
{
	bool		isnull;
	Datum		d;

	SPI_connect();
	if (SPI_execute("SELECT pg_catalog.min(next_attempt_at) FROM sms_api.outbox WHERE state = 'queued'",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the outbox");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	drain_next_due_at = isnull ? 0 : DatumGetTimestampTz(d);
	SPI_finish();
	return true;
}
