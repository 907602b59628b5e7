/*
 * reach_functions.c
 *		The Reach SQL functions: reach_send() (POST /messages/send_to_contact),
 *		reach_send_to_tags() (POST /messages/send) and reach_messages()
 *		(GET /messages, every page). Each validates everything before the
 *		first network byte, merges what comes back into
 *		sms_api.reach_message and returns it as that table's rows.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/optout.h"
#include "core/sms_api.h"
#include "core/srf.h"
#include "providers/reach/reach.h"

PG_FUNCTION_INFO_V1(reach_send);
PG_FUNCTION_INFO_V1(reach_send_to_tags);
PG_FUNCTION_INFO_V1(reach_messages);

enum
{
	COL_MESSAGE_ID, COL_ID, COL_SHORT_CODE, COL_COUNTRY, COL_MSISDN, COL_DIRECTION,
	COL_STATUS, COL_MESSAGE, COL_TOTAL_RECIPIENTS, COL_SENT_FROM, COL_SENT_COUNT,
	COL_ERROR_COUNT, COL_TOTAL_MONITORS, COL_IS_SCHEDULED, COL_IS_BILLABLE,
	COL_CREATED_ON, COL_CREATED_BY, COL_TYPE, COL_UPDATED_AT, NCOLS
};

static void
put_text(Datum *values, bool *nulls, int col, const char *s)
{
	nulls[col] = s == NULL;
	values[col] = s ? CStringGetTextDatum(s) : (Datum) 0;
}

static void
put_int(Datum *values, bool *nulls, int col, bool has, int32 v)
{
	nulls[col] = !has;
	values[col] = Int32GetDatum(v);
}

/* A reach_message row: updated_at is set when the message was stored. */
static void
message_values(const ReachMessage *m, Datum *values, bool *nulls)
{
	put_text(values, nulls, COL_MESSAGE_ID, m->message_id);
	put_text(values, nulls, COL_ID, m->id);
	put_text(values, nulls, COL_SHORT_CODE, m->short_code);
	put_text(values, nulls, COL_COUNTRY, m->country);
	put_text(values, nulls, COL_MSISDN, m->msisdn);
	put_text(values, nulls, COL_DIRECTION, m->direction);
	put_text(values, nulls, COL_STATUS, m->status);
	put_text(values, nulls, COL_MESSAGE, m->message);
	put_int(values, nulls, COL_TOTAL_RECIPIENTS, m->has_total_recipients, m->total_recipients);
	put_text(values, nulls, COL_SENT_FROM, m->sent_from);
	put_int(values, nulls, COL_SENT_COUNT, m->has_sent_count, m->sent_count);
	put_int(values, nulls, COL_ERROR_COUNT, m->has_error_count, m->error_count);
	put_int(values, nulls, COL_TOTAL_MONITORS, m->has_total_monitors, m->total_monitors);
	nulls[COL_IS_SCHEDULED] = m->is_scheduled < 0;
	values[COL_IS_SCHEDULED] = BoolGetDatum(m->is_scheduled == 1);
	nulls[COL_IS_BILLABLE] = m->is_billable < 0;
	values[COL_IS_BILLABLE] = BoolGetDatum(m->is_billable == 1);
	nulls[COL_CREATED_ON] = !m->has_created_on;
	values[COL_CREATED_ON] = TimestampTzGetDatum(m->created_on);
	put_text(values, nulls, COL_CREATED_BY, m->created_by);
	put_int(values, nulls, COL_TYPE, m->has_type, m->type);
	nulls[COL_UPDATED_AT] = m->message_id == NULL;
	values[COL_UPDATED_AT] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
}

static char *
utf8(const char *s)
{
	return s ? (char *) pg_server_to_any(s, strlen(s), PG_UTF8) : NULL;
}

