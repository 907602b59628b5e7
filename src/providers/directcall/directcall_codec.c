/*
 * directcall_codec.c
 *		Defensive decoding of the Directcall API's JSON answers: the send's
 *		{api, modulo, status, codigo, msg, callerid} and the token's
 *		{access_token, expires_in}. Answers are untrusted: a member of an
 *		unexpected type is absent; a code may come as a string or a number.
 */
#include "postgres.h"

#include "core/jsonc.h"
#include "providers/directcall/directcall.h"

/* Longest caller id kept: the documented ones have 14 digits. */
#define MAX_CALLER_ID 64

/* The three-digit form of a code: "6" and 6 are "006"; anything else as is. */
static char *
normal_code(char *code)
{
	size_t		n;

	if (code == NULL)
		return NULL;
	n = strlen(code);
	if (n == 0 || n > 3 || strspn(code, "0123456789") != n)
		return code;
	return psprintf("%03d", atoi(code));
}

/* Parse an answer object; NULL root and a problem when it is none. */
static struct json_object *
parse_object(const char *body, size_t len, const char **problem)
{
	struct json_object *root = json_parse_text(body, len);

	*problem = NULL;
	if (root == NULL)
	{
		*problem = len == 0 ? "The answer is empty." : "The answer is not valid JSON.";
		return NULL;
	}
	if (!json_object_is_type(root, json_type_object))
	{
		json_object_put(root);
		*problem = "Expected a JSON object.";
		return NULL;
	}
	return root;
}

const char *
directcall_decode_answer(const char *body, size_t len, DirectcallAnswer *out)
{
	const char *problem;
	struct json_object *volatile root = parse_object(body, len, &problem);

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return problem;
	PG_TRY();
	{
		out->status = json_lenient_text(root, "status");
		out->code = normal_code(json_lenient_text(root, "codigo"));
		out->msg = json_lenient_text(root, "msg");
		out->caller_id = json_lenient_text(root, "callerid");
		if (out->caller_id != NULL &&
			(out->caller_id[0] == '\0' || strlen(out->caller_id) > MAX_CALLER_ID))
			out->caller_id = NULL;
		if (out->code == NULL)
			problem = "The answer has no codigo.";
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return problem;
}

char *
directcall_answer_code(const HttpResult *res)
{
	DirectcallAnswer a;

	if (res->outcome != HTTP_ANSWERED || res->body == NULL)
		return NULL;
	if (directcall_decode_answer(res->body, res->body_len, &a) != NULL)
		return NULL;
	return a.code;
}

const char *
directcall_decode_token(const char *body, size_t len, char **token, int64 *expires_in)
{
	const char *problem;
	struct json_object *volatile root = parse_object(body, len, &problem);

	*token = NULL;
	*expires_in = -1;
	if (root == NULL)
		return problem;
	PG_TRY();
	{
		struct json_object *v;

		/* a string only: a number would be no token we were given */
		if (json_object_object_get_ex(root, "access_token", &v) &&
			json_object_is_type(v, json_type_string) &&
			memchr(json_object_get_string(v), '\0', json_object_get_string_len(v)) == NULL)
			*token = pnstrdup(json_object_get_string(v), json_object_get_string_len(v));
		if (!json_lenient_int64(root, "expires_in", expires_in) || *expires_in <= 0)
			*expires_in = -1;
		if (*token == NULL)
			problem = "The answer has no access_token string.";
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return problem;
}
