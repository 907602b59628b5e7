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

#include "common/hashfn.h"
#include "lib/stringinfo.h"

#include "core/credential.h"
#include "core/jsonc.h"
#include "core/sms_api.h"
#include "providers/providers.h"
#include "providers/directcall/directcall.h"

/*
 * The token authorize() got for the attempt about to be prepared, and its
 * generation; prepare() copies both into the request.
 */
static const char *current = NULL;
static uint64 current_generation;

/* The longest token life believed (a day); a longer stated one is cut to this. */
#define MAX_TOKEN_LIFETIME_S 86400

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
		/* room for both at their longest encoding: the secret is never copied by a repalloc */
		enlargeStringInfo(&body, 3 * (strlen(directcall_client_id()) + strlen(directcall_client_secret())) + 32);
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
	json_forget_text();
	if (problem != NULL)
	{
		api_set_error(err, ERRCODE_SMS_API_BAD_ANSWER,
					  pstrdup("the Directcall token endpoint answered something unusable"),
					  pstrdup(problem), NULL);
		return false;
	}
	*lifetime_s = expires_in > 0 ? Min(expires_in, MAX_TOKEN_LIFETIME_S) : directcall_token_lifetime;
	return true;
}

/* What the token was fetched for: a token of another endpoint or account is not used. */
static uint64
credentials_key(void)
{
	StringInfoData buf;
	uint64		key;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s%c%s%c", directcall_base_url, '\0', directcall_client_id(), '\0');
	appendStringInfoString(&buf, directcall_client_secret());
	key = hash_bytes_extended((const unsigned char *) buf.data, buf.len, 0);
	explicit_bzero(buf.data, buf.maxlen);
	pfree(buf.data);
	return key;
}

bool
directcall_authorize(const ApiTarget *t, HttpResult *res, ApiError *err)
{
	if (!credential_get(CREDENTIAL_DIRECTCALL, credentials_key(), fetch_token, &current,
						&current_generation, res, err))
	{
		current = NULL;
		return false;
	}
	return true;
}

/* A refusal of the token req carried: code 006, or 401/403 without another code. */
bool
directcall_renew(const ApiTarget *t, const HttpRequest *req, const HttpResult *res)
{
	char	   *code = directcall_answer_code(res);
	bool		auth = (code != NULL && strcmp(code, DIRECTCALL_CODE_AUTH) == 0) ||
		((code == NULL || strcmp(code, DIRECTCALL_CODE_OK) == 0) &&
		 (res->status == 401 || res->status == 403));

	if (!auth || req->auth_tag == 0)
		return false;
	/* requests in flight together carried the same token: each may drop it */
	credential_drop(CREDENTIAL_DIRECTCALL, req->auth_tag);
	return true;
}

const char *
directcall_token(uint64 *generation)
{
	*generation = current ? current_generation : 0;
	return current;
}
