/*
 * query.c
 *		Asking the API: sms_api.sms_status(), sms_status_list(),
 *		sms_mo_search() and sms_mo_list(). Rows come in the API's order, and
 *		everything received is merged into message_status / mo_message in
 *		the caller's transaction.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "core/api.h"
#include "providers/sinch/sinch_api.h"
#include "providers/sinch/codec.h"
#include "core/scrub.h"
#include "http/http.h"
#include "core/sms_api.h"
#include "core/srf.h"
#include "providers/sinch/query.h"
#include "providers/sinch/store.h"
#include "providers/sinch/validate.h"

PG_FUNCTION_INFO_V1(sms_status);
PG_FUNCTION_INFO_V1(sms_status_list);
PG_FUNCTION_INFO_V1(sms_mo_search);
PG_FUNCTION_INFO_V1(sms_mo_list);

/* Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define PG_EPOCH_UNIX_MS INT64CONST(946684800000)

static Datum
text_datum(const char *s)
{
	return CStringGetTextDatum(pg_any_to_server(s, strlen(s), PG_UTF8));
}

static void
put_text(Datum *values, bool *nulls, int i, const char *s)
{
	nulls[i] = (s == NULL);
	if (s)
		values[i] = text_datum(s);
}

static void
put_time(Datum *values, bool *nulls, int i, bool has, int64 ms)
{
	nulls[i] = !has;
	values[i] = TimestampTzGetDatum((ms - PG_EPOCH_UNIX_MS) * 1000);
}

static void
warn_skipped(int skipped)
{
	if (skipped > 0)
		ereport(WARNING,
				(errcode(ERRCODE_SMS_API_BAD_ANSWER),
				 errmsg_plural("%d item of the SMS API's answer had no usable id and was skipped",
								"%d items of the SMS API's answer had no usable id and were skipped",
								skipped, skipped)));
}

static void
decode_statuses(const HttpResult *res, const char *what, StatusList *list)
{
	const char *problem = codec_status_answer(res->body, res->body_len, list);

	if (problem != NULL)
		api_raise_bad_answer(&sinch_send, what, problem);
	warn_skipped(list->skipped);
	scrub_statuses(list);
}

static void
decode_mos(const HttpResult *res, const char *what, MoList *list)
{
	const char *problem = codec_mo_answer(res->body, res->body_len, list);

	if (problem != NULL)
		api_raise_bad_answer(&sinch_send, what, problem);
	warn_skipped(list->skipped);
	scrub_mos(list);
}

void
query_status_search(char *const *ids, int nids, char *const *correlation_ids,
					int ncorrelation_ids, StatusList *out)
{
	size_t		len;
	char	   *body = codec_status_search_request(ids, nids, correlation_ids,
												   ncorrelation_ids, &len);
	HttpResult	res;

	api_request_or_raise(&sinch_query, "POST", "/v1/sms/status/search", NULL, body, len, &res);
	decode_statuses(&res, "a status search", out);
}

void
query_status_list(StatusList *out)
{
	HttpResult	res;

	api_request_or_raise(&sinch_query, "GET", "/v1/sms/status/list", NULL, NULL, 0, &res);
	decode_statuses(&res, "a status list", out);
}

/* Merge statuses and return them as rows of sms_api.status. */
static void
return_statuses(FunctionCallInfo fcinfo, const StatusList *list)
{
	SrfResult	srf;

	store_statuses(list);

	srf_init(fcinfo, &srf);
	for (int i = 0; i < list->n; i++)
	{
		const ApiStatus *s = &list->items[i];
		Datum		v[13];
		bool		n[13];

		memset(n, 0, sizeof(n));
		v[0] = UUIDPGetDatum(&s->id);
		put_text(v, n, 1, s->correlation_id);
		v[2] = Int32GetDatum(s->carrier_id);
		n[2] = !s->has_carrier_id;
		put_text(v, n, 3, s->carrier_name);
		put_text(v, n, 4, s->destination);
		v[5] = Int32GetDatum(s->sent_status_code);
		n[5] = !s->has_sent_status_code;
		put_text(v, n, 6, s->sent_status);
		put_time(v, n, 7, s->has_sent_at, s->sent_at_ms);
		v[8] = Int32GetDatum(s->delivered_status_code);
		n[8] = !s->has_delivered_status_code;
		put_text(v, n, 9, s->delivered_status);
		put_time(v, n, 10, s->has_delivered_at, s->delivered_at_ms);
		v[11] = Int64GetDatum(s->campaign_id);
		n[11] = !s->has_campaign_id;
		put_text(v, n, 12, s->extra_info);
		tuplestore_putvalues(srf.store, srf.tupdesc, v, n);
	}
}

/* Merge replies and return them as rows of sms_api.mo. */
static void
return_mos(FunctionCallInfo fcinfo, const MoList *list)
{
	SrfResult	srf;

	store_mos(list);

	srf_init(fcinfo, &srf);
	for (int i = 0; i < list->n; i++)
	{
		const ApiMo *m = &list->items[i];
		Datum		v[13];
		bool		n[13];

		memset(n, 0, sizeof(n));
		v[0] = UUIDPGetDatum(&m->id);
		put_text(v, n, 1, m->sub_account);
		put_text(v, n, 2, m->campaign_alias);
		v[3] = Int32GetDatum(m->carrier_id);
		n[3] = !m->has_carrier_id;
		put_text(v, n, 4, m->carrier_name);
		put_text(v, n, 5, m->source);
		put_text(v, n, 6, m->short_code);
		put_text(v, n, 7, m->message_text);
		put_time(v, n, 8, m->has_received_at, m->received_at_ms);
		v[9] = UUIDPGetDatum(&m->mt_id);
		n[9] = !m->has_mt_id;
		put_text(v, n, 10, m->mt_correlation_id);
		put_text(v, n, 11, m->mt_username);
		put_text(v, n, 12, m->mt_email);
		tuplestore_putvalues(srf.store, srf.tupdesc, v, n);
	}
}

