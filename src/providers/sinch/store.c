/*
 * store.c
 *		Set-based writes into sms_api.message_status and sms_api.mo_message:
 *		one statement per answer (arrays unnested), never one per row.
 *
 * The merge rule for statuses: a stage never goes back (a delivered status
 * is never replaced by a sent-only one arriving late); within a stage the
 * newer event wins; NULL never overwrites a known value. Rows that would
 * not change are not touched, so updated_at and the NOTIFY count speak only
 * of real changes.
 *
 * Every transaction that merged rows sends one NOTIFY sms_api_status (or
 * sms_api_mo) at commit, its payload the number of rows merged.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "core/datum.h"
#include "core/deferred.h"
#include "core/optout.h"
#include "providers/sinch/store.h"

/* Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define PG_EPOCH_UNIX_MS INT64CONST(946684800000)

static SPIPlanPtr sent_plan = NULL;
static SPIPlanPtr sent_plain_plan = NULL;

/*
 * Ids of single sends not yet written: sms_send() costs one HTTP exchange,
 * and a statement of its own per call would cost half as much again. They
 * are written together when the top-level statement finishes (like an
 * AFTER STATEMENT trigger), or at commit, or every SENT_FLUSH_AT ids.
 */
#define SENT_FLUSH_AT 1000

typedef struct PendingSent
{
	pg_uuid_t	id;
	char	   *correlation_id;
	char	   *destination;
} PendingSent;

static PendingSent *pending_sent = NULL;	/* in pending_cxt */
static MemoryContext pending_cxt = NULL;	/* child of TopTransactionContext, emptied per write */
static int	npending_sent = 0;
static Oid	pending_owner;		/* sms_send's definer: it writes them */
static SPIPlanPtr status_plan = NULL;
static SPIPlanPtr status_insert_plan = NULL;
static SPIPlanPtr mo_plan = NULL;

/* Rows merged in the current transaction, and per open subtransaction. */
typedef struct MergeCounts
{
	uint64		statuses;
	uint64		mos;
} MergeCounts;

static MergeCounts pending;
static List *saved_counts = NIL;	/* one MergeCounts per open subtransaction */

/*
 * A column of an unnest() input for n rows: Datums and nulls, or for text
 * the strings in the server's encoding (NULL for NULL).
 */
typedef struct Column
{
	Oid			type;
	Datum	   *values;
	bool	   *nulls;
	char	  **strings;
} Column;

