/*
 * outbox.c
 *		sms_api.sms_queue() and sms_api.prune(): messages are validated like
 *		sms_send() and written to sms_api.outbox in the caller's
 *		transaction, so nothing goes out unless it commits; the commit wakes
 *		the worker, which sends them (drain.c). Never touches the network.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/dedupe.h"
#include "core/guc.h"
#include "core/deferred.h"
#include "core/outbox.h"
#include "core/shmem.h"
#include "core/databases.h"
#include "core/sms_api.h"
#include "core/provider.h"
#include "core/route.h"

PG_FUNCTION_INFO_V1(sms_queue);
PG_FUNCTION_INFO_V1(sms_prune);

/* Whether this transaction queued anything: then its commit wakes the worker. */
static bool queued_in_xact = false;

/* The workers send only from the databases of sms_api.database. */
static void
require_served_database(void)
{
	static bool checked = false;
	char	   *dbname;

	if (checked)
		return;
	dbname = get_database_name(MyDatabaseId);
	if (!database_is_served(dbname))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the sms_api worker does not serve database \"%s\"", dbname),
				 errdetail("sms_api.database is \"%s\"; only the outboxes of the databases it lists are sent.",
						   sms_api_database ? sms_api_database : ""),
				 errhint("Queue from one of them, or add \"%s\" to sms_api.database and restart the server.",
						 dbname)));
	checked = true;
}

/*
 * The columns an enqueued row brings: sms_send's ten arguments, then the
 * provider, the route prefix it was routed by and its dedupe key.
 */
#define QUEUE_ARGS 10
#define QUEUE_COLS (QUEUE_ARGS + 3)
#define COL_DEDUPE_KEY (QUEUE_ARGS + 2)

static const Oid queue_types[QUEUE_COLS] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, TEXTOID, TEXTOID
};
static bool queue_types_known = false;	/* looked up at the first call */
static int16 queue_typlen[QUEUE_COLS];
static bool queue_typbyval[QUEUE_COLS];

/*
 * Rows queued but not yet written: one INSERT per row would cost several
 * times the rest of sms_queue(). They are written together when the
 * top-level statement finishes (deferred.c), at commit, or every
 * QUEUE_FLUSH_AT rows (DEDUPE_FLUSH_AT rows with a dedupe key); a
 * rolled-back subtransaction takes its rows along.
 */
#define QUEUE_FLUSH_AT 1000

typedef struct QueuedRow
{
	int64		id;
	SubTransactionId subid;
	Datum		values[QUEUE_COLS];
	bool		nulls[QUEUE_COLS];
} QueuedRow;

static QueuedRow *queued_rows = NULL;	/* in queue_cxt */
static int	nqueued = 0;
static int	nkeyed = 0;			/* of them, rows with a dedupe key */
/* Holds the rows not yet written; emptied by each write, so a long transaction stays small. */
static MemoryContext queue_cxt = NULL;	/* child of TopTransactionContext */
static Oid	queued_owner;		/* sms_queue's definer: it writes them */

static SPIPlanPtr insert_plan = NULL;


/* The outbox's id sequence, looked up once per transaction. */
static Oid
outbox_sequence(void)
{
	static LocalTransactionId looked_up_in = InvalidLocalTransactionId;
	static Oid	seq = InvalidOid;

	if (looked_up_in != sms_api_local_xid())
	{
		seq = get_relname_relid("outbox_id_seq", get_namespace_oid("sms_api", false));
		if (!OidIsValid(seq))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("sequence sms_api.outbox_id_seq does not exist")));
		looked_up_in = sms_api_local_xid();
	}
	return seq;
}

/*
 * The provider a row goes through: the one named, or its destination's
 * route's first (*route set to the route's prefix, for failover).
 */
static const Provider *
queue_provider(FunctionCallInfo fcinfo, const char *name, const char **route)
{
	const Provider *p;

	*route = NULL;
	if (name == NULL && PG_ARGISNULL(0))
		/* a NULL destination: the default provider's rules refuse it */
		name = sms_api_default_provider;
	else if (name == NULL)
	{
		text	   *destination = PG_GETARG_TEXT_PP(0);

		name = route_for(VARDATA_ANY(destination), VARSIZE_ANY_EXHDR(destination), route);
	}
	if ((p = provider_by_name(name)) != NULL)
		return p;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown provider \"%s\"", name),
			 errdetail("The providers are %s.", providers_list())));
	return NULL;
}

/* A key names one message: an empty one is a mistake, a long one is not a key. */
static void
check_dedupe_key(const char *key)
{
	if (key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dedupe_key must not be empty"),
				 errhint("Pass NULL to queue without a key.")));
	if (pg_mbstrlen(key) > DEDUPE_KEY_MAX_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("dedupe_key is longer than %d characters", DEDUPE_KEY_MAX_CHARS)));
}

