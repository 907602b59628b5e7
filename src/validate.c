/*
 * validate.c
 *		Everything a user passes is checked here before any request, with
 *		the contract's SQLSTATEs: 22004 for a missing value, 22001 for a
 *		text over the API's documented length, 22023 for anything else.
 *		No I/O here.
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "validate.h"

/* The API's documented limits, in characters. */
#define MAX_MESSAGE_TEXT 1280
#define MAX_CORRELATION_ID 64
#define MAX_EXTRA_INFO 255
#define MIN_DESTINATION_DIGITS 10
#define MAX_DESTINATION_DIGITS 15

/* Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define PG_EPOCH_UNIX_MS INT64CONST(946684800000)

typedef enum FieldType
{
	FT_STRING,
	FT_INTEGER,
	FT_BOOLEAN,					/* also the strings "true" / "false" */
	FT_HOURS,					/* array of integers 0-23 */
	FT_PLACEHOLDERS,			/* object of scalar values */
	FT_LOCAL_DATETIME			/* yyyy-MM-ddTHH:mm:ss */
} FieldType;

typedef enum FieldGroup
{
	GROUP_NONE,
	GROUP_EXPIRES,				/* expiresAt / expiresInMinutes / expiresDate */
	GROUP_SCHEDULE				/* scheduledAt / delayedInMinutes / scheduledDate */
} FieldGroup;

/* The API fields that options may carry, with their JSON types. */
typedef struct OptionField
{
	const char *name;
	FieldType	type;
	FieldGroup	group;
	int64		min;			/* for FT_INTEGER */
} OptionField;

static const OptionField option_fields[] = {
	{"timeWindow", FT_HOURS, GROUP_NONE, 0},
	{"expiresInMinutes", FT_INTEGER, GROUP_EXPIRES, 1},
	{"expiresDate", FT_LOCAL_DATETIME, GROUP_EXPIRES, 0},
	{"delayedInMinutes", FT_INTEGER, GROUP_SCHEDULE, 0},
	{"scheduledDate", FT_LOCAL_DATETIME, GROUP_SCHEDULE, 0},
	{"timeZone", FT_STRING, GROUP_NONE, 0},
	{"flowId", FT_STRING, GROUP_NONE, 0},
	{"params", FT_PLACEHOLDERS, GROUP_NONE, 0},
	{"templateId", FT_INTEGER, GROUP_NONE, 0},
	{"templateName", FT_STRING, GROUP_NONE, 0},
};

/* API fields that have a typed argument of their own. */
static const struct
{
	const char *field;
	const char *argument;
}			typed_fields[] = {
	{"destination", "destination"},
	{"messageText", "message_text"},
	{"correlationId", "correlation_id"},
	{"extraInfo", "extra_info"},
	{"flashSMS", "flash"},
	{"scheduledAt", "scheduled_at"},
	{"expiresAt", "expires_at"},
	{"campaignAlias", "campaign_alias"},
	{"subAccount", "sub_account"},
};

/* Facts gathered from options that the message-level rules need. */
typedef struct OptionFacts
{
	int			expires_count;
	int			schedule_count;
	bool		supplies_text;	/* flowId, templateId or templateName */
	bool		has_params;
} OptionFacts;

static char *
to_utf8(const char *s)
{
	return (char *) pg_server_to_any(s, strlen(s), PG_UTF8);
}

/*
 * Normalize a destination: an optional leading '+' is stripped; what is
 * left must be 10-15 ASCII digits (country code included).
 */
char *
validate_destination(const char *value, const char *argname)
{
	const char *digits = value;
	size_t		n;

	if (digits[0] == '+')
		digits++;
	n = strlen(digits);
	if (n < MIN_DESTINATION_DIGITS || n > MAX_DESTINATION_DIGITS ||
		strspn(digits, "0123456789") != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", argname, value),
				 errdetail("A destination is 10 to 15 digits, country code first, optionally after a leading \"+\".")));
	return pstrdup(digits);
}