static char *
required_text(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	return text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

/* POST a send body; the answer merged and returned as a reach_message row. */
static Datum
send_and_return(FunctionCallInfo fcinfo, const char *path, const char *body, size_t len)
{
	HttpResult	res;
	ReachMessage m;
	const char *problem;
	TupleDesc	tupdesc;
	Datum		values[NCOLS];
	bool		nulls[NCOLS];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	api_request_or_raise(&reach_target, "POST", path, NULL, body, len, &res);
	problem = reach_decode_message(res.body, res.body_len, &m);
	if (problem != NULL)
		api_raise_bad_answer(&reach_target, "a send", problem);
	if (m.message_id == NULL)
	{
		int64		code;
		char	   *error;
		ApiError	err;

		/* an error body under a 2xx is the refusal it says it is */
		if (reach_decode_error(res.body, res.body_len, &code, &error))
		{
			memset(&err, 0, sizeof(err));
			(void) reach_target.classify(&reach_target, &res, 1, &err);
			api_raise(&err);
		}
		/* a single send is always answered with its message_id */
		if (strcmp(path, "/messages/send_to_contact") == 0)
			api_raise_bad_answer(&reach_target, "a send", "The answer has no message_id.");
	}
	reach_message_to_server(&m);
	(void) reach_store(&m, 1);
	message_values(&m, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

Datum
reach_send(PG_FUNCTION_ARGS)
{
	char	   *msisdn;
	char	   *message;
	char	   *id = NULL;
	char	   *body;
	size_t		len;

	sms_api_require_preload();
	msisdn = reach_validate_msisdn(required_text(fcinfo, 0, "msisdn"), "msisdn");
	message = required_text(fcinfo, 1, "message");
	reach_validate_message(message, "message");
	if (!PG_ARGISNULL(2))
	{
		id = text_to_cstring(PG_GETARG_TEXT_PP(2));
		reach_validate_id(id, "id");
	}
	sms_api_require_writable("sms_api.reach_send()");
	reach_require_settings();

	optout_refuse(&msisdn, 1, "sms_api.reach_send()");

	body = reach_encode_send(msisdn, NULL, 0, utf8(message), utf8(id), &len);
	return send_and_return(fcinfo, "/messages/send_to_contact", body, len);
}

Datum
reach_send_to_tags(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;
	char	  **tags;
	char	   *message;
	char	   *id = NULL;
	char	   *body;
	size_t		len;

	sms_api_require_preload();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tags must not be NULL")));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tags must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tags must not be empty")));
	tags = palloc(n * sizeof(char *));
	for (int i = 0; i < n; i++)
	{
		if (elem_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("tags[%d] must not be NULL", i + 1)));
		tags[i] = TextDatumGetCString(elems[i]);
		if (tags[i][0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tags[%d] must not be empty", i + 1)));
		tags[i] = utf8(tags[i]);
	}
	message = required_text(fcinfo, 1, "message");
	reach_validate_message(message, "message");
	if (!PG_ARGISNULL(2))
	{
		id = text_to_cstring(PG_GETARG_TEXT_PP(2));
		reach_validate_id(id, "id");
	}
	sms_api_require_writable("sms_api.reach_send_to_tags()");
	reach_require_settings();

	body = reach_encode_send(NULL, tags, n, utf8(message), utf8(id), &len);
	return send_and_return(fcinfo, "/messages/send", body, len);
}

/* Each page's messages become rows of the result, in the API's order. */
static void
page_rows(ReachMessage *msgs, int n, void *arg)
{
	SrfResult  *srf = (SrfResult *) arg;

	for (int i = 0; i < n; i++)
	{
		Datum		values[NCOLS];
		bool		nulls[NCOLS];

		message_values(&msgs[i], values, nulls);
		tuplestore_putvalues(srf->store, srf->tupdesc, values, nulls);
	}
}

Datum
reach_messages(PG_FUNCTION_ARGS)
{
	ReachWindow w;
	SrfResult	srf;

	sms_api_require_preload();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", PG_ARGISNULL(0) ? "start_at" : "end_at")));
	memset(&w, 0, sizeof(w));
	w.start_at = PG_GETARG_TIMESTAMPTZ(0);
	w.end_at = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(w.start_at) || TIMESTAMP_NOT_FINITE(w.end_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_at and end_at must be finite")));
	if (w.start_at > w.end_at)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_at is after end_at")));
	w.direction = required_text(fcinfo, 2, "direction");
	if (strcmp(w.direction, "ALL") != 0 && strcmp(w.direction, "MT") != 0 &&
		strcmp(w.direction, "MO") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid direction \"%s\"", w.direction),
				 errdetail("It is ALL, MT or MO.")));
	if (!PG_ARGISNULL(3))
		w.msisdn = reach_validate_msisdn(text_to_cstring(PG_GETARG_TEXT_PP(3)), "msisdn");
	if (!PG_ARGISNULL(4))
	{
		char	   *tag = text_to_cstring(PG_GETARG_TEXT_PP(4));

		if (tag[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tag must not be empty")));
		w.tag = utf8(tag);
	}
	sms_api_require_writable("sms_api.reach_messages()");
	reach_require_settings();

	srf_init(fcinfo, &srf);
	(void) reach_list(&w, page_rows, &srf);
	return (Datum) 0;
}
