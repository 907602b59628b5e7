/*
 * drain.c
 *		Sending the outbox, for every provider. The worker claims due rows
 *		of each provider that is configured and not paused (state 'sending',
 *		committed), packs rows the provider lets share a request into
 *		requests of its batch size, keeps up to HTTP_MAX_PARALLEL of them in
 *		flight, and records each request's outcome as soon as it is known.
 *		The provider (core/provider.h) builds the requests, decodes the
 *		answers and says what a refusal means:
 *
 *		- accepted: 'sent', with provider_ref (and message_id, batch_id for
 *		  Sinch), sent_at;
 *		- rejected (VERDICT_REJECT), or a request that cannot even be built:
 *		  the batch is split in halves and resent until the bad message is
 *		  alone, which becomes 'failed';
 *		- the account or URL is wrong (VERDICT_PAUSE, or a VERDICT_PROBE
 *		  that the provider's empty request gets too): that provider's rows
 *		  wait until the settings change; the others go on. A refusal the
 *		  empty request does not get was caused by the rows' own fields, so
 *		  it is a rejection;
 *		- anything else (429, 5xx, no answer, unusable answer): 'queued'
 *		  again, all rows of the request at the same time, after a backoff
 *		  of about 1 s, 2 s, 4 s ... up to 5 minutes (Retry-After honoured);
 *		  'failed' after queue_max_attempts;
 *		- the destination opted out (sms_api.opt_out): 'failed' in the
 *		  claim's transaction, at no request;
 *		- not sent at all (the provider could get no credentials: its token
 *		  endpoint down, say): 'queued' again after that provider's own
 *		  backoff, no attempt counted.
 *
 * attempts counts requests made for a row: a claim that a crash interrupts
 * before any request is not one. A crash between claim and record leaves
 * rows in 'sending'; the worker returns them to 'queued' when it starts.
 * That, and a request whose answer was lost, are the only ways a message
 * can be sent twice.
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

#include "core/api.h"
#include "core/datum.h"
#include "core/provider.h"
#include "core/backoff.h"
#include "core/drain.h"
#include "core/guc.h"
#include "core/optout.h"
#include "http/http.h"
#include "core/shmem.h"
#include "core/sms_api.h"
#include "core/worker.h"

/* A claimed outbox row. */
typedef struct Row
{
	int64		id;
	int			provider;		/* index in providers[] */
	int			attempts;		/* requests made for it before this one */
	char	   *invalid;		/* why it cannot be sent at all, or NULL */
	bool		opted_out;		/* its destination is in sms_api.opt_out */
	char	   *batch_key;		/* rows with equal keys may share a request */
	char	   *next;			/* the next active provider of its route, or NULL */
	SmsMessage	msg;			/* UTF-8, as the codec wants it */
	char	   *destination;	/* as stored (database encoding) */
} Row;

/* Rows that go out in one request. */
typedef struct Batch
{
	Row		  **rows;
	int			n;				/* all of one provider */
} Batch;

/* Outcomes of one round, by what happens to the rows. */
typedef struct Outcome
{
	int			n;
	int64	   *ids;
	int		   *providers;
	char	  **errors;			/* retry, failed, paused */
	SentRef    *refs;			/* sent */
	char	  **destinations;	/* sent */
	TimestampTz *due;			/* retry */
	char	  **next;			/* moved */
} Outcome;

enum
{
	OUT_SENT,
	OUT_RETRY,
	OUT_FAILED,					/* after a request */
	OUT_PAUSED,
	OUT_INVALID,				/* failed without a request */
	OUT_HELD,					/* not sent (no credentials yet): due again, no attempt */
	OUT_MOVED,					/* to the next provider of its route */
	OUT_KINDS
};

/* Retries of a failed request: about 1 s, doubling, at most 5 minutes. */
#define RETRY_BASE_MS 1000
#define RETRY_MAX_MS (300 * 1000)

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

/* Batches answered 403/404 this round, waiting for the account probe. */
static Batch probe_wait[HTTP_MAX_PARALLEL];
static char *probe_wait_error[HTTP_MAX_PARALLEL];
static int	nprobe_wait;

/* A provider's empty request got past the account check this round. */
static bool account_ok[MAX_PROVIDERS];

static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr record_plans[OUT_KINDS];

TimestampTz drain_next_due_at = 0;

/* Providers whose account or URL was refused: their rows wait for a reload. */
static bool paused[MAX_PROVIDERS];

/* Rounds in a row in which a provider's requests could not even be made. */
static int	unsent_streak[MAX_PROVIDERS];

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
	nprobe_wait = 0;
	memset(account_ok, 0, sizeof(account_ok));
}

