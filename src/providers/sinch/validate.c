/*
 * validate.c
 *		Everything a user passes is checked here before any request, with
 *		the contract's SQLSTATEs: 22004 for a missing value, 22001 for a
 *		text over the API's documented length, 22023 for anything else.
 *		No I/O here.
 *
 * One table describes every API field: its JSON type, its length limit,
 * its mutually exclusive family, where it may appear (the options of
 * sms_send, a bulk message, defaultValues, the root of a bulk request) and
 * the typed argument that carries it, if any.
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "providers/sinch/validate.h"

#define MIN_DESTINATION_DIGITS 10
#define MAX_DESTINATION_DIGITS 15

/* Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define PG_EPOCH_UNIX_MS INT64CONST(946684800000)

typedef enum FieldType
{
	FT_DESTINATION,
	FT_TEXT,
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

typedef struct ApiField
{
	const char *name;
	FieldType	type;
	FieldGroup	group;
	int			max_chars;		/* FT_TEXT: at most this many characters */
	int64		min;			/* FT_INTEGER: smallest value */
	int			places;			/* FieldPlace bits */
	const char *argument;		/* the typed argument carrying it, if any */
	bool		own_limit;		/* max_chars is ours: the API documents none */
} ApiField;

#define ALL_PLACES (IN_OPTIONS | IN_MESSAGE | IN_DEFAULTS | IN_ROOT)

static const ApiField api_fields[] = {
	{"destination", FT_DESTINATION, GROUP_NONE, 0, 0, IN_MESSAGE, "destination", false},
	{"messageText", FT_TEXT, GROUP_NONE, MAX_MESSAGE_TEXT, 0, IN_MESSAGE | IN_DEFAULTS, "message_text", false},
	{"correlationId", FT_TEXT, GROUP_NONE, MAX_CORRELATION_ID, 0, IN_MESSAGE, "correlation_id", false},
	{"extraInfo", FT_TEXT, GROUP_NONE, MAX_EXTRA_INFO, 0, IN_MESSAGE | IN_DEFAULTS, "extra_info", false},
	{"flashSMS", FT_BOOLEAN, GROUP_NONE, 0, 0, IN_MESSAGE | IN_DEFAULTS, "flash", false},
	{"scheduledAt", FT_INTEGER, GROUP_SCHEDULE, 0, 0, IN_MESSAGE | IN_DEFAULTS | IN_ROOT, "scheduled_at", false},
	{"expiresAt", FT_INTEGER, GROUP_EXPIRES, 0, 0, IN_MESSAGE | IN_DEFAULTS | IN_ROOT, "expires_at", false},
	{"campaignAlias", FT_TEXT, GROUP_NONE, MAX_NAME_TEXT, 0, IN_ROOT, "campaign_alias", true},
	{"subAccount", FT_TEXT, GROUP_NONE, MAX_NAME_TEXT, 0, IN_MESSAGE | IN_DEFAULTS | IN_ROOT, "sub_account", true},
	{"timeWindow", FT_HOURS, GROUP_NONE, 0, 0, IN_OPTIONS | IN_ROOT, NULL, false},
	{"expiresInMinutes", FT_INTEGER, GROUP_EXPIRES, 0, 1, ALL_PLACES, NULL, false},
	{"expiresDate", FT_LOCAL_DATETIME, GROUP_EXPIRES, 0, 0, ALL_PLACES, NULL, false},
	{"delayedInMinutes", FT_INTEGER, GROUP_SCHEDULE, 0, 0, ALL_PLACES, NULL, false},
	{"scheduledDate", FT_LOCAL_DATETIME, GROUP_SCHEDULE, 0, 0, ALL_PLACES, NULL, false},
	{"timeZone", FT_TEXT, GROUP_NONE, MAX_TIME_ZONE, 0, IN_OPTIONS | IN_ROOT, NULL, true},
	{"flowId", FT_TEXT, GROUP_NONE, MAX_NAME_TEXT, 0, IN_OPTIONS | IN_ROOT, NULL, true},
	{"params", FT_PLACEHOLDERS, GROUP_NONE, 0, 0, IN_OPTIONS | IN_MESSAGE | IN_DEFAULTS, NULL, false},
	{"templateId", FT_INTEGER, GROUP_NONE, 0, 0, IN_OPTIONS | IN_ROOT, NULL, false},
	{"templateName", FT_TEXT, GROUP_NONE, MAX_NAME_TEXT, 0, IN_OPTIONS | IN_ROOT, NULL, true},
};

