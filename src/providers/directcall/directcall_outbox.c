/*
 * directcall_outbox.c
 *		How the outbox drain sends Directcall rows: rows with the same text,
 *		options (kind, audio id, origin, hour window) and schedule share one
 *		POST /sms/send, their numbers in its CSV, up to
 *		sms_api.queue_batch_size. A row is an SMS (tipo texto) unless its
 *		options say {"kind": "voz"} or give an audio_id. The answer's caller
 *		id becomes every row's provider_ref. The API reports no delivery, so
 *		there is nothing more to keep.
 */
#include "postgres.h"

#include "datatype/timestamp.h"

#include "core/guc.h"
#include "core/sms_api.h"
#include "providers/directcall/directcall.h"

static int
directcall_batch_size(void)
{
	return sms_api_queue_batch_size;
}

/* %L quotes every value and writes NULL bare: no two keys collide. */
static const char *
directcall_batch_key_sql(void)
{
	return "pg_catalog.format('%L %L %L', o.message_text, o.options, o.scheduled_at)";
}

static void
directcall_build_request(const SmsMessage *msgs, int n, ApiCall *call)
{
	DirectcallSend s;
	DirectcallOptions o;
	const char *problem = directcall_read_options(msgs[0].options_json, &o);

	/* check_stored let only readable options through */
	if (problem != NULL)
		elog(ERROR, "unreadable options in a claimed row: %s", problem);
	memset(&s, 0, sizeof(s));
	s.destinations = palloc(n * sizeof(char *));
	for (int i = 0; i < n; i++)
		s.destinations[i] = msgs[i].destination;
	s.ndestinations = n;
	s.text = msgs[0].message_text;
	s.audio_id = o.audio_id;
	if (o.kind != NULL)
		s.kind = o.kind;
	else
		s.kind = o.audio_id != NULL ? "voz" : "texto";
	s.origin = directcall_origin_or_setting(o.origin);
	s.has_cron = msgs[0].has_scheduled_at;
	if (s.has_cron)
		s.cron = (TimestampTz) (msgs[0].scheduled_at_ms * 1000 -
								(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
	s.send_from_hour = o.send_from_hour;
	s.send_until_hour = o.send_until_hour;
	directcall_build_call(&s, call);
}

static const char *
directcall_decode_sent(const HttpResult *res, int n, SentRef *refs)
{
	DirectcallAnswer a;
	const char *problem = directcall_decode_answer(res->body, res->body_len, &a);

	if (problem != NULL)
		return problem;
	/* a 000 is the API's word that it took them: sent, even without a caller id */
	for (int i = 0; i < n; i++)
		refs[i].provider_ref = a.caller_id;
	return NULL;
}

/*
 * Credentials refused (after one token renewal), an account the API does
 * not know, or a wrong base URL (404) pause Directcall's rows until the
 * settings change. Billing and balance are the account's, not the rows':
 * retried with the backoff, so a topped-up account sends them. A refused
 * field fails the row, split out of its request.
 */
static OutboxVerdict
directcall_verdict(const HttpResult *res, const ApiError *err)
{
	char	   *code = directcall_answer_code(res);

	if (directcall_is_billing_code(code))
		return VERDICT_RETRY;
	if (directcall_is_account_code(code) ||
		err->sqlstate == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION ||
		(res->outcome == HTTP_ANSWERED && res->status == 404))
		return VERDICT_PAUSE;
	if (err->sqlstate == ERRCODE_SMS_API_REJECTED)
		return VERDICT_REJECT;
	return VERDICT_RETRY;
}

const Provider directcall_provider = {
	.name = "directcall",
	.paused_state = "paused: check the sms_api.directcall_* settings",
	.define_settings = directcall_define_settings,
	.configured = directcall_configured,
	.queue_args = directcall_queue_args,
	.batch_size = directcall_batch_size,
	.batch_key_sql = directcall_batch_key_sql,
	.check_stored = directcall_check_stored,
	.build_request = directcall_build_request,
	.decode_sent = directcall_decode_sent,
	.verdict = directcall_verdict,
	.probe = NULL,
	.record_sent = NULL,
	.tasks = NULL,
	.ntasks = 0,
};
