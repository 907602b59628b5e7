/*
 * json.c
 *		The codec's encoding half: request bodies built with json-c, never
 *		by pasting strings. (json_answer.c decodes the API's answers.)
 */
#include "postgres.h"

#include <limits.h>

#include "providers/sinch/codec.h"
#include "providers/sinch/validate.h"
#include "core/jsonc.h"


/*
 * Add a field to the request. Bulk requests (root != NULL) carry most
 * shared fields in defaultValues and a few, as the API documents them, at
 * the root.
 */
static void
put(struct json_object *target, struct json_object *root, const char *key,
	struct json_object *value)
{
	if (value == NULL)
		json_oom();
	if (root != NULL && field_at_bulk_root(key))
		target = root;
	if (json_object_object_add(target, key, value) != 0)
	{
		json_object_put(value);
		json_oom();
	}
}

static void
put_string(struct json_object *target, struct json_object *root,
		   const char *key, const char *value)
{
	if (value != NULL)
		put(target, root, key, json_object_new_string(value));
}

/* Merge a validated JSON object's members (nulls left out) into the request. */
static void
merge_object(struct json_object *target, struct json_object *root, const char *json)
{
	struct json_object *obj = json_parse_text(json, strlen(json));

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
	{
		json_object_put(obj);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not re-read a validated JSON object")));
	}
	PG_TRY();
	{
		/* the macro declares its variables: keep it at a block's start */
		json_object_object_foreach(obj, key, val)
		{
			if (val != NULL)
				put(target, root, key, json_object_get(val));
		}
	}
	PG_CATCH();
	{
		json_object_put(obj);
		PG_RE_THROW();
	}
	PG_END_TRY();
	json_object_put(obj);
}

/* The fields of a message other than destination and correlation id. */
static void
put_message_fields(struct json_object *target, struct json_object *root,
				   const SmsMessage *msg)
{
	put_string(target, root, "messageText", msg->message_text);
	put_string(target, root, "extraInfo", msg->extra_info);
	if (msg->flash >= 0)
		put(target, root, "flashSMS", json_object_new_boolean(msg->flash == 1));
	if (msg->has_scheduled_at)
		put(target, root, "scheduledAt", json_object_new_int64(msg->scheduled_at_ms));
	if (msg->has_expires_at)
		put(target, root, "expiresAt", json_object_new_int64(msg->expires_at_ms));
	put_string(target, root, "campaignAlias", msg->campaign_alias);
	put_string(target, root, "subAccount", msg->sub_account);
	if (msg->options_json != NULL)
		merge_object(target, root, msg->options_json);
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
		put_string(req, NULL, "destination", msg->destination);
		put_string(req, NULL, "correlationId", msg->correlation_id);
		put_message_fields(req, NULL, msg);
		result = json_serialize(req, len);
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

static struct json_object *
bulk_message(const BulkMessage *m)
{
	struct json_object *obj;

	if (m->message_json != NULL)
	{
		obj = json_parse_text(m->message_json, strlen(m->message_json));
		if (obj == NULL || !json_object_is_type(obj, json_type_object))
		{
			json_object_put(obj);
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not re-read a validated message")));
		}
	}
	else if ((obj = json_object_new_object()) == NULL)
		json_oom();
	PG_TRY();
	{
		/* the normalized destination replaces what the user wrote */
		put_string(obj, NULL, "destination", m->destination);
		if (m->message_json == NULL)
			put_string(obj, NULL, "correlationId", m->correlation_id);
	}
	PG_CATCH();
	{
		json_object_put(obj);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return obj;
}

char *
codec_bulk_request(const SmsMessage *common, const char *defaults_json,
				   const char *root_json, const BulkMessage *msgs, int n,
				   size_t *len)
{
	struct json_object *volatile req = json_object_new_object();
	char	   *result = NULL;

	if (req == NULL)
		json_oom();
	PG_TRY();
	{
		struct json_object *messages = json_object_new_array_ext(n);
		struct json_object *defaults;

		put(req, NULL, "messages", messages);
		for (int i = 0; i < n; i++)
		{
			struct json_object *m = bulk_message(&msgs[i]);

			if (json_object_array_add(messages, m) != 0)
			{
				json_object_put(m);
				json_oom();
			}
		}
		defaults = json_object_new_object();
		put(req, NULL, "defaultValues", defaults);
		if (common != NULL)
			put_message_fields(defaults, req, common);
		else
		{
			if (defaults_json != NULL)
				merge_object(defaults, NULL, defaults_json);
			if (root_json != NULL)
				merge_object(req, NULL, root_json);
		}
		if (json_object_object_length(defaults) == 0)
			json_object_object_del(req, "defaultValues");
		result = json_serialize(req, len);
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

char *
codec_outbox_request(const SmsMessage *msgs, int n, size_t *len)
{
	struct json_object *volatile req = json_object_new_object();
	struct json_object *volatile scratch = NULL;
	char	   *result = NULL;

	if (req == NULL)
		json_oom();
	PG_TRY();
	{
		struct json_object *messages = json_object_new_array_ext(n);

		put(req, NULL, "messages", messages);
		for (int i = 0; i < n; i++)
		{
			struct json_object *m = json_object_new_object();

			if (m == NULL || json_object_array_add(messages, m) != 0)
			{
				json_object_put(m);
				json_oom();
			}
			/* the group shares its root fields: take them from the first */
			if (i > 0 && (scratch = json_object_new_object()) == NULL)
				json_oom();
			put_string(m, NULL, "destination", msgs[i].destination);
			put_string(m, NULL, "correlationId", msgs[i].correlation_id);
			put_message_fields(m, i == 0 ? req : scratch, &msgs[i]);
			json_object_put(scratch);
			scratch = NULL;
		}
		result = json_serialize(req, len);
	}
	PG_CATCH();
	{
		json_object_put(scratch);
		json_object_put(req);
		PG_RE_THROW();
	}
	PG_END_TRY();
	json_object_put(req);
	return result;
}

static struct json_object *
string_array(char *const *items, int n)
{
	struct json_object *arr = json_object_new_array_ext(Max(n, 1));

	if (arr == NULL)
		json_oom();
	for (int i = 0; i < n; i++)
	{
		struct json_object *v = json_object_new_string(items[i]);

		if (v == NULL || json_object_array_add(arr, v) != 0)
		{
			json_object_put(v);
			json_object_put(arr);
			json_oom();
		}
	}
	return arr;
}

char *
codec_status_search_request(char *const *ids, int nids,
							char *const *correlation_ids, int ncorrelation_ids,
							size_t *len)
{
	struct json_object *volatile req = json_object_new_object();
	char	   *result = NULL;

	if (req == NULL)
		json_oom();
	PG_TRY();
	{
		if (nids > 0)
			put(req, NULL, "ids", string_array(ids, nids));
		if (ncorrelation_ids > 0)
			put(req, NULL, "correlationIds", string_array(correlation_ids, ncorrelation_ids));
		result = json_serialize(req, len);
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
