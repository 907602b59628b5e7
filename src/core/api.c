/*
 * api.c
 *		One logical call to the SMS API over the transport: the URL and the
 *		credentials, pacing, automatic retries only where the API surely did
 *		not act (429, 503, failure to connect), and the mapping of every
 *		failure to the contract's SQLSTATE, with the HTTP status and the
 *		API's errorMessage in DETAIL. The token never reaches a message.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "core/api.h"
#include "core/backoff.h"
#include "providers/sinch/codec.h"
#include "core/guc.h"
#include "core/ratelimit.h"
#include "core/sms_api.h"

ApiCounters api_counters;

/* First retry waits about this long; each further one twice as long. */
#define RETRY_BASE_MS 200
#define RETRY_MAX_MS 30000

/* Make untrusted text safe to show in this database's encoding. */
static char *
for_display(char *text)
{
	if (text != NULL && GetDatabaseEncoding() != PG_UTF8)
	{
		for (char *p = text; *p; p++)
			if ((unsigned char) *p >= 0x80)
				*p = '?';
	}
	return text;
}

/* "HTTP 400: <errorMessage>", with the number of attempts when retried. */
static char *
status_detail(const HttpResult *res, int attempts)
{
	char	   *msg = codec_error_message(res->body, res->body_len, settings_secrets(true));
	char	   *after = attempts > 1 ? psprintf(" after %d attempts", attempts) : "";

	if (msg != NULL && msg[0] != '\0')
	{
		size_t		n = strlen(msg);
		bool		ends = msg[n - 1] == '.' || msg[n - 1] == '!' || msg[n - 1] == '?';

		return psprintf("HTTP %ld%s: %s%s", res->status, after, for_display(msg),
						ends ? "" : ".");
	}
	return psprintf("HTTP %ld%s, with no error message.", res->status, after);
}

static void
set_error(ApiError *err, int sqlstate, char *message, char *detail, char *hint)
{
	err->sqlstate = sqlstate;
	err->message = message;
	err->detail = detail;
	err->hint = hint;
}

/*
 * Classify one attempt. Returns true if the attempt may be retried; fills
 * *err in any case of failure.
 */
static bool
classify(const HttpResult *res, int attempts, ApiError *err)
{
	switch (res->outcome)
	{
		case HTTP_CONNECT_FAILED:
			set_error(err, ERRCODE_SMS_API_UNAVAILABLE,
					  pstrdup("could not connect to the SMS API"),
					  attempts > 1 ? psprintf("After %d attempts: %s.", attempts, res->error)
					  : psprintf("%s.", res->error),
					  pstrdup("Check sms_api.base_url and the network; nothing was sent."));
			return true;
		case HTTP_SETUP_FAILED:
			set_error(err, ERRCODE_SMS_API_UNAVAILABLE,
					  pstrdup("could not set up a secure connection to the SMS API"),
					  psprintf("%s.", res->error),
					  pstrdup("Check sms_api.base_url and sms_api.ca_file; nothing was sent."));
			return false;
		case HTTP_NO_ANSWER:
			set_error(err, ERRCODE_SMS_API_OUTCOME_UNKNOWN,
					  pstrdup("the SMS API did not answer the request"),
					  psprintf("The request was sent but no answer came: %s.", res->error),
					  pstrdup("The message may have gone out: check with sms_api.sms_status() before sending it again."));
			return false;
		case HTTP_TOO_LARGE:
			set_error(err, ERRCODE_SMS_API_BAD_ANSWER,
					  pstrdup("the SMS API answer is too large"),
					  psprintf("The answer exceeded sms_api.max_response_bytes (%d bytes).",
							   sms_api_max_response_bytes),
					  pstrdup("Raise sms_api.max_response_bytes if the answer is legitimate."));
			return false;
		case HTTP_ANSWERED:
			break;
	}

	if (res->status >= 200 && res->status < 300)
		return false;
	if (res->status == 401 || res->status == 403)
	{
		set_error(err, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
				  pstrdup("the SMS API refused the credentials"),
				  status_detail(res, attempts),
				  pstrdup("Check sms_api.username and the token (sms_api.token_file or sms_api.token)."));
		return false;
	}
	if (res->status == 429)
	{
		set_error(err, ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
				  pstrdup("the SMS API rate limit was exceeded"),
				  status_detail(res, attempts),
				  pstrdup("Retry later, or lower sms_api.send_rate_limit or sms_api.query_rate_limit."));
		return true;
	}
	if (res->status == 500 || res->status == 503)
	{
		set_error(err, ERRCODE_SMS_API_UNAVAILABLE,
				  pstrdup("the SMS API is unavailable"),
				  status_detail(res, attempts),
				  pstrdup("Retry later."));
		return res->status == 503;
	}
	if (res->status >= 500)
	{
		/* 502, 504 and unknown 5xx: a proxy may have passed the request on */
		set_error(err, ERRCODE_SMS_API_OUTCOME_UNKNOWN,
				  pstrdup("the outcome of the SMS API request is unknown"),
				  status_detail(res, attempts),
				  pstrdup("The message may have gone out: check with sms_api.sms_status() before sending it again."));
		return false;
	}
	if (res->status >= 400)
	{
		set_error(err, ERRCODE_SMS_API_REJECTED,
				  pstrdup("the SMS API rejected the request"),
				  status_detail(res, attempts),
				  NULL);
		return false;
	}
	set_error(err, ERRCODE_SMS_API_BAD_ANSWER,
			  pstrdup("the SMS API answered with an unexpected status"),
			  psprintf("HTTP %ld; redirects are never followed.", res->status),
			  pstrdup("Check sms_api.base_url."));
	return false;
}

