/*
 * http.c
 *		libcurl transport: one handle per backend, reused so the connection
 *		stays alive between calls; HTTPS always verified; redirects never
 *		followed; driven through the multi interface in short slices so that
 *		a cancel or statement_timeout interrupts a request within
 *		milliseconds (libcurl's progress callback can be a second late on an
 *		idle line).
 */
#include "postgres.h"

#include <curl/curl.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/guc.h"
#include "http/http.h"
#include "core/sms_api.h"

/* Longest wait between two interrupt checks. */
#define HTTP_POLL_SLICE_MS 10

/* One handle per transfer that may be in flight, each keeping its connection. */
static CURL *handles[HTTP_MAX_PARALLEL];
static CURLM *multi = NULL;

typedef struct ResponseBuffer
{
	MemoryContext cxt;
	char	   *data;
	size_t		len;
	size_t		cap;
	size_t		limit;
	bool		too_large;
	bool		oom;
} ResponseBuffer;

static void
http_init(int n)
{
	if (multi == NULL)
	{
		if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not initialize libcurl")));
		multi = curl_multi_init();
	}
	for (int i = 0; i < n; i++)
		if (handles[i] == NULL)
			handles[i] = curl_easy_init();
	if (multi == NULL || handles[n - 1] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not create a libcurl handle.")));
}

/*
 * libcurl calls this from inside curl_multi_perform, so it must never
 * ereport: a longjmp through libcurl would corrupt its state. Failures are
 * flagged and reported once the transfer is over.
 */
static size_t
collect_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	ResponseBuffer *buf = (ResponseBuffer *) userdata;
	size_t		n = size * nmemb;

	if (buf->len + n > buf->limit)
	{
		buf->too_large = true;
		return 0;
	}
	if (buf->len + n + 1 > buf->cap)
	{
		size_t		newcap = Max(buf->cap * 2, buf->len + n + 1);
		char	   *newdata;

		newcap = Min(newcap, buf->limit + 1);
		newdata = MemoryContextAllocExtended(buf->cxt, newcap,
											 MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		if (newdata == NULL)
		{
			buf->oom = true;
			return 0;
		}
		if (buf->len > 0)
			memcpy(newdata, buf->data, buf->len);
		if (buf->data != NULL)
			pfree(buf->data);
		buf->data = newdata;
		buf->cap = newcap;
	}
	memcpy(buf->data + buf->len, ptr, n);
	buf->len += n;
	return n;
}

static void
free_headers(struct curl_slist *list)
{
	/* header values carry credentials: leave none in freed memory */
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static struct curl_slist *
append_header(struct curl_slist *list, const char *name, const char *value)
{
	char	   *line = psprintf("%s: %s", name, value);
	struct curl_slist *newlist = curl_slist_append(list, line);

	explicit_bzero(line, strlen(line));
	pfree(line);
	if (newlist == NULL)
	{
		free_headers(list);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	return newlist;
}

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

/* The request's own headers, then what every JSON request carries. */
static struct curl_slist *
build_headers(const HttpRequest *req)
{
	struct curl_slist *list = NULL;
	struct curl_slist *newlist;

	for (int i = 0; i < req->nheaders; i++)
		list = append_header(list, req->headers[i].name, req->headers[i].value);
	list = append_header(list, "Accept", "application/json");
	if (req->body != NULL)
		list = append_header(list, "Content-Type",
							 req->content_type ? req->content_type : JSON_CONTENT_TYPE);
	/* an empty value removes the header: no 100-continue round trip */
	newlist = curl_slist_append(list, "Expect:");
	if (newlist == NULL)
	{
		free_headers(list);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	return newlist;
}

/*
 * The header list each handle sent last, reused while a request's headers
 * are the same (credentials rarely change; a signed request's never are):
 * building a list costs as much as parsing a loopback answer. key holds
 * the headers as "name\0value\0...content-type\0", in TopMemoryContext,
 * zeroed when replaced since it carries credentials.
 */
typedef struct HeaderCache
{
	struct curl_slist *list;
	char	   *key;
	size_t		keylen;
} HeaderCache;

static HeaderCache header_cache[HTTP_MAX_PARALLEL];

static const char *
body_type(const HttpRequest *req)
{
	if (req->body == NULL)
		return "";
	return req->content_type ? req->content_type : JSON_CONTENT_TYPE;
}

/* Whether *p starts with s and its NUL; if so, step past them. */
static bool
take(const char **p, const char *end, const char *s)
{
	size_t		n = strlen(s) + 1;

	if ((size_t) (end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool
cache_matches(const HeaderCache *c, const HttpRequest *req)
{
	const char *p = c->key;
	const char *end;

	if (p == NULL)
		return false;
	end = c->key + c->keylen;
	for (int i = 0; i < req->nheaders; i++)
		if (!take(&p, end, req->headers[i].name) || !take(&p, end, req->headers[i].value))
			return false;
	return take(&p, end, body_type(req)) && p == end;
}

static void
forget_cached(HeaderCache *c)
{
	free_headers(c->list);
	c->list = NULL;
	if (c->key != NULL)
	{
		explicit_bzero(c->key, c->keylen);
		pfree(c->key);
	}
	c->key = NULL;
	c->keylen = 0;
}

static struct curl_slist *
headers_for(int i, const HttpRequest *req)
{
	HeaderCache *c = &header_cache[i];
	StringInfoData key;

	if (cache_matches(c, req))
		return c->list;
	/* the handle must not keep pointing at the list about to be freed */
	curl_easy_setopt(handles[i], CURLOPT_HTTPHEADER, NULL);
	forget_cached(c);
	c->list = build_headers(req);
	initStringInfo(&key);
	for (int h = 0; h < req->nheaders; h++)
	{
		appendBinaryStringInfo(&key, req->headers[h].name, strlen(req->headers[h].name) + 1);
		appendBinaryStringInfo(&key, req->headers[h].value, strlen(req->headers[h].value) + 1);
	}
	appendBinaryStringInfo(&key, body_type(req), strlen(body_type(req)) + 1);
	c->key = MemoryContextAlloc(TopMemoryContext, key.len);
	memcpy(c->key, key.data, key.len);
	c->keylen = key.len;
	explicit_bzero(key.data, key.len);
	pfree(key.data);
	return c->list;
}

/*
 * What each handle was configured with. A full reset and the fixed options
 * cost as much user time as the rest of a loopback request, so they are
 * done once per handle, and again only when sms_api.ca_file changes; the
 * URL is set only when it differs from the handle's last one.
 */
typedef struct HandleSetup
{
	bool		configured;
	char	   *ca_file;		/* in TopMemoryContext; NULL for none */
	char	   *url;			/* in TopMemoryContext; NULL until set */
} HandleSetup;

static HandleSetup setups[HTTP_MAX_PARALLEL];

/*
 * The multipart body of each handle's current transfer. libcurl reads each
 * part through form_read from the caller's memory, so a credential in a
 * field is never copied into memory libcurl frees without zeroing, and a
 * large file part is not copied at all.
 */
static curl_mime *mimes[HTTP_MAX_PARALLEL];

typedef struct FormReader
{
	const char *data;
	size_t		len;
	size_t		pos;
} FormReader;

/* Called from inside libcurl: never ereport. */
static size_t
form_read(char *buffer, size_t size, size_t nitems, void *arg)
{
	FormReader *r = (FormReader *) arg;
	size_t		n = Min(size * nitems, r->len - r->pos);

	if (n > 0)
		memcpy(buffer, r->data + r->pos, n);
	r->pos += n;
	return n;
}

static int
form_seek(void *arg, curl_off_t offset, int origin)
{
	FormReader *r = (FormReader *) arg;

	if (origin != SEEK_SET || offset < 0 || (size_t) offset > r->len)
		return CURL_SEEKFUNC_CANTSEEK;
	r->pos = (size_t) offset;
	return CURL_SEEKFUNC_OK;
}

static void
free_mimes(void)
{
	for (int i = 0; i < HTTP_MAX_PARALLEL; i++)
		if (mimes[i] != NULL)
		{
			curl_easy_setopt(handles[i], CURLOPT_MIMEPOST, NULL);
			curl_mime_free(mimes[i]);
			mimes[i] = NULL;
		}
}

static void
mime_failed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory"),
			 errdetail("Could not build a multipart request.")));
}

/* The multipart body of req on handle i (kept in mimes[i] until the end). */
static curl_mime *
build_form(int i, const HttpRequest *req)
{
	curl_mime  *mime = curl_mime_init(handles[i]);

	if (mime == NULL)
		mime_failed();
	mimes[i] = mime;
	for (int k = 0; k < req->nform; k++)
	{
		const HttpFormPart *f = &req->form[k];
		curl_mimepart *part = curl_mime_addpart(mime);
		FormReader *r = palloc(sizeof(FormReader));

		r->data = f->data;
		r->len = f->len;
		r->pos = 0;
		if (part == NULL ||
			curl_mime_name(part, f->name) != CURLE_OK ||
			curl_mime_data_cb(part, (curl_off_t) f->len, form_read, form_seek, NULL, r) != CURLE_OK ||
			(f->filename != NULL && curl_mime_filename(part, f->filename) != CURLE_OK) ||
			(f->type != NULL && curl_mime_type(part, f->type) != CURLE_OK))
			mime_failed();
	}
	return mime;
}

static void
forget_string(char **s)
{
	if (*s != NULL)
		pfree(*s);
	*s = NULL;
}

static bool
same_string(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static void
configure_handle(int i, const char *ca_file)
{
	CURL	   *easy = handles[i];
	HandleSetup *hs = &setups[i];

	hs->configured = false;
	forget_string(&hs->ca_file);
	forget_string(&hs->url);
	curl_easy_reset(easy);		/* keeps the live connection */
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file != NULL)
	{
		const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

		/* the bundle is an addition: keep the system's CA directory */
		curl_easy_setopt(easy, CURLOPT_CAINFO, ca_file);
		if (vi->capath != NULL)
			curl_easy_setopt(easy, CURLOPT_CAPATH, vi->capath);
		hs->ca_file = MemoryContextStrdup(TopMemoryContext, ca_file);
	}
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "sms_api/" SMS_API_VERSION);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect_body);
	hs->configured = true;
}

static void
set_options(int i, const HttpRequest *req, ResponseBuffer *buf,
			struct curl_slist *headers, char *errbuf)
{
	CURL	   *easy = handles[i];
	HandleSetup *hs = &setups[i];
	const char *ca_file = (sms_api_ca_file != NULL && sms_api_ca_file[0] != '\0')
		? sms_api_ca_file : NULL;

	if (!hs->configured || !same_string(hs->ca_file, ca_file))
		configure_handle(i, ca_file);
	if (!same_string(hs->url, req->url))
	{
		forget_string(&hs->url);
		if (curl_easy_setopt(easy, CURLOPT_URL, req->url) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		hs->url = MemoryContextStrdup(TopMemoryContext, req->url);
	}
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) sms_api_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) sms_api_connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) buf->limit);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, buf);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	if (strcmp(req->method, "POST") == 0 && req->form != NULL)
	{
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) -1);
		curl_easy_setopt(easy, CURLOPT_MIMEPOST, build_form(i, req));
	}
	else if (strcmp(req->method, "POST") == 0)
	{
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
						 (curl_off_t) (req->body ? req->body_len : 0));
	}
	else
	{
		/* forget the last POST's body, which is freed by now */
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) -1);
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	}
}

