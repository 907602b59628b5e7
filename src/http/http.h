/*
 * http.h
 *		The HTTP transport: one attempt of one request over a reused libcurl
 *		handle. It knows nothing of the API's semantics, SPI or tables.
 */
#ifndef SMS_API_HTTP_H
#define SMS_API_HTTP_H

#include "datatype/timestamp.h"

typedef enum HttpOutcome
{
	HTTP_ANSWERED,				/* an HTTP status arrived, see status */
	HTTP_CONNECT_FAILED,		/* nothing was sent: refused, DNS, connect timeout */
	HTTP_SETUP_FAILED,			/* TLS or URL unusable: retrying will not help */
	HTTP_NO_ANSWER,				/* the request was sent but no complete answer came */
	HTTP_TOO_LARGE				/* the answer exceeded sms_api.max_response_bytes */
} HttpOutcome;

/* A header the caller adds (credentials, a signature, a Date). */
typedef struct HttpHeader
{
	const char *name;
	const char *value;
} HttpHeader;

#define HTTP_MAX_HEADERS 6

/*
 * A part of a multipart/form-data body: a field, or a file when filename is
 * set. The data is sent from where it lies, never copied, so it must live
 * until the transfer ends.
 */
typedef struct HttpFormPart
{
	const char *name;
	const char *data;
	size_t		len;
	const char *filename;		/* NULL: a plain field */
	const char *type;			/* the part's Content-Type, or NULL */
	bool		secret;			/* a credential: zeroed once the request is done */
} HttpFormPart;

typedef struct HttpRequest
{
	const char *method;			/* "GET" or "POST" */
	const char *url;			/* absolute URL, query string included */
	HttpHeader	headers[HTTP_MAX_HEADERS];
	int			nheaders;
	const char *content_type;	/* of body; NULL means JSON */
	const char *body;			/* POST body or NULL */
	size_t		body_len;
	const HttpFormPart *form;	/* a multipart POST instead of body, or NULL */
	int			nform;
	uint64		auth_tag;		/* the target's: which credentials it put in */
	TimestampTz not_before;		/* of several, start no earlier (0: at once) */
} HttpRequest;

/* Add a header to req (at most HTTP_MAX_HEADERS). */
extern void http_add_header(HttpRequest *req, const char *name, const char *value);

typedef struct HttpResult
{
	HttpOutcome outcome;
	long		status;			/* HTTP status when outcome is HTTP_ANSWERED */
	char	   *body;			/* palloc'd, NUL-terminated, in the caller's context */
	size_t		body_len;
	long		retry_after_s;	/* Retry-After in seconds, or -1 */
	char		error[256];		/* libcurl's description when not answered */
} HttpResult;

/* Transfers that may run at once (http_perform_many). */
#define HTTP_MAX_PARALLEL 4

/*
 * Perform one attempt. Waits in short slices and lets CHECK_FOR_INTERRUPTS
 * raise a cancel or statement_timeout; the transfer is released first.
 */
extern void http_perform(const HttpRequest *req, HttpResult *res);

/* Called as soon as the i-th of several transfers is complete. */
typedef void (*HttpDone) (int i, HttpResult *res, void *arg);

/*
 * One attempt of each of n (<= HTTP_MAX_PARALLEL) requests, in flight
 * together, each started at its not_before (non-decreasing); done (if not
 * NULL) hears of each as it completes.
 */
extern void http_perform_many(const HttpRequest *reqs, HttpResult *res, int n,
							  HttpDone done, void *arg);

/* Percent-encode s (RFC 3986 unreserved characters stay), palloc'd. */
extern char *http_escape(const char *s);

#endif							/* SMS_API_HTTP_H */
