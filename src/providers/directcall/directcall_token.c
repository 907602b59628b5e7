/*
 * directcall_token.c
 *		The Directcall access token: requested with the client id and secret
 *		(POST /request_token), kept for the whole cluster in a shared
 *		credential slot (core/credential.c: one backend asks, the others
 *		wait for its answer), renewed before the expiry the answer states
 *		or after sms_api.directcall_token_lifetime, and dropped when a send
 *		is refused with code 006, so that the send is tried once more with
 *		a new one.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "core/credential.h"
#include "core/sms_api.h"
#include "providers/providers.h"
#include "providers/directcall/directcall.h"

/* The token the coming attempt carries, and its generation. */
static bool have_current = false;
static uint64 current_generation;

/*
 * application/x-www-form-urlencoded, in palloc'd memory the caller zeroes
 * (libcurl's escaping would leave a copy of the secret in freed memory).
 */
static void
append_encoded(StringInfo buf, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			appendStringInfoChar(buf, (char) *p);
		else
		{
			appendStringInfoChar(buf, '%');
			appendStringInfoChar(buf, hex[*p >> 4]);
			appendStringInfoChar(buf, hex[*p & 15]);
		}
	}
}

static bool
fetch_token(char **value, int64 *lifetime_s, HttpResult *res, ApiError *err)
{
	StringInfoData body;
	volatile bool ok = false;
	const char *problem;
	int64		expires_in;

	initStringInfo(&body);
	PG_TRY();
	{
		appendStringInfoString(&body, "client_id=");
		append_encoded(&body, directcall_client_id());
		appendStringInfoString(&body, "&client_secret=");
		append_encoded(&body, directcall_client_secret());
		ok = api_request(&directcall_token_target, "POST", "/request_token", NULL,
						 body.data, body.len, res, err);
	}
	PG_FINALLY();
	{
		explicit_bzero(body.data, body.maxlen);
		pfree(body.data);
	}
	PG_END_TRY();
	if (!ok)
		return false;

	problem = directcall_decode_token(res->body, res->body_len, value, &expires_in);
	explicit_bzero(res->body, res->body_len);
	if (problem != NULL)
	{
		api_set_error(err, ERRCODE_SMS_API_BAD_ANSWER,
					  pstrdup("the Directcall token endpoint answered something unusable"),
					  pstrdup(problem), NULL);
		return false;
	}
	*lifetime_s = expires_in > 0 ? expires_in : directcall_token_lifetime;
	return true;
}

bool
directcall_authorize(const ApiTarget *t, HttpResult *res, ApiError *err)
{
	const char *value;

	have_current = credential_get(CREDENTIAL_DIRECTCALL, fetch_token, &value,
								  &current_generation, res, err);
	return have_current;
}

/* A refusal of the token: code 006, or 401/403 with no code at all. */
bool
directcall_renew(const ApiTarget *t, const HttpResult *res)
{
	char	   *code = directcall_answer_code(res);
	bool		auth = code != NULL ? strcmp(code, DIRECTCALL_CODE_AUTH) == 0
		: (res->status == 401 || res->status == 403);

	if (!auth || !have_current)
		return false;
	/* requests in flight together carried the same token: each may drop it */
	credential_drop(CREDENTIAL_DIRECTCALL, current_generation);
	return true;
}

const char *
directcall_token(void)
{
	return have_current ? credential_cached(CREDENTIAL_DIRECTCALL) : NULL;
}
