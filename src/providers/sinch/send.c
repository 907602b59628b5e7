/*
 * send.c
 *		The synchronous send functions: sms_api.sms_send().
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "core/api.h"
#include "providers/sinch/sinch_api.h"
#include "providers/sinch/codec.h"
#include "core/optout.h"
#include "core/scrub.h"
#include "providers/sinch/send_result.h"
#include "core/sms_api.h"
#include "providers/sinch/store.h"
#include "providers/sinch/validate.h"

PG_FUNCTION_INFO_V1(sms_send);

static Datum
uuid_datum(const pg_uuid_t *uuid)
{
	pg_uuid_t  *copy = palloc(sizeof(pg_uuid_t));

	memcpy(copy, uuid, sizeof(pg_uuid_t));
	return UUIDPGetDatum(copy);
}

/* Text from the API (UTF-8) as a text Datum in the database encoding. */
static Datum
api_text_datum(const char *s)
{
	return CStringGetTextDatum(pg_any_to_server(s, strlen(s), PG_UTF8));
}

/* The result's row type, looked up once per call site (a query calls it per row). */
static TupleDesc
result_tupdesc(FunctionCallInfo fcinfo)
{
	TupleDesc	tupdesc;
	MemoryContext old;

	if (fcinfo->flinfo->fn_extra != NULL)
		return (TupleDesc) fcinfo->flinfo->fn_extra;
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("sms_send must be called in a context that accepts a composite result")));
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = tupdesc;
	return tupdesc;
}

Datum
sms_send(PG_FUNCTION_ARGS)
{
	SmsMessage	msg;
	TupleDesc	tupdesc;
	HttpResult	res;
	char	   *body;
	size_t		body_len;
	char	   *id;
	char	   *correlation_id;
	const char *problem;
	pg_uuid_t	uuid;
	Datum		values[RESULT_NATTS];
	bool		nulls[RESULT_NATTS];

	sms_api_require_preload();
	sms_api_require_writable("sms_api.sms_send()");
	tupdesc = result_tupdesc(fcinfo);

	message_from_args(fcinfo, &msg);
	optout_refuse(&msg.destination, 1, "sms_api.sms_send()");
	body = codec_send_request(&msg, &body_len);
	api_request_or_raise(&sinch_send, "POST", "/v1/send-sms", NULL, body, body_len, &res);

	problem = codec_send_answer(res.body, res.body_len, &id, &correlation_id);
	if (problem == NULL && !codec_uuid(id, &uuid))
		problem = "The message id is not a UUID.";
	if (problem != NULL)
		api_raise_bad_answer(&sinch_send, "a send", problem);
	scrub_text(correlation_id);
	store_sent_later(&uuid, correlation_id ? correlation_id : msg.correlation_id,
					 msg.destination);

	memset(nulls, 0, sizeof(nulls));
	values[RESULT_ID] = uuid_datum(&uuid);
	if (correlation_id != NULL)
		values[RESULT_CORRELATION_ID] = api_text_datum(correlation_id);
	else if (msg.correlation_id != NULL)
		values[RESULT_CORRELATION_ID] = api_text_datum(msg.correlation_id);
	else
		nulls[RESULT_CORRELATION_ID] = true;
	values[RESULT_DESTINATION] = CStringGetTextDatum(msg.destination);
	nulls[RESULT_BATCH_ID] = true;
	nulls[RESULT_ERROR] = true;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
