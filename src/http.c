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

#include "miscadmin.h"
#include "utils/memutils.h"

#include "guc.h"
#include "http.h"
#include "sms_api.h"

/* Longest wait between two interrupt checks. */
#define HTTP_POLL_SLICE_MS 10

static CURL *easy = NULL;
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
http_init(void)
{
	if (easy != NULL)
		return;
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not initialize libcurl")));
	multi = curl_multi_init();
	easy = curl_easy_init();
	if (multi == NULL || easy == NULL)
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

static struct curl_slist *
append_header(struct curl_slist *list, const char *name, const char *value)
{
	char	   *line = psprintf("%s: %s", name, value);
	struct curl_slist *newlist = curl_slist_append(list, line);

	explicit_bzero(line, strlen(line));
	pfree(line);
	if (newlist == NULL)
	{
		curl_slist_free_all(list);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	return newlist;
}

static struct curl_slist *
build_headers(const HttpRequest *req)
{
	struct curl_slist *list = NULL;

	list = append_header(list, "username", req->username);
	list = append_header(list, "authenticationtoken", req->token);
	list = append_header(list, "Accept", "application/json");
	if (req->body != NULL)
		list = append_header(list, "Content-Type", "application/json; charset=utf-8");
	/* an empty value removes the header: no 100-continue round trip */
	list = curl_slist_append(list, "Expect:");
	if (list == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return list;
}

static void
set_options(const HttpRequest *req, ResponseBuffer *buf,
			struct curl_slist *headers, char *errbuf)
{
	curl_easy_reset(easy);		/* keeps the live connection */
	curl_easy_setopt(easy, CURLOPT_URL, req->url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (sms_api_ca_file != NULL && sms_api_ca_file[0] != '\0')
	{
		const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

		/* the bundle is an addition: keep the system's CA directory */
		curl_easy_setopt(easy, CURLOPT_CAINFO, sms_api_ca_file);
		if (vi->capath != NULL)
			curl_easy_setopt(easy, CURLOPT_CAPATH, vi->capath);
	}
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) sms_api_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) sms_api_connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) buf->limit);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "sms_api/" SMS_API_VERSION);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, buf);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	if (strcmp(req->method, "POST") == 0)
	{
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
						 (curl_off_t) (req->body ? req->body_len : 0));
	}
	else
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
}

/* Run the transfer to its end; an interrupt raises after the handle is released. */
static CURLcode
run_transfer(struct curl_slist *headers)
{
	volatile bool added = false;
	volatile CURLcode result = CURLE_OK;

	PG_TRY();
	{
		CURLMcode	mc;
		CURLMsg    *msg;
		int			running = 1;
		int			queued;

		mc = curl_multi_add_handle(multi, easy);
		if (mc != CURLM_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not start an HTTP transfer: %s", curl_multi_strerror(mc))));
		added = true;
		for (;;)
		{
			mc = curl_multi_perform(multi, &running);
			if (mc != CURLM_OK)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("HTTP transfer failed: %s", curl_multi_strerror(mc))));
			if (running == 0)
				break;
			mc = curl_multi_poll(multi, NULL, 0, HTTP_POLL_SLICE_MS, NULL);
			if (mc != CURLM_OK)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("HTTP transfer failed: %s", curl_multi_strerror(mc))));
			CHECK_FOR_INTERRUPTS();
		}
		while ((msg = curl_multi_info_read(multi, &queued)) != NULL)
		{
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy)
				result = msg->data.result;
		}
	}
	PG_CATCH();
	{
		if (added)
			curl_multi_remove_handle(multi, easy);
		curl_slist_free_all(headers);
		PG_RE_THROW();
	}
	PG_END_TRY();
	curl_multi_remove_handle(multi, easy);
	curl_slist_free_all(headers);
	return result;
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

void
http_perform(const HttpRequest *req, HttpResult *res)
{
	ResponseBuffer buf;
	struct curl_slist *headers;
	char		errbuf[CURL_ERROR_SIZE];
	CURLcode	code;
	long		request_size = 0;

	http_init();

	memset(&buf, 0, sizeof(buf));
	buf.cxt = CurrentMemoryContext;
	buf.limit = (size_t) sms_api_max_response_bytes;
	errbuf[0] = '\0';
	memset(res, 0, sizeof(*res));
	res->retry_after_s = -1;

	headers = build_headers(req);
	set_options(req, &buf, headers, errbuf);
	code = run_transfer(headers);

	if (buf.oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not buffer an answer of %zu bytes.", buf.len)));

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
		if (buf.data == NULL)
			buf.data = palloc(1);
		buf.data[buf.len] = '\0';
		res->body = buf.data;
		res->body_len = buf.len;
		return;
	}

	strlcpy(res->error, errbuf[0] ? errbuf : curl_easy_strerror(code), sizeof(res->error));
	if (buf.data != NULL)
		pfree(buf.data);

	if (buf.too_large || code == CURLE_FILESIZE_EXCEEDED)
		res->outcome = HTTP_TOO_LARGE;
	else if (is_setup_failure(code))
		res->outcome = HTTP_SETUP_FAILED;
	else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
			 code == CURLE_COULDNT_RESOLVE_PROXY || request_size == 0)
		res->outcome = HTTP_CONNECT_FAILED;
	else
		res->outcome = HTTP_NO_ANSWER;
}

char *
http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	   *result = palloc(strlen(s) * 3 + 1);
	char	   *out = result;

	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
			*out++ = c;
		else
		{
			*out++ = '%';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		}
	}
	*out = '\0';
	return result;
}
