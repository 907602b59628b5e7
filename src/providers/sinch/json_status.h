/*
 * json_status.h
 *		The codec's two decoders of status items, json-c's tree
 *		(json_answer.c) and a streaming decode of list answers
 *		(json_status.c), reading the same fields by the same rules.
 */
#ifndef SMS_API_JSON_STATUS_H
#define SMS_API_JSON_STATUS_H

#include "core/jsonvalue.h"
#include "providers/sinch/codec.h"

/* The members of a status item that decoding reads. */
typedef enum StatusField
{
	SF_ID,
	SF_CORRELATION_ID,
	SF_CARRIER_ID,
	SF_CARRIER_NAME,
	SF_DESTINATION,
	SF_SENT_STATUS_CODE,
	SF_SENT_STATUS,
	SF_SENT_AT,
	SF_SENT_DATE,
	SF_SENT_STATUS_AT,
	SF_SENT_STATUS_DATE,
	SF_DELIVERED_STATUS_CODE,
	SF_DELIVERED_STATUS,
	SF_DELIVERED_AT,
	SF_DELIVERED_DATE,
	SF_CAMPAIGN_ID,
	SF_EXTRA_INFO,
	STATUS_FIELDS
} StatusField;

extern const char *const status_field_keys[STATUS_FIELDS];

/* The field a member name is, or -1. */
extern int	status_field(const char *key, int len);

/* An item from its fields' values; false if it has no usable id. */
extern bool status_from_fields(const JsonValue *fields, ApiStatus *st);

/*
 * Decode {"<key>": [...]} without building a tree: true with the items in
 * *out and *problem set as codec_status_answer() does, or false when it
 * cannot tell (not JSON by PostgreSQL's parser, invalid UTF-8, deeply
 * nested, a \u0000 escape): json-c then decodes the answer.
 */
extern bool status_stream_answer(const char *body, size_t len, const char *key,
								 StatusList *out, const char **problem);

#endif							/* SMS_API_JSON_STATUS_H */