/* A set of api_fields, as bits by index. */
typedef uint32 FieldSet;

#define FIELD_BIT(name) ((FieldSet) 1 << field_index(name))

static int
field_index(const char *name)
{
	for (size_t i = 0; i < lengthof(api_fields); i++)
		if (strcmp(api_fields[i].name, name) == 0)
			return (int) i;
	elog(ERROR, "unknown API field \"%s\"", name);
	pg_unreachable();
}

static const ApiField *
find_field(const char *name, int len)
{
	for (size_t i = 0; i < lengthof(api_fields); i++)
		if ((int) strlen(api_fields[i].name) == len &&
			strncmp(api_fields[i].name, name, len) == 0)
			return &api_fields[i];
	return NULL;
}

static FieldSet
group_members(FieldGroup group)
{
	FieldSet	set = 0;

	for (size_t i = 0; i < lengthof(api_fields); i++)
		if (api_fields[i].group == group)
			set |= (FieldSet) 1 << i;
	return set;
}

/* The sets the per-message rules test, looked up once (sms_queue is per row). */
typedef struct FieldBits
{
	FieldSet	destination;
	FieldSet	message_text;
	FieldSet	params;
	FieldSet	scheduled_at;
	FieldSet	expires_at;
	FieldSet	supplies_text;	/* a flow or template instead of a text */
	FieldSet	expires_group;
	FieldSet	schedule_group;
} FieldBits;

static const FieldBits *
field_bits(void)
{
	static FieldBits bits;
	static bool ready = false;

	if (!ready)
	{
		bits.destination = FIELD_BIT("destination");
		bits.message_text = FIELD_BIT("messageText");
		bits.params = FIELD_BIT("params");
		bits.scheduled_at = FIELD_BIT("scheduledAt");
		bits.expires_at = FIELD_BIT("expiresAt");
		bits.supplies_text = FIELD_BIT("flowId") | FIELD_BIT("templateId") |
			FIELD_BIT("templateName");
		bits.expires_group = group_members(GROUP_EXPIRES);
		bits.schedule_group = group_members(GROUP_SCHEDULE);
		ready = true;
	}
	return &bits;
}

static char *
to_utf8(const char *s)
{
	return (char *) pg_server_to_any(s, strlen(s), PG_UTF8);
}

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

/* Raise 22001 if a text of len bytes is over max_chars characters. */
static void
check_length(const char *value, int len, const char *what, int max_chars, bool own_limit)
{
	int			nchars;

	/* a character takes at least one byte: most texts need no counting */
	if (len <= max_chars)
		return;
	nchars = pg_mbstrlen_with_len(value, len);
	if (nchars > max_chars)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too long (%d characters)", what, nchars),
				 own_limit ?
				 errdetail("sms_api accepts at most %d characters (the API documents no limit).", max_chars) :
				 errdetail("The API accepts at most %d characters.", max_chars)));
}

/* Check a text's length in characters; returns it in UTF-8, or NULL. */
static char *
checked_text(const char *value, const char *argname, int max_chars, bool own_limit)
{
	if (value == NULL)
		return NULL;
	check_length(value, strlen(value), argname, max_chars, own_limit);
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
wrong_type(const char *where, const char *key, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s key \"%s\" must be %s", where, key, expected)));
}

