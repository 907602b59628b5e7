/*
 * reach_outbox.c
 *		How the outbox drain sends Reach rows: one POST
 *		/messages/send_to_contact per row (the API has no batch send to
 *		numbers), correlation_id sent as the id, several in flight within
 *		sms_api.reach_rate_limit. The Message answered is merged into
 *		reach_message and its message_id becomes outbox.provider_ref.
 */
#include "postgres.h"

#include "core/sms_api.h"
#include "providers/reach/reach.h"


static bool
reach_configured(void)
{
	return reach_base_url != NULL && reach_base_url[0] != '\0';
}

static int
reach_batch_size(void)
{
	return 1;
}

static void
reach_build_request(const SmsMessage *msgs, int n, ApiCall *call)
{
	Assert(n == 1);
	call->target = &reach_target;
	call->method = "POST";
	call->path = "/messages/send_to_contact";
	call->body = reach_encode_send(msgs[0].destination, NULL, 0, msgs[0].message_text,
								   msgs[0].correlation_id, &call->body_len);
}

static const char *
reach_decode_sent(const HttpResult *res, int n, SentRef *refs)
{
	ReachMessage *m = palloc(sizeof(ReachMessage));
	const char *problem = reach_decode_message(res->body, res->body_len, m);

	if (problem != NULL)
		return problem;
	/* a 2xx without the message's id (an error body, say) is no acceptance */
	if (m->message_id == NULL)
		return "The answer has no message_id.";
	reach_message_to_server(m);
	refs[0].provider_ref = m->message_id;
	refs[0].payload = m;
	return NULL;
}

/*
 * A refused signature or key pauses Reach's rows until the settings change,
 * and so does a 404 (the base URL is wrong). The quota used up is the
 * account's, not the row's: retried with the backoff, so a topped-up
 * account sends them. A validation refusal fails the row.
 */
static OutboxVerdict
reach_verdict(const HttpResult *res, const ApiError *err)
{
	int64		code;
	char	   *error;

	if (res->outcome == HTTP_ANSWERED &&
		reach_decode_error(res->body, res->body_len, &code, &error) && code == REACH_CODE_QUOTA)
		return VERDICT_RETRY;
	if (err->sqlstate == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION ||
		(res->outcome == HTTP_ANSWERED && res->status == 404))
		return VERDICT_PAUSE;
	if (err->sqlstate == ERRCODE_SMS_API_REJECTED)
		return VERDICT_REJECT;
	return VERDICT_RETRY;
}

static void
reach_record_sent(int n, const SentRef *refs, char *const *destinations)
{
	ReachMessage *msgs = palloc(n * sizeof(ReachMessage));

	for (int i = 0; i < n; i++)
		msgs[i] = *(const ReachMessage *) refs[i].payload;
	(void) reach_store(msgs, n);
}

const Provider reach_provider = {
	.name = "reach",
	.paused_state = "paused: check the Reach key, secret and sms_api.reach_base_url",
	.define_settings = reach_define_settings,
	.configured = reach_configured,
	.queue_args = reach_queue_args,
	.batch_size = reach_batch_size,
	.batch_key_sql = NULL,
	.check_stored = reach_check_stored,
	.build_request = reach_build_request,
	.decode_sent = reach_decode_sent,
	.verdict = reach_verdict,
	.probe = NULL,
	.record_sent = reach_record_sent,
	.tasks = reach_tasks,
	.ntasks = 1,
};
