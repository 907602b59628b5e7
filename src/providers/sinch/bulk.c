/*
 * bulk.c
 *		sms_api.sms_send_bulk() and sms_api.sms_send_bulk_json(): any number
 *		of messages, sent in requests of at most 1000, one result row per
 *		message in input order.
 *
 * Every message is validated before the first request. A message to a
 * destination in sms_api.opt_out is not sent: its row comes back with
 * error set (SM005), and a request whose messages all opted out is not
 * made. If the first request fails the call raises; once anything was
 * accepted it never raises for an API failure: the messages of a failed
 * request come back with id NULL and error set, and a WARNING counts
 * them. Only one request's worth of JSON and decoded answer is held at a
 * time.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/api.h"
#include "providers/sinch/sinch_api.h"
#include "providers/sinch/codec.h"
#include "core/optout.h"
#include "core/scrub.h"
#include "providers/sinch/send_result.h"
#include "core/sms_api.h"
#include "core/srf.h"
#include "providers/sinch/store.h"
#include "providers/sinch/validate.h"

PG_FUNCTION_INFO_V1(sms_send_bulk);
PG_FUNCTION_INFO_V1(sms_send_bulk_json);

/* The API's limit of messages per /v1/send-bulk-sms request. */
#define BULK_MAX_MESSAGES 1000

typedef struct BulkRun
{
	SrfResult	srf;
	MemoryContext call_cxt;		/* lives as long as the call */
	MemoryContext chunk_cxt;	/* reset after every request */
	const SmsMessage *common;	/* sms_send_bulk */
	const char *defaults_json;	/* sms_send_bulk_json */
	const char *root_json;
	bool		any_accepted;
	int			total;
	int			not_accepted;
	char	   *first_error;
} BulkRun;

static Datum
text_datum(const char *s)
{
	return CStringGetTextDatum(pg_any_to_server(s, strlen(s), PG_UTF8));
}

static char *
utf8(const char *s)
{
	return (char *) pg_server_to_any(s, strlen(s), PG_UTF8);
}

static void
put_row(BulkRun *run, const BulkMessage *m, const BulkAccepted *accepted,
		const pg_uuid_t *batch_id, const char *error)
{
	Datum		values[RESULT_NATTS];
	bool		nulls[RESULT_NATTS];
	const char *correlation_id = (accepted && accepted->correlation_id) ?
		accepted->correlation_id : m->correlation_id;

	memset(nulls, 0, sizeof(nulls));
	if (accepted)
		values[RESULT_ID] = UUIDPGetDatum(&accepted->id);
	else
		nulls[RESULT_ID] = true;
	if (correlation_id)
		values[RESULT_CORRELATION_ID] = text_datum(correlation_id);
	else
		nulls[RESULT_CORRELATION_ID] = true;
	values[RESULT_DESTINATION] = CStringGetTextDatum(m->destination);
	if (batch_id)
		values[RESULT_BATCH_ID] = UUIDPGetDatum(batch_id);
	else
		nulls[RESULT_BATCH_ID] = true;
	if (error)
		values[RESULT_ERROR] = CStringGetTextDatum(error);
	else
		nulls[RESULT_ERROR] = true;
	tuplestore_putvalues(run->srf.store, run->srf.tupdesc, values, nulls);
}

static char *
describe(const ApiError *err)
{
	return psprintf("%s: %s%s%s", unpack_sql_state(err->sqlstate), err->message,
					err->detail ? ": " : "", err->detail ? err->detail : "");
}

/*
 * Send one request of the n messages that have not opted out, and put the
 * n result rows in input order (an opted-out one with its error, at no
 * request; none at all when every one has).
 */
static void
send_chunk(BulkRun *run, const BulkMessage *msgs, int n)
{
	MemoryContext old = MemoryContextSwitchTo(run->chunk_cxt);
	size_t		len;
	char	   *body;
	HttpResult	res;
	ApiError	err;
	BulkAccepted *items = palloc0(n * sizeof(BulkAccepted));
	pg_uuid_t	batch_id;
	bool		has_batch_id = false;
	bool		ok = true;
	bool	   *opted = palloc(n * sizeof(bool));
	char	  **destinations = palloc(n * sizeof(char *));
	const BulkMessage *sending = msgs;
	int			nsending = n;
	char	   *error = NULL;

	for (int i = 0; i < n; i++)
		destinations[i] = (char *) msgs[i].destination;
	if (optout_mark(destinations, n, opted) > 0)
	{
		BulkMessage *kept = palloc(n * sizeof(BulkMessage));

		nsending = 0;
		for (int i = 0; i < n; i++)
			if (!opted[i])
				kept[nsending++] = msgs[i];
		sending = kept;
	}

	if (nsending > 0)
	{
		body = codec_bulk_request(run->common, run->defaults_json, run->root_json,
								  sending, nsending, &len);
		ok = api_request(&sinch_send, "POST", "/v1/send-bulk-sms", NULL, body, len, &res, &err);
		if (ok)
		{
			const char *problem = codec_bulk_answer(res.body, res.body_len, nsending,
													&batch_id, &has_batch_id, items);

			if (problem != NULL)
			{
				ok = false;
				err.sqlstate = ERRCODE_SMS_API_BAD_ANSWER;
				err.message = "the SMS API answered something unusable to a bulk send";
				err.detail = psprintf("%s The messages may have been sent.", problem);
				err.hint = "Check with sms_api.sms_status() before sending them again.";
			}
		}
		if (!ok && !run->any_accepted)
			api_raise(&err);
	}

	if (nsending > 0 && ok)
	{
		pg_uuid_t  *ids = palloc(nsending * sizeof(pg_uuid_t));
		char	  **correlation_ids = palloc(nsending * sizeof(char *));
		char	  **sent_to = palloc(nsending * sizeof(char *));

		for (int i = 0; i < nsending; i++)
		{
			scrub_text(items[i].correlation_id);
			ids[i] = items[i].id;
			correlation_ids[i] = items[i].correlation_id ?
				items[i].correlation_id : (char *) sending[i].correlation_id;
			sent_to[i] = (char *) sending[i].destination;
		}
		store_sent(nsending, ids, correlation_ids, sent_to);
		run->any_accepted = true;
	}
	else if (nsending > 0)
	{
		error = describe(&err);
		if (run->first_error == NULL)
			run->first_error = MemoryContextStrdup(run->call_cxt, error);
		run->not_accepted += nsending;
	}
	for (int i = 0, j = 0; i < n; i++)
	{
		if (opted[i])
			put_row(run, &msgs[i], NULL, NULL, OPTOUT_ERROR);
		else
		{
			if (ok)
				put_row(run, &sending[j], &items[j], has_batch_id ? &batch_id : NULL, NULL);
			else
				put_row(run, &sending[j], NULL, NULL, error);
			j++;
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(run->chunk_cxt);
}

static void
finish(BulkRun *run)
{
	if (run->not_accepted > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%d of %d messages were not accepted by the SMS API",
						run->not_accepted, run->total),
				 errdetail("First failure: %s", run->first_error),
				 errhint("Their rows have id NULL and the reason in error; retry them, or use sms_api.sms_queue() for sends that must be tracked.")));
	MemoryContextDelete(run->chunk_cxt);
}