/* Let the locks of written or dropped rows' keys go: the index holds them now, or nothing does. */
static void
unlock_keys(QueuedRow *rows, int from, int to)
{
	for (int i = from; i < to; i++)
		if (!rows[i].nulls[COL_DEDUPE_KEY])
		{
			text	   *key = DatumGetTextPP(rows[i].values[COL_DEDUPE_KEY]);

			dedupe_unlock(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
		}
}

int64
outbox_enqueue(FunctionCallInfo fcinfo, const char *provider, const char *dedupe_key)
{
	SmsMessage	msg;
	QueuedRow  *row;
	int64		id;
	MemoryContext old;
	const Provider *prov;
	const char *route;

	sms_api_require_preload();
	sms_api_require_writable("sms_api.sms_queue()");
	prov = queue_provider(fcinfo, provider, &route);
	if (dedupe_key != NULL)
		check_dedupe_key(dedupe_key);
	prov->queue_args(fcinfo, &msg);
	require_served_database();
	if (dedupe_key != NULL && dedupe_find(dedupe_key, strlen(dedupe_key), &id))
		return id;

	if (!queue_types_known)
	{
		for (int i = 0; i < QUEUE_COLS; i++)
			get_typlenbyval(queue_types[i], &queue_typlen[i], &queue_typbyval[i]);
		queue_types_known = true;
	}

	if (queue_cxt == NULL)
		queue_cxt = AllocSetContextCreate(TopTransactionContext, "sms_api queued rows",
										  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(queue_cxt);
	if (queued_rows == NULL)
		queued_rows = palloc(QUEUE_FLUSH_AT * sizeof(QueuedRow));
	row = &queued_rows[nqueued];
	row->id = nextval_internal(outbox_sequence(), true);
	row->subid = GetCurrentSubTransactionId();
	/* the arguments as given, but the destination normalized */
	for (int i = 0; i < QUEUE_ARGS; i++)
	{
		row->nulls[i] = PG_ARGISNULL(i);
		if (row->nulls[i])
			row->values[i] = (Datum) 0;
		else if (queue_typlen[i] == -1)
			/* a copy of its own: the argument may point into a table's TOAST */
			row->values[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(i)));
		else
			row->values[i] = datumCopy(PG_GETARG_DATUM(i), queue_typbyval[i], queue_typlen[i]);
	}
	row->values[0] = CStringGetTextDatum(msg.destination);
	row->values[QUEUE_ARGS] = CStringGetTextDatum(prov->name);
	row->nulls[QUEUE_ARGS] = false;
	row->nulls[QUEUE_ARGS + 1] = route == NULL;
	row->values[QUEUE_ARGS + 1] = route == NULL ? (Datum) 0 : CStringGetTextDatum(route);
	row->nulls[COL_DEDUPE_KEY] = dedupe_key == NULL;
	row->values[COL_DEDUPE_KEY] = dedupe_key == NULL ? (Datum) 0 : CStringGetTextDatum(dedupe_key);
	MemoryContextSwitchTo(old);
	if (dedupe_key != NULL)
	{
		text	   *key = DatumGetTextPP(row->values[COL_DEDUPE_KEY]);

		dedupe_buffer(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), row->id, queue_cxt);
		nkeyed++;
	}
	queued_owner = GetUserId();
	nqueued++;
	queued_in_xact = true;
	id = row->id;
	/* the flush frees the rows, this one included */
	if (nqueued == QUEUE_FLUSH_AT || nkeyed == DEDUPE_FLUSH_AT)
		outbox_flush();
	return id;
}