/* The elements of a one-dimensional array argument as UTF-8 strings. */
static char **
array_strings(FunctionCallInfo fcinfo, int argno, Oid elemtype, const char *argname, int *n)
{
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", argname)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(a, elemtype, typlen, typbyval, typalign, &elems, &nulls, n);
	out = palloc((*n + 1) * sizeof(char *));
	for (int i = 0; i < *n; i++)
	{
		char	   *s;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s[%d] must not be null", argname, i + 1)));
		if (elemtype == UUIDOID)
			s = DatumGetCString(DirectFunctionCall1(uuid_out, elems[i]));
		else
		{
			s = TextDatumGetCString(elems[i]);
			if (pg_mbstrlen_with_len(s, strlen(s)) > MAX_CORRELATION_ID)
				ereport(ERROR,
						(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
						 errmsg("%s[%d] is too long (%d characters)", argname, i + 1,
								pg_mbstrlen_with_len(s, strlen(s))),
						 errdetail("The API accepts at most %d characters.", MAX_CORRELATION_ID)));
		}
		out[i] = (char *) pg_server_to_any(s, strlen(s), PG_UTF8);
	}
	return out;
}

Datum
sms_status(PG_FUNCTION_ARGS)
{
	int			nids;
	int			ncorr;
	char	  **ids;
	char	  **correlation_ids;
	StatusList	list;

	sms_api_require_preload();
	sms_api_require_writable("sms_api.sms_status()");
	ids = array_strings(fcinfo, 0, UUIDOID, "ids", &nids);
	correlation_ids = array_strings(fcinfo, 1, TEXTOID, "correlation_ids", &ncorr);
	if (nids == 0 && ncorr == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("give ids or correlation_ids to look up"),
				 errhint("Both are NULL or empty.")));
	query_status_search(ids, nids, correlation_ids, ncorr, &list);
	return_statuses(fcinfo, &list);
	return (Datum) 0;
}

Datum
sms_status_list(PG_FUNCTION_ARGS)
{
	StatusList	list;

	sms_api_require_preload();
	sms_api_require_writable("sms_api.sms_status_list()");
	query_status_list(&list);
	return_statuses(fcinfo, &list);
	return (Datum) 0;
}

/* A timestamptz as the API's ISO-8601 query format, in UTC. */
static char *
iso_utc(TimestampTz ts, const char *argname)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite timestamp", argname)));
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d",
					tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
append_param(StringInfo query, const char *name, const char *value)
{
	appendStringInfo(query, "%s%s=%s", query->len ? "&" : "", name, http_escape(value));
}

static char *
sub_account_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *s;

	if (PG_ARGISNULL(argno))
		return NULL;
	s = TextDatumGetCString(PG_GETARG_DATUM(argno));
	if (s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sub_account must not be empty")));
	if (pg_mbstrlen_with_len(s, strlen(s)) > MAX_NAME_TEXT)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("sub_account is too long (%d characters)", pg_mbstrlen_with_len(s, strlen(s))),
				 errdetail("sms_api accepts at most %d characters (the API documents no limit).",
						   MAX_NAME_TEXT)));
	return (char *) pg_server_to_any(s, strlen(s), PG_UTF8);
}

void
query_mo_search(const TimestampTz *start_at, const TimestampTz *end_at,
				const char *sub_account, MoList *out)
{
	StringInfoData query;
	HttpResult	res;

	initStringInfo(&query);
	if (start_at && end_at && *start_at > *end_at)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_at is after end_at")));
	if (start_at)
		append_param(&query, "start", iso_utc(*start_at, "start_at"));
	if (end_at)
		append_param(&query, "end", iso_utc(*end_at, "end_at"));
	if (sub_account)
		append_param(&query, "subAccount", sub_account);
	api_request_or_raise(&sinch_send, "GET", "/v1/sms/receive/search",
						 query.len ? query.data : NULL, NULL, 0, &res);
	decode_mos(&res, "an MO search", out);
}

void
query_mo_list(const char *sub_account, MoList *out)
{
	StringInfoData query;
	HttpResult	res;

	initStringInfo(&query);
	if (sub_account)
		append_param(&query, "subAccount", sub_account);
	api_request_or_raise(&sinch_send, "GET", "/v1/sms/receive/list",
						 query.len ? query.data : NULL, NULL, 0, &res);
	decode_mos(&res, "an MO list", out);
}

Datum
sms_mo_search(PG_FUNCTION_ARGS)
{
	TimestampTz start_at = PG_ARGISNULL(0) ? 0 : PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz end_at = PG_ARGISNULL(1) ? 0 : PG_GETARG_TIMESTAMPTZ(1);
	MoList		list;

	sms_api_require_preload();
	sms_api_require_writable("sms_api.sms_mo_search()");
	query_mo_search(PG_ARGISNULL(0) ? NULL : &start_at, PG_ARGISNULL(1) ? NULL : &end_at,
					sub_account_arg(fcinfo, 2), &list);
	return_mos(fcinfo, &list);
	return (Datum) 0;
}

Datum
sms_mo_list(PG_FUNCTION_ARGS)
{
	MoList		list;

	sms_api_require_preload();
	sms_api_require_writable("sms_api.sms_mo_list()");
	query_mo_list(sub_account_arg(fcinfo, 0), &list);
	return_mos(fcinfo, &list);
	return (Datum) 0;
}
