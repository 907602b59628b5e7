/*
 * sinch_outbox.c
 *		How the outbox drain sends Sinch rows: rows sharing their root-level
 *		fields go in one /v1/send-bulk-sms request of up to queue_batch_size;
 *		an empty bulk request tells a refused account from refused rows.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "core/guc.h"
#include "core/scrub.h"
#include "providers/sinch/codec.h"
#include "providers/sinch/sinch.h"
#include "providers/sinch/sinch_api.h"
#include "providers/sinch/store.h"
#include "providers/sinch/validate.h"

static bool
sinch_configured(void)
{
	return sms_api_base_url != NULL && sms_api_base_url[0] != '\0';
}


static int
sinch_batch_size(void)
{
	return sms_api_queue_batch_size;
}

/* campaignAlias and the root-level fields of options (sms_send_bulk's split). */
static const char *
sinch_batch_key_sql(void)
{
	static char *sql = NULL;

	if (sql == NULL)
	{
		StringInfoData buf;
		int			nroot;
		const char *const *root = bulk_root_fields(&nroot);
		bool		first = true;

		initStringInfo(&buf);
		appendStringInfoString(&buf,
							   "pg_catalog.concat(o.campaign_alias, E'\\x1f', CASE WHEN o.options IS NOT NULL THEN "
							   "(SELECT pg_catalog.jsonb_object_agg(k, v) "
							   "FROM pg_catalog.jsonb_each(o.options) AS e(k, v) WHERE v <> 'null' AND k IN (");
		for (int i = 0; i < nroot; i++)
		{
			/* campaignAlias is its own column */
			if (strcmp(root[i], "campaignAlias") == 0)
				continue;
			appendStringInfo(&buf, "%s'%s'", first ? "" : ", ", root[i]);
			first = false;
		}
		appendStringInfoString(&buf, "))::text END)");
		sql = MemoryContextStrdup(TopMemoryContext, buf.data);
		pfree(buf.data);
	}
	return sql;
}

static char *
sinch_check_stored(const SmsMessage *msg)
{
	return validate_stored_message(msg);
}

static void
sinch_build_request(const SmsMessage *msgs, int n, ApiCall *call)
{
	call->target = &sinch_send;
	call->method = "POST";
	call->path = "/v1/send-bulk-sms";
	call->body = codec_outbox_request(msgs, n, &call->body_len);
}

static const char *
sinch_decode_sent(const HttpResult *res, int n, SentRef *refs)
{
	BulkAccepted *items = palloc0(n * sizeof(BulkAccepted));
	pg_uuid_t	batch_id;
	bool		has_batch_id;
	const char *problem = codec_bulk_answer(res->body, res->body_len, n,
											&batch_id, &has_batch_id, items);

	if (problem != NULL)
		return problem;
	for (int i = 0; i < n; i++)
	{
		scrub_text(items[i].correlation_id);
		refs[i].has_message_id = true;
		refs[i].message_id = items[i].id;
		refs[i].has_batch_id = has_batch_id;
		refs[i].batch_id = batch_id;
		refs[i].provider_ref = DatumGetCString(DirectFunctionCall1(uuid_out,
																   UUIDPGetDatum(&items[i].id)));
		refs[i].correlation_id = items[i].correlation_id;
	}
	return NULL;
}

/* Every sent id goes to message_status, where the polls find it. */
static void
sinch_record_sent(int n, const SentRef *refs, char *const *destinations)
{
	pg_uuid_t  *ids = palloc(n * sizeof(pg_uuid_t));
	char	  **correlation_ids = palloc(n * sizeof(char *));

	for (int i = 0; i < n; i++)
	{
		ids[i] = refs[i].message_id;
		correlation_ids[i] = refs[i].correlation_id;
	}
	store_sent(n, ids, correlation_ids, destinations);
}

static const char empty_bulk[] = "{\"messages\":[]}";

static const ApiCall sinch_probe = {
	.target = &sinch_send,
	.method = "POST",
	.path = "/v1/send-bulk-sms",
	.body = empty_bulk,
	.body_len = sizeof(empty_bulk) - 1,
};

const Provider sinch_provider = {
	.name = "sinch",
	.paused_state = "paused: check the account and sms_api.base_url",
	.define_settings = NULL,
	.configured = sinch_configured,
	.queue_args = message_from_args,
	.batch_size = sinch_batch_size,
	.batch_key_sql = sinch_batch_key_sql,
	.check_stored = sinch_check_stored,
	.build_request = sinch_build_request,
	.decode_sent = sinch_decode_sent,
	.verdict = provider_default_verdict,
	.probe = &sinch_probe,
	.record_sent = sinch_record_sent,
	.tasks = sinch_tasks,
	.ntasks = 2,
};