static void
outcome_add(int kind, Row *row, const char *error)
{
	Outcome    *o = &outcomes[kind];
	MemoryContext old = MemoryContextSwitchTo(drain_cxt);

	if (o->ids == NULL)
	{
		o->ids = palloc(claimed * sizeof(int64));
		o->providers = palloc(claimed * sizeof(int));
		o->errors = palloc0(claimed * sizeof(char *));
		o->refs = palloc0(claimed * sizeof(SentRef));
		o->destinations = palloc(claimed * sizeof(char *));
		o->due = palloc(claimed * sizeof(TimestampTz));
		o->next = palloc0(claimed * sizeof(char *));
	}
	o->ids[o->n] = row->id;
	o->providers[o->n] = row->provider;
	o->errors[o->n] = error ? pstrdup(error) : NULL;
	o->destinations[o->n] = row->destination;
	o->due[o->n] = 0;
	o->next[o->n] = row->next;
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

/* A text column as claimed: NULL when over its limit in bytes (oversize says so). */
static void
append_guarded(StringInfo sql, const char *col, int max_bytes)
{
	appendStringInfo(sql, "CASE WHEN pg_catalog.octet_length(o.%s) > %d THEN NULL ELSE o.%s END, ",
					 col, max_bytes, col);
}

/*
 * The claim of one provider's due rows. attempts is not touched: a claim
 * the worker does not live to send is no attempt. A row whose texts are far
 * over their limits (queued before they existed) is not even read, so that
 * it cannot make the claim or a request too large to build; octet_length()
 * of a text reads only its header, and pg_column_size() of options its
 * stored size.
 */
static char *
claim_sql(void)
{
	StringInfoData sql;
	char	   *options_big = psprintf("pg_catalog.pg_column_size(o.options) > %d",
									   2 * MAX_OPTIONS_BYTES);

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "UPDATE sms_api.outbox o SET state = 'sending' "
						   "WHERE o.id = ANY (ARRAY(SELECT id FROM sms_api.outbox "
						   "WHERE provider = $2 AND state = 'queued' AND next_attempt_at <= pg_catalog.now() "
						   "ORDER BY provider, next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)) "
						   "RETURNING o.id, o.attempts, ");
	append_guarded(&sql, "destination", 64);
	append_guarded(&sql, "message_text", MAX_STORED_TEXT_BYTES(MAX_MESSAGE_TEXT));
	append_guarded(&sql, "correlation_id", MAX_STORED_TEXT_BYTES(MAX_CORRELATION_ID));
	append_guarded(&sql, "extra_info", MAX_STORED_TEXT_BYTES(MAX_EXTRA_INFO));
	appendStringInfoString(&sql,
						   "o.flash, CASE WHEN pg_catalog.isfinite(o.scheduled_at) "
						   "THEN pg_catalog.floor(extract(epoch FROM o.scheduled_at) * 1000)::int8 END, "
						   "CASE WHEN pg_catalog.isfinite(o.expires_at) "
						   "THEN pg_catalog.floor(extract(epoch FROM o.expires_at) * 1000)::int8 END, ");
	append_guarded(&sql, "campaign_alias", MAX_STORED_TEXT_BYTES(MAX_NAME_TEXT));
	append_guarded(&sql, "sub_account", MAX_STORED_TEXT_BYTES(MAX_NAME_TEXT));
	appendStringInfo(&sql, "CASE WHEN %s THEN NULL ELSE o.options::text END, ", options_big);
	/* each provider's batch key, over rows whose options are readable */
	appendStringInfo(&sql, "CASE WHEN %s THEN '' ELSE CASE o.provider", options_big);
	for (int p = 0; p < nproviders; p++)
		if (providers[p]->batch_key_sql != NULL)
			appendStringInfo(&sql, " WHEN '%s' THEN %s", providers[p]->name,
							 providers[p]->batch_key_sql());
	appendStringInfo(&sql, " ELSE '' END END, "
					 "pg_catalog.octet_length(o.destination) > 64 "
					 "OR pg_catalog.octet_length(o.message_text) > %d "
					 "OR pg_catalog.octet_length(o.correlation_id) > %d "
					 "OR pg_catalog.octet_length(o.extra_info) > %d "
					 "OR pg_catalog.octet_length(o.campaign_alias) > %d "
					 "OR pg_catalog.octet_length(o.sub_account) > %d OR %s "
					 "OR NOT pg_catalog.isfinite(o.scheduled_at) OR NOT pg_catalog.isfinite(o.expires_at), "
					 "(SELECT u.p FROM sms_api.route r, pg_catalog.unnest(r.providers) WITH ORDINALITY AS u(p, i) "
					 "WHERE r.prefix = o.route_prefix AND u.p <> o.provider AND u.p = ANY ($3) "
					 "AND u.i > coalesce(pg_catalog.array_position(r.providers, o.provider), 0) "
					 "ORDER BY u.i LIMIT 1), " OPTOUT_CLAIM_SQL("$4"),
					 MAX_STORED_TEXT_BYTES(MAX_MESSAGE_TEXT), MAX_STORED_TEXT_BYTES(MAX_CORRELATION_ID),
					 MAX_STORED_TEXT_BYTES(MAX_EXTRA_INFO), MAX_STORED_TEXT_BYTES(MAX_NAME_TEXT),
					 MAX_STORED_TEXT_BYTES(MAX_NAME_TEXT), options_big);
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
	int			c = strcmp(x->batch_key, y->batch_key);

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

/* Rows of one provider to claim at a time: a few rounds' worth. */
static int
claim_limit(const Provider *p)
{
	return p->batch_size() * HTTP_MAX_PARALLEL;
}

/* Whether the drain sends this provider's rows now. */
static bool
provider_active(int p)
{
	return !paused[p] && providers[p]->configured();
}

/* The providers the drain sends for now, or does not, as a text[] Datum. */
static Datum
providers_where_active(bool active)
{
	Datum		names[MAX_PROVIDERS];
	bool		nulls[MAX_PROVIDERS] = {0};
	int			n = 0;

	for (int p = 0; p < nproviders; p++)
		if (provider_active(p) == active)
			names[n++] = CStringGetTextDatum(providers[p]->name);
	return datum_array(TEXTOID, names, nulls, n);
}

static Datum
active_providers(void)
{
	return providers_where_active(true);
}

static Datum
inactive_providers(void)
{
	return providers_where_active(false);
}

/* Rows moved off an inactive provider per claim: the rest follow at the next. */
#define MOVE_LIMIT 10000

/*
 * The queued rows of a provider the drain does not send for (paused, or not
 * configured) move to the next active provider of their route, if any;
 * rows queued with a provider named have no route and stay.
 */
static void
move_from_inactive(void)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {TEXTOID, TEXTARRAYOID, TEXTOID};

	if (plan == NULL)
		plan = keep(prepare_generic(
									"WITH m AS (SELECT o.id, n.p AS next FROM sms_api.outbox o, "
									"LATERAL (SELECT u.p FROM sms_api.route r, pg_catalog.unnest(r.providers) WITH ORDINALITY AS u(p, i) "
									"WHERE r.prefix = o.route_prefix AND u.p <> o.provider AND u.p = ANY ($2) "
									"AND u.i > coalesce(pg_catalog.array_position(r.providers, o.provider), 0) "
									"ORDER BY u.i LIMIT 1) AS n "
									"WHERE o.provider = $1 AND o.state = 'queued' AND o.next_attempt_at IS NOT NULL "
									"AND o.route_prefix IS NOT NULL LIMIT " CppAsString2(MOVE_LIMIT) " FOR UPDATE OF o SKIP LOCKED) "
									"UPDATE sms_api.outbox o SET provider = m.next, attempts = 0, "
									"next_attempt_at = pg_catalog.now(), "
									"last_error = pg_catalog.concat('moved from ', o.provider, ' to ', m.next, ': ', $3::text) "
									"FROM m WHERE o.id = m.id AND m.next IS NOT NULL",
									3, types));
	for (int p = 0; p < nproviders; p++)
	{
		Datum		args[3];

		if (provider_active(p))
			continue;
		args[0] = CStringGetTextDatum(providers[p]->name);
		args[1] = active_providers();
		args[2] = CStringGetTextDatum(paused[p]
									  ? psprintf("paused: %s refused the account or URL", providers[p]->name)
									  : psprintf("%s is not configured", providers[p]->name));
		if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not move outbox rows to their next provider");
	}
}