/* Check a text's length in characters; returns it in UTF-8, or NULL. */
static char *
checked_text(const char *value, const char *argname, int max_chars)
{
	int			nchars;

	if (value == NULL)
		return NULL;
	nchars = pg_mbstrlen_with_len(value, strlen(value));
	if (max_chars > 0 && nchars > max_chars)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too long (%d characters)", argname, nchars),
				 errdetail("The API accepts at most %d characters.", max_chars)));
	return to_utf8(value);
}

static int64
epoch_ms(TimestampTz ts, const char *argname)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite timestamp", argname)));
	/* floor division, so instants before 2000 round down too */
	return (ts >= 0 ? ts / 1000 : -((-ts + 999) / 1000)) + PG_EPOCH_UNIX_MS;
}

static void
wrong_type(const char *key, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("options key \"%s\" must be %s", key, expected)));
}

/* An integral JSON number within int64, or an error naming the key. */
static int64
json_integer(const JsonbValue *v, const char *key)
{
	char	   *text;
	char	   *end;
	long long	result;

	if (v->type != jbvNumeric)
		wrong_type(key, "an integer");
	text = DatumGetCString(DirectFunctionCall1(numeric_out,
											   NumericGetDatum(v->val.numeric)));
	errno = 0;
	result = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text)
		wrong_type(key, "an integer");
	return (int64) result;
}

static bool
is_local_datetime(const char *s, int len)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
	int			month,
				day,
				hour,
				minute,
				second;

	if (len != (int) strlen(pattern))
		return false;
	for (int i = 0; i < len; i++)
	{
		if (pattern[i] == 'd' ? !isdigit((unsigned char) s[i]) : s[i] != pattern[i])
			return false;
	}
	/* jsonb strings are not NUL-terminated: read exactly two digits each */
#define TWO_DIGITS(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
	month = TWO_DIGITS(s + 5);
	day = TWO_DIGITS(s + 8);
	hour = TWO_DIGITS(s + 11);
	minute = TWO_DIGITS(s + 14);
	second = TWO_DIGITS(s + 17);
#undef TWO_DIGITS
	return month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
		hour <= 23 && minute <= 59 && second <= 59;
}

static void
check_hours(JsonbValue *v, const char *key)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	int			count = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		wrong_type(key, "an array of hours (integers 0 to 23)");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		int64		hour;

		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvNumeric)
			wrong_type(key, "an array of hours (integers 0 to 23)");
		hour = json_integer(&elem, key);
		if (hour < 0 || hour > 23)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options key \"%s\" has hour " INT64_FORMAT ", outside 0 to 23", key, hour)));
		count++;
	}
	if (count == 0)
		wrong_type(key, "a non-empty array of hours (integers 0 to 23)");
}

static void
check_placeholders(JsonbValue *v, const char *key)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		wrong_type(key, "an object of placeholder values");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok == WJB_VALUE && (elem.type == jbvBinary || elem.type == jbvNull))
			wrong_type(key, "an object whose values are strings, numbers or booleans");
	}
}

static void
check_option_value(const OptionField *f, JsonbValue *v, const char *key)
{
	switch (f->type)
	{
		case FT_STRING:
			if (v->type != jbvString)
				wrong_type(key, "a string");
			break;
		case FT_INTEGER:
			if (json_integer(v, key) < f->min)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("options key \"%s\" must be at least " INT64_FORMAT, key, f->min)));
			break;
		case FT_BOOLEAN:
			if (!(v->type == jbvBool ||
				  (v->type == jbvString &&
				   ((v->val.string.len == 4 && strncmp(v->val.string.val, "true", 4) == 0) ||
					(v->val.string.len == 5 && strncmp(v->val.string.val, "false", 5) == 0)))))
				wrong_type(key, "a boolean");
			break;
		case FT_HOURS:
			check_hours(v, key);
			break;
		case FT_PLACEHOLDERS:
			check_placeholders(v, key);
			break;
		case FT_LOCAL_DATETIME:
			if (v->type != jbvString || !is_local_datetime(v->val.string.val, v->val.string.len))
				wrong_type(key, "a string formatted yyyy-MM-ddTHH:mm:ss");
			break;
	}
}