/* One transfer's state while it runs. */
typedef struct Transfer
{
	ResponseBuffer buf;
	char		errbuf[CURL_ERROR_SIZE];
	CURLcode	result;
	bool		finished;
	bool		reported;
} Transfer;

static void collect(int i, Transfer *t, HttpResult *res);

static void
release(int added)
{
	for (int i = 0; i < added; i++)
		curl_multi_remove_handle(multi, handles[i]);
}

/* Note finished transfers, and hand each to done() once. */
static void
report_finished(Transfer *t, HttpResult *res, int n, HttpDone done, void *arg)
{
	CURLMsg    *msg;
	int			queued;

	while ((msg = curl_multi_info_read(multi, &queued)) != NULL)
	{
		for (int i = 0; i < n; i++)
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == handles[i])
			{
				t[i].result = msg->data.result;
				t[i].finished = true;
			}
	}
	if (done == NULL)
		return;
	for (int i = 0; i < n; i++)
		if (t[i].finished && !t[i].reported)
		{
			t[i].reported = true;
			collect(i, &t[i], &res[i]);
			done(i, &res[i], arg);
		}
}

/*
 * Run the transfers to their end, each started at its not_before, handing
 * each result to done() as soon as it is complete (and every transfer has
 * started) while the others go on; an interrupt, or an error raised by
 * done(), propagates after every handle is released.
 */