/* An integral JSON number within int64, or an error naming the key. */
static int64
json_integer(const JsonbValue *v, const char *where, const char *key)
{
	char	   *digits;
	char	   *end;
	long long	result;

	if (v->type != jbvNumeric)
		wrong_type(where, key, "an integer");
	digits = DatumGetCString(DirectFunctionCall1(numeric_out,
												 NumericGetDatum(v->val.numeric)));
	errno = 0;
	result = strtoll(digits, &end, 10);
	if (errno != 0 || *end != '\0' || end == digits)
		wrong_type(where, key, "an integer");
	return (int64) result;
}

/* Whether the JSON encoder sends this number unchanged: integers must fit int64. */
static bool
json_number_fits(const JsonbValue *v)
{
	char	   *digits = DatumGetCString(DirectFunctionCall1(numeric_out,
															 NumericGetDatum(v->val.numeric)));
	char	   *end;

	if (strchr(digits, '.') != NULL)
		return true;			/* sent as a double, with its own text */
	errno = 0;
	(void) strtoll(digits, &end, 10);
	return errno == 0 && *end == '\0';
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
check_hours(JsonbValue *v, const char *where, const char *key)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	int			count = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		wrong_type(where, key, "an array of hours (integers 0 to 23)");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		int64		hour;

		if (tok != WJB_ELEM)
			continue;
		hour = json_integer(&elem, where, key);
		if (hour < 0 || hour > 23)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s key \"%s\" has hour " INT64_FORMAT ", outside 0 to 23",
							where, key, hour)));
		count++;
	}
	if (count == 0)
		wrong_type(where, key, "a non-empty array of hours (integers 0 to 23)");
}

static void
check_placeholders(JsonbValue *v, const char *where, const char *key)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	int			count = 0;
	char	   *name = NULL;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		wrong_type(where, key, "an object of placeholder values");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			if (++count > MAX_PARAMS)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s key \"%s\" has more than %d placeholders", where, key, MAX_PARAMS)));
			check_length(elem.val.string.val, elem.val.string.len,
						 psprintf("a placeholder name in %s key \"%s\"", where, key),
						 MAX_PARAM_KEY, true);
			name = pnstrdup(elem.val.string.val, Min(elem.val.string.len, MAX_PARAM_KEY));
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (elem.type == jbvBinary || elem.type == jbvNull)
			wrong_type(where, key, "an object whose values are strings, numbers or booleans");
		if (elem.type == jbvString)
			check_length(elem.val.string.val, elem.val.string.len,
						 psprintf("placeholder \"%s\" of %s key \"%s\"", name, where, key),
						 MAX_MESSAGE_TEXT, true);
		else if (elem.type == jbvNumeric && !json_number_fits(&elem))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("placeholder \"%s\" of %s key \"%s\" is an integer out of range",
							name, where, key),
					 errdetail("Integers are sent as 64-bit numbers; this one would change on the way."),
					 errhint("Pass it as a string.")));
	}
}

static void
check_value(const ApiField *f, JsonbValue *v, const char *where)
{
	const char *key = f->name;

	switch (f->type)
	{
		case FT_DESTINATION:
			if (v->type != jbvString)
				wrong_type(where, key, "a string");
			(void) validate_destination(pnstrdup(v->val.string.val, v->val.string.len),
										psprintf("%s destination", where));
			break;
		case FT_TEXT:
			if (v->type != jbvString)
				wrong_type(where, key, "a string");
			check_length(v->val.string.val, v->val.string.len,
						 psprintf("%s key \"%s\"", where, key), f->max_chars, f->own_limit);
			break;
		case FT_INTEGER:
			if (json_integer(v, where, key) < f->min)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s key \"%s\" must be at least " INT64_FORMAT, where, key, f->min)));
			break;
		case FT_BOOLEAN:
			if (!(v->type == jbvBool ||
				  (v->type == jbvString &&
				   ((v->val.string.len == 4 && strncmp(v->val.string.val, "true", 4) == 0) ||
					(v->val.string.len == 5 && strncmp(v->val.string.val, "false", 5) == 0)))))
				wrong_type(where, key, "a boolean");
			break;
		case FT_HOURS:
			check_hours(v, where, key);
			break;
		case FT_PLACEHOLDERS:
			check_placeholders(v, where, key);
			break;
		case FT_LOCAL_DATETIME:
			if (v->type != jbvString || !is_local_datetime(v->val.string.val, v->val.string.len))
				wrong_type(where, key, "a string formatted yyyy-MM-ddTHH:mm:ss");
			break;
	}
}

