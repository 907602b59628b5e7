/*
 * json.c
 *		The codec: request bodies built with json-c, and the API's answers
 *		decoded defensively. Everything the API returns is untrusted: wrong
 *		types, missing fields, HTML or a truncated body give a description
 *		of the problem, never a crash.
 *
 * This is the only file that includes json-c, and it must not include
 * utils/builtins.h: json-c's json_object type collides with PostgreSQL's
 * json_object() function.
 */
#include "postgres.h"

#include <limits.h>

#include <json-c/json.h>

#include "codec.h"

/* Nesting deeper than this in an answer is refused. */
#define JSON_MAX_DEPTH 32
/* Longest errorMessage we repeat in DETAIL. */
#define ERROR_MESSAGE_MAX 500

/* A failed allocation inside json-c. */
static void
json_oom(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory"),
			 errdetail("json-c could not allocate memory.")));
}

static void
add_string(struct json_object *obj, const char *key, const char *value)
{
	struct json_object *v;

	if (value == NULL)
		return;
	v = json_object_new_string(value);
	if (v == NULL || json_object_object_add(obj, key, v) != 0)
	{
		json_object_put(v);
		json_oom();
	}
}

static void
add_int64(struct json_object *obj, const char *key, int64 value)
{
	struct json_object *v = json_object_new_int64(value);

	if (v == NULL || json_object_object_add(obj, key, v) != 0)
	{
		json_object_put(v);
		json_oom();
	}
}

static void
add_bool(struct json_object *obj, const char *key, bool value)
{
	struct json_object *v = json_object_new_boolean(value);

	if (v == NULL || json_object_object_add(obj, key, v) != 0)
	{
		json_object_put(v);
		json_oom();
	}
}

/* Parse trusted or untrusted JSON text; NULL if it is not valid JSON. */
static struct json_object *
parse(const char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;

	if (len > INT_MAX)
		return NULL;
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (tok == NULL)
		json_oom();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int) len);
	if (obj != NULL && json_tokener_get_error(tok) != json_tokener_success)
	{
		json_object_put(obj);
		obj = NULL;
	}
	/* a bare prefix like "123abc" parses as 123 unless we check what is left */
	if (obj != NULL && (size_t) json_tokener_get_parse_end(tok) != len)
	{
		size_t		rest = json_tokener_get_parse_end(tok);

		while (rest < len && (text[rest] == ' ' || text[rest] == '\n' ||
							  text[rest] == '\r' || text[rest] == '\t'))
			rest++;
		if (rest != len)
		{
			json_object_put(obj);
			obj = NULL;
		}
	}
	json_tokener_free(tok);
	return obj;
}

/* Copy the object's JSON text into palloc'd memory. */
static char *
serialize(struct json_object *obj, size_t *len)
{
	size_t		n;
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &n);

	if (s == NULL)
		json_oom();
	*len = n;
	return pnstrdup(s, n);
}

/* Merge the validated options object into the request, skipping nulls. */
static void
merge_options(struct json_object *req, const char *options_json)
{
	struct json_object *opts = parse(options_json, strlen(options_json));

	if (opts == NULL || !json_object_is_type(opts, json_type_object))
	{
		json_object_put(opts);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not re-read validated options")));
	}
	{
		/* the macro declares its variables: keep it at a block's start */
		json_object_object_foreach(opts, key, val)
		{
			if (val == NULL)
				continue;
			if (json_object_object_add(req, key, json_object_get(val)) != 0)
			{
				json_object_put(opts);
				json_oom();
			}
		}
	}
	json_object_put(opts);
}

char *
codec_send_request(const SmsMessage *msg, size_t *len)
{
	struct json_object *volatile req = json_object_new_object();
	char	   *result = NULL;

	if (req == NULL)
		json_oom();
	PG_TRY();
	{
		add_string(req, "destination", msg->destination);
		add_string(req, "messageText", msg->message_text);
		add_string(req, "correlationId", msg->correlation_id);
		add_string(req, "extraInfo", msg->extra_info);
		if (msg->flash >= 0)
			add_bool(req, "flashSMS", msg->flash == 1);
		if (msg->has_scheduled_at)
			add_int64(req, "scheduledAt", msg->scheduled_at_ms);
		if (msg->has_expires_at)
			add_int64(req, "expiresAt", msg->expires_at_ms);
		add_string(req, "campaignAlias", msg->campaign_alias);
		add_string(req, "subAccount", msg->sub_account);
		if (msg->options_json != NULL)
			merge_options(req, msg->options_json);
		result = serialize(req, len);
	}
	PG_CATCH();
	{
		json_object_put(req);
		PG_RE_THROW();
	}
	PG_END_TRY();
	json_object_put(req);
	return result;
}