static void
run_transfers(const HttpRequest *reqs, Transfer *t, HttpResult *res, int n,
			  HttpDone done, void *arg)
{
	volatile int added = 0;

	PG_TRY();
	{
		CURLMcode	mc;
		int			running = 1;

		for (;;)
		{
			long		wait_ms = HTTP_POLL_SLICE_MS;

			for (; added < n && reqs[added].not_before <= GetCurrentTimestamp(); added++)
			{
				mc = curl_multi_add_handle(multi, handles[added]);
				if (mc != CURLM_OK)
					ereport(ERROR,
							(errcode(ERRCODE_INTERNAL_ERROR),
							 errmsg("could not start an HTTP transfer: %s", curl_multi_strerror(mc))));
			}
			mc = curl_multi_perform(multi, &running);
			if (mc != CURLM_OK)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("HTTP transfer failed: %s", curl_multi_strerror(mc))));
			/*
			 * What done() does (a transaction, say) waits until every
			 * transfer has started: it must not make the next one late.
			 */
			report_finished(t, res, n, added == n ? done : NULL, arg);
			if (running == 0 && added == n)
				break;
			if (added < n)
			{
				long		secs;
				int			usecs;

				TimestampDifference(GetCurrentTimestamp(), reqs[added].not_before, &secs, &usecs);
				wait_ms = Min(wait_ms, secs * 1000 + (usecs + 999) / 1000);
			}
			mc = curl_multi_poll(multi, NULL, 0, (int) wait_ms, NULL);
			if (mc != CURLM_OK)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("HTTP transfer failed: %s", curl_multi_strerror(mc))));
			CHECK_FOR_INTERRUPTS();
		}
		report_finished(t, res, n, done, arg);
	}
	PG_CATCH();
	{
		release(added);
		free_mimes();
		PG_RE_THROW();
	}
	PG_END_TRY();
	release(added);
}

