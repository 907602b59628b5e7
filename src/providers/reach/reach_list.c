/*
 * reach_list.c
 *		GET /messages over a window, every page: limit 200 (the API's
 *		default) and start, until a short or empty page. Each page is
 *		merged into sms_api.reach_message as it arrives and handed to the
 *		caller. Dates go as RFC 1123 in GMT, as the seed documents.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/scrub.h"
#include "core/sms_api.h"
#include "providers/reach/reach.h"

/* A listing that never ends (the API repeating full pages) stops here. */
#define REACH_MAX_PAGES 5000

/*
 * In the database's encoding, and scrubbed of our secrets. A character the
 * database's encoding cannot hold becomes '?', so that one message cannot
 * make every listing of its page fail.
 */
static char *
to_server(char *s)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *volatile converted = NULL;

	if (s == NULL)
		return NULL;
	if (GetDatabaseEncoding() == PG_UTF8)
		converted = pstrdup(s);
	else
	{
		PG_TRY();
		{
			converted = pg_any_to_server(s, strlen(s), PG_UTF8);
			if (converted == s)
				converted = pstrdup(s);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			if (edata->sqlerrcode != ERRCODE_UNTRANSLATABLE_CHARACTER &&
				edata->sqlerrcode != ERRCODE_CHARACTER_NOT_IN_REPERTOIRE)
				PG_RE_THROW();
			FlushErrorState();
			FreeErrorData(edata);
			/* each multibyte character (valid UTF-8: json-c checked) as one '?' */
			converted = palloc(strlen(s) + 1);
			{
				char	   *out = converted;

				for (const char *p = s; *p; p++)
					if ((unsigned char) *p < 0x80)
						*out++ = *p;
					else if (((unsigned char) *p & 0xC0) == 0xC0)
						*out++ = '?';
				*out = '\0';
			}
		}
		PG_END_TRY();
	}
	scrub_text(converted);
	return converted;
}

void
reach_message_to_server(ReachMessage *m)
{
	m->message_id = to_server(m->message_id);
	m->id = to_server(m->id);
	m->short_code = to_server(m->short_code);
	m->country = to_server(m->country);
	m->msisdn = to_server(m->msisdn);
	m->direction = to_server(m->direction);
	m->status = to_server(m->status);
	m->message = to_server(m->message);
	m->sent_from = to_server(m->sent_from);
	m->created_by = to_server(m->created_by);
}

uint64
reach_list(const ReachWindow *w, ReachPageFn page_fn, void *arg)
{
	char	   *start_date = reach_http_date(timestamptz_to_time_t(w->start_at));
	char	   *end_date = reach_http_date(timestamptz_to_time_t(w->end_at));
	uint64		merged = 0;
	MemoryContext page_cxt = AllocSetContextCreate(CurrentMemoryContext, "sms_api reach page",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext outer = CurrentMemoryContext;
	char	   *previous_first = NULL;

	for (int page = 0;; page++)
	{
		ReachParam	params[7];
		int			np = 0;
		char	   *query;
		HttpResult	res;
		ReachMessage *msgs;
		int			n;
		int			items;
		const char *problem;

		CHECK_FOR_INTERRUPTS();
		/* one page's answer and messages at a time, however many pages */
		MemoryContextReset(page_cxt);
		MemoryContextSwitchTo(page_cxt);
		if (page >= REACH_MAX_PAGES)
			ereport(ERROR,
					(errcode(ERRCODE_SMS_API_BAD_ANSWER),
					 errmsg("the Reach API kept answering full pages"),
					 errdetail("%d pages of %d messages were read; the listing stops there.",
							   REACH_MAX_PAGES, REACH_PAGE_LIMIT),
					 errhint("List a narrower window.")));
		params[np++] = (ReachParam) {"start_date", start_date};
		params[np++] = (ReachParam) {"end_date", end_date};
		params[np++] = (ReachParam) {"limit", CppAsString2(REACH_PAGE_LIMIT)};
		params[np++] = (ReachParam) {"start", psprintf("%d", page * REACH_PAGE_LIMIT)};
		params[np++] = (ReachParam) {"direction", w->direction};
		if (w->msisdn != NULL)
			params[np++] = (ReachParam) {"msisdn", w->msisdn};
		if (w->tag != NULL)
			params[np++] = (ReachParam) {"group_short_name", w->tag};
		query = reach_query(params, np);

		api_request_or_raise(&reach_target, "GET", "/messages", query, NULL, 0, &res);
		problem = reach_decode_list(res.body, res.body_len, &msgs, &n, &items);
		if (problem != NULL)
			api_raise_bad_answer(&reach_target, "a message listing", problem);
		for (int i = 0; i < n; i++)
			reach_message_to_server(&msgs[i]);
		merged += reach_store(msgs, n);
		if (page_fn != NULL)
			page_fn(msgs, n, arg);
		MemoryContextSwitchTo(outer);
		/*
		 * Items that were no objects count: the page was full all the same.
		 * A page longer than asked for means the API ignored limit (and so
		 * start): it was everything.
		 */
		if (items != REACH_PAGE_LIMIT)
			break;
		/* the same page again means start is ignored: it would never end */
		if (n > 0 && msgs[0].message_id != NULL && previous_first != NULL &&
			strcmp(msgs[0].message_id, previous_first) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_SMS_API_BAD_ANSWER),
					 errmsg("the Reach API answered the same page twice"),
					 errdetail("Page %d starts with message %s, as the page before did: the API ignores start.",
							   page + 1, previous_first)));
		if (previous_first != NULL)
			pfree(previous_first);
		previous_first = (n > 0 && msgs[0].message_id != NULL)
			? MemoryContextStrdup(outer, msgs[0].message_id) : NULL;
	}
	MemoryContextDelete(page_cxt);
	return merged;
}