static void
column_init(Column *c, Oid type, int n)
{
	c->type = type;
	c->values = NULL;
	c->nulls = NULL;
	c->strings = NULL;
	if (type == TEXTOID)
		c->strings = palloc_extended(Max(n, 1) * sizeof(char *), MCXT_ALLOC_HUGE);
	else
	{
		c->values = palloc_extended(Max(n, 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
		c->nulls = palloc_extended(Max(n, 1) * sizeof(bool), MCXT_ALLOC_HUGE);
	}
}

static void
set_text(Column *c, int i, const char *s)
{
	c->strings[i] = s ? pg_any_to_server(s, strlen(s), PG_UTF8) : NULL;
}

static void
set_int4(Column *c, int i, bool has, int32 v)
{
	c->nulls[i] = !has;
	c->values[i] = Int32GetDatum(v);
}

static void
set_int8(Column *c, int i, bool has, int64 v)
{
	c->nulls[i] = !has;
	c->values[i] = Int64GetDatum(v);
}

static void
set_time(Column *c, int i, bool has, int64 epoch_ms)
{
	c->nulls[i] = !has;
	c->values[i] = TimestampTzGetDatum((epoch_ms - PG_EPOCH_UNIX_MS) * 1000);
}

static void
set_uuid(Column *c, int i, bool has, const pg_uuid_t *u)
{
	c->nulls[i] = !has;
	c->values[i] = has ? UUIDPGetDatum(u) : (Datum) 0;
}

/* The column as one array Datum, for an unnest() parameter. */
static Datum
column_array(Column *c, int n)
{
	if (c->type == TEXTOID)
		return datum_text_array(c->strings, n);
	return datum_array(c->type, c->values, c->nulls, n);
}

static Oid
array_type(Oid elem)
{
	switch (elem)
	{
		case UUIDOID:
			return UUIDARRAYOID;
		case TEXTOID:
			return TEXTARRAYOID;
		case INT4OID:
			return INT4ARRAYOID;
		case INT8OID:
			return INT8ARRAYOID;
		case TIMESTAMPTZOID:
			return TIMESTAMPTZARRAYOID;
	}
	elog(ERROR, "no array type for %u", elem);
	pg_unreachable();
}

static SPIPlanPtr
prepare(const char *sql, int ncols, const Column *cols)
{
	Oid		   *types = palloc(ncols * sizeof(Oid));
	SPIPlanPtr	plan;

	for (int i = 0; i < ncols; i++)
		types[i] = array_type(cols[i].type);
	plan = SPI_prepare(sql, ncols, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/* Run a prepared statement with the columns as array parameters. */
static uint64
execute(SPIPlanPtr plan, int ncols, Column *cols, int n)
{
	Datum	   *params = palloc(ncols * sizeof(Datum));
	uint64		processed;
	int			rc;

	for (int i = 0; i < ncols; i++)
		params[i] = column_array(&cols[i], n);
	rc = SPI_execute_plan(plan, params, NULL, false, 0);
	if (rc != SPI_OK_INSERT && rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "merge failed: %s", SPI_result_code_string(rc));
	processed = SPI_processed;
	return processed;
}

/*
 * "unnest($1::uuid[]) AS a, unnest($2::text[]) AS b, ...": the columns side
 * by side in a select list (the arrays are of equal length). There they are
 * read in step, row by row; unnest($1, $2, ...) in FROM would first copy
 * each column into a tuplestore of its own.
 */
static char *
unnest_columns(int ncols, const Column *cols, const char *const *names)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < ncols; i++)
	{
		appendStringInfo(&buf, "%spg_catalog.unnest($%d::%s)", i ? ", " : "", i + 1,
						 format_type_be(array_type(cols[i].type)));
		if (names != NULL)
			appendStringInfo(&buf, " AS %s", names[i]);
	}
	return buf.data;
}

/* Accepted ids (id, correlation_id, destination) into message_status. */
static char *
sent_insert_sql(const Column *cols, const char *on_conflict)
{
	return psprintf("INSERT INTO sms_api.message_status (id, correlation_id, destination) "
					"SELECT %s%s", unnest_columns(3, cols, NULL), on_conflict);
}

void
store_sent_later(const pg_uuid_t *id, const char *correlation_id, const char *destination)
{
	MemoryContext old;

	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopTransactionContext, "sms_api sent ids",
											ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(pending_cxt);
	if (pending_sent == NULL)
		pending_sent = palloc(SENT_FLUSH_AT * sizeof(PendingSent));
	pending_owner = GetUserId();
	pending_sent[npending_sent].id = *id;
	pending_sent[npending_sent].correlation_id = correlation_id ? pstrdup(correlation_id) : NULL;
	pending_sent[npending_sent].destination = pstrdup(destination);
	npending_sent++;
	MemoryContextSwitchTo(old);
	if (npending_sent == SENT_FLUSH_AT)
		store_flush_sent();
}

typedef struct SentArgs
{
	int			n;
	pg_uuid_t  *ids;
	char	  **correlation_ids;
	char	  **destinations;
} SentArgs;

static void
write_sent(void *arg)
{
	SentArgs   *a = (SentArgs *) arg;

	store_sent(a->n, a->ids, a->correlation_ids, a->destinations);
}

void
store_flush_sent(void)
{
	int			n = npending_sent;
	pg_uuid_t  *ids;
	char	  **correlation_ids;
	char	  **destinations;
	SentArgs	args;

	if (n == 0)
		return;
	ids = palloc(n * sizeof(pg_uuid_t));
	correlation_ids = palloc(n * sizeof(char *));
	destinations = palloc(n * sizeof(char *));
	for (int i = 0; i < n; i++)
	{
		ids[i] = pending_sent[i].id;
		correlation_ids[i] = pending_sent[i].correlation_id;
		destinations[i] = pending_sent[i].destination;
	}
	/* emptied first: an error while writing must not write them twice */
	npending_sent = 0;
	args.n = n;
	args.ids = ids;
	args.correlation_ids = correlation_ids;
	args.destinations = destinations;
	deferred_run_as(pending_owner, write_sent, &args);
	MemoryContextReset(pending_cxt);
	pending_sent = NULL;
}

/*
 * A plain INSERT (built by plain_sql on first use) in a subtransaction;
 * false on a duplicate id. Rows fresh from the API are new, and a plain
 * INSERT skips the speculative insertion of ON CONFLICT; should one id be
 * known already, the subtransaction is rolled back and the caller runs its
 * ON CONFLICT statement instead.
 */
static bool
insert_or_conflict(SPIPlanPtr *plan, char *(*plain_sql) (const Column *cols),
				   int ncols, Column *cols, int n, uint64 *processed)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool inserted = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		SPI_connect();
		if (*plan == NULL)
			*plan = prepare(plain_sql(cols), ncols, cols);
		*processed = execute(*plan, ncols, cols, n);
		SPI_finish();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
			ReThrowError(edata);
		FlushErrorState();
		FreeErrorData(edata);
		inserted = false;
	}
	PG_END_TRY();
	return inserted;
}

