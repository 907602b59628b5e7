/*
 * codec.h
 *		JSON encoding of requests and defensive decoding of the API's
 *		answers. Only the json*.c files include json-c; callers see our own
 *		types.
 */
#ifndef SMS_API_CODEC_H
#define SMS_API_CODEC_H

#include "utils/uuid.h"
#include "core/message.h"

/* The /v1/send-sms body for one message, palloc'd. */
extern char *codec_send_request(const SmsMessage *msg, size_t *len);

/* One message of a bulk request. */
typedef struct BulkMessage
{
	const char *destination;	/* normalized */
	const char *correlation_id; /* UTF-8 or NULL */
	const char *message_json;	/* sms_send_bulk_json: the message object */
} BulkMessage;

/*
 * A /v1/send-bulk-sms body, palloc'd. sms_send_bulk passes its shared
 * arguments as `common` (split between defaultValues and the root);
 * sms_send_bulk_json passes its defaults and root objects as JSON text.
 */
extern char *codec_bulk_request(const SmsMessage *common,
								const char *defaults_json, const char *root_json,
								const BulkMessage *msgs, int n, size_t *len);

/*
 * A /v1/send-bulk-sms body for outbox rows that share their root-level
 * fields: each message carries its own fields, the root those of msgs[0].
 */
extern char *codec_outbox_request(const SmsMessage *msgs, int n, size_t *len);

/* The /v1/sms/status/search body: {"ids": [...], "correlationIds": [...]}. */
extern char *codec_status_search_request(char *const *ids, int nids,
										 char *const *correlation_ids, int ncorrelation_ids,
										 size_t *len);

/*
 * Decode a /v1/send-sms answer: an array of one object or the object.
 * Returns NULL on success with *id and *correlation_id (NULL if absent)
 * palloc'd, or a description of what is wrong with the answer.
 */
extern const char *codec_send_answer(const char *body, size_t len,
									 char **id, char **correlation_id);

/* One accepted message of a bulk answer. */
typedef struct BulkAccepted
{
	pg_uuid_t	id;
	char	   *correlation_id; /* as the API echoed it, or NULL */
} BulkAccepted;

/*
 * Decode a /v1/send-bulk-sms answer for a request of n messages into
 * items[0..n-1]; NULL on success or a description of the problem.
 */
extern const char *codec_bulk_answer(const char *body, size_t len, int n,
									 pg_uuid_t *batch_id, bool *has_batch_id,
									 BulkAccepted *items);

/* A delivery status as the API reports it; has_* say which fields came. */
typedef struct ApiStatus
{
	pg_uuid_t	id;
	char	   *correlation_id;
	bool		has_carrier_id;
	int32		carrier_id;
	char	   *carrier_name;
	char	   *destination;
	bool		has_sent_status_code;
	int32		sent_status_code;
	char	   *sent_status;
	bool		has_sent_at;
	int64		sent_at_ms;
	bool		has_delivered_status_code;
	int32		delivered_status_code;
	char	   *delivered_status;
	bool		has_delivered_at;
	int64		delivered_at_ms;
	bool		has_campaign_id;
	int64		campaign_id;
	char	   *extra_info;
} ApiStatus;

/* A reply (MO). */
typedef struct ApiMo
{
	pg_uuid_t	id;
	char	   *sub_account;
	char	   *campaign_alias;
	bool		has_carrier_id;
	int32		carrier_id;
	char	   *carrier_name;
	char	   *source;
	char	   *short_code;
	char	   *message_text;
	bool		has_received_at;
	int64		received_at_ms;
	bool		has_mt_id;
	pg_uuid_t	mt_id;
	char	   *mt_correlation_id;
	char	   *mt_username;
	char	   *mt_email;
} ApiMo;

/* What a list or search answer held; items without a usable id are skipped. */
typedef struct StatusList
{
	ApiStatus  *items;
	int			n;
	int			skipped;
} StatusList;

typedef struct MoList
{
	ApiMo	   *items;
	int			n;
	int			skipped;
} MoList;

/* Decode {"smsStatuses": [...]} (status search and list); NULL or a problem. */
extern const char *codec_status_answer(const char *body, size_t len, StatusList *out);

/* Decode {"messages": [...]} (MO search and list); NULL or a problem. */
extern const char *codec_mo_answer(const char *body, size_t len, MoList *out);

/*
 * Decode a webhook body: a sent-status callback, a delivery report, an MO,
 * a list answer's envelope, or an array of them. NULL or a problem.
 */
extern const char *codec_ingest(const char *body, size_t len, StatusList *st, MoList *mo);

/* Parse a message or batch id from the API (8-4-4-4-12 hex, any case). */
extern bool codec_uuid(const char *s, pg_uuid_t *uuid);

/*
 * The errorMessage of an API error body, or NULL; palloc'd, the secrets (a
 * NULL-terminated list) overwritten, made printable and cut at 500 bytes.
 */
extern char *codec_error_message(const char *body, size_t len, const char *const *secrets);

#endif							/* SMS_API_CODEC_H */