/* Raise 22001 for an object of more than MAX_OPTIONS_BYTES (jsonb's size). */
static void
check_object_size(size_t bytes, const char *where)
{
	if (bytes > MAX_OPTIONS_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too large (%zu bytes)", where, bytes),
				 errdetail("sms_api accepts at most %d bytes per object, so that no message makes a request too large to send.",
						   MAX_OPTIONS_BYTES)));
}

static const char *
place_advice(int places)
{
	if (places & IN_ROOT)
		return "It belongs at the root of the request: pass it in options.";
	if (places & IN_DEFAULTS)
		return "It belongs in each message, or in defaults.";
	if (places & IN_MESSAGE)
		return "It belongs in each message.";
	return NULL;
}

/*
 * Validate a JSON object whose keys are API fields allowed at `place`;
 * returns the set of fields present (JSON nulls count as absent).
 */
static FieldSet
check_object(JsonbContainer *obj, FieldPlace place, const char *where)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	const ApiField *field = NULL;
	char	   *key = NULL;
	FieldSet	present = 0;

	if (!JsonContainerIsObject(obj))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", where)));

	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			field = find_field(v.val.string.val, v.val.string.len);
			if (field == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown %s key \"%s\"", where, key),
						 place == IN_OPTIONS ?
						 errhint("Valid keys are timeWindow, expiresInMinutes, expiresDate, delayedInMinutes, scheduledDate, timeZone, flowId, params, templateId and templateName.") : 0));
			if (!(field->places & place))
			{
				if (place == IN_OPTIONS && field->argument != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s key \"%s\" duplicates the argument %s", where, key, field->argument),
							 errhint("Pass it as the %s argument.", field->argument)));
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s key \"%s\" is not allowed there", where, key),
						 place_advice(field->places) ? errhint("%s", place_advice(field->places)) : 0));
			}
			continue;
		}
		if (tok != WJB_VALUE || v.type == jbvNull)
			continue;
		check_value(field, &v, where);
		present |= (FieldSet) 1 << (field - api_fields);
	}
	return present;
}

/*
 * The rules that look at a whole message (its own fields, defaultValues'
 * and the root's together): one member per exclusive family, a text or a
 * template, params only with a flow or template.
 */
static void
check_message_rules(FieldSet present, const char *where, bool typed_arguments)
{
	const FieldBits *bits = field_bits();
	FieldSet	supplies_text = bits->supplies_text;

	if (pg_popcount32(present & bits->expires_group) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s%s, expiresInMinutes and expiresDate are mutually exclusive",
						where, typed_arguments ? "expires_at" : "expiresAt"),
				 errhint("Give at most one of them.")));
	if (pg_popcount32(present & bits->schedule_group) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s%s, delayedInMinutes and scheduledDate are mutually exclusive",
						where, typed_arguments ? "scheduled_at" : "scheduledAt"),
				 errhint("Give at most one of them.")));
	if (!(present & (bits->message_text | supplies_text)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg(typed_arguments ? "%smessage_text must not be null" : "%smessageText is missing", where),
				 errhint("Give a text, or flowId, templateId or templateName.")));
	if ((present & bits->params) && !(present & supplies_text))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%sparams requires flowId, templateId or templateName", where)));
}