/* Claim one provider's due rows and queue them as batches; how many. */
static int
claim_provider(int p, Row *rows, int room)
{
	const Provider *prov = providers[p];
	Datum		args[4];
	Row		  **sorted;
	int			n;
	int			nsorted = 0;
	MemoryContext old;

	args[0] = Int32GetDatum(Min(claim_limit(prov), room));
	args[1] = CStringGetTextDatum(prov->name);
	args[2] = active_providers();
	args[3] = BoolGetDatum(optout_enforce);
	if (SPI_execute_plan(claim_plan, args, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not claim outbox rows");

	old = MemoryContextSwitchTo(drain_cxt);
	n = (int) SPI_processed;
	sorted = palloc(Max(n, 1) * sizeof(Row *));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Row		   *r = &rows[i];
		bool		isnull;
		char	   *flash;
		char	   *ms;

		r->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		r->provider = p;
		r->attempts = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		if (DatumGetBool(SPI_getbinval(tup, desc, 16, &isnull)))
		{
			r->opted_out = true;
			r->destination = "";
			continue;
		}
		if (DatumGetBool(SPI_getbinval(tup, desc, 14, &isnull)) && !isnull)
		{
			r->invalid = "a text of the row is far over its limit, or a time of it infinite";
			r->destination = "";
			continue;
		}
		/* the row as stored (database encoding), checked before it is sent */
		r->destination = SPI_getvalue(tup, desc, 3);
		r->msg.message_text = SPI_getvalue(tup, desc, 4);
		r->msg.correlation_id = SPI_getvalue(tup, desc, 5);
		r->msg.extra_info = SPI_getvalue(tup, desc, 6);
		flash = SPI_getvalue(tup, desc, 7);
		r->msg.flash = flash ? (flash[0] == 't') : -1;
		if ((ms = SPI_getvalue(tup, desc, 8)) != NULL)
		{
			r->msg.has_scheduled_at = true;
			r->msg.scheduled_at_ms = pg_strtoint64(ms);
		}
		if ((ms = SPI_getvalue(tup, desc, 9)) != NULL)
		{
			r->msg.has_expires_at = true;
			r->msg.expires_at_ms = pg_strtoint64(ms);
		}
		r->msg.campaign_alias = SPI_getvalue(tup, desc, 10);
		r->msg.sub_account = SPI_getvalue(tup, desc, 11);
		r->msg.options_json = SPI_getvalue(tup, desc, 12);
		r->batch_key = SPI_getvalue(tup, desc, 13);
		r->next = SPI_getvalue(tup, desc, 15);
		r->msg.destination = r->destination;
		if ((r->invalid = prov->check_stored(&r->msg)) != NULL)
			continue;
		/* failover only to a provider that can carry the row as it is */
		if (r->next != NULL && providers[provider_index(r->next)]->check_stored(&r->msg) != NULL)
			r->next = NULL;
		r->msg.destination = utf8(r->destination);
		r->msg.message_text = utf8(r->msg.message_text);
		r->msg.correlation_id = utf8(r->msg.correlation_id);
		r->msg.extra_info = utf8(r->msg.extra_info);
		r->msg.campaign_alias = utf8(r->msg.campaign_alias);
		r->msg.sub_account = utf8(r->msg.sub_account);
		r->msg.options_json = utf8(r->msg.options_json);
		sorted[nsorted++] = r;
	}
	MemoryContextSwitchTo(old);

	/* rows that may share a request go together, each group in id order */
	qsort(sorted, nsorted, sizeof(Row *), compare_rows);
	for (int start = 0; start < nsorted;)
	{
		int			end = start;

		while (end < nsorted && end - start < prov->batch_size() &&
			   strcmp(sorted[end]->batch_key, sorted[start]->batch_key) == 0)
			end++;
		push_batch(sorted + start, end - start, false);
		start = end;
	}
	return n;
}

bool
drain_claim(void)
{
	Oid			types[4] = {INT4OID, TEXTOID, TEXTARRAYOID, BOOLOID};
	Row		   *rows;
	int			room = 0;

	reset_state();
	for (int p = 0; p < nproviders; p++)
		if (provider_active(p))
			room += claim_limit(providers[p]);
	if (room == 0)
		return false;
	rows = MemoryContextAllocZero(drain_cxt, room * sizeof(Row));

	SPI_connect();
	move_from_inactive();
	if (claim_plan == NULL)
		claim_plan = keep(prepare_generic(claim_sql(), 4, types));
	for (int p = 0; p < nproviders; p++)
		if (provider_active(p))
			claimed += claim_provider(p, rows + claimed, room - claimed);
	SPI_finish();

	/* what cannot be sent fails now, at no request, in the claim's transaction */
	for (int i = 0; i < claimed; i++)
		if (rows[i].opted_out)
			outcome_add(OUT_INVALID, &rows[i], OPTOUT_ERROR);
		else if (rows[i].invalid != NULL)
			outcome_add(OUT_INVALID, &rows[i],
						psprintf("22001: not sent: %s (the row was queued before this limit existed)",
								 rows[i].invalid));
	if (outcomes[OUT_INVALID].n > 0)
		drain_record();
	return claimed > 0;
}

/* The text an outbox row keeps of a failure. */
static char *
describe(const ApiError *err)
{
	return psprintf("%s: %s%s%s", unpack_sql_state(err->sqlstate), err->message,
					err->detail ? ": " : "", err->detail ? err->detail : "");
}

/* A rejection: split the batch to find the bad message, or fail it alone. */
static void
settle_rejected(const Batch *b, const char *error)
{
	if (b->n > 1)
	{
		int			half = b->n / 2;

		push_batch(b->rows + half, b->n - half, true);
		push_batch(b->rows, half, true);
		return;
	}
	outcome_add(OUT_FAILED, b->rows[0], error);
}

/*
 * The rows of a request that may succeed later come due again together,
 * after one backoff for the whole request (by the most attempts among its
 * rows), or after the Retry-After the API asked for, if longer. One time
 * per request keeps a failed request of 1000 from coming back as hundreds
 * of small ones.
 */
static void
settle_retry(const Batch *b, const HttpResult *res, const char *error)
{
	int			most = 0;
	int64		delay_ms;
	TimestampTz due;

	for (int i = 0; i < b->n; i++)
		most = Max(most, b->rows[i]->attempts);
	delay_ms = backoff_delay_ms(most + 1, RETRY_BASE_MS, RETRY_MAX_MS);
	if (res != NULL && res->outcome == HTTP_ANSWERED && res->retry_after_s >= 0)
		delay_ms = Max(delay_ms, (int64) res->retry_after_s * 1000);
	due = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay_ms);
	for (int i = 0; i < b->n; i++)
	{
		outcome_add(OUT_RETRY, b->rows[i], error);
		outcomes[OUT_RETRY].due[outcomes[OUT_RETRY].n - 1] = due;
	}
}

