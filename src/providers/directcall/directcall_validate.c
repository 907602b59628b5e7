/*
 * directcall_validate.c
 *		Directcall's rules on what a user passes, checked before any request:
 *		22004 for a missing value, 22001 for a text or file over the API's
 *		limit, 22023 for anything else, 55000 for a caller number neither
 *		given nor set. The outbox's rows are held to the same rules when
 *		queued, and again when claimed. No I/O here.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "providers/directcall/directcall.h"

#define MIN_NUMBER 10
#define MAX_NUMBER 15

bool
directcall_is_number(const char *digits)
{
	size_t		n = strlen(digits);

	return n >= MIN_NUMBER && n <= MAX_NUMBER && strspn(digits, "0123456789") == n;
}

char *
directcall_validate_number(const char *value, const char *argname)
{
	const char *digits = value[0] == '+' ? value + 1 : value;

	if (!directcall_is_number(digits))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", argname, value),
				 errdetail("A Directcall number is 10 to 15 digits (country, area, number), optionally after a leading \"+\".")));
	return pstrdup(digits);
}

void
directcall_validate_text(const char *text, const char *argname)
{
	int			nchars;

	if (text[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));
	if (strlen(text) <= DIRECTCALL_MAX_TEXT)
		return;
	nchars = pg_mbstrlen(text);
	if (nchars > DIRECTCALL_MAX_TEXT)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too long (%d characters)", argname, nchars),
				 errdetail("Directcall accepts a texto of at most %d characters.", DIRECTCALL_MAX_TEXT)));
}

/* An ID3v2 tag, or an MPEG audio frame sync (11 bits set). */
static bool
looks_like_mp3(const unsigned char *p, size_t len)
{
	if (len >= 3 && memcmp(p, "ID3", 3) == 0)
		return true;
	return len >= 2 && p[0] == 0xFF && (p[1] & 0xE0) == 0xE0;
}

void
directcall_validate_audio(const char *audio, size_t len, const char *argname)
{
	if (len > DIRECTCALL_MAX_AUDIO)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too large (%zu bytes)", argname, len),
				 errdetail("Directcall accepts an MP3 file of at most 4 MiB (%d bytes).",
						   DIRECTCALL_MAX_AUDIO)));
	if (!looks_like_mp3((const unsigned char *) audio, len))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not an MP3 file", argname),
				 errdetail("An MP3 file starts with an ID3 tag or an MPEG frame sync.")));
}

void
directcall_validate_audio_id(const char *audio_id, const char *argname)
{
	if (audio_id[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));
	if (strlen(audio_id) > DIRECTCALL_MAX_AUDIO_ID)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too long (%zu bytes)", argname, strlen(audio_id)),
				 errdetail("An audio id has at most %d bytes.", DIRECTCALL_MAX_AUDIO_ID)));
}

void
directcall_validate_kind(const char *kind, const char *argname)
{
	if (strcmp(kind, "voz") != 0 && strcmp(kind, "texto") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", argname, kind),
				 errdetail("A Directcall send is \"voz\" (a voice call) or \"texto\" (an SMS).")));
}

void
directcall_validate_hour(int hour, const char *argname)
{
	if (hour < 0 || hour > 23)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be an hour from 0 to 23, not %d", argname, hour)));
}

const char *
directcall_origin_or_setting(const char *origin)
{
	if (origin != NULL)
		return origin;
	if (directcall_origin == NULL || directcall_origin[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sms_api.directcall_origin is not set"),
				 errdetail("A Directcall send needs a caller number: the origin argument, or the setting."),
				 errhint("Set sms_api.directcall_origin to the account's number, such as 554130600300.")));
	return directcall_origin[0] == '+' ? directcall_origin + 1 : directcall_origin;
}

/* sms_send()'s arguments that Directcall has no field for. */
static const char *const unsupported[] = {
	NULL, NULL, NULL, "extra_info", "flash", NULL, "expires_at",
	"campaign_alias", "sub_account", NULL
};

/* What a row's text and options must be together; NULL or the problem. */
static const char *
check_message(const char *text, const DirectcallOptions *o)
{
	if ((text != NULL) == (o->audio_id != NULL))
		return "a Directcall message has either a message_text or an options audio_id, not both and not neither";
	if (text != NULL && pg_mbstrlen(text) > DIRECTCALL_MAX_TEXT)
		return psprintf("message_text has %d characters; Directcall accepts %d",
						pg_mbstrlen(text), DIRECTCALL_MAX_TEXT);
	return NULL;
}

void
directcall_queue_args(FunctionCallInfo fcinfo, SmsMessage *msg)
{
	DirectcallOptions o;
	const char *problem;

	memset(msg, 0, sizeof(*msg));
	msg->flash = -1;
	for (int i = 3; i < 10; i++)
		if (unsupported[i] != NULL && !PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("provider \"directcall\" cannot carry %s", unsupported[i]),
					 errdetail("A Directcall message has a destination, a message_text, a scheduled_at and options (kind, audio_id, origin, send_from_hour, send_until_hour); correlation_id is kept in the outbox only.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("destination must not be NULL")));
	msg->destination = directcall_validate_number(text_to_cstring(PG_GETARG_TEXT_PP(0)),
												  "destination");
	if (!PG_ARGISNULL(1))
	{
		msg->message_text = text_to_cstring(PG_GETARG_TEXT_PP(1));
		directcall_validate_text(msg->message_text, "message_text");
	}
	if (!PG_ARGISNULL(2))
	{
		msg->correlation_id = text_to_cstring(PG_GETARG_TEXT_PP(2));
		if (pg_mbstrlen(msg->correlation_id) > MAX_CORRELATION_ID)
			ereport(ERROR,
					(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
					 errmsg("correlation_id is too long (%d characters)", pg_mbstrlen(msg->correlation_id)),
					 errdetail("A correlation_id has at most %d characters.", MAX_CORRELATION_ID)));
	}
	msg->has_scheduled_at = !PG_ARGISNULL(5);
	if (msg->has_scheduled_at && TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMPTZ(5)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scheduled_at must be finite")));
	if (!PG_ARGISNULL(9))
	{
		Jsonb	   *jb;

		/* its stored size first: json-c would parse any size outside our memory accounting */
		if (toast_raw_datum_size(PG_GETARG_DATUM(9)) > MAX_OPTIONS_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
					 errmsg("options are too large"),
					 errdetail("Directcall options are a few keys: at most %d bytes.", MAX_OPTIONS_BYTES)));
		jb = PG_GETARG_JSONB_P(9);
		msg->options_json = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
	problem = directcall_read_options(msg->options_json, &o);
	if (problem == NULL)
		problem = check_message(msg->message_text, &o);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", problem)));
}

/* An outbox row as stored, checked again before it is sent. */
char *
directcall_check_stored(const SmsMessage *msg)
{
	DirectcallOptions o;
	const char *problem = directcall_read_options(msg->options_json, &o);

	if (problem == NULL)
		problem = check_message(msg->message_text, &o);
	if (problem == NULL && !directcall_is_number(msg->destination))
		problem = "the destination is not a Directcall number";
	if (problem == NULL &&
		(msg->extra_info != NULL || msg->flash >= 0 || msg->has_expires_at ||
		 msg->campaign_alias != NULL || msg->sub_account != NULL))
		problem = "the row has fields Directcall cannot carry";
	return problem ? pstrdup(problem) : NULL;
}
