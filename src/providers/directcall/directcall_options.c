/*
 * directcall_options.c
 *		The options a Directcall outbox row may carry, as JSON: kind ("voz"
 *		or "texto"), audio_id, origin, send_from_hour and send_until_hour.
 *		Read when a row is queued (to refuse bad ones), when it is claimed,
 *		and when its request is built.
 */
#include "postgres.h"

#include "core/jsonc.h"
#include "providers/directcall/directcall.h"

/* An hour member: absent (-1), or an integer 0-23; false if anything else. */
static bool
read_hour(struct json_object *obj, const char *key, int *out)
{
	struct json_object *v;
	int64		n;

	*out = -1;
	if (!json_object_object_get_ex(obj, key, &v))
		return true;
	if (!json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < 0 || n > 23)
		return false;
	*out = (int) n;
	return true;
}

/* A string member: absent (NULL), or a string without NUL; false if anything else. */
static bool
read_string(struct json_object *obj, const char *key, char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return true;
	if (!json_object_is_type(v, json_type_string) ||
		memchr(json_object_get_string(v), '\0', json_object_get_string_len(v)) != NULL)
		return false;
	*out = pnstrdup(json_object_get_string(v), json_object_get_string_len(v));
	return true;
}

static const char *const option_keys[] = {
	"kind", "audio_id", "origin", "send_from_hour", "send_until_hour"
};

/* A key of root that is not an option, or NULL. */
static const char *
unknown_key(struct json_object *root)
{
	/* the macro declares its variables: keep it at a block's start */
	json_object_object_foreach(root, key, val)
	{
		bool		known = false;

		(void) val;
		for (int i = 0; i < (int) lengthof(option_keys); i++)
			known |= strcmp(key, option_keys[i]) == 0;
		if (!known)
			return key;
	}
	return NULL;
}

static const char *
read_options(struct json_object *root, DirectcallOptions *o)
{
	const char *unknown;

	if (!json_object_is_type(root, json_type_object))
		return "options must be a JSON object";
	if ((unknown = unknown_key(root)) != NULL)
		return psprintf("unknown options key \"%s\" for provider \"directcall\" (it takes kind, audio_id, origin, send_from_hour, send_until_hour)",
						json_printable(unknown, strlen(unknown)));
	if (!read_string(root, "kind", &o->kind) ||
		(o->kind != NULL && strcmp(o->kind, "voz") != 0 && strcmp(o->kind, "texto") != 0))
		return "options kind must be \"voz\" or \"texto\"";
	if (!read_string(root, "audio_id", &o->audio_id) ||
		(o->audio_id != NULL && (o->audio_id[0] == '\0' || strlen(o->audio_id) > DIRECTCALL_MAX_AUDIO_ID)))
		return psprintf("options audio_id must be a string of 1 to %d bytes", DIRECTCALL_MAX_AUDIO_ID);
	if (!read_string(root, "origin", &o->origin))
		return "options origin must be a string";
	if (o->origin != NULL)
	{
		if (o->origin[0] == '+')
			o->origin++;
		if (!directcall_is_number(o->origin))
			return "options origin must be 10 to 15 digits, optionally after a leading \"+\"";
	}
	if (!read_hour(root, "send_from_hour", &o->send_from_hour) ||
		!read_hour(root, "send_until_hour", &o->send_until_hour))
		return "options send_from_hour and send_until_hour must be integers from 0 to 23";
	if (o->kind != NULL && strcmp(o->kind, "texto") == 0 && o->audio_id != NULL)
		return "an SMS (kind \"texto\") carries a text, not an audio_id";
	return NULL;
}

const char *
directcall_read_options(const char *json, DirectcallOptions *o)
{
	struct json_object *volatile root;
	const char *volatile problem = NULL;

	memset(o, 0, sizeof(*o));
	o->send_from_hour = o->send_until_hour = -1;
	if (json == NULL)
		return NULL;
	root = json_parse_text(json, strlen(json));
	if (root == NULL)
		return "options are not valid JSON";
	PG_TRY();
	{
		problem = read_options(root, o);
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return problem;
}