/*
 * The arguments shared by sms_send, sms_queue and sms_send_bulk (same
 * positions): message_text (1), extra_info (3), flash (4), scheduled_at
 * (5), expires_at (6), campaign_alias (7), sub_account (8), options (9).
 */
static FieldSet
read_common_args(FunctionCallInfo fcinfo, SmsMessage *msg)
{
	FieldSet	present = 0;

	memset(msg, 0, sizeof(*msg));
	msg->flash = -1;

	if (!PG_ARGISNULL(9))
	{
		Jsonb	   *options = PG_GETARG_JSONB_P(9);

		if (!JB_ROOT_IS_OBJECT(options))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options must be a JSON object")));
		check_object_size(VARSIZE(options), "options");
		present |= check_object(&options->root, IN_OPTIONS, "options");
		msg->options_json = to_utf8(JsonbToCString(NULL, &options->root, VARSIZE(options)));
	}
	if (!PG_ARGISNULL(1))
	{
		char	   *body = text_to_cstring(PG_GETARG_TEXT_PP(1));

		if (body[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("message_text must not be empty")));
		msg->message_text = checked_text(body, "message_text", MAX_MESSAGE_TEXT, false);
		present |= field_bits()->message_text;
	}
	if (!PG_ARGISNULL(3))
		msg->extra_info = checked_text(text_to_cstring(PG_GETARG_TEXT_PP(3)),
									   "extra_info", MAX_EXTRA_INFO, false);
	if (!PG_ARGISNULL(4))
		msg->flash = PG_GETARG_BOOL(4) ? 1 : 0;
	if (!PG_ARGISNULL(5))
	{
		msg->has_scheduled_at = true;
		msg->scheduled_at_ms = epoch_ms(PG_GETARG_TIMESTAMPTZ(5), "scheduled_at");
		present |= field_bits()->scheduled_at;
	}
	if (!PG_ARGISNULL(6))
	{
		msg->has_expires_at = true;
		msg->expires_at_ms = epoch_ms(PG_GETARG_TIMESTAMPTZ(6), "expires_at");
		present |= field_bits()->expires_at;
	}
	if (!PG_ARGISNULL(7))
		msg->campaign_alias = checked_text(text_to_cstring(PG_GETARG_TEXT_PP(7)),
										   "campaign_alias", MAX_NAME_TEXT, true);
	if (!PG_ARGISNULL(8))
		msg->sub_account = checked_text(text_to_cstring(PG_GETARG_TEXT_PP(8)),
										"sub_account", MAX_NAME_TEXT, true);
	return present;
}

void
message_from_args(FunctionCallInfo fcinfo, SmsMessage *msg)
{
	FieldSet	present = read_common_args(fcinfo, msg);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("destination must not be null")));
	msg->destination = validate_destination(text_to_cstring(PG_GETARG_TEXT_PP(0)), "destination");
	if (!PG_ARGISNULL(2))
		msg->correlation_id = checked_text(text_to_cstring(PG_GETARG_TEXT_PP(2)),
										   "correlation_id", MAX_CORRELATION_ID, false);
	check_message_rules(present, "", true);
}

void
bulk_common_from_args(FunctionCallInfo fcinfo, SmsMessage *msg)
{
	check_message_rules(read_common_args(fcinfo, msg), "", true);
}