static char *
sent_plain_sql(const Column *cols)
{
	return sent_insert_sql(cols, "");
}

void
store_sent(int n, const pg_uuid_t *ids, char *const *correlation_ids,
		   char *const *destinations)
{
	Column		cols[3];
	uint64		inserted;

	if (n == 0)
		return;
	column_init(&cols[0], UUIDOID, n);
	column_init(&cols[1], TEXTOID, n);
	column_init(&cols[2], TEXTOID, n);
	for (int i = 0; i < n; i++)
	{
		set_uuid(&cols[0], i, true, &ids[i]);
		set_text(&cols[1], i, correlation_ids ? correlation_ids[i] : NULL);
		set_text(&cols[2], i, destinations[i]);
	}
	/* ids fresh from the API are new, unless a webhook came first */
	if (!insert_or_conflict(&sent_plain_plan, sent_plain_sql, 3, cols, n, &inserted))
	{
		SPI_connect();
		if (sent_plan == NULL)
			sent_plan = prepare(sent_insert_sql(cols, " ON CONFLICT (id) DO NOTHING"), 3, cols);
		(void) execute(sent_plan, 3, cols, n);
		SPI_finish();
	}
}

/*
 * The SET list and the change test of an upsert, built from one
 * expression per column so that both stay the same.
 */
static char *
upsert_sql(const char *table, const char *alias, const char *const *names,
		   const char *const *exprs, int ncols, const char *insert_select,
		   const char *stamp)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s AS %s (", table, alias);
	for (int i = 0; i < ncols; i++)
		appendStringInfo(&sql, "%s, ", names[i]);
	appendStringInfo(&sql, "%s) %s ON CONFLICT (id) DO UPDATE SET ", stamp, insert_select);
	for (int i = 1; i < ncols; i++)
		appendStringInfo(&sql, "%s = %s, ", names[i], exprs[i]);
	appendStringInfo(&sql, "%s = pg_catalog.now() WHERE (", stamp);
	for (int i = 1; i < ncols; i++)
		appendStringInfo(&sql, "%s%s.%s", i > 1 ? ", " : "", alias, names[i]);
	appendStringInfoString(&sql, ") IS DISTINCT FROM (");
	for (int i = 1; i < ncols; i++)
		appendStringInfo(&sql, "%s%s", i > 1 ? ", " : "", exprs[i]);
	appendStringInfoString(&sql, ")");
	return sql.data;
}

#define STATUS_COLS 13

static const char *const status_names[STATUS_COLS] = {
	"id", "correlation_id", "carrier_id", "carrier_name", "destination",
	"sent_status_code", "sent_status", "sent_at",
	"delivered_status_code", "delivered_status", "delivered_at",
	"campaign_id", "extra_info"
};

static char *
status_select_sql(const Column *cols)
{
	return psprintf("SELECT %s, pg_catalog.now()", unnest_columns(STATUS_COLS, cols, NULL));
}

static char *
status_merge_sql(const Column *cols)
{
	/* a stage's event wins when it is there and not older than ours */
#define STAGE_WINS(s) \
	"((excluded." s "_status_code IS NOT NULL OR excluded." s "_status IS NOT NULL) AND " \
	"((m." s "_status_code IS NULL AND m." s "_status IS NULL) OR m." s "_at IS NULL OR excluded." s "_at >= m." s "_at))"
#define STAGE_COL(s, col) \
	"CASE WHEN " STAGE_WINS(s) " THEN coalesce(excluded." col ", m." col ") ELSE m." col " END"
	static const char *const exprs[STATUS_COLS] = {
		"excluded.id",
		"coalesce(excluded.correlation_id, m.correlation_id)",
		"coalesce(excluded.carrier_id, m.carrier_id)",
		"coalesce(excluded.carrier_name, m.carrier_name)",
		"coalesce(excluded.destination, m.destination)",
		STAGE_COL("sent", "sent_status_code"),
		STAGE_COL("sent", "sent_status"),
		STAGE_COL("sent", "sent_at"),
		STAGE_COL("delivered", "delivered_status_code"),
		STAGE_COL("delivered", "delivered_status"),
		STAGE_COL("delivered", "delivered_at"),
		"coalesce(excluded.campaign_id, m.campaign_id)",
		"coalesce(excluded.extra_info, m.extra_info)",
	};
#undef STAGE_COL
#undef STAGE_WINS

	return upsert_sql("sms_api.message_status", "m", status_names, exprs,
					  STATUS_COLS, status_select_sql(cols), "updated_at");
}

