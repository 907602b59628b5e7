/*
 * sinch_api.c
 *		The Sinch API's side of a call: base_url + path, the username and
 *		authenticationtoken headers, and the errorMessage of its error
 *		bodies. Its refusals are classified by HTTP status alone.
 */
#include "postgres.h"

#include "core/guc.h"
#include "providers/providers.h"
#include "providers/sinch/codec.h"
#include "providers/sinch/sinch_api.h"

static void
sinch_prepare(HttpRequest *req, const ApiCall *call)
{
	const char *base = sms_api_base_url;
	size_t		baselen;

	settings_require_credentials();
	baselen = strlen(base);
	while (baselen > 0 && base[baselen - 1] == '/')
		baselen--;

	req->method = call->method;
	req->url = psprintf("%.*s%s%s%s", (int) baselen, base, call->path,
						call->query ? "?" : "", call->query ? call->query : "");
	req->body = call->body;
	req->body_len = call->body_len;
	http_add_header(req, "username", sms_api_username);
	http_add_header(req, "authenticationtoken", settings_token());
}

static char *
sinch_error_text(const char *body, size_t len)
{
	return codec_error_message(body, len, settings_secrets(true));
}

/* The two differ only in the limiter they are paced by. */
#define SINCH_TARGET(limiter_slot, rate_setting) { \
	.api_name = "SMS API", \
	.limiter = (limiter_slot), \
	.rate = &(rate_setting), \
	.prepare = sinch_prepare, \
	.classify = NULL, \
	.error_text = sinch_error_text, \
	.url_setting = "sms_api.base_url", \
	.credentials_hint = "Check sms_api.username and the token (sms_api.token_file or sms_api.token).", \
	.rate_hint = "Retry later, or lower sms_api.send_rate_limit or sms_api.query_rate_limit.", \
	.unknown_hint = "The message may have gone out: check with sms_api.sms_status() before sending it again.", \
}

const ApiTarget sinch_send = SINCH_TARGET(LIMITER_SINCH_SEND, sms_api_send_rate_limit);
const ApiTarget sinch_query = SINCH_TARGET(LIMITER_SINCH_QUERY, sms_api_query_rate_limit);