/* Rows whose request could not be made: due again after the provider's backoff. */
static void
settle_held(const Batch *b, const char *error)
{
	int			p = b->rows[0]->provider;
	TimestampTz due;

	unsent_streak[p] = Min(unsent_streak[p] + 1, 30);
	due = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
									  backoff_delay_ms(unsent_streak[p], RETRY_BASE_MS, RETRY_MAX_MS));
	for (int i = 0; i < b->n; i++)
	{
		outcome_add(OUT_HELD, b->rows[i], error);
		outcomes[OUT_HELD].due[outcomes[OUT_HELD].n - 1] = due;
	}
}

/* The text a moved row keeps of why it moved. */
static char *
moved_because(const Row *r, const char *error)
{
	return psprintf("moved from %s to %s: %s", providers[r->provider]->name, r->next, error);
}

/* A paused provider's rows move along their routes; the others wait for new settings. */
static void
settle_paused(const Batch *b, const char *error)
{
	paused[b->rows[0]->provider] = true;
	shmem_set_paused(b->rows[0]->provider, error);
	for (int i = 0; i < b->n; i++)
		if (b->rows[i]->next != NULL)
			outcome_add(OUT_MOVED, b->rows[i], moved_because(b->rows[i], error));
		else
			outcome_add(OUT_PAUSED, b->rows[i], error);
}

