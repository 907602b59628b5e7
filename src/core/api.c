/*
 * api.c
 *		One logical call to a provider's API over the transport: pacing,
 *		automatic retries only where the API surely did not act (429, 503,
 *		failure to connect), and the mapping of every failure to the
 *		contract's SQLSTATE, with the HTTP status and the API's own error
 *		text in DETAIL. The provider's ApiTarget addresses, authenticates
 *		and classifies; no credential reaches a message.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "core/api.h"
#include "core/backoff.h"
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

char *
api_status_detail(const ApiTarget *t, const HttpResult *res, int attempts)
{
	char	   *msg = t->error_text ? t->error_text(res->body, res->body_len) : NULL;
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

void
api_set_error(ApiError *err, int sqlstate, char *message, char *detail, char *hint)
{
	err->sqlstate = sqlstate;
	err->message = message;
	err->detail = detail;
	err->hint = hint;
}

/* What the transport's outcome means; true if answered (look at the status). */
static bool
classify_outcome(const ApiTarget *t, const HttpResult *res, int attempts, ApiError *err,
				 bool *retryable)
{
	switch (res->outcome)
	{
		case HTTP_CONNECT_FAILED:
			api_set_error(err, ERRCODE_SMS_API_UNAVAILABLE,
					  psprintf("could not connect to the %s", t->api_name),
					  attempts > 1 ? psprintf("After %d attempts: %s.", attempts, res->error)
					  : psprintf("%s.", res->error),
					  psprintf("Check %s and the network; nothing was sent.", t->url_setting));
			*retryable = true;
			return false;
		case HTTP_SETUP_FAILED:
			api_set_error(err, ERRCODE_SMS_API_UNAVAILABLE,
					  psprintf("could not set up a secure connection to the %s", t->api_name),
					  psprintf("%s.", res->error),
					  psprintf("Check %s and sms_api.ca_file; nothing was sent.", t->url_setting));
			return false;
		case HTTP_NO_ANSWER:
			api_set_error(err, ERRCODE_SMS_API_OUTCOME_UNKNOWN,
					  psprintf("the %s did not answer the request", t->api_name),
					  psprintf("The request was sent but no answer came: %s.", res->error),
					  pstrdup(t->unknown_hint));
			return false;
		case HTTP_TOO_LARGE:
			api_set_error(err, ERRCODE_SMS_API_BAD_ANSWER,
					  psprintf("the %s answer is too large", t->api_name),
					  psprintf("The answer exceeded sms_api.max_response_bytes (%d bytes).",
							   sms_api_max_response_bytes),
					  pstrdup("Raise sms_api.max_response_bytes if the answer is legitimate."));
			return false;
		case HTTP_ANSWERED:
			return true;
	}
	return false;
}

bool
api_classify_status(const ApiTarget *t, const HttpResult *res, int attempts, ApiError *err)
{
	if (res->status == 401 || res->status == 403)
	{
		api_set_error(err, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
					  psprintf("the %s refused the credentials", t->api_name),
					  api_status_detail(t, res, attempts),
					  pstrdup(t->credentials_hint));
		return false;
	}
	if (res->status == 429)
	{
		api_set_error(err, ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
					  psprintf("the %s rate limit was exceeded", t->api_name),
					  api_status_detail(t, res, attempts),
					  pstrdup(t->rate_hint));
		return true;
	}
	if (res->status == 500 || res->status == 503)
	{
		api_set_error(err, ERRCODE_SMS_API_UNAVAILABLE,
					  psprintf("the %s is unavailable", t->api_name),
					  api_status_detail(t, res, attempts),
					  pstrdup("Retry later."));
		return res->status == 503;
	}
	if (res->status >= 500)
	{
		/* 502, 504 and unknown 5xx: a proxy may have passed the request on */
		api_set_error(err, ERRCODE_SMS_API_OUTCOME_UNKNOWN,
					  psprintf("the outcome of the %s request is unknown", t->api_name),
					  api_status_detail(t, res, attempts),
					  pstrdup(t->unknown_hint));
		return false;
	}
	if (res->status >= 400)
	{
		api_set_error(err, ERRCODE_SMS_API_REJECTED,
					  psprintf("the %s rejected the request", t->api_name),
					  api_status_detail(t, res, attempts),
					  NULL);
		return false;
	}
	api_set_error(err, ERRCODE_SMS_API_BAD_ANSWER,
				  psprintf("the %s answered with an unexpected status", t->api_name),
				  psprintf("HTTP %ld; redirects are never followed.", res->status),
				  psprintf("Check %s.", t->url_setting));
	return false;
}

