/*
 * api.h
 *		One call to a provider's API: pacing, automatic retries where the API
 *		surely did not act, and the mapping of every failure to a documented
 *		SQLSTATE. The provider describes its API with an ApiTarget: how to
 *		address and authenticate a request, and how to read its refusals.
 */
#ifndef SMS_API_API_H
#define SMS_API_API_H

#include "http/http.h"

typedef struct ApiError
{
	int			sqlstate;
	char	   *message;
	char	   *detail;
	char	   *hint;
	bool		unsent;			/* failed before the request went out (authorize) */
} ApiError;

typedef struct ApiTarget ApiTarget;
typedef struct ApiCall ApiCall;

struct ApiTarget
{
	const char *api_name;		/* "SMS API", "Reach API": in messages */
	int			limiter;		/* shared rate limiter slot (providers.h) */
	const int  *rate;			/* its requests per second, 0 = unlimited */

	/*
	 * URL and credentials of one attempt of call. Called again for each
	 * retry, so a signature can carry the time; raises 55000 naming a
	 * missing setting. Makes no request of its own.
	 */
	void		(*prepare) (HttpRequest *req, const ApiCall *call);

	/*
	 * Optional, before each attempt: obtain what prepare needs (a token),
	 * which may take a request of its own. False when that failed, with
	 * *res (that request's answer) and *err filled.
	 */
	bool		(*authorize) (const ApiTarget *t, HttpResult *res, ApiError *err);

	/*
	 * Optional: after a refused attempt of req, whether the credentials it
	 * carried (req->auth_tag) were the cause and are now dropped, so that
	 * one more attempt (with new ones) may succeed. Asked at most once per
	 * call.
	 */
	bool		(*renew) (const ApiTarget *t, const HttpRequest *req, const HttpResult *res);

	/* Optional: whether a 2xx answer is a refusal all the same (its body says so). */
	bool		(*refused) (const HttpResult *res);

	/*
	 * Classify an answer that is not accepted: fill *err, return whether a
	 * retry may help. Providers whose bodies carry codes check those, then
	 * fall back on api_classify_status().
	 */
	bool		(*classify) (const ApiTarget *t, const HttpResult *res, int attempts,
							 ApiError *err);

	/* The error text of an answer's body, palloc'd and printable, or NULL. */
	char	   *(*error_text) (const char *body, size_t len);

	/* Hints name the provider's settings. */
	const char *url_setting;	/* "sms_api.base_url" */
	const char *credentials_hint;
	const char *rate_hint;
	const char *unknown_hint;	/* how to find out whether it went out */
};

/* One request to a target: a body, or a multipart form. */
struct ApiCall
{
	const ApiTarget *target;
	const char *method;
	const char *path;
	const char *query;
	const char *body;
	size_t		body_len;
	const HttpFormPart *form;	/* multipart/form-data instead of body */
	int			nform;
};

/* What this process's calls did; the worker publishes them in worker_status. */
typedef struct ApiCounters
{
	uint64		requests;		/* HTTP requests made */
	uint64		retries;		/* automatic retries */
	uint64		rate_limited;	/* 429 answers */
} ApiCounters;

extern ApiCounters api_counters;

/*
 * Returns true with *res holding an accepted answer, or false with *err
 * describing the failure. Cancels and statement_timeout always raise.
 */
extern bool api_call(const ApiCall *call, HttpResult *res, ApiError *err);

/* api_call of a body (or none). */
extern bool api_request(const ApiTarget *t, const char *method, const char *path,
						const char *query, const char *body, size_t body_len,
						HttpResult *res, ApiError *err);

extern void api_raise(const ApiError *err) pg_attribute_noreturn();

/* Hears of the i-th request of api_request_many: ok with res, or err. */
typedef void (*ApiDone) (int i, bool ok, const HttpResult *res, const ApiError *err,
						 void *arg);

/*
 * n (<= HTTP_MAX_PARALLEL) requests in flight together, one attempt each
 * (and one more for a call whose target renewed its credentials), each
 * handed to done() as soon as it completes. For callers that do their own
 * retrying (the outbox drain).
 */
extern void api_request_many(const ApiCall *calls, int n, ApiDone done, void *arg);

/*
 * The classification by HTTP status alone (and the transport's outcome):
 * 401/403 credentials, 429 rate limit, 500/503 unavailable, other 5xx
 * unknown outcome, other 4xx rejected.
 */
extern bool api_classify_status(const ApiTarget *t, const HttpResult *res, int attempts,
								ApiError *err);

/* "HTTP 400: <the provider's error text>", as api_classify_status words it. */
extern char *api_status_detail(const ApiTarget *t, const HttpResult *res, int attempts);

/* Fill *err. */
extern void api_set_error(ApiError *err, int sqlstate, char *message, char *detail, char *hint);

/* api_call and api_request that raise on failure. */
extern void api_call_or_raise(const ApiCall *call, HttpResult *res);
extern void api_request_or_raise(const ApiTarget *t, const char *method,
								 const char *path, const char *query,
								 const char *body, size_t body_len,
								 HttpResult *res);

/* Raise SM004 for an answer the codec could not use. */
extern void api_raise_bad_answer(const ApiTarget *t, const char *what,
								 const char *problem) pg_attribute_noreturn();

#endif							/* SMS_API_API_H */