static void
run_init(BulkRun *run, FunctionCallInfo fcinfo)
{
	memset(run, 0, sizeof(*run));
	srf_init(fcinfo, &run->srf);
	run->call_cxt = CurrentMemoryContext;
	run->chunk_cxt = AllocSetContextCreate(CurrentMemoryContext, "sms_api bulk request",
										   ALLOCSET_DEFAULT_SIZES);
}

Datum
sms_send_bulk(PG_FUNCTION_ARGS)
{
	BulkRun		run;
	BulkArrays	arrays;
	SmsMessage	common;
	BulkMessage *msgs;

	sms_api_require_preload();
	sms_api_require_writable("sms_api.sms_send_bulk()");
	memset(&arrays, 0, sizeof(arrays));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("destinations must not be null")));
	else
	{
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);

		arrays.ndims = ARR_NDIM(a);
		deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT,
						  &arrays.destinations, &arrays.destination_nulls, &arrays.n);
	}
	if (!PG_ARGISNULL(2))
	{
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(2);

		arrays.correlation_ndims = ARR_NDIM(a);
		deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT,
						  &arrays.correlation_ids, &arrays.correlation_nulls,
						  &arrays.ncorrelation_ids);
	}
	bulk_common_from_args(fcinfo, &common);
	validate_bulk_arrays(&arrays);

	run_init(&run, fcinfo);
	run.common = &common;
	run.total = arrays.n;
	msgs = palloc(Min(arrays.n, BULK_MAX_MESSAGES) * sizeof(BulkMessage) + 1);
	for (int start = 0; start < arrays.n; start += BULK_MAX_MESSAGES)
	{
		int			n = Min(BULK_MAX_MESSAGES, arrays.n - start);
		MemoryContext old = MemoryContextSwitchTo(run.chunk_cxt);

		for (int i = 0; i < n; i++)
		{
			int			k = start + i;

			msgs[i].destination = validate_destination(TextDatumGetCString(arrays.destinations[k]),
													   "destination");
			msgs[i].correlation_id = (arrays.correlation_ids && !arrays.correlation_nulls[k]) ?
				utf8(TextDatumGetCString(arrays.correlation_ids[k])) : NULL;
			msgs[i].message_json = NULL;
		}
		MemoryContextSwitchTo(old);
		send_chunk(&run, msgs, n);
	}
	finish(&run);
	return (Datum) 0;
}

/* The string value of key in a message object, or NULL. */
static char *
member_string(JsonbContainer *obj, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

Datum
sms_send_bulk_json(PG_FUNCTION_ARGS)
{
	BulkRun		run;
	Jsonb	   *messages;
	Jsonb	   *defaults = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	Jsonb	   *options = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	BulkMessage *msgs;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	sms_api_require_preload();
	sms_api_require_writable("sms_api.sms_send_bulk_json()");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("messages must not be null")));
	messages = PG_GETARG_JSONB_P(0);

	run_init(&run, fcinfo);
	run.total = validate_bulk_json(messages, defaults, options);
	if (defaults != NULL)
		run.defaults_json = utf8(JsonbToCString(NULL, &defaults->root, VARSIZE(defaults)));
	if (options != NULL)
		run.root_json = utf8(JsonbToCString(NULL, &options->root, VARSIZE(options)));

	msgs = palloc(Min(run.total, BULK_MAX_MESSAGES) * sizeof(BulkMessage) + 1);
	it = JsonbIteratorInit(&messages->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		MemoryContext old;
		char	   *correlation_id;

		if (tok != WJB_ELEM)
			continue;
		old = MemoryContextSwitchTo(run.chunk_cxt);
		msgs[n].message_json = utf8(JsonbToCString(NULL, v.val.binary.data, v.val.binary.len));
		msgs[n].destination = validate_destination(member_string(v.val.binary.data, "destination"),
												   "destination");
		correlation_id = member_string(v.val.binary.data, "correlationId");
		msgs[n].correlation_id = correlation_id ? utf8(correlation_id) : NULL;
		MemoryContextSwitchTo(old);
		if (++n == BULK_MAX_MESSAGES)
		{
			send_chunk(&run, msgs, n);
			n = 0;
		}
	}
	if (n > 0)
		send_chunk(&run, msgs, n);
	finish(&run);
	return (Datum) 0;
}