void
validate_bulk_arrays(const BulkArrays *a)
{
	MemoryContext each;
	MemoryContext old;

	if (a->ndims > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("destinations must be a one-dimensional array")));
	if (a->correlation_ids != NULL && (a->correlation_ndims > 1 || a->ncorrelation_ids != a->n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("correlation_ids has %d elements but destinations has %d",
						a->ncorrelation_ids, a->n),
				 errhint("Pass NULL, or one correlation id per destination.")));

	/* a million destinations must not cost a million leftovers */
	each = AllocSetContextCreate(CurrentMemoryContext, "sms_api validate destination",
								 ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(each);
	for (int i = 0; i < a->n; i++)
	{
		if (a->destination_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("destinations[%d] must not be null", i + 1)));
		(void) validate_destination(TextDatumGetCString(a->destinations[i]),
									psprintf("destination at destinations[%d]", i + 1));
		if (a->correlation_ids != NULL && !a->correlation_nulls[i])
			(void) checked_text(TextDatumGetCString(a->correlation_ids[i]),
								psprintf("correlation_ids[%d]", i + 1), MAX_CORRELATION_ID, false);
		MemoryContextReset(each);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(each);
}

int
validate_bulk_json(Jsonb *messages, Jsonb *defaults, Jsonb *options)
{
	FieldSet	shared = 0;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	if (!JB_ROOT_IS_ARRAY(messages) || JB_ROOT_IS_SCALAR(messages))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("messages must be a JSON array of message objects")));
	if (defaults != NULL)
	{
		check_object_size(VARSIZE(defaults), "defaults");
		shared |= check_object(&defaults->root, IN_DEFAULTS, "defaults");
	}
	if (options != NULL)
	{
		check_object_size(VARSIZE(options), "options");
		shared |= check_object(&options->root, IN_ROOT, "options");
	}

	it = JsonbIteratorInit(&messages->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *where;
		FieldSet	own;

		if (tok != WJB_ELEM)
			continue;
		n++;
		where = psprintf("messages[%d]", n);
		if (v.type == jbvNull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be null", where)));
		if (v.type != jbvBinary)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be a JSON object", where)));
		check_object_size(v.val.binary.len, where);
		own = check_object(v.val.binary.data, IN_MESSAGE, where);
		if (!(own & field_bits()->destination))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s has no destination", where)));
		check_message_rules(own | shared, psprintf("%s: ", where), false);
		pfree(where);
	}
	return n;
}

/* Fields a bulk request carries at its root, as the API documents them. */
static const char *const root_fields[] = {
	"campaignAlias", "timeWindow", "timeZone", "scheduledDate",
	"flowId", "templateId", "templateName"
};

bool
field_at_bulk_root(const char *name)
{
	for (size_t i = 0; i < lengthof(root_fields); i++)
		if (strcmp(root_fields[i], name) == 0)
			return true;
	return false;
}

const char *const *
bulk_root_fields(int *n)
{
	*n = lengthof(root_fields);
	return root_fields;
}

/* A text of a stored row over its limit: the reason, or NULL. */
static char *
stored_text_problem(const char *value, const char *what, int max_chars)
{
	int			nchars;

	if (value == NULL || (int) strlen(value) <= max_chars)
		return NULL;
	nchars = pg_mbstrlen_with_len(value, strlen(value));
	if (nchars <= max_chars)
		return NULL;
	return psprintf("%s has %d characters; at most %d can be sent", what, nchars, max_chars);
}

char *
validate_stored_message(const SmsMessage *msg)
{
	char	   *problem;

	if ((problem = stored_text_problem(msg->message_text, "message_text", MAX_MESSAGE_TEXT)) ||
		(problem = stored_text_problem(msg->correlation_id, "correlation_id", MAX_CORRELATION_ID)) ||
		(problem = stored_text_problem(msg->extra_info, "extra_info", MAX_EXTRA_INFO)) ||
		(problem = stored_text_problem(msg->campaign_alias, "campaign_alias", MAX_NAME_TEXT)) ||
		(problem = stored_text_problem(msg->sub_account, "sub_account", MAX_NAME_TEXT)))
		return problem;
	/* options as JSON text: jsonb's limit, with room for escapes */
	if (msg->options_json != NULL && strlen(msg->options_json) > 2 * MAX_OPTIONS_BYTES)
		return psprintf("options has %zu bytes; at most %d can be sent",
						strlen(msg->options_json), MAX_OPTIONS_BYTES);
	return NULL;
}
