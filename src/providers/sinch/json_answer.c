/*
 * json_answer.c
 *		The codec's decoding half: the API's answers, parsed defensively.
 *		Everything the API returns is untrusted: wrong types, missing
 *		fields, HTML or a truncated body give a description of the problem,
 *		never a crash; an item without a usable id is skipped and counted.
 */
#include "postgres.h"

#include <errno.h>

#include "providers/sinch/codec.h"
#include "providers/sinch/json_status.h"
#include "core/jsonc.h"
#include "core/scrub.h"


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
	struct json_object *volatile root = json_parse_text(body, len);
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


char *
codec_error_message(const char *body, size_t len, const char *const *secrets)
{
	struct json_object *volatile root;
	char	   *volatile result = NULL;

	if (body == NULL || len == 0)
		return NULL;
	root = json_parse_text(body, len);
	if (root == NULL)
		return NULL;
	PG_TRY();
	{
		struct json_object *v;

		if (json_object_is_type(root, json_type_object) &&
			json_object_object_get_ex(root, "errorMessage", &v) &&
			json_object_is_type(v, json_type_string))
		{
			/* scrubbed whole, then cut: no secret is left half-shown at the cut */
			int			n = json_object_get_string_len(v);
			char	   *copy = palloc(n + 1);

			/* all n bytes: the text may hold NULs, which json_printable() blanks */
			memcpy(copy, json_object_get_string(v), n);
			copy[n] = '\0';

			scrub_secrets(copy, n, secrets);
			result = json_printable(copy, n);
		}
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

/* Epoch milliseconds we accept: 1970 to 9999. */
#define MAX_EPOCH_MS INT64CONST(253402300799999)

static int64
days_from_civil(int64 y, int m, int d)
{
	int64		era;
	int64		yoe;
	int64		doy;
	int64		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
digits(const char *s, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * ISO 8601 as the API writes it: yyyy-MM-ddTHH:mm:ss, optional fraction,
 * then Z, +hh:mm, +hhmm or nothing (UTC).
 */
static bool
iso_to_epoch_ms(const char *s, int64 *out)
{
	int			year,
				month,
				day,
				hour,
				minute,
				second,
				millis = 0;
	int			offset_min = 0;
	const char *p;
	int64		ms;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
		s[13] != ':' || s[16] != ':' ||
		!digits(s, 4, &year) || !digits(s + 5, 2, &month) || !digits(s + 8, 2, &day) ||
		!digits(s + 11, 2, &hour) || !digits(s + 14, 2, &minute) || !digits(s + 17, 2, &second))
		return false;
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
		return false;
	p = s + 19;
	if (*p == '.')
	{
		int			scale = 100;

		for (p++; *p >= '0' && *p <= '9'; p++)
		{
			millis += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-')
	{
		int			oh,
					om = 0;
		int			sign = (*p == '-') ? -1 : 1;

		if (!digits(p + 1, 2, &oh))
			return false;
		p += 3;
		if (*p == ':')
			p++;
		if (*p != '\0' && !digits(p, 2, &om))
			return false;
		if (*p != '\0')
			p += 2;
		offset_min = sign * (oh * 60 + om);
	}
	if (*p != '\0')
		return false;
	ms = ((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second;
	ms = ms * 1000 + millis - (int64) offset_min * 60000;
	if (ms < 0 || ms > MAX_EPOCH_MS)
		return false;
	*out = ms;
	return true;
}

/* A time from an epoch-ms member, or else from an ISO member. */
static bool
lenient_time(const JsonValue *epoch, const JsonValue *iso, int64 *out)
{
	char	   *text;

	if (jv_int64(epoch, out))
		return *out >= 0 && *out <= MAX_EPOCH_MS;
	text = jv_text(iso);
	return text != NULL && iso_to_epoch_ms(text, out);
}

static bool
value_uuid(const JsonValue *v, pg_uuid_t *out)
{
	char		buf[37];

	if (v->kind != JV_STRING || v->len != 36 || memchr(v->str, '\0', 36) != NULL)
		return false;
	memcpy(buf, v->str, 36);
	buf[36] = '\0';
	return codec_uuid(buf, out);
}

static bool
lenient_uuid(struct json_object *obj, const char *key, pg_uuid_t *out)
{
	JsonValue	v;

	json_member_value(obj, key, &v);
	return value_uuid(&v, out);
}

const char *const status_field_keys[STATUS_FIELDS] = {
	[SF_ID] = "id",
	[SF_CORRELATION_ID] = "correlationId",
	[SF_CARRIER_ID] = "carrierId",
	[SF_CARRIER_NAME] = "carrierName",
	[SF_DESTINATION] = "destination",
	[SF_SENT_STATUS_CODE] = "sentStatusCode",
	[SF_SENT_STATUS] = "sentStatus",
	[SF_SENT_AT] = "sentAt",
	[SF_SENT_DATE] = "sentDate",
	[SF_SENT_STATUS_AT] = "sentStatusAt",
	[SF_SENT_STATUS_DATE] = "sentStatusDate",
	[SF_DELIVERED_STATUS_CODE] = "deliveredStatusCode",
	[SF_DELIVERED_STATUS] = "deliveredStatus",
	[SF_DELIVERED_AT] = "deliveredAt",
	[SF_DELIVERED_DATE] = "deliveredDate",
	[SF_CAMPAIGN_ID] = "campaignId",
	[SF_EXTRA_INFO] = "extraInfo",
};

int
status_field(const char *key, int len)
{
	static int	key_len[STATUS_FIELDS];

	if (key_len[0] == 0)
		for (int f = 0; f < STATUS_FIELDS; f++)
			key_len[f] = strlen(status_field_keys[f]);
	for (int f = 0; f < STATUS_FIELDS; f++)
		if (key_len[f] == len && memcmp(status_field_keys[f], key, len) == 0)
			return f;
	return -1;
}

bool
status_from_fields(const JsonValue *f, ApiStatus *st)
{
	memset(st, 0, sizeof(*st));
	if (!value_uuid(&f[SF_ID], &st->id))
		return false;
	st->correlation_id = jv_text(&f[SF_CORRELATION_ID]);
	st->has_carrier_id = jv_int32(&f[SF_CARRIER_ID], &st->carrier_id);
	st->carrier_name = jv_text(&f[SF_CARRIER_NAME]);
	st->destination = jv_text(&f[SF_DESTINATION]);
	st->has_sent_status_code = jv_int32(&f[SF_SENT_STATUS_CODE], &st->sent_status_code);
	st->sent_status = jv_text(&f[SF_SENT_STATUS]);
	/* real payloads say sentAt/sentDate, the docs' table sentStatusAt/sentStatusDate */
	st->has_sent_at = lenient_time(&f[SF_SENT_AT], &f[SF_SENT_DATE], &st->sent_at_ms) ||
		lenient_time(&f[SF_SENT_STATUS_AT], &f[SF_SENT_STATUS_DATE], &st->sent_at_ms);
	st->has_delivered_status_code = jv_int32(&f[SF_DELIVERED_STATUS_CODE],
											 &st->delivered_status_code);
	st->delivered_status = jv_text(&f[SF_DELIVERED_STATUS]);
	st->has_delivered_at = lenient_time(&f[SF_DELIVERED_AT], &f[SF_DELIVERED_DATE],
										&st->delivered_at_ms);
	st->has_campaign_id = jv_int64(&f[SF_CAMPAIGN_ID], &st->campaign_id);
	st->extra_info = jv_text(&f[SF_EXTRA_INFO]);
	return true;
}

static bool
decode_status(struct json_object *item, ApiStatus *st)
{
	JsonValue	fields[STATUS_FIELDS];

	memset(st, 0, sizeof(*st));
	if (!json_object_is_type(item, json_type_object))
		return false;
	for (int f = 0; f < STATUS_FIELDS; f++)
		json_member_value(item, status_field_keys[f], &fields[f]);
	return status_from_fields(fields, st);
}

static bool
decode_mo(struct json_object *item, ApiMo *mo)
{
	struct json_object *mt;

	memset(mo, 0, sizeof(*mo));
	if (!json_object_is_type(item, json_type_object) || !lenient_uuid(item, "id", &mo->id))
		return false;
	mo->sub_account = json_lenient_text(item, "subAccount");
	mo->campaign_alias = json_lenient_text(item, "campaignAlias");
	mo->has_carrier_id = json_lenient_int32(item, "carrierId", &mo->carrier_id);
	mo->carrier_name = json_lenient_text(item, "carrierName");
	mo->source = json_lenient_text(item, "source");
	mo->short_code = json_lenient_text(item, "shortCode");
	mo->message_text = json_lenient_text(item, "messageText");
	{
		JsonValue	epoch,
					iso;

		json_member_value(item, "receivedAt", &epoch);
		json_member_value(item, "receivedDate", &iso);
		mo->has_received_at = lenient_time(&epoch, &iso, &mo->received_at_ms);
	}
	if (json_object_object_get_ex(item, "mt", &mt) && json_object_is_type(mt, json_type_object))
	{
		mo->has_mt_id = lenient_uuid(mt, "id", &mo->mt_id);
		mo->mt_correlation_id = json_lenient_text(mt, "correlationId");
		mo->mt_username = json_lenient_text(mt, "username");
		mo->mt_email = json_lenient_text(mt, "email");
	}
	return true;
}

/*
 * The array under `key` of an envelope object: NULL with *problem set if
 * the answer is not such an envelope; a JSON null counts as empty.
 */
static struct json_object *
envelope_items(struct json_object *root, const char *key, const char **problem)
{
	struct json_object *items;

	if (!json_object_is_type(root, json_type_object))
	{
		*problem = "Expected a JSON object.";
		return NULL;
	}
	if (!json_object_object_get_ex(root, key, &items))
	{
		*problem = psprintf("The answer has no \"%s\" member.", key);
		return NULL;
	}
	if (items != NULL && !json_object_is_type(items, json_type_array))
	{
		*problem = psprintf("\"%s\" is not an array.", key);
		return NULL;
	}
	return items;
}

/* Decodes one list item into *slot; false if it has no usable id. */
typedef bool (*DecodeItem) (struct json_object *item, void *slot);

/*
 * The items of an envelope's array under key, decoded into a palloc'd
 * array of item_size slots; items without a usable id are counted in
 * *skipped. NULL or a description of what is wrong.
 */
static const char *
decode_list(const char *body, size_t len, const char *key, size_t item_size,
			DecodeItem decode, void **items, int *n, int *skipped)
{
	struct json_object *volatile root = json_parse_text(body, len);
	const char *volatile problem = NULL;

	*items = NULL;
	*n = *skipped = 0;
	if (root == NULL)
		return not_json(body, len);
	PG_TRY();
	{
		struct json_object *array = envelope_items(root, key, (const char **) &problem);
		size_t		count = array ? json_object_array_length(array) : 0;
		char	   *slots = palloc_extended(Max(count, 1) * item_size, MCXT_ALLOC_HUGE);

		for (size_t i = 0; i < count; i++)
		{
			if (decode(json_object_array_get_idx(array, i), slots + *n * item_size))
				(*n)++;
			else
				(*skipped)++;
		}
		*items = slots;
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

static bool
decode_status_item(struct json_object *item, void *slot)
{
	return decode_status(item, (ApiStatus *) slot);
}

static bool
decode_mo_item(struct json_object *item, void *slot)
{
	return decode_mo(item, (ApiMo *) slot);
}

const char *
codec_status_answer(const char *body, size_t len, StatusList *out)
{
	const char *problem;

	/* the fast path for the large list pages; json-c for what it cannot tell */
	if (status_stream_answer(body, len, "smsStatuses", out, &problem))
		return problem;
	return decode_list(body, len, "smsStatuses", sizeof(ApiStatus), decode_status_item,
					   (void **) &out->items, &out->n, &out->skipped);
}

const char *
codec_mo_answer(const char *body, size_t len, MoList *out)
{
	return decode_list(body, len, "messages", sizeof(ApiMo), decode_mo_item,
					   (void **) &out->items, &out->n, &out->skipped);
}

const char *
codec_bulk_answer(const char *body, size_t len, int n, pg_uuid_t *batch_id,
				  bool *has_batch_id, BulkAccepted *items)
{
	struct json_object *volatile root = json_parse_text(body, len);
	const char *volatile problem = NULL;

	*has_batch_id = false;
	if (root == NULL)
		return not_json(body, len);
	PG_TRY();
	{
		struct json_object *messages = envelope_items(root, "messages", (const char **) &problem);

		if (problem == NULL)
		{
			size_t		got = messages ? json_object_array_length(messages) : 0;

			*has_batch_id = lenient_uuid(root, "id", batch_id);
			if (got != (size_t) n)
				problem = psprintf("The answer lists %zu message ids for %d messages sent.", got, n);
			for (int i = 0; problem == NULL && i < n; i++)
			{
				struct json_object *item = json_object_array_get_idx(messages, i);

				if (!json_object_is_type(item, json_type_object) ||
					!lenient_uuid(item, "id", &items[i].id))
					problem = psprintf("Message %d of the answer has no usable id.", i + 1);
				else
					items[i].correlation_id = json_lenient_text(item, "correlationId");
			}
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

/* Which kind of webhook item an object is, from the members it has. */
static bool
has_member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) && v != NULL;
}

/* Append one decoded item to a growing array of item_size slots. */
static void *
next_slot(void **items, int *n, int *cap, size_t item_size)
{
	if (*n == *cap)
	{
		*cap = *cap == 0 ? 16 : *cap * 2;
		*items = *items == NULL ? palloc_extended(*cap * item_size, MCXT_ALLOC_HUGE)
			: repalloc_huge(*items, *cap * item_size);
	}
	return (char *) *items + (size_t) *n * item_size;
}

typedef struct IngestOut
{
	StatusList *st;
	MoList	   *mo;
	int			st_cap;
	int			mo_cap;
} IngestOut;

/* The array of a list answer's envelope, or NULL if item is not one. */
static struct json_object *
envelope_array(struct json_object *item, const char **key)
{
	struct json_object *items;

	if ((json_object_object_get_ex(item, *key = "smsStatuses", &items) ||
		 json_object_object_get_ex(item, *key = "messages", &items)) &&
		json_object_is_type(items, json_type_array))
		return items;
	return NULL;
}

/* One status or MO; never an envelope (the API does not nest them). */
static const char *
ingest_one(struct json_object *item, const char *where, IngestOut *out)
{
	const char *key;

	if (!json_object_is_type(item, json_type_object))
		return psprintf("%s is not a JSON object.", where);
	if (envelope_array(item, &key) != NULL)
		return psprintf("%s is a list envelope (\"%s\") inside another list or envelope.",
						where, key);
	if (has_member(item, "source") || has_member(item, "shortCode") ||
		has_member(item, "receivedAt") || has_member(item, "receivedDate"))
	{
		ApiMo	   *slot = next_slot((void **) &out->mo->items, &out->mo->n, &out->mo_cap,
									 sizeof(ApiMo));

		if (!decode_mo(item, slot))
			return psprintf("%s is an MO without a usable id.", where);
		out->mo->n++;
		return NULL;
	}
	if (has_member(item, "sentStatusCode") || has_member(item, "sentStatus") ||
		has_member(item, "deliveredStatusCode") || has_member(item, "deliveredStatus"))
	{
		ApiStatus  *slot = next_slot((void **) &out->st->items, &out->st->n, &out->st_cap,
									 sizeof(ApiStatus));

		if (!decode_status(item, slot))
			return psprintf("%s is a status without a usable id.", where);
		out->st->n++;
		return NULL;
	}
	return psprintf("%s is neither a status (sent or delivered) nor an MO.", where);
}

/* An item, or a list answer's envelope of items. */
static const char *
ingest_item(struct json_object *item, const char *where, IngestOut *out)
{
	const char *key;
	struct json_object *items = json_object_is_type(item, json_type_object) ?
		envelope_array(item, &key) : NULL;

	if (items == NULL)
		return ingest_one(item, where, out);
	for (size_t i = 0; i < json_object_array_length(items); i++)
	{
		const char *p = ingest_one(json_object_array_get_idx(items, i),
								   psprintf("%s.%s[%zu]", where, key, i), out);

		if (p != NULL)
			return p;
	}
	return NULL;
}

/*
 * A webhook body: an item, an envelope of items, or an array of items and
 * envelopes. The output arrays grow as items are decoded, so nothing here
 * depends on counting them beforehand.
 */
const char *
codec_ingest(const char *body, size_t len, StatusList *st, MoList *mo)
{
	struct json_object *volatile root = json_parse_text(body, len);
	const char *volatile problem = NULL;
	IngestOut	out;

	memset(st, 0, sizeof(*st));
	memset(mo, 0, sizeof(*mo));
	memset(&out, 0, sizeof(out));
	out.st = st;
	out.mo = mo;
	if (root == NULL)
		return not_json(body, len);
	PG_TRY();
	{
		if (json_object_is_type(root, json_type_array))
		{
			for (size_t i = 0; problem == NULL && i < json_object_array_length(root); i++)
				problem = ingest_item(json_object_array_get_idx(root, i),
									  psprintf("Element %zu", i + 1), &out);
		}
		else
			problem = ingest_item(root, "The body", &out);
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
