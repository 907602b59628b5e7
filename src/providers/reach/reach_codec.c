/*
 * reach_codec.c
 *		JSON of the Reach API: the send bodies, and defensive decoding of
 *		its Message objects and {code, error} refusals. Answers are
 *		untrusted: a field of an unexpected type is absent, an unknown
 *		status is kept, booleans may come as 0/1, sent_from as a string or
 *		an array (kept as its JSON text), created_on in the operator's zone.
 */
#include "postgres.h"

#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "core/jsonc.h"
#include "core/scrub.h"
#include "providers/reach/reach.h"

/* Longest list answer we decode, in messages (pages are 200). */
#define REACH_MAX_LIST 100000

static void
put(struct json_object *obj, const char *key, struct json_object *value)
{
	if (value == NULL)
		json_oom();
	if (json_object_object_add(obj, key, value) != 0)
	{
		json_object_put(value);
		json_oom();
	}
}

char *
reach_encode_send(const char *msisdn, char *const *tags, int ntags,
				  const char *message, const char *id, size_t *len)
{
	struct json_object *volatile root = json_object_new_object();
	char	   *volatile body = NULL;

	if (root == NULL)
		json_oom();
	PG_TRY();
	{
		if (msisdn != NULL)
			put(root, "msisdn", json_object_new_string(msisdn));
		if (tags != NULL)
		{
			struct json_object *arr = json_object_new_array();

			put(root, "tags", arr);
			for (int i = 0; i < ntags; i++)
			{
				struct json_object *t = json_object_new_string(tags[i]);

				if (t == NULL || json_object_array_add(arr, t) != 0)
				{
					json_object_put(t);
					json_oom();
				}
			}
		}
		put(root, "message", json_object_new_string(message));
		if (id != NULL)
			put(root, "id", json_object_new_string(id));
		body = json_serialize(root, len);
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return body;
}

/* true/false, 0/1, or those as strings; -1 for anything else. */
static int
lenient_bool(struct json_object *obj, const char *key)
{
	struct json_object *v;
	int64		n;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return -1;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? 1 : 0;
	if (json_object_is_type(v, json_type_string))
	{
		const char *s = json_object_get_string(v);

		if (strcmp(s, "true") == 0)
			return 1;
		if (strcmp(s, "false") == 0)
			return 0;
	}
	if (json_lenient_int64(obj, key, &n) && (n == 0 || n == 1))
		return (int) n;
	return -1;
}

/* A string as it is; an array or object as its JSON text. */
static char *
text_or_json(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_array) || json_object_is_type(v, json_type_object))
	{
		size_t		n;

		return json_serialize(v, &n);
	}
	return json_lenient_text(obj, key);
}

/* 'YYYY-MM-DD HH:MM:SS' (a 'T' allowed) in reach_time_zone; false if unreadable. */
static bool
local_time(const char *s, TimestampTz *out)
{
	struct pg_tm tm;
	int			n = 0;
	char		sep;
	Timestamp	local;
	pg_tz	   *tz;
	int			offset;

	if (s == NULL)
		return false;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &sep, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 7 ||
		(sep != ' ' && sep != 'T') || s[n] != '\0')
		return false;
	if (tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
		tm.tm_mday < 1 || tm.tm_mday > day_tab[isleap(tm.tm_year)][tm.tm_mon - 1] ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return false;
	tz = pg_tzset(reach_time_zone);
	if (tz == NULL)
		return false;
	/* the zone's offset at that local time, as PostgreSQL resolves it */
	offset = DetermineTimeZoneOffset(&tm, tz);
	if (tm2timestamp(&tm, 0, &offset, &local) != 0)
		return false;
	*out = (TimestampTz) local;
	return true;
}

