/*
 * jsonc.c
 *		json-c helpers shared by every provider's codec: strict parsing with
 *		a depth limit, and lenient readers for the fields of list items.
 *		Only codec files include json-c (through core/jsonc.h), and they
 *		never include utils/builtins.h: json-c's json_object type collides
 *		with PostgreSQL's json_object().
 */
#include "postgres.h"

#include <errno.h>
#include <limits.h>

#include "mb/pg_wchar.h"

#include "core/jsonc.h"

/* Deeper answers are refused: json-c recurses while parsing. */
#define JSON_MAX_DEPTH 32

/* Longest error text we repeat in DETAIL. */
#define ERROR_MESSAGE_MAX 500

void
json_oom(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory"),
			 errdetail("json-c could not allocate memory.")));
}

/* One tokener for the backend's life: reset, not rebuilt, per answer. */
static struct json_tokener *tok = NULL;

void
json_forget_text(void)
{
	if (tok != NULL && tok->pb != NULL && tok->pb->buf != NULL)
		explicit_bzero(tok->pb->buf, tok->pb->size);
}

struct json_object *
json_parse_text(const char *text, size_t len)
{
	struct json_object *obj;

	if (len > INT_MAX)
		return NULL;
	/*
	 * json-c's UTF-8 check lets overlong forms, surrogates and code points
	 * past U+10FFFF through, which a server text refuses (22021) when an
	 * item is stored or shown; its \u escapes decode to valid UTF-8.
	 */
	if (pg_encoding_verifymbstr(PG_UTF8, text, (int) len) != (int) len)
		return NULL;
	if (tok == NULL)
	{
		tok = json_tokener_new_ex(JSON_MAX_DEPTH);
		if (tok == NULL)
			json_oom();
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	}
	json_tokener_reset(tok);
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
	/* what a failed parse built is freed now, not at the next answer */
	json_tokener_reset(tok);
	return obj;
}

/* Keep printable characters only, truncated: the text is untrusted. */
char *
json_printable(const char *s, size_t n)
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

void
json_member_value(struct json_object *obj, const char *key, JsonValue *out)
{
	struct json_object *v;

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return;
	if (json_object_is_type(v, json_type_string))
	{
		out->kind = JV_STRING;
		out->str = json_object_get_string(v);
		out->len = json_object_get_string_len(v);
		return;
	}
	out->kind = JV_OTHER;
	if (json_object_is_type(v, json_type_int))
	{
		/* json-c keeps integers past INT64_MAX as uint64: not an int64 */
		errno = 0;
		out->ival = json_object_get_int64(v);
		if (errno == 0 && (out->ival != PG_INT64_MAX || json_object_get_uint64(v) == (uint64) PG_INT64_MAX))
			out->kind = JV_INT;
	}
}

char *
json_lenient_text(struct json_object *obj, const char *key)
{
	JsonValue	v;

	json_member_value(obj, key, &v);
	return jv_text(&v);
}

bool
json_lenient_int64(struct json_object *obj, const char *key, int64 *out)
{
	JsonValue	v;

	json_member_value(obj, key, &v);
	return jv_int64(&v, out);
}

bool
json_lenient_int32(struct json_object *obj, const char *key, int32 *out)
{
	JsonValue	v;

	json_member_value(obj, key, &v);
	return jv_int32(&v, out);
}

/* Copy the object's JSON text into palloc'd memory. */
char *
json_serialize(struct json_object *obj, size_t *len)
{
	size_t		n;
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &n);

	if (s == NULL)
		json_oom();
	*len = n;
	return pnstrdup(s, n);
}