/*
 * A string member as palloc'd text, NULL when absent or null, or set
 * *problem when it is of another type or holds a NUL byte.
 */
static char *
get_string(struct json_object *obj, const char *key, const char **problem)
{
	struct json_object *v;
	const char *s;
	int			n;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string))
	{
		*problem = psprintf("\"%s\" is not a string", key);
		return NULL;
	}
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (memchr(s, '\0', n) != NULL)
	{
		*problem = psprintf("\"%s\" contains a NUL character", key);
		return NULL;
	}
	return pnstrdup(s, n);
}

/* Describe what arrived instead of JSON, briefly. */
static const char *
not_json(const char *body, size_t len)
{
	if (len == 0)
		return "The answer is empty.";
	return "The answer is not valid JSON.";
}

const char *
codec_send_answer(const char *body, size_t len, char **id, char **correlation_id)
{
	struct json_object *volatile root = parse(body, len);
	const char *volatile problem = NULL;

	*id = NULL;
	*correlation_id = NULL;
	if (root == NULL)
		return not_json(body, len);
	PG_TRY();
	{
		struct json_object *item = root;

		/* current docs answer [{"id": ...}], older ones the bare object */
		if (json_object_is_type(root, json_type_array))
		{
			if (json_object_array_length(root) != 1)
				problem = psprintf("Expected an array of one object, got %zu elements.",
								   json_object_array_length(root));
			else
				item = json_object_array_get_idx(root, 0);
		}
		if (problem == NULL && !json_object_is_type(item, json_type_object))
			problem = "Expected a JSON object with the message id.";
		if (problem == NULL)
		{
			const char *p = NULL;

			*id = get_string(item, "id", &p);
			if (p == NULL)
				*correlation_id = get_string(item, "correlationId", &p);
			if (p != NULL)
				problem = p;
			else if (*id == NULL)
				problem = "The answer has no message id.";
		}
	}
	PG_CATCH();
	{
		json_object_put(root);
		PG_RE_THROW();
	}
	PG_END_TRY();
	json_object_put(root);
	return problem;
}

bool
codec_uuid(const char *s, pg_uuid_t *uuid)
{
	int			nibbles = 0;

	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		char		c = s[i];
		int			v;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (c != '-')
				return false;
			continue;
		}
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return false;
		if (nibbles % 2 == 0)
			uuid->data[nibbles / 2] = (unsigned char) (v << 4);
		else
			uuid->data[nibbles / 2] |= (unsigned char) v;
		nibbles++;
	}
	return true;
}

/* Keep printable characters only, truncated: the text is untrusted. */
static char *
printable(const char *s, size_t n)
{
	char	   *out = palloc(Min(n, ERROR_MESSAGE_MAX) + 4);
	size_t		i;
	size_t		j = 0;

	for (i = 0; i < n && j < ERROR_MESSAGE_MAX; i++)
	{
		unsigned char c = (unsigned char) s[i];

		out[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
	}
	if (i < n)
	{
		/* do not cut a UTF-8 sequence in half */
		while (j > 0 && ((unsigned char) out[j - 1] & 0xC0) == 0x80)
			j--;
		if (j > 0 && ((unsigned char) out[j - 1] & 0x80))
			j--;
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
	return out;
}

char *
codec_error_message(const char *body, size_t len)
{
	struct json_object *volatile root;
	char	   *volatile result = NULL;

	if (body == NULL || len == 0)
		return NULL;
	root = parse(body, len);
	if (root == NULL)
		return NULL;
	PG_TRY();
	{
		struct json_object *v;

		if (json_object_is_type(root, json_type_object) &&
			json_object_object_get_ex(root, "errorMessage", &v) &&
			json_object_is_type(v, json_type_string))
			result = printable(json_object_get_string(v), json_object_get_string_len(v));
	}
	PG_CATCH();
	{
		json_object_put(root);
		PG_RE_THROW();
	}
	PG_END_TRY();
	json_object_put(root);
	return result;
}
