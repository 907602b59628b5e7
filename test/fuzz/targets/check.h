/*
 * check.h
 *		Oracles on decoded Sinch items, after scrubbing: no text holds the
 *		secret, and every text is valid UTF-8 (json-c validated the body).
 */
#ifndef SMS_API_FUZZ_CHECK_H
#define SMS_API_FUZZ_CHECK_H

static inline void
check_text(const char *s)
{
	if (s == NULL)
		return;
	if (strstr(s, SHIM_SECRET) != NULL)
		shim_fail("the secret survived scrubbing in \"%s\"", s);
	if (!shim_valid_utf8(s))
		shim_fail("a decoded text is not valid UTF-8");
}

static inline void
check_statuses(const StatusList *st)
{
	for (int i = 0; i < st->n; i++)
	{
		const ApiStatus *s = &st->items[i];

		check_text(s->correlation_id);
		check_text(s->carrier_name);
		check_text(s->destination);
		check_text(s->sent_status);
		check_text(s->delivered_status);
		check_text(s->extra_info);
		if ((s->has_sent_at && s->sent_at_ms < 0) ||
			(s->has_delivered_at && s->delivered_at_ms < 0))
			shim_fail("a time before 1970 accepted");
	}
}

static inline void
check_mos(const MoList *mo)
{
	for (int i = 0; i < mo->n; i++)
	{
		const ApiMo *m = &mo->items[i];

		check_text(m->sub_account);
		check_text(m->campaign_alias);
		check_text(m->carrier_name);
		check_text(m->source);
		check_text(m->short_code);
		check_text(m->message_text);
		check_text(m->mt_correlation_id);
		check_text(m->mt_username);
		check_text(m->mt_email);
		if (m->has_received_at && m->received_at_ms < 0)
			shim_fail("a time before 1970 accepted");
	}
}

#endif							/* SMS_API_FUZZ_CHECK_H */
