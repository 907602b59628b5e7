/*
 * directcall_functions.c
 *		sms_api.directcall_send(): one POST /sms/send to many numbers, a
 *		voice call (text-to-speech, an MP3, or a registered audio) or an
 *		SMS. Everything is validated before the first network byte; the
 *		answer's status, code, msg and caller id come back as a
 *		directcall_result.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/optout.h"
#include "core/scrub.h"
#include "core/sms_api.h"
#include "providers/directcall/directcall.h"

PG_FUNCTION_INFO_V1(directcall_send);

enum
{
	DC_DESTINATIONS, DC_TEXT, DC_AUDIO, DC_AUDIO_ID, DC_KIND, DC_ORIGIN,
	DC_SCHEDULED_AT, DC_FROM_HOUR, DC_UNTIL_HOUR
};

static char *
utf8(const char *s)
{
	return s ? (char *) pg_server_to_any(s, strlen(s), PG_UTF8) : NULL;
}

/*
 * Text of the answer (UTF-8) as this database can hold it; free text is
 * scrubbed of the secrets (ids are not: a short client id could match
 * digits of one).
 */
static char *
to_server(char *s, bool free_text)
{
	if (free_text)
		scrub_text(s);
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		for (char *p = s; *p; p++)
			if ((unsigned char) *p >= 0x80)
				*p = '?';
	}
	return s;
}

static char **
destinations_arg(FunctionCallInfo fcinfo, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	char	  **numbers;

	if (PG_ARGISNULL(DC_DESTINATIONS))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("destinations must not be NULL")));
	arr = PG_GETARG_ARRAYTYPE_P(DC_DESTINATIONS);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("destinations must be a one-dimensional array")));
	*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (*n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("destinations must not be empty")));
	if (*n > DIRECTCALL_MAX_DESTINATIONS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many destinations (%d)", *n),
				 errdetail("One Directcall send takes at most %d numbers.", DIRECTCALL_MAX_DESTINATIONS)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	numbers = palloc(*n * sizeof(char *));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("destinations[%d] must not be NULL", i + 1)));
		numbers[i] = directcall_validate_number(TextDatumGetCString(elems[i]),
												psprintf("destinations[%d]", i + 1));
	}
	return numbers;
}

/* The MP3, refused unread (not even detoasted) when over the limit. */
static bytea *
audio_arg(FunctionCallInfo fcinfo)
{
	Size		size;

	if (PG_ARGISNULL(DC_AUDIO))
		return NULL;
	size = toast_raw_datum_size(PG_GETARG_DATUM(DC_AUDIO)) - VARHDRSZ;
	if (size > DIRECTCALL_MAX_AUDIO)
		directcall_validate_audio(NULL, size, "audio");
	return PG_GETARG_BYTEA_PP(DC_AUDIO);
}

static char *
optional_text(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

Datum
directcall_send(PG_FUNCTION_ARGS)
{
	DirectcallSend s;
	char	   *message = optional_text(fcinfo, DC_TEXT);
	char	   *audio_id = optional_text(fcinfo, DC_AUDIO_ID);
	char	   *origin = optional_text(fcinfo, DC_ORIGIN);
	bytea	   *audio;
	ApiCall		call;
	HttpResult	res;
	DirectcallAnswer a;
	const char *problem;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {0};

	sms_api_require_preload();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	audio = audio_arg(fcinfo);
	memset(&s, 0, sizeof(s));
	s.destinations = destinations_arg(fcinfo, &s.ndestinations);
	if ((message != NULL) + (audio != NULL) + (audio_id != NULL) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("give exactly one of message_text, audio and audio_id")));
	if (message != NULL)
		directcall_validate_text(message, "message_text");
	if (audio != NULL)
		directcall_validate_audio(VARDATA_ANY(audio), VARSIZE_ANY_EXHDR(audio), "audio");
	if (audio_id != NULL)
		directcall_validate_audio_id(audio_id, "audio_id");
	if (PG_ARGISNULL(DC_KIND))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind must not be NULL")));
	s.kind = text_to_cstring(PG_GETARG_TEXT_PP(DC_KIND));
	directcall_validate_kind(s.kind, "kind");
	if (strcmp(s.kind, "texto") == 0 && message == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an SMS (kind \"texto\") needs message_text"),
				 errdetail("audio and audio_id are for voice calls (kind \"voz\").")));
	s.send_from_hour = s.send_until_hour = -1;
	if (!PG_ARGISNULL(DC_FROM_HOUR))
	{
		s.send_from_hour = PG_GETARG_INT32(DC_FROM_HOUR);
		directcall_validate_hour(s.send_from_hour, "send_from_hour");
	}
	if (!PG_ARGISNULL(DC_UNTIL_HOUR))
	{
		s.send_until_hour = PG_GETARG_INT32(DC_UNTIL_HOUR);
		directcall_validate_hour(s.send_until_hour, "send_until_hour");
	}
	if (origin != NULL)
		origin = directcall_validate_number(origin, "origin");
	s.origin = directcall_origin_or_setting(origin);
	if (!PG_ARGISNULL(DC_SCHEDULED_AT))
	{
		s.has_cron = true;
		s.cron = PG_GETARG_TIMESTAMPTZ(DC_SCHEDULED_AT);
		if (TIMESTAMP_NOT_FINITE(s.cron))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scheduled_at must be finite")));
	}
	s.text = utf8(message);
	s.audio_id = utf8(audio_id);
	if (audio != NULL)
	{
		s.audio = VARDATA_ANY(audio);
		s.audio_len = VARSIZE_ANY_EXHDR(audio);
	}
	sms_api_require_writable("sms_api.directcall_send()");
	directcall_require_settings();
	optout_refuse(s.destinations, s.ndestinations, "sms_api.directcall_send()");

	directcall_build_call(&s, &call);
	api_call_or_raise(&call, &res);
	problem = directcall_decode_answer(res.body, res.body_len, &a);
	if (problem != NULL)
		api_raise_bad_answer(&directcall_target, "a send", problem);

	/* a 000 is the API's word that it took the send, with or without a caller id */
	values[0] = a.status ? CStringGetTextDatum(to_server(a.status, true)) : (Datum) 0;
	nulls[0] = a.status == NULL;
	values[1] = CStringGetTextDatum(to_server(a.code, false));
	values[2] = a.msg ? CStringGetTextDatum(to_server(a.msg, true)) : (Datum) 0;
	nulls[2] = a.msg == NULL;
	values[3] = a.caller_id ? CStringGetTextDatum(to_server(a.caller_id, false)) : (Datum) 0;
	nulls[3] = a.caller_id == NULL;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