static void
write_queued(void *arg)
{
	int			n = *(int *) arg;
	QueuedRow  *rows = queued_rows;
	Datum		params[QUEUE_COLS + 1];
	Oid			types[QUEUE_COLS + 1];
	Datum	   *values = palloc(n * sizeof(Datum));
	bool	   *nulls = palloc(n * sizeof(bool));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int c = -1; c < QUEUE_COLS; c++)
	{
		Oid			elem = c < 0 ? INT8OID : queue_types[c];
		int16		typlen;
		bool		typbyval;
		char		typalign;

		for (int i = 0; i < n; i++)
		{
			values[i] = c < 0 ? Int64GetDatum(rows[i].id) : rows[i].values[c];
			nulls[i] = c < 0 ? false : rows[i].nulls[c];
		}
		get_typlenbyvalalign(elem, &typlen, &typbyval, &typalign);
		params[c + 1] = PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs,
														   elem, typlen, typbyval, typalign));
		types[c + 1] = get_array_type(elem);
	}

	SPI_connect();
	if (insert_plan == NULL)
	{
		insert_plan = SPI_prepare("INSERT INTO sms_api.outbox (id, destination, message_text, "
								  "correlation_id, extra_info, flash, scheduled_at, expires_at, "
								  "campaign_alias, sub_account, options, provider, route_prefix, dedupe_key) "
								  "SELECT pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
								  "pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9), pg_catalog.unnest($10), "
								  "pg_catalog.unnest($11), pg_catalog.unnest($12), pg_catalog.unnest($13), pg_catalog.unnest($14)",
								  QUEUE_COLS + 1, types);
		if (insert_plan == NULL || SPI_keepplan(insert_plan) != 0)
			elog(ERROR, "could not prepare the outbox insert: %s",
				 SPI_result_code_string(SPI_result));
	}
	if (SPI_execute_plan(insert_plan, params, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into sms_api.outbox");
	SPI_finish();
}

void
outbox_flush(void)
{
	int			n = nqueued;

	if (n == 0)
		return;
	/*
	 * emptied first: an error while writing must not write them twice, nor
	 * leave their keys looking buffered (their locks then last until the
	 * transaction ends)
	 */
	nqueued = 0;
	nkeyed = 0;
	dedupe_forget_buffered();
	deferred_run_as(queued_owner, write_queued, &n);
	unlock_keys(queued_rows, 0, n);
	/* written: their copies go, so a backfill of millions stays this size */
	MemoryContextReset(queue_cxt);
	queued_rows = NULL;
}

Datum
sms_queue(PG_FUNCTION_ARGS)
{
	char	   *provider = PG_NARGS() > 10 && !PG_ARGISNULL(10) ?
		text_to_cstring(PG_GETARG_TEXT_PP(10)) : NULL;
	char	   *dedupe_key = PG_NARGS() > 11 && !PG_ARGISNULL(11) ?
		text_to_cstring(PG_GETARG_TEXT_PP(11)) : NULL;

	PG_RETURN_INT64(outbox_enqueue(fcinfo, provider, dedupe_key));
}

/* At commit, wake the worker once; nothing at rollback. */
static void
outbox_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (queued_in_xact)
				shmem_notify_outbox();
			queued_in_xact = false;
			queued_rows = NULL; /* freed with TopTransactionContext */
			queue_cxt = NULL;
			nqueued = 0;
			nkeyed = 0;
			dedupe_forget_buffered();	/* its locks go with the transaction */
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			queued_in_xact = false;
			queued_rows = NULL;
			queue_cxt = NULL;
			nqueued = 0;
			nkeyed = 0;
			dedupe_forget_buffered();
			break;
		default:
			break;
	}
}

/*
 * Rows queued in a subtransaction that rolls back go with it. Subtransaction
 * ids only grow, so the rows of the aborted one and of its children are
 * those with an id at least its own. Their keys are free again at once:
 * the buffered keys are those of the rows that stay.
 */
static void
outbox_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	int			kept = nqueued;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (kept > 0 && queued_rows[kept - 1].subid >= mySubid)
		kept--;
	if (kept == nqueued)
		return;
	unlock_keys(queued_rows, kept, nqueued);
	nqueued = kept;
	nkeyed = 0;
	dedupe_forget_buffered();
	for (int i = 0; i < nqueued; i++)
		if (!queued_rows[i].nulls[COL_DEDUPE_KEY])
		{
			text	   *key = DatumGetTextPP(queued_rows[i].values[COL_DEDUPE_KEY]);

			dedupe_buffer(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), queued_rows[i].id, queue_cxt);
			nkeyed++;
		}
}

void
outbox_init(void)
{
	RegisterXactCallback(outbox_xact_callback, NULL);
	RegisterSubXactCallback(outbox_subxact_callback, NULL);
	deferred_register(outbox_flush);
}

Datum
sms_prune(PG_FUNCTION_ARGS)
{
	Datum		older_than;
	Oid			types[1] = {INTERVALOID};
	int64		deleted;

	sms_api_require_preload();
	if (PG_ARGISNULL(0))
		older_than = DirectFunctionCall3(interval_in, CStringGetDatum(sms_api_outbox_retention),
										 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	else
		older_than = PG_GETARG_DATUM(0);

	SPI_connect();
	if (SPI_execute_with_args("DELETE FROM sms_api.outbox "
							  "WHERE next_attempt_at IS NULL AND state IN ('sent', 'failed') "
							  "AND coalesce(sent_at, created_at) < pg_catalog.now() - $1",
							  1, types, &older_than, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not prune sms_api.outbox");
	deleted = (int64) SPI_processed;
	SPI_finish();
	PG_RETURN_INT64(deleted);
}
