/*
 * reach_api.c
 *		The Reach API's side of a call: reach_base_url + path + the sorted
 *		query, signed afresh for every attempt (the Date is part of the
 *		signature and the server checks it against its clock), and the
 *		reading of its {code, error} refusals. Answers are classified by the
 *		body's code first: 42900 is rate limited whatever the status (one
 *		SDK saw it with 403), 40301 is the quota used up.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/timestamp.h"

#include "core/guc.h"
#include "core/scrub.h"
#include "core/sms_api.h"
#include "providers/providers.h"
#include "providers/reach/reach.h"


static void
reach_prepare(HttpRequest *req, const ApiCall *call)
{
	const char *query = call->query;
	const char *base;
	size_t		baselen;
	const char *key;
	char	   *date;
	char	   *signature;

	reach_require_settings();
	base = reach_base_url;
	baselen = strlen(base);
	while (baselen > 0 && base[baselen - 1] == '/')
		baselen--;
	key = reach_api_key();
	date = reach_http_date(timestamptz_to_time_t(GetCurrentTimestamp()));
	signature = reach_signature(key, reach_api_secret(), date, query ? query : "",
								call->body, call->body ? call->body_len : 0);

	req->method = call->method;
	req->url = psprintf("%.*s%s%s%s", (int) baselen, base, call->path,
						query && query[0] ? "?" : "", query && query[0] ? query : "");
	req->body = call->body;
	req->body_len = call->body_len;
	http_add_header(req, "Date", date);
	http_add_header(req, "Authorization", psprintf("IM %s:%s", key, signature));
	explicit_bzero(signature, strlen(signature));
	http_add_header(req, "X-IM-ORIGIN", "sms_api");
}

/* "<code>: <error>" of a refusal, scrubbed and printable. */
static char *
reach_error_text(const char *body, size_t len)
{
	int64		code;
	char	   *error;
	char	   *text;

	if (!reach_decode_error(body, len, &code, &error))
		return NULL;
	text = error ? psprintf("%lld %s", (long long) code, error)
		: psprintf("%lld", (long long) code);
	scrub_text(text);
	return text;
}

static bool
reach_classify(const ApiTarget *t, const HttpResult *res, int attempts, ApiError *err)
{
	int64		code = 0;
	char	   *error;

	if (!reach_decode_error(res->body, res->body_len, &code, &error))
		code = 0;
	if (code == REACH_CODE_RATE_LIMIT)
	{
		api_set_error(err, ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
					  pstrdup("the Reach API rate limit was exceeded"),
					  api_status_detail(t, res, attempts),
					  pstrdup(t->rate_hint));
		return true;
	}
	if (code == REACH_CODE_QUOTA)
	{
		api_set_error(err, ERRCODE_SMS_API_REJECTED,
					  pstrdup("the Reach account's message quota is used up"),
					  api_status_detail(t, res, attempts),
					  pstrdup("Nothing was sent. Ask the operator for more messages."));
		return false;
	}
	/* a refused signature, key or clock: 401, or 403 with a 401xx/403xx code */
	if (res->status == 401 || res->status == 403 ||
		(code >= 40100 && code < 40200))
	{
		api_set_error(err, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
					  pstrdup("the Reach API refused the signature or the key"),
					  api_status_detail(t, res, attempts),
					  pstrdup(t->credentials_hint));
		return false;
	}
	return api_classify_status(t, res, attempts, err);
}

const ApiTarget reach_target = {
	.api_name = "Reach API",
	.limiter = LIMITER_REACH,
	.rate = &reach_rate_limit,
	.prepare = reach_prepare,
	.classify = reach_classify,
	.error_text = reach_error_text,
	.url_setting = "sms_api.reach_base_url",
	.credentials_hint = "Check sms_api.reach_api_key, the secret (sms_api.reach_api_secret_file or sms_api.reach_api_secret) and the server's clock.",
	.rate_hint = "Retry later, or lower sms_api.reach_rate_limit.",
	.unknown_hint = "The message may have gone out: look for it with sms_api.reach_messages() before sending it again.",
};