/*
 * Failover of a failed request's rows: those for which their provider is
 * unavailable move to the next active provider of their route: SM003 once
 * their retries are spent (sms_api.max_retries), 429 once
 * queue_max_attempts are. An unknown outcome (SM002) never moves: the
 * message may have gone out. The rows that stay, as a batch (n may be 0).
 */
static Batch
move_unavailable(const Batch *b, const ApiError *err, const char *error)
{
	Batch		stay;

	stay.rows = MemoryContextAlloc(drain_cxt, b->n * sizeof(Row *));
	stay.n = 0;
	for (int i = 0; i < b->n; i++)
	{
		Row		   *r = b->rows[i];
		bool		spent =
			(err->sqlstate == ERRCODE_SMS_API_UNAVAILABLE && r->attempts + 1 > sms_api_max_retries) ||
			(err->sqlstate == ERRCODE_CONFIGURATION_LIMIT_EXCEEDED &&
			 r->attempts + 1 >= sms_api_queue_max_attempts);

		if (spent && r->next != NULL)
			outcome_add(OUT_MOVED, r, moved_because(r, error));
		else
			stay.rows[stay.n++] = r;
	}
	return stay;
}

/* What a failed request means for its rows. */
static void
settle_failure(const Batch *b, const HttpResult *res, const ApiError *err)
{
	int			p = b->rows[0]->provider;
	const Provider *prov = providers[p];
	char	   *error = describe(err);
	OutboxVerdict verdict = prov->verdict(res, err);

	shmem_record_error(error);
	shmem_record_provider_error(p, error);
	/* not sent at all (no token could be had): never the rows' fault, and no attempt */
	if (err->unsent && verdict != VERDICT_PAUSE)
	{
		settle_held(b, error);
		return;
	}
	if (verdict == VERDICT_PROBE && (prov->probe == NULL || account_ok[p]))
		verdict = VERDICT_REJECT;
	switch (verdict)
	{
		case VERDICT_PAUSE:
			settle_paused(b, error);
			break;
		case VERDICT_PROBE:
			{
				/* about the account, or about these rows? an empty request tells */
				MemoryContext old = MemoryContextSwitchTo(drain_cxt);

				probe_wait[nprobe_wait] = *b;
				probe_wait_error[nprobe_wait] = pstrdup(error);
				nprobe_wait++;
				MemoryContextSwitchTo(old);
			}
			break;
		case VERDICT_REJECT:
			settle_rejected(b, error);
			break;
		case VERDICT_RETRY:
			{
				Batch		stay = move_unavailable(b, err, error);

				if (stay.n > 0)
					settle_retry(&stay, res, error);
			}
			break;
	}
}

