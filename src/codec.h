/*
 * codec.h
 *		JSON encoding of requests and defensive decoding of the API's
 *		answers. Only json.c includes json-c; callers see our own types.
 */
#ifndef SMS_API_CODEC_H
#define SMS_API_CODEC_H

#include "utils/uuid.h"
#include "validate.h"

/* The /v1/send-sms body for one message, palloc'd. */
extern char *codec_send_request(const SmsMessage *msg, size_t *len);

/*
 * Decode a /v1/send-sms answer: an array of one object or the object.
 * Returns NULL on success with *id and *correlation_id (NULL if absent)
 * palloc'd, or a description of what is wrong with the answer.
 */
extern const char *codec_send_answer(const char *body, size_t len,
									 char **id, char **correlation_id);

/* Parse a message or batch id from the API (8-4-4-4-12 hex, any case). */
extern bool codec_uuid(const char *s, pg_uuid_t *uuid);

/* The errorMessage of an API error body, or NULL; palloc'd, made printable. */
extern char *codec_error_message(const char *body, size_t len);

#endif							/* SMS_API_CODEC_H */