/* New ids only: the merge rule then takes every value as it came. */
static char *
status_insert_sql(const Column *cols)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "INSERT INTO sms_api.message_status (");
	for (int i = 0; i < STATUS_COLS; i++)
		appendStringInfo(&sql, "%s, ", status_names[i]);
	appendStringInfo(&sql, "updated_at) %s", status_select_sql(cols));
	return sql.data;
}

/* How far an event got: a delivery report beats a sent status, then the later. */
static int
compare_advance(const ApiStatus *a, const ApiStatus *b)
{
	bool		da = a->has_delivered_status_code || a->delivered_status != NULL;
	bool		db = b->has_delivered_status_code || b->delivered_status != NULL;
	int64		ta = Max(a->has_sent_at ? a->sent_at_ms : -1, a->has_delivered_at ? a->delivered_at_ms : -1);
	int64		tb = Max(b->has_sent_at ? b->sent_at_ms : -1, b->has_delivered_at ? b->delivered_at_ms : -1);

	if (da != db)
		return da ? 1 : -1;
	return (ta > tb) - (ta < tb);
}

static int
compare_status_refs(const void *x, const void *y)
{
	const ApiStatus *a = *(const ApiStatus *const *) x;
	const ApiStatus *b = *(const ApiStatus *const *) y;
	int			c = memcmp(a->id.data, b->id.data, UUID_LEN);

	if (c != 0)
		return c;
	c = compare_advance(a, b);
	if (c != 0)
		return c;
	/* equal: the later one in the answer */
	return (a > b) - (a < b);
}

/*
 * One answer may name an id twice, and ON CONFLICT cannot touch a row twice
 * in one statement: keep each id's most advanced event. Done here rather
 * than with DISTINCT ON, whose sort spills to disk for large pages.
 */
static const ApiStatus **
distinct_statuses(const StatusList *list, int *n)
{
	const ApiStatus **refs = palloc_extended(Max(list->n, 1) * sizeof(ApiStatus *), MCXT_ALLOC_HUGE);
	int			kept = 0;

	for (int i = 0; i < list->n; i++)
		refs[i] = &list->items[i];
	qsort(refs, list->n, sizeof(ApiStatus *), compare_status_refs);
	for (int i = 0; i < list->n; i++)
	{
		if (i + 1 < list->n && memcmp(refs[i]->id.data, refs[i + 1]->id.data, UUID_LEN) == 0)
			continue;			/* a more advanced event of this id follows */
		refs[kept++] = refs[i];
	}
	*n = kept;
	return refs;
}

uint64
store_statuses(const StatusList *list)
{
	Column		cols[STATUS_COLS];
	int			n;
	uint64		merged;
	const ApiStatus **items;
	static const Oid types[STATUS_COLS] = {
		UUIDOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, INT4OID, TEXTOID,
		TIMESTAMPTZOID, INT4OID, TEXTOID, TIMESTAMPTZOID, INT8OID, TEXTOID
	};

	if (list->n == 0)
		return 0;
	items = distinct_statuses(list, &n);
	for (int c = 0; c < STATUS_COLS; c++)
		column_init(&cols[c], types[c], n);
	for (int i = 0; i < n; i++)
	{
		const ApiStatus *s = items[i];

		set_uuid(&cols[0], i, true, &s->id);
		set_text(&cols[1], i, s->correlation_id);
		set_int4(&cols[2], i, s->has_carrier_id, s->carrier_id);
		set_text(&cols[3], i, s->carrier_name);
		set_text(&cols[4], i, s->destination);
		set_int4(&cols[5], i, s->has_sent_status_code, s->sent_status_code);
		set_text(&cols[6], i, s->sent_status);
		set_time(&cols[7], i, s->has_sent_at, s->sent_at_ms);
		set_int4(&cols[8], i, s->has_delivered_status_code, s->delivered_status_code);
		set_text(&cols[9], i, s->delivered_status);
		set_time(&cols[10], i, s->has_delivered_at, s->delivered_at_ms);
		set_int8(&cols[11], i, s->has_campaign_id, s->campaign_id);
		set_text(&cols[12], i, s->extra_info);
	}
	/*
	 * A page of ids none of which is known goes in with a plain INSERT; the
	 * first known id (the usual case: statuses of messages sent from here)
	 * rolls it back and the page is merged.
	 */
	if (!insert_or_conflict(&status_insert_plan, status_insert_sql, STATUS_COLS, cols, n,
							&merged))
	{
		SPI_connect();
		if (status_plan == NULL)
			status_plan = prepare(status_merge_sql(cols), STATUS_COLS, cols);
		merged = execute(status_plan, STATUS_COLS, cols, n);
		SPI_finish();
	}
	pending.statuses += merged;
	return merged;
}

