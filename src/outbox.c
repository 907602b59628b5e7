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
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "outbox.h"
#include "shmem.h"
#include "sms_api.h"
#include "validate.h"

PG_FUNCTION_INFO_V1(sms_queue);
PG_FUNCTION_INFO_V1(sms_prune);

static SPIPlanPtr insert_plan = NULL;

/* Whether this transaction queued anything: then its commit wakes the worker. */
static bool queued_in_xact = false;

/* The worker sends only from sms_api.database. */
static void
require_served_database(void)
{
	static bool checked = false;
	char	   *dbname;

	if (checked)
		return;
	dbname = get_database_name(MyDatabaseId);
	if (sms_api_database == NULL || strcmp(dbname, sms_api_database) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the sms_api worker does not serve database \"%s\"", dbname),
				 errdetail("sms_api.database is \"%s\"; only its outbox is sent.",
						   sms_api_database ? sms_api_database : ""),
				 errhint("Queue from that database, or set sms_api.database to \"%s\" and restart the server.",
						 dbname)));
	checked = true;
}

int64
outbox_enqueue(FunctionCallInfo fcinfo)
{
	SmsMessage	msg;
	Datum		values[10];
	char		nulls[10];
	bool		isnull;
	int64		id;
	static const Oid types[10] = {
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, TEXTOID, TEXTOID, JSONBOID
	};

	sms_api_require_preload();
	message_from_args(fcinfo, &msg);
	require_served_database();

	/* the arguments as given, but the destination normalized */
	for (int i = 0; i < 10; i++)
	{
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	values[0] = CStringGetTextDatum(msg.destination);

	SPI_connect();
	if (insert_plan == NULL)
	{
		insert_plan = SPI_prepare("INSERT INTO sms_api.outbox (destination, message_text, "
								  "correlation_id, extra_info, flash, scheduled_at, expires_at, "
								  "campaign_alias, sub_account, options) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
								  10, (Oid *) types);
		if (insert_plan == NULL || SPI_keepplan(insert_plan) != 0)
			elog(ERROR, "could not prepare the outbox insert: %s",
				 SPI_result_code_string(SPI_result));
	}
	if (SPI_execute_plan(insert_plan, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING ||
		SPI_processed != 1)
		elog(ERROR, "could not insert into sms_api.outbox");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();

	queued_in_xact = true;
	return id;
}

Datum
sms_queue(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(outbox_enqueue(fcinfo));
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
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			queued_in_xact = false;
			break;
		default:
			break;
	}
}

void
outbox_init(void)
{
	RegisterXactCallback(outbox_xact_callback, NULL);
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
							  "WHERE state IN ('sent', 'failed') "
							  "AND coalesce(sent_at, next_attempt_at) < now() - $1",
							  1, types, &older_than, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not prune sms_api.outbox");
	deleted = (int64) SPI_processed;
	SPI_finish();
	PG_RETURN_INT64(deleted);
}