static bool
is_2xx(const HttpResult *res)
{
	return res->outcome == HTTP_ANSWERED && res->status >= 200 && res->status < 300;
}

/* A 2xx answer whose body does not refuse the request. */
static bool
accepted(const ApiTarget *t, const HttpResult *res)
{
	return is_2xx(res) && (t->refused == NULL || !t->refused(res));
}

/*
 * Classify one attempt that was not accepted. Returns true if the attempt
 * may be retried; fills *err.
 */
static bool
classify(const ApiTarget *t, const HttpResult *res, int attempts, ApiError *err)
{
	bool		retryable = false;

	if (!classify_outcome(t, res, attempts, err, &retryable))
		return retryable;
	return t->classify ? t->classify(t, res, attempts, err)
		: api_classify_status(t, res, attempts, err);
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

/* Credentials the target put into a request's form are zeroed once it is done. */
static void
forget_secrets(const HttpRequest *req)
{
	for (int k = 0; k < req->nform; k++)
		if (req->form[k].secret)
			explicit_bzero((char *) req->form[k].data, req->form[k].len);
}

static void
forget_all_secrets(const HttpRequest *reqs, int n)
{
	for (int i = 0; i < n; i++)
		forget_secrets(&reqs[i]);
}

static void
perform(const HttpRequest *reqs, HttpResult *res, int n, HttpDone done, void *arg)
{
	PG_TRY();
	{
		http_perform_many(reqs, res, n, done, arg);
	}
	PG_CATCH();
	{
		forget_all_secrets(reqs, n);
		PG_RE_THROW();
	}
	PG_END_TRY();
	forget_all_secrets(reqs, n);
}

/* Whether the target drops the credentials a refused req carried. */
static bool
renewed_for(const ApiTarget *t, const HttpRequest *req, const HttpResult *res)
{
	return t->renew != NULL && res->outcome == HTTP_ANSWERED && t->renew(t, req, res);
}

/*
 * One attempt: credentials, pacing, the transfer; whether it was accepted.
 * When may_renew and the target dropped stale credentials, *stale is set
 * (and *err not filled): the caller tries once more.
 */
static bool
attempt_once(const ApiCall *call, int attempts, bool may_renew, HttpResult *res,
			 ApiError *err, bool *retryable, bool *stale)
{
	const ApiTarget *t = call->target;
	HttpRequest req;

	*retryable = false;
	*stale = false;
	if (t->authorize != NULL && !t->authorize(t, res, err))
	{
		err->unsent = true;
		return false;
	}
	memset(&req, 0, sizeof(req));
	t->prepare(&req, call);
	ratelimit_acquire(t->limiter, *t->rate);
	api_counters.requests++;
	perform(&req, res, 1, NULL, NULL);
	if (res->outcome == HTTP_ANSWERED && res->status == 429)
		api_counters.rate_limited++;
	if (accepted(t, res))
		return true;
	if (may_renew && renewed_for(t, &req, res))
	{
		*stale = true;
		return false;
	}
	*retryable = classify(t, res, attempts, err);
	return false;
}

bool
api_call(const ApiCall *call, HttpResult *res, ApiError *err)
{
	TimestampTz deadline;
	bool		renewed = false;

	/* retries, waits included, stay within one request timeout of the start */
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), sms_api_timeout_ms);

	for (int attempt = 0;;)
	{
		bool		retryable;
		bool		stale;
		long		wait_ms;
		TimestampTz resume;

		if (attempt_once(call, attempt + 1, !renewed, res, err, &retryable, &stale))
			return true;
		/* stale credentials: one more attempt with new ones, not a retry */
		if (stale)
		{
			renewed = true;
			if (res->body != NULL)
				pfree(res->body);
			continue;
		}
		attempt++;
		if (!retryable || attempt > sms_api_max_retries)
			break;

		wait_ms = (long) backoff_delay_ms(attempt, RETRY_BASE_MS, RETRY_MAX_MS);
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

bool
api_request(const ApiTarget *t, const char *method, const char *path,
			const char *query, const char *body, size_t body_len,
			HttpResult *res, ApiError *err)
{
	ApiCall		call;

	memset(&call, 0, sizeof(call));
	call.target = t;
	call.method = method;
	call.path = path;
	call.query = query;
	call.body = body;
	call.body_len = body_len;
	return api_call(&call, res, err);
}

/* Classifies each finished request of api_request_many for its caller. */
typedef struct Many
{
	const ApiCall *calls;
	const HttpRequest *reqs;
	const int  *index;			/* transfer -> call */
	bool	   *again;			/* calls to repeat with renewed credentials */
	ApiDone		done;
	void	   *arg;
} Many;

static void
many_done(int j, HttpResult *res, void *arg)
{
	Many	   *m = (Many *) arg;
	int			i = m->index[j];
	const ApiTarget *t = m->calls[i].target;
	ApiError	err;
	bool		ok = accepted(t, res);

	memset(&err, 0, sizeof(err));
	if (res->outcome == HTTP_ANSWERED && res->status == 429)
		api_counters.rate_limited++;
	if (!ok)
	{
		if (renewed_for(t, &m->reqs[j], res))
		{
			m->again[i] = true;
			return;
		}
		(void) classify(t, res, 1, &err);
	}
	m->done(i, ok, res, &err, m->arg);
}

/* A target whose credentials could not be had this time, and why. */
typedef struct Unauthorized
{
	const ApiTarget *target;
	HttpResult	res;
	ApiError	err;
} Unauthorized;

void
api_request_many(const ApiCall *calls, int n, ApiDone done, void *arg)
{
	HttpRequest reqs[HTTP_MAX_PARALLEL];
	HttpResult	res[HTTP_MAX_PARALLEL];
	int			index[HTTP_MAX_PARALLEL];
	bool		again[HTTP_MAX_PARALLEL] = {0};
	Unauthorized refused[HTTP_MAX_PARALLEL];
	int			nrefused = 0;
	int			m = 0;
	Many		many;

	Assert(n >= 1 && n <= HTTP_MAX_PARALLEL);
	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < n; i++)
	{
		const ApiTarget *t = calls[i].target;
		int			k;

		/* one failed try for credentials stands for the round's other calls */
		for (k = 0; k < nrefused && refused[k].target != t; k++)
			;
		if (k == nrefused && t->authorize != NULL)
		{
			memset(&refused[k], 0, sizeof(Unauthorized));
			if (!t->authorize(t, &refused[k].res, &refused[k].err))
			{
				refused[k].target = t;
				refused[k].err.unsent = true;
				nrefused++;
			}
		}
		if (k < nrefused)
		{
			done(i, false, &refused[k].res, &refused[k].err, arg);
			continue;
		}
		t->prepare(&reqs[m], &calls[i]);
		/* each starts at its own slot, not all at the last one's */
		reqs[m].not_before = ratelimit_book(t->limiter, *t->rate, m == 0);
		index[m++] = i;
	}
	if (m > 0)
	{
		api_counters.requests += m;
		many.calls = calls;
		many.reqs = reqs;
		many.index = index;
		many.again = again;
		many.done = done;
		many.arg = arg;
		perform(reqs, res, m, many_done, &many);
	}
	for (int i = 0; i < n; i++)
		if (again[i])
		{
			HttpResult	r;
			ApiError	err;
			bool		retryable;
			bool		stale;
			bool		ok;

			memset(&err, 0, sizeof(err));
			ok = attempt_once(&calls[i], 1, false, &r, &err, &retryable, &stale);
			done(i, ok, &r, &err, arg);
		}
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
api_call_or_raise(const ApiCall *call, HttpResult *res)
{
	ApiError	err;

	if (!api_call(call, res, &err))
		api_raise(&err);
}

void
api_request_or_raise(const ApiTarget *t, const char *method, const char *path,
					 const char *query, const char *body, size_t body_len,
					 HttpResult *res)
{
	ApiError	err;

	if (!api_request(t, method, path, query, body, body_len, res, &err))
		api_raise(&err);
}

void
api_raise_bad_answer(const ApiTarget *t, const char *what, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_SMS_API_BAD_ANSWER),
			 errmsg("the %s answered something unusable to %s", t->api_name, what),
			 errdetail_internal("%s", problem)));
	pg_unreachable();
}