/* Validate the options object; JSON nulls count as absent. */
static void
check_options(Jsonb *options, OptionFacts *facts)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	memset(facts, 0, sizeof(*facts));
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object")));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const OptionField *field = NULL;

		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;

		for (size_t i = 0; i < lengthof(typed_fields); i++)
		{
			if (strcmp(key, typed_fields[i].field) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("options key \"%s\" duplicates the argument %s", key, typed_fields[i].argument),
						 errhint("Pass it as the %s argument.", typed_fields[i].argument)));
		}
		for (size_t i = 0; i < lengthof(option_fields); i++)
		{
			if (strcmp(key, option_fields[i].name) == 0)
				field = &option_fields[i];
		}
		if (field == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown options key \"%s\"", key),
					 errhint("Valid keys are timeWindow, expiresInMinutes, expiresDate, delayedInMinutes, scheduledDate, timeZone, flowId, params, templateId and templateName.")));
		if (v.type == jbvNull)
			continue;
		check_option_value(field, &v, key);
		if (field->group == GROUP_EXPIRES)
			facts->expires_count++;
		else if (field->group == GROUP_SCHEDULE)
			facts->schedule_count++;
		if (strcmp(key, "flowId") == 0 || strcmp(key, "templateId") == 0 ||
			strcmp(key, "templateName") == 0)
			facts->supplies_text = true;
		if (strcmp(key, "params") == 0)
			facts->has_params = true;
	}
}

void
message_from_args(FunctionCallInfo fcinfo, SmsMessage *msg)
{
	OptionFacts facts;
	char	   *body;

	memset(msg, 0, sizeof(*msg));
	memset(&facts, 0, sizeof(facts));
	msg->flash = -1;

	if (!PG_ARGISNULL(9))
	{
		Jsonb	   *options = PG_GETARG_JSONB_P(9);

		check_options(options, &facts);
		msg->options_json = to_utf8(JsonbToCString(NULL, &options->root, VARSIZE(options)));
	}

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("destination must not be null")));
	msg->destination = validate_destination(text_to_cstring(PG_GETARG_TEXT_PP(0)), "destination");

	if (PG_ARGISNULL(1))
	{
		if (!facts.supplies_text)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("message_text must not be null"),
					 errhint("Pass a text, or flowId, templateId or templateName in options.")));
	}
	else
	{
		body = text_to_cstring(PG_GETARG_TEXT_PP(1));
		if (body[0] == '\0' && !facts.supplies_text)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("message_text must not be empty")));
		msg->message_text = checked_text(body, "message_text", MAX_MESSAGE_TEXT);
	}
	if (facts.has_params && !facts.supplies_text)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options key \"params\" requires flowId, templateId or templateName")));

	if (!PG_ARGISNULL(2))
		msg->correlation_id = checked_text(text_to_cstring(PG_GETARG_TEXT_PP(2)),
										   "correlation_id", MAX_CORRELATION_ID);
	if (!PG_ARGISNULL(3))
		msg->extra_info = checked_text(text_to_cstring(PG_GETARG_TEXT_PP(3)),
									   "extra_info", MAX_EXTRA_INFO);
	if (!PG_ARGISNULL(4))
		msg->flash = PG_GETARG_BOOL(4) ? 1 : 0;
	if (!PG_ARGISNULL(5))
	{
		msg->has_scheduled_at = true;
		msg->scheduled_at_ms = epoch_ms(PG_GETARG_TIMESTAMPTZ(5), "scheduled_at");
		facts.schedule_count++;
	}
	if (!PG_ARGISNULL(6))
	{
		msg->has_expires_at = true;
		msg->expires_at_ms = epoch_ms(PG_GETARG_TIMESTAMPTZ(6), "expires_at");
		facts.expires_count++;
	}
	if (!PG_ARGISNULL(7))
		msg->campaign_alias = checked_text(text_to_cstring(PG_GETARG_TEXT_PP(7)),
										   "campaign_alias", 0);
	if (!PG_ARGISNULL(8))
		msg->sub_account = checked_text(text_to_cstring(PG_GETARG_TEXT_PP(8)),
										"sub_account", 0);

	if (facts.expires_count > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_at, expiresInMinutes and expiresDate are mutually exclusive"),
				 errhint("Give at most one of them.")));
	if (facts.schedule_count > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scheduled_at, delayedInMinutes and scheduledDate are mutually exclusive"),
				 errhint("Give at most one of them.")));
}
