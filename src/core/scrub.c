/*
 * scrub.c
 *		Secrets out of text the API sends back (defence in depth: the API
 *		has no reason to echo them, but a proxy or a debugging endpoint may).
 *		Each occurrence is overwritten with as many '*', so the text keeps
 *		its length and its encoding stays valid.
 */
#include "postgres.h"

#include "core/guc.h"
#include "core/scrub.h"

void
scrub_secrets(char *text, size_t len, const char *const *secrets)
{
	if (text == NULL)
		return;
	for (; *secrets != NULL; secrets++)
	{
		size_t		n = strlen(*secrets);
		char	   *p = text;
		char	   *end = text + len;

		if (n == 0)
			continue;
		while ((size_t) (end - p) >= n &&
			   (p = memchr(p, (*secrets)[0], end - p - n + 1)) != NULL)
		{
			if (memcmp(p, *secrets, n) == 0)
			{
				memset(p, '*', n);
				p += n;
			}
			else
				p++;
		}
	}
}

void
scrub_text(char *text)
{
	if (text != NULL)
		scrub_secrets(text, strlen(text), settings_secrets(false));
}

void
scrub_statuses(StatusList *list)
{
	for (int i = 0; i < list->n; i++)
	{
		ApiStatus  *s = &list->items[i];

		scrub_text(s->correlation_id);
		scrub_text(s->carrier_name);
		scrub_text(s->destination);
		scrub_text(s->sent_status);
		scrub_text(s->delivered_status);
		scrub_text(s->extra_info);
	}
}

void
scrub_mos(MoList *list)
{
	for (int i = 0; i < list->n; i++)
	{
		ApiMo	   *m = &list->items[i];

		scrub_text(m->sub_account);
		scrub_text(m->campaign_alias);
		scrub_text(m->carrier_name);
		scrub_text(m->source);
		scrub_text(m->short_code);
		scrub_text(m->message_text);
		scrub_text(m->mt_correlation_id);
		scrub_text(m->mt_username);
		scrub_text(m->mt_email);
	}
}
