/*
 * reach_sign.c
 *		Reach's request signature: base64(HMAC-SHA1(api secret, api key +
 *		Date header + sorted query string + body)), sent as
 *		"Authorization: IM <api key>:<signature>" next to that Date. The
 *		query is built here too, so that the URL carries exactly the string
 *		that was signed. Nothing here logs or keeps what it signs.
 */
#include "postgres.h"

#include "common/base64.h"
#include "common/hmac.h"
#include "common/sha1.h"
#include "lib/stringinfo.h"
#include "utils/resowner.h"

#include "http/http.h"
#include "providers/reach/reach.h"

/* RFC 1123 in GMT ("Mon, 11 Jun 2014 17:33:23 GMT"), in C-locale names. */
char *
reach_http_date(pg_time_t t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct pg_tm *tm = pg_gmtime(&t);

	if (tm == NULL)
		elog(ERROR, "could not convert a time to GMT");
	return psprintf("%s, %02d %s %04d %02d:%02d:%02d GMT",
					days[tm->tm_wday], tm->tm_mday, months[tm->tm_mon],
					tm->tm_year + 1900, tm->tm_hour, tm->tm_min, tm->tm_sec);
}

static int
compare_params(const void *a, const void *b)
{
	return strcmp(((const ReachParam *) a)->name, ((const ReachParam *) b)->name);
}

/* A value as the signature wants it: RFC 3986 percent-encoding, spaces as '+'. */
static void
append_encoded(StringInfo buf, const char *value)
{
	char	   *escaped = http_escape(value);

	for (const char *p = escaped; *p; p++)
	{
		if (p[0] == '%' && p[1] == '2' && p[2] == '0')
		{
			appendStringInfoChar(buf, '+');
			p += 2;
		}
		else
			appendStringInfoChar(buf, *p);
	}
	pfree(escaped);
}

/*
 * The parameters sorted by name (stable: qsort is not, so names must be
 * distinct, as ours are), "name=value" joined by '&'; "" when none.
 */
char *
reach_query(ReachParam *params, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	qsort(params, n, sizeof(ReachParam), compare_params);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, '&');
		append_encoded(&buf, params[i].name);
		appendStringInfoChar(&buf, '=');
		append_encoded(&buf, params[i].value);
	}
	return buf.data;
}

/*
 * PostgreSQL's HMAC registers its OpenSSL context with the current resource
 * owner, and the worker signs outside any transaction, where there is none:
 * then a resource owner of our own holds it for the call.
 */
static ResourceOwner sign_owner = NULL;

static ResourceOwner
begin_owner(void)
{
	ResourceOwner saved = CurrentResourceOwner;

	if (CurrentResourceOwner == NULL)
	{
		if (sign_owner == NULL)
			sign_owner = ResourceOwnerCreate(NULL, "sms_api reach signature");
		CurrentResourceOwner = sign_owner;
	}
	return saved;
}

static void
hmac_failed(pg_hmac_ctx *ctx, ResourceOwner saved)
{
	const char *why = pstrdup(pg_hmac_error(ctx));

	pg_hmac_free(ctx);
	CurrentResourceOwner = saved;
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("could not compute the Reach request signature: %s", why)));
}

char *
reach_signature(const char *key, const char *secret, const char *date,
				const char *sorted_query, const char *body, size_t body_len)
{
	ResourceOwner saved = begin_owner();
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA1);
	uint8		digest[SHA1_DIGEST_LENGTH];
	char	   *encoded;
	int			len;

	if (ctx == NULL)
	{
		CurrentResourceOwner = saved;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	if (pg_hmac_init(ctx, (const uint8 *) secret, strlen(secret)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) key, strlen(key)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) date, strlen(date)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) sorted_query, strlen(sorted_query)) < 0 ||
		(body_len > 0 && pg_hmac_update(ctx, (const uint8 *) body, body_len) < 0) ||
		pg_hmac_final(ctx, digest, sizeof(digest)) < 0)
		hmac_failed(ctx, saved);
	pg_hmac_free(ctx);
	CurrentResourceOwner = saved;

	encoded = palloc(pg_b64_enc_len(sizeof(digest)) + 1);
#if PG_VERSION_NUM >= 180000
	len = pg_b64_encode(digest, sizeof(digest), encoded, pg_b64_enc_len(sizeof(digest)));
#else
	len = pg_b64_encode((const char *) digest, sizeof(digest), encoded,
						pg_b64_enc_len(sizeof(digest)));
#endif
	explicit_bzero(digest, sizeof(digest));
	if (len < 0)
		elog(ERROR, "could not encode the Reach request signature");
	encoded[len] = '\0';
	return encoded;
}