#define MO_COLS 13

static const char *const mo_names[MO_COLS] = {
	"id", "sub_account", "campaign_alias", "carrier_id", "carrier_name",
	"source", "short_code", "message_text", "received_at",
	"mt_id", "mt_correlation_id", "mt_username", "mt_email"
};

uint64
store_mos(const MoList *list)
{
	Column		cols[MO_COLS];
	int			n = list->n;
	uint64		merged;
	static const Oid types[MO_COLS] = {
		UUIDOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TIMESTAMPTZOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID
	};

	if (n == 0)
		return 0;
	for (int c = 0; c < MO_COLS; c++)
		column_init(&cols[c], types[c], n);
	for (int i = 0; i < n; i++)
	{
		const ApiMo *m = &list->items[i];

		set_uuid(&cols[0], i, true, &m->id);
		set_text(&cols[1], i, m->sub_account);
		set_text(&cols[2], i, m->campaign_alias);
		set_int4(&cols[3], i, m->has_carrier_id, m->carrier_id);
		set_text(&cols[4], i, m->carrier_name);
		set_text(&cols[5], i, m->source);
		set_text(&cols[6], i, m->short_code);
		set_text(&cols[7], i, m->message_text);
		set_time(&cols[8], i, m->has_received_at, m->received_at_ms);
		set_uuid(&cols[9], i, m->has_mt_id, &m->mt_id);
		set_text(&cols[10], i, m->mt_correlation_id);
		set_text(&cols[11], i, m->mt_username);
		set_text(&cols[12], i, m->mt_email);
	}
	SPI_connect();
	if (mo_plan == NULL)
	{
		const char *exprs[MO_COLS];

		exprs[0] = "excluded.id";
		for (int c = 1; c < MO_COLS; c++)
			exprs[c] = psprintf("coalesce(excluded.%s, m.%s)", mo_names[c], mo_names[c]);
		/* the replies first stored here may opt their senders out or in */
		mo_plan = prepare(psprintf("%s%s",
								   upsert_sql("sms_api.mo_message", "m", mo_names, exprs, MO_COLS,
											  psprintf("SELECT DISTINCT ON (u.id) u.*, pg_catalog.now() "
													   "FROM (SELECT %s) AS u ORDER BY u.id",
													   unnest_columns(MO_COLS, cols, mo_names)),
											  "stored_at"),
								   OPTOUT_RETURNING("m", "m.source", "message_text", "received_at")),
						  MO_COLS, cols);
	}
	merged = execute(mo_plan, MO_COLS, cols, n);
	optout_from_replies("sinch", SPI_tuptable, merged);
	SPI_finish();
	pending.mos += merged;
	return merged;
}

static void
notify_count(const char *channel, uint64 count)
{
	char		payload[32];

	snprintf(payload, sizeof(payload), UINT64_FORMAT, count);
	Async_Notify(channel, payload);
}

static void
store_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			/* runs before PreCommit_Notify, so the notifications still go out */
			if (pending.statuses > 0)
				notify_count("sms_api_status", pending.statuses);
			if (pending.mos > 0)
				notify_count("sms_api_mo", pending.mos);
			memset(&pending, 0, sizeof(pending));
			saved_counts = NIL;
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			memset(&pending, 0, sizeof(pending));
			saved_counts = NIL;
			pending_sent = NULL;	/* freed with TopTransactionContext */
			pending_cxt = NULL;
			npending_sent = 0;
			break;
		default:
			break;
	}
}

/* A rolled-back subtransaction takes its merges with it. */
static void
store_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	MergeCounts *saved;

	switch (event)
	{
		case SUBXACT_EVENT_START_SUB:
			{
				MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

				saved = palloc(sizeof(MergeCounts));
				*saved = pending;
				saved_counts = lcons(saved, saved_counts);
				MemoryContextSwitchTo(old);
			}
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			if (saved_counts != NIL)
			{
				pending = *(MergeCounts *) linitial(saved_counts);
				saved_counts = list_delete_first(saved_counts);
			}
			break;
		case SUBXACT_EVENT_COMMIT_SUB:
			if (saved_counts != NIL)
				saved_counts = list_delete_first(saved_counts);
			break;
		default:
			break;
	}
}

void
store_init(void)
{
	deferred_register(store_flush_sent);
	RegisterXactCallback(store_xact_callback, NULL);
	RegisterSubXactCallback(store_subxact_callback, NULL);
}