static void
decode_item(struct json_object *item, ReachMessage *m)
{
	char	   *created_on;

	memset(m, 0, sizeof(*m));
	m->message_id = json_lenient_text(item, "message_id");
	m->id = json_lenient_text(item, "id");
	m->short_code = json_lenient_text(item, "short_code");
	m->country = json_lenient_text(item, "country");
	m->msisdn = json_lenient_text(item, "msisdn");
	m->direction = json_lenient_text(item, "direction");
	m->status = json_lenient_text(item, "status");
	m->message = json_lenient_text(item, "message");
	m->has_total_recipients = json_lenient_int32(item, "total_recipients", &m->total_recipients);
	m->sent_from = text_or_json(item, "sent_from");
	m->has_sent_count = json_lenient_int32(item, "sent_count", &m->sent_count);
	m->has_error_count = json_lenient_int32(item, "error_count", &m->error_count);
	m->has_total_monitors = json_lenient_int32(item, "total_monitors", &m->total_monitors);
	m->is_scheduled = lenient_bool(item, "is_scheduled");
	m->is_billable = lenient_bool(item, "is_billable");
	created_on = json_lenient_text(item, "created_on");
	m->has_created_on = local_time(created_on, &m->created_on);
	m->created_by = json_lenient_text(item, "created_by");
	m->has_type = json_lenient_int32(item, "type", &m->type);
	if (m->message_id != NULL && m->message_id[0] == '\0')
		m->message_id = NULL;
}

const char *
reach_decode_message(const char *body, size_t len, ReachMessage *out)
{
	struct json_object *volatile root = json_parse_text(body, len);
	const char *volatile problem = NULL;

	if (root == NULL)
		return len == 0 ? "The answer is empty." : "The answer is not valid JSON.";
	PG_TRY();
	{
		struct json_object *item = root;

		/* one Message object; tolerate it wrapped in an array of one */
		if (json_object_is_type(root, json_type_array) && json_object_array_length(root) == 1)
			item = json_object_array_get_idx(root, 0);
		if (!json_object_is_type(item, json_type_object))
			problem = "Expected a Message object.";
		else
			decode_item(item, out);
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return problem;
}

const char *
reach_decode_list(const char *body, size_t len, ReachMessage **out, int *n, int *items)
{
	struct json_object *volatile root = json_parse_text(body, len);
	const char *volatile problem = NULL;

	*out = NULL;
	*n = 0;
	*items = 0;
	if (root == NULL)
		return len == 0 ? "The answer is empty." : "The answer is not valid JSON.";
	PG_TRY();
	{
		if (!json_object_is_type(root, json_type_array))
			problem = "Expected a JSON array of Message objects.";
		else if (json_object_array_length(root) > REACH_MAX_LIST)
			problem = psprintf("The answer holds %zu messages; at most %d are read.",
							   json_object_array_length(root), REACH_MAX_LIST);
		else
		{
			size_t		count = json_object_array_length(root);

			*items = (int) count;
			*out = palloc0(Max(count, 1) * sizeof(ReachMessage));
			for (size_t i = 0; i < count; i++)
			{
				struct json_object *item = json_object_array_get_idx(root, i);

				/* an item that is no object is skipped, not fatal */
				if (item != NULL && json_object_is_type(item, json_type_object))
					decode_item(item, &(*out)[(*n)++]);
			}
		}
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return problem;
}

bool
reach_decode_error(const char *body, size_t len, int64 *code, char **error)
{
	struct json_object *volatile root;
	volatile bool found = false;

	*code = 0;
	*error = NULL;
	if (body == NULL || len == 0)
		return false;
	root = json_parse_text(body, len);
	if (root == NULL)
		return false;
	PG_TRY();
	{
		if (json_object_is_type(root, json_type_object) &&
			json_lenient_int64(root, "code", code))
		{
			char	   *text = json_lenient_text(root, "error");

			found = true;
			/* scrubbed whole, then cut: no part of a secret survives the cut */
			if (text != NULL)
			{
				scrub_text(text);
				*error = json_printable(text, strlen(text));
			}
		}
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return found;
}
