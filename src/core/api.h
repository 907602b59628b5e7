/*
 * api.h
 *		One call to the SMS API: credentials, rate limit, automatic retries
 *		where the API surely did not act, and the mapping of every failure to
 *		a documented SQLSTATE.
 */
#ifndef SMS_API_API_H
#define SMS_API_API_H

#include "http/http.h"

typedef enum ApiKind
{
	API_SEND,					/* counts against sms_api.send_rate_limit */
	API_QUERY					/* the status endpoints: sms_api.query_rate_limit */
} ApiKind;

typedef struct ApiError
{
	int			sqlstate;
	char	   *message;
	char	   *detail;
	char	   *hint;
} ApiError;

/* What this process's calls did; the worker publishes them in worker_status. */
typedef struct ApiCounters
{
	uint64		requests;		/* HTTP requests made */
	uint64		retries;		/* automatic retries */
	uint64		rate_limited;	/* 429 answers */
} ApiCounters;

extern ApiCounters api_counters;

/*
 * Returns true with *res holding a 2xx answer, or false with *err
 * describing the failure. Cancels and statement_timeout always raise.
 */
extern bool api_request(ApiKind kind, const char *method, const char *path,
						const char *query, const char *body, size_t body_len,
						HttpResult *res, ApiError *err);

extern void api_raise(const ApiError *err) pg_attribute_noreturn();

/* Hears of the i-th POST of api_post_many: ok with res, or err. */
typedef void (*ApiDone) (int i, bool ok, const HttpResult *res, const ApiError *err,
						 void *arg);

/*
 * n (<= HTTP_MAX_PARALLEL) POSTs in flight together, one attempt each,
 * each handed to done() as soon as it completes. For callers that do their
 * own retrying (the outbox drain).
 */
extern void api_post_many(const char *path, char *const *bodies, const size_t *lens,
						  int n, ApiDone done, void *arg);

/* api_request that raises on failure. */
extern void api_request_or_raise(ApiKind kind, const char *method,
								 const char *path, const char *query,
								 const char *body, size_t body_len,
								 HttpResult *res);

/* Raise SM004 for an answer the codec could not use. */
extern void api_raise_bad_answer(const char *what, const char *problem) pg_attribute_noreturn();

#endif							/* SMS_API_API_H */
