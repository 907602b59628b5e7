/*
 * directcall_api.c
 *		The Directcall API's side of a call. Two targets: the token endpoint
 *		(POST /request_token, a form with the client id and secret) and the
 *		send (POST /sms/send, multipart, the access token a field of its
 *		own, added to each attempt so that a renewed token is the one sent).
 *		Both are classified by the answer's codigo first: a code other than
 *		000 is a refusal even under HTTP 200.
 */
#include "postgres.h"

#include "core/jsonc.h"
#include "core/scrub.h"
#include "core/sms_api.h"
#include "providers/providers.h"
#include "providers/directcall/directcall.h"

static char *
url_of(const char *path)
{
	const char *base = directcall_base_url;
	size_t		baselen = strlen(base);

	while (baselen > 0 && base[baselen - 1] == '/')
		baselen--;
	return psprintf("%.*s%s", (int) baselen, base, path);
}

static void
send_prepare(HttpRequest *req, const ApiCall *call)
{
	HttpFormPart *form;
	uint64		generation;
	const char *token = directcall_token(&generation);

	directcall_require_settings();
	req->method = call->method;
	req->url = url_of(call->path);
	/*
	 * The call's fields, then a copy of this attempt's token, which stays as
	 * it is while the transfer reads it (zeroed after) and whose generation
	 * a refusal drops.
	 */
	form = palloc((call->nform + 1) * sizeof(HttpFormPart));
	if (call->nform > 0)
		memcpy(form, call->form, call->nform * sizeof(HttpFormPart));
	memset(&form[call->nform], 0, sizeof(HttpFormPart));
	form[call->nform].name = "access_token";
	form[call->nform].data = pstrdup(token ? token : "");
	form[call->nform].len = token ? strlen(token) : 0;
	form[call->nform].secret = true;
	req->form = form;
	req->nform = call->nform + 1;
	req->auth_tag = generation;
}

static void
token_prepare(HttpRequest *req, const ApiCall *call)
{
	directcall_require_settings();
	req->method = call->method;
	req->url = url_of(call->path);
	req->body = call->body;
	req->body_len = call->body_len;
	req->content_type = "application/x-www-form-urlencoded";
}

/* A 2xx answer whose codigo is not 000. */
static bool
refused(const HttpResult *res)
{
	char	   *code = directcall_answer_code(res);

	return code != NULL && strcmp(code, DIRECTCALL_CODE_OK) != 0;
}

/* The msg of an answer ("006 - ..."), its code first if it does not say it. */
static char *
error_text(const char *body, size_t len)
{
	DirectcallAnswer a;
	char	   *text;

	if (directcall_decode_answer(body, len, &a) != NULL)
		return NULL;
	/*
	 * Secrets out before the cut, so that no part of one shows at it: of the
	 * code too, which is any string when it is not three digits.
	 */
	scrub_text(a.code);
	if (a.msg != NULL)
		scrub_text(a.msg);
	if (a.msg == NULL)
		text = psprintf("codigo %s", json_printable(a.code, strlen(a.code)));
	else if (strncmp(a.msg, a.code, strlen(a.code)) == 0)
		text = json_printable(a.msg, strlen(a.msg));
	else
		text = psprintf("codigo %s: %s", json_printable(a.code, strlen(a.code)),
						json_printable(a.msg, strlen(a.msg)));
	return text;
}

static bool
classify(const ApiTarget *t, const HttpResult *res, int attempts, ApiError *err)
{
	DirectcallAnswer a;

	if (directcall_decode_answer(res->body, res->body_len, &a) == NULL &&
		strcmp(a.code, DIRECTCALL_CODE_OK) != 0)
		return directcall_classify_code(t, res, attempts, &a, err);
	return api_classify_status(t, res, attempts, err);
}

#define CREDENTIALS_HINT "Check sms_api.directcall_client_id and the secret (sms_api.directcall_client_secret_file or sms_api.directcall_client_secret)."

const ApiTarget directcall_target = {
	.api_name = "Directcall API",
	.limiter = LIMITER_DIRECTCALL,
	.rate = &directcall_rate_limit,
	.prepare = send_prepare,
	.authorize = directcall_authorize,
	.renew = directcall_renew,
	.refused = refused,
	.classify = classify,
	.error_text = error_text,
	.url_setting = "sms_api.directcall_base_url",
	.credentials_hint = CREDENTIALS_HINT,
	.rate_hint = "Retry later, or lower sms_api.directcall_rate_limit.",
	.unknown_hint = "The calls or messages may have gone out: ask Directcall before sending them again.",
};

const ApiTarget directcall_token_target = {
	.api_name = "Directcall token endpoint",
	.limiter = LIMITER_DIRECTCALL,
	.rate = &directcall_rate_limit,
	.prepare = token_prepare,
	.refused = refused,
	.classify = classify,
	.error_text = error_text,
	.url_setting = "sms_api.directcall_base_url",
	.credentials_hint = CREDENTIALS_HINT,
	.rate_hint = "Retry later, or lower sms_api.directcall_rate_limit.",
	.unknown_hint = "Retry: asking for a token sends nothing.",
};