static void
settle_success(const Batch *b, const HttpResult *res)
{
	const Provider *prov = providers[b->rows[0]->provider];
	SentRef    *refs = palloc0(b->n * sizeof(SentRef));
	const char *problem = prov->decode_sent(res, b->n, refs);

	unsent_streak[b->rows[0]->provider] = 0;

	if (problem != NULL)
	{
		ApiError	err;

		/* it was probably accepted: retrying risks a duplicate, not a loss */
		memset(&err, 0, sizeof(err));
		err.sqlstate = ERRCODE_SMS_API_BAD_ANSWER;
		err.message = psprintf("the answer to an outbox send through %s is unusable", prov->name);
		err.detail = (char *) problem;
		shmem_record_error(describe(&err));
		settle_retry(b, res, describe(&err));
		return;
	}
	for (int i = 0; i < b->n; i++)
	{
		Outcome    *o = &outcomes[OUT_SENT];

		outcome_add(OUT_SENT, b->rows[i], NULL);
		o->refs[o->n - 1] = refs[i];
		if (refs[i].correlation_id == NULL)
			o->refs[o->n - 1].correlation_id = b->rows[i]->msg.correlation_id;
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
 * those still in flight. The answer is copied into the drain's context
 * first, where the records find what the provider decoded from it.
 */
static void
batch_done(int i, bool ok, const HttpResult *res, const ApiError *err, void *arg)
{
	MemoryContext old = MemoryContextSwitchTo(drain_cxt);

	if (ok)
		settle_success(&inflight[i], res);
	else
		settle_failure(&inflight[i], res, err);
	MemoryContextSwitchTo(old);
	inflight_done[i] = true;
	record_now();
}

/*
 * Batches the provider wants probed: ask with its empty request, which the
 * API checks for the account but which sends nothing. The same refusal
 * means the account or URL is wrong and that provider pauses; any other
 * answer means the rows' own fields caused it (Sinch: subAccount is for
 * administrators only), and they are rejected like a 400. No answer at
 * all: retried later.
 */
static void
settle_probed(void)
{
	for (int i = 0; i < nprobe_wait; i++)
	{
		const Batch *b = &probe_wait[i];
		int			p = b->rows[0]->provider;
		const ApiCall *probe = providers[p]->probe;
		HttpResult	res;
		ApiError	err;
		bool		ok;
		OutboxVerdict verdict;

		memset(&err, 0, sizeof(err));
		if (paused[p])
		{
			settle_paused(b, probe_wait_error[i]);
			continue;
		}
		if (account_ok[p])
		{
			settle_rejected(b, psprintf("%s (a request without these messages was not refused: their own fields were)",
										probe_wait_error[i]));
			continue;
		}
		ok = api_call(probe, &res, &err);
		verdict = ok ? VERDICT_REJECT : providers[p]->verdict(&res, &err);
		if (verdict == VERDICT_PAUSE || verdict == VERDICT_PROBE)
			settle_paused(b, probe_wait_error[i]);
		else if (ok || (res.outcome == HTTP_ANSWERED && res.status >= 400 && res.status < 500 &&
						res.status != 429))
		{
			account_ok[p] = true;
			settle_rejected(b, psprintf("%s (a request without these messages was not refused: their own fields were)",
										probe_wait_error[i]));
		}
		else
			settle_retry(b, NULL, probe_wait_error[i]);
	}
	nprobe_wait = 0;
}

/*
 * The request of a batch, or false when it cannot be built (out of memory,
 * say): then the batch is split, or its one row fails, and the other
 * batches go on. A setting the provider lacks pauses its rows instead.
 */
static bool
build_call(const Batch *b, ApiCall *call)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool built = false;

	PG_TRY();
	{
		const Provider *prov = providers[b->rows[0]->provider];
		SmsMessage *msgs = palloc(b->n * sizeof(SmsMessage));
		HttpRequest scratch;

		for (int j = 0; j < b->n; j++)
			msgs[j] = b->rows[j]->msg;

		memset(call, 0, sizeof(*call));
		prov->build_request(msgs, b->n, call);
		/* a setting the provider lacks shows now, and pauses only it */
		memset(&scratch, 0, sizeof(scratch));
		call->target->prepare(&scratch, call);
		built = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		/* a cancel is the worker's, not the rows' */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			PG_RE_THROW();
		FlushErrorState();
		if (edata->sqlerrcode == ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)
		{
			/* a setting is missing or unusable: this provider waits for a reload */
			char	   *error = psprintf("%s: %s", unpack_sql_state(edata->sqlerrcode), edata->message);

			shmem_record_error(error);
			ereport(LOG,
					(errmsg("sms_api worker: %s", edata->message),
					 edata->hint ? errhint("%s", edata->hint) : 0));
			settle_paused(b, error);
		}
		else if (b->n > 1)
			settle_rejected(b, NULL);
		else
			outcome_add(OUT_INVALID, b->rows[0],
						psprintf("%s: could not build the request: %s",
								 unpack_sql_state(edata->sqlerrcode), edata->message));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return built;
}

/* Mark the queued batches of paused providers paused too. */
static void
hold_paused(void)
{
	int			kept = 0;

	for (int i = 0; i < queue_len; i++)
	{
		int			p = queue[i].rows[0]->provider;

		if (paused[p])
			settle_paused(&queue[i], psprintf("paused: %s refused the account or URL", providers[p]->name));
		else
			queue[kept++] = queue[i];
	}
	queue_len = kept;
}

bool
drain_send_round(void)
{
	int			n = 0;
	ApiCall		calls[HTTP_MAX_PARALLEL];
	MemoryContext old;

	if (queue_len == 0)
		return false;
	if (round_cxt == NULL)
		round_cxt = AllocSetContextCreate(TopMemoryContext, "sms_api outbox round",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(round_cxt);
	old = MemoryContextSwitchTo(round_cxt);

	memset(inflight_done, 0, sizeof(inflight_done));
	/* the account may change under a long drain: ask again each round */
	memset(account_ok, 0, sizeof(account_ok));
	while (n < HTTP_MAX_PARALLEL && queue_len > 0)
	{
		Batch		b = queue[0];

		memmove(queue, queue + 1, (queue_len - 1) * sizeof(Batch));
		queue_len--;
		if (paused[b.rows[0]->provider])
		{
			push_batch(b.rows, b.n, true);
			hold_paused();
			continue;
		}
		if (build_call(&b, &calls[n]))
			inflight[n++] = b;
	}
	if (n > 0)
	{
		ninflight = n;
		for (int i = 0; i < n; i++)
			pg_atomic_fetch_add_u64(&my_worker->providers[inflight[i].rows[0]->provider].requests, 1);
		api_request_many(calls, n, batch_done, NULL);
		ninflight = 0;
	}
	settle_probed();
	MemoryContextSwitchTo(old);

	hold_paused();
	for (int kind = 0; kind < OUT_KINDS; kind++)
		if (outcomes[kind].n > 0)
		{
			record_now();
			break;
		}
	return queue_len > 0;
}

void
drain_abort_round(const char *error)
{
	for (int i = 0; i < ninflight; i++)
		if (!inflight_done[i])
			for (int j = 0; j < inflight[i].n; j++)
			{
				paused[inflight[i].rows[j]->provider] = true;
				shmem_set_paused(inflight[i].rows[j]->provider, error);
				outcome_add(OUT_PAUSED, inflight[i].rows[j], error);
			}
	ninflight = 0;
	for (int i = 0; i < nprobe_wait; i++)
		for (int j = 0; j < probe_wait[i].n; j++)
		{
			paused[probe_wait[i].rows[j]->provider] = true;
			outcome_add(OUT_PAUSED, probe_wait[i].rows[j], error);
		}
	nprobe_wait = 0;
	for (int i = 0; i < queue_len; i++)
		for (int j = 0; j < queue[i].n; j++)
		{
			paused[queue[i].rows[j]->provider] = true;
			outcome_add(OUT_PAUSED, queue[i].rows[j], error);
		}
	queue_len = 0;
}


/* Rows ($1), and per kind: message and batch ids, or errors (and times). */
static const char *const record_sql[OUT_KINDS] = {
	"UPDATE sms_api.outbox o SET state = 'sent', attempts = o.attempts + 1, "
	"message_id = u.mid, batch_id = u.bid, provider_ref = u.ref, "
	"sent_at = pg_catalog.now(), next_attempt_at = NULL, "
	"last_error = CASE WHEN o.route_prefix IS NOT NULL THEN o.last_error END "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::uuid[]) AS mid, "
	"pg_catalog.unnest($3::uuid[]) AS bid, pg_catalog.unnest($4::text[]) AS ref) AS u "
	"WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET attempts = o.attempts + 1, "
	"state = CASE WHEN o.attempts + 1 >= $3 THEN 'failed' ELSE 'queued' END, "
	"next_attempt_at = CASE WHEN o.attempts + 1 >= $3 THEN NULL ELSE u.due END, "
	"last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err, "
	"pg_catalog.unnest($4::timestamptz[]) AS due) AS u WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET state = 'failed', attempts = o.attempts + 1, "
	"next_attempt_at = NULL, last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err) AS u "
	"WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET state = 'queued', last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err) AS u "
	"WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET state = 'failed', next_attempt_at = NULL, last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err) AS u "
	"WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET state = 'queued', next_attempt_at = u.due, last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err, "
	"pg_catalog.unnest($3::timestamptz[]) AS due) AS u WHERE o.id = u.id",

	"UPDATE sms_api.outbox o SET state = 'queued', provider = u.next, attempts = 0, "
	"next_attempt_at = pg_catalog.now(), last_error = u.err "
	"FROM (SELECT pg_catalog.unnest($1::int8[]) AS id, pg_catalog.unnest($2::text[]) AS err, "
	"pg_catalog.unnest($3::text[]) AS next) AS u WHERE o.id = u.id",
};

bool
drain_record(void)
{
	SPI_connect();
	for (int kind = 0; kind < OUT_KINDS; kind++)
	{
		Outcome    *o = &outcomes[kind];
		Datum		params[4];
		Oid			types[4] = {INT8ARRAYOID, TEXTARRAYOID, INT4OID, TIMESTAMPTZARRAYOID};
		int			nparams = 2;
		Datum	   *values;
		bool	   *nulls;

		if (o->n == 0)
			continue;
		values = palloc(o->n * sizeof(Datum));
		nulls = palloc0(o->n * sizeof(bool));
		for (int i = 0; i < o->n; i++)
			values[i] = Int64GetDatum(o->ids[i]);
		params[0] = datum_array(INT8OID, values, nulls, o->n);
		if (kind == OUT_SENT)
		{
			types[1] = types[2] = UUIDARRAYOID;
			types[3] = TEXTARRAYOID;
			nparams = 4;
			for (int i = 0; i < o->n; i++)
			{
				values[i] = UUIDPGetDatum(&o->refs[i].message_id);
				nulls[i] = !o->refs[i].has_message_id;
			}
			params[1] = datum_array(UUIDOID, values, nulls, o->n);
			for (int i = 0; i < o->n; i++)
			{
				values[i] = UUIDPGetDatum(&o->refs[i].batch_id);
				nulls[i] = !o->refs[i].has_batch_id;
			}
			params[2] = datum_array(UUIDOID, values, nulls, o->n);
			for (int i = 0; i < o->n; i++)
			{
				nulls[i] = o->refs[i].provider_ref == NULL;
				values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(o->refs[i].provider_ref);
			}
			params[3] = datum_array(TEXTOID, values, nulls, o->n);
		}
		else
		{
			for (int i = 0; i < o->n; i++)
				values[i] = CStringGetTextDatum(o->errors[i]);
			params[1] = datum_array(TEXTOID, values, nulls, o->n);
		}
		if (kind == OUT_MOVED)
		{
			nparams = 3;
			types[2] = TEXTARRAYOID;
			for (int i = 0; i < o->n; i++)
				values[i] = CStringGetTextDatum(o->next[i]);
			params[2] = datum_array(TEXTOID, values, nulls, o->n);
		}
		if (kind == OUT_HELD)
		{
			nparams = 3;
			types[2] = TIMESTAMPTZARRAYOID;
			for (int i = 0; i < o->n; i++)
				values[i] = TimestampTzGetDatum(o->due[i]);
			params[2] = datum_array(TIMESTAMPTZOID, values, nulls, o->n);
		}
		if (kind == OUT_RETRY)
		{
			nparams = 4;
			params[2] = Int32GetDatum(sms_api_queue_max_attempts);
			for (int i = 0; i < o->n; i++)
				values[i] = TimestampTzGetDatum(o->due[i]);
			params[3] = datum_array(TIMESTAMPTZOID, values, nulls, o->n);
		}
		if (record_plans[kind] == NULL)
			record_plans[kind] = keep(prepare_generic(record_sql[kind], nparams, types));
		if (SPI_execute_plan(record_plans[kind], params, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not record outbox outcomes");
	}
	SPI_finish();

	if (outcomes[OUT_SENT].n > 0)
	{
		Outcome    *o = &outcomes[OUT_SENT];
		SentRef    *refs = palloc(o->n * sizeof(SentRef));
		char	  **destinations = palloc(o->n * sizeof(char *));

		/* each provider keeps what it keeps of its own sent rows */
		for (int p = 0; p < nproviders; p++)
		{
			int			n = 0;

			for (int i = 0; i < o->n; i++)
				if (o->providers[i] == p)
				{
					refs[n] = o->refs[i];
					destinations[n++] = o->destinations[i];
				}
			if (n > 0 && providers[p]->record_sent != NULL)
				providers[p]->record_sent(n, refs, destinations);
		}
		pg_atomic_fetch_add_u64(&my_worker->messages_sent, o->n);
	}
	/* each provider's counts, for provider_status */
	for (int kind = 0; kind < OUT_KINDS; kind++)
		for (int i = 0; i < outcomes[kind].n; i++)
		{
			ProviderShared *ps = &my_worker->providers[outcomes[kind].providers[i]];

			if (kind == OUT_SENT)
				pg_atomic_fetch_add_u64(&ps->messages_sent, 1);
			else if (kind == OUT_FAILED || kind == OUT_INVALID)
				pg_atomic_fetch_add_u64(&ps->failed, 1);
			else if (kind == OUT_MOVED)
				pg_atomic_fetch_add_u64(&ps->moved_away, 1);
		}
	memset(outcomes, 0, sizeof(outcomes));
	return true;
}

bool
drain_next_due(void)
{
	bool		isnull;
	Datum		d;
	Datum		arg = inactive_providers();
	Oid			type = TEXTARRAYOID;

	SPI_connect();
	if (SPI_execute_with_args("SELECT pg_catalog.min(next_attempt_at) FROM sms_api.outbox "
							  "WHERE state = 'queued' AND provider <> ALL ($1)",
							  1, &type, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the outbox");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	drain_next_due_at = isnull ? 0 : DatumGetTimestampTz(d);
	SPI_finish();
	return true;
}

bool
drain_any_paused(void)
{
	for (int p = 0; p < nproviders; p++)
		if (paused[p])
			return true;
	return false;
}

const char *
drain_paused_state(void)
{
	for (int p = 0; p < nproviders; p++)
		if (paused[p])
			return providers[p]->paused_state;
	return NULL;
}

void
drain_resume(void)
{
	memset(paused, 0, sizeof(paused));
	shmem_clear_paused();
}