/* Sleep interruptibly until the given time. */
static void
sleep_until(TimestampTz until)
{
	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		long		wait_ms;

		if (now >= until)
			return;
		wait_ms = (long) ((until - now + 999) / 1000);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* A request to base_url + path, with the credentials. */
static void
prepare_request(HttpRequest *req, const char *method, const char *path,
				const char *query, const char *body, size_t body_len)
{
	const char *base = sms_api_base_url;
	size_t		baselen;

	settings_require_credentials();
	baselen = strlen(base);
	while (baselen > 0 && base[baselen - 1] == '/')
		baselen--;

	req->method = method;
	req->url = psprintf("%.*s%s%s%s", (int) baselen, base, path,
						query ? "?" : "", query ? query : "");
	req->body = body;
	req->body_len = body_len;
	req->username = sms_api_username;
	req->token = settings_token();
}

bool
api_request(ApiKind kind, const char *method, const char *path,
			const char *query, const char *body, size_t body_len,
			HttpResult *res, ApiError *err)
{
	HttpRequest req;
	TimestampTz deadline;
	int			attempt;

	prepare_request(&req, method, path, query, body, body_len);

	/* retries, waits included, stay within one request timeout of the start */
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), sms_api_timeout_ms);

	for (attempt = 0;; attempt++)
	{
		bool		retryable;
		long		wait_ms;
		TimestampTz resume;

		ratelimit_acquire(kind);
		api_counters.requests++;
		http_perform(&req, res);
		if (res->outcome == HTTP_ANSWERED && res->status == 429)
			api_counters.rate_limited++;
		retryable = classify(res, attempt + 1, err);
		if (res->outcome == HTTP_ANSWERED && res->status >= 200 && res->status < 300)
			return true;
		if (!retryable || attempt >= sms_api_max_retries)
			break;

		wait_ms = (long) backoff_delay_ms(attempt + 1, RETRY_BASE_MS, RETRY_MAX_MS);
		if (res->retry_after_s >= 0)
			wait_ms = Max(wait_ms, res->retry_after_s * 1000);
		resume = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
		if (resume >= deadline)
		{
			err->detail = psprintf("%s Not retried: the wait (%ld ms) would end after sms_api.timeout_ms (%d ms).",
								   err->detail, wait_ms, sms_api_timeout_ms);
			break;
		}
		if (res->body != NULL)
			pfree(res->body);
		sleep_until(resume);
		api_counters.retries++;
	}
	return false;
}

/* Classifies each finished POST of api_post_many for its caller. */
typedef struct PostMany
{
	const HttpRequest *reqs;
	ApiDone		done;
	void	   *arg;
} PostMany;

static void
post_done(int i, HttpResult *res, void *arg)
{
	PostMany   *pm = (PostMany *) arg;
	ApiError	err;
	bool		ok = res->outcome == HTTP_ANSWERED && res->status >= 200 && res->status < 300;

	memset(&err, 0, sizeof(err));
	if (!ok)
		(void) classify(res, 1, &err);
	if (res->outcome == HTTP_ANSWERED && res->status == 429)
		api_counters.rate_limited++;
	pm->done(i, ok, res, &err, pm->arg);
}

void
api_post_many(const char *path, char *const *bodies, const size_t *lens, int n,
			  ApiDone done, void *arg)
{
	HttpRequest reqs[HTTP_MAX_PARALLEL];
	HttpResult	res[HTTP_MAX_PARALLEL];
	PostMany	pm;

	Assert(n >= 1 && n <= HTTP_MAX_PARALLEL);
	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < n; i++)
	{
		prepare_request(&reqs[i], "POST", path, NULL, bodies[i], lens[i]);
		ratelimit_acquire(API_SEND);
	}
	api_counters.requests += n;
	pm.reqs = reqs;
	pm.done = done;
	pm.arg = arg;
	http_perform_many(reqs, res, n, post_done, &pm);
}

void
api_raise(const ApiError *err)
{
	ereport(ERROR,
			(errcode(err->sqlstate),
			 errmsg_internal("%s", err->message),
			 err->detail ? errdetail_internal("%s", err->detail) : 0,
			 err->hint ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

void
api_request_or_raise(ApiKind kind, const char *method, const char *path,
					 const char *query, const char *body, size_t body_len,
					 HttpResult *res)
{
	ApiError	err;

	if (!api_request(kind, method, path, query, body, body_len, res, &err))
		api_raise(&err);
}

void
api_raise_bad_answer(const char *what, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_SMS_API_BAD_ANSWER),
			 errmsg("the SMS API answered something unusable to %s", what),
			 errdetail_internal("%s", problem)));
	pg_unreachable();
}