static bool
is_setup_failure(CURLcode code)
{
	switch (code)
	{
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_ENGINE_NOTFOUND:
		case CURLE_SSL_ENGINE_SETFAILED:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		case CURLE_SSL_INVALIDCERTSTATUS:
		case CURLE_SSL_CRL_BADFILE:
			return true;
		default:
			return false;
	}
}

/* What the transfer of handle i came to. */
static void
collect(int i, Transfer *t, HttpResult *res)
{
	CURL	   *easy = handles[i];
	long		request_size = 0;
	long		connects = 0;
	CURLcode	code = t->result;

	/*
	 * libcurl re-sends a request whose kept connection died unanswered, and
	 * counts such re-sends per handle until the sixth fails; only a reset
	 * clears the count. Reset before the next request after any new
	 * connection or failure: rare, so the common path stays cheap.
	 */
	curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
	if (code != CURLE_OK || connects > 0)
		setups[i].configured = false;

	memset(res, 0, sizeof(*res));
	res->retry_after_s = -1;
	if (t->buf.oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not buffer an answer of %zu bytes.", t->buf.len)));

	curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
	if (code == CURLE_OK)
	{
		curl_off_t	retry_after = 0;

		res->outcome = HTTP_ANSWERED;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &res->status);
#if LIBCURL_VERSION_NUM >= 0x074200
		if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
			retry_after > 0)
			res->retry_after_s = (long) Min(retry_after, (curl_off_t) 86400);
#endif
		if (t->buf.data == NULL)
			t->buf.data = palloc(1);
		t->buf.data[t->buf.len] = '\0';
		res->body = t->buf.data;
		res->body_len = t->buf.len;
		return;
	}

	strlcpy(res->error, t->errbuf[0] ? t->errbuf : curl_easy_strerror(code), sizeof(res->error));
	if (t->buf.data != NULL)
		pfree(t->buf.data);

	if (t->buf.too_large || code == CURLE_FILESIZE_EXCEEDED)
		res->outcome = HTTP_TOO_LARGE;
	else if (is_setup_failure(code))
		res->outcome = HTTP_SETUP_FAILED;
	else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
			 code == CURLE_COULDNT_RESOLVE_PROXY || request_size == 0)
		res->outcome = HTTP_CONNECT_FAILED;
	else
		res->outcome = HTTP_NO_ANSWER;
}

void
http_perform_many(const HttpRequest *reqs, HttpResult *res, int n,
				  HttpDone done, void *arg)
{
	Transfer	t[HTTP_MAX_PARALLEL];

	Assert(n >= 1 && n <= HTTP_MAX_PARALLEL);
	http_init(n);
	memset(t, 0, sizeof(t));
	for (int i = 0; i < n; i++)
	{
		t[i].buf.cxt = CurrentMemoryContext;
		t[i].buf.limit = (size_t) sms_api_max_response_bytes;
	}
	/* the forms of a call an error cut short, if any */
	free_mimes();
	for (int i = 0; i < n; i++)
		set_options(i, &reqs[i], &t[i].buf, headers_for(i, &reqs[i]), t[i].errbuf);
	run_transfers(reqs, t, res, n, done, arg);
	free_mimes();
	for (int i = 0; i < n; i++)
		if (!t[i].reported)
			collect(i, &t[i], &res[i]);
}

void
http_perform(const HttpRequest *req, HttpResult *res)
{
	http_perform_many(req, res, 1, NULL, NULL);
}

char *
http_escape(const char *s)
{
	char	   *escaped;
	char	   *result;

	http_init(1);
	escaped = curl_easy_escape(handles[0], s, (int) strlen(s));
	if (escaped == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	result = pstrdup(escaped);
	curl_free(escaped);
	return result;
}

void
http_add_header(HttpRequest *req, const char *name, const char *value)
{
	if (req->nheaders >= HTTP_MAX_HEADERS)
		elog(ERROR, "too many headers for one request");
	req->headers[req->nheaders].name = name;
	req->headers[req->nheaders].value = value;
	req->nheaders++;
}
