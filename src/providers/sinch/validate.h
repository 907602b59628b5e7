/*
 * validate.h
 *		Checks everything a user passes before the first network byte, with
 *		the contract's SQLSTATEs. No I/O here.
 */
#ifndef SMS_API_VALIDATE_H
#define SMS_API_VALIDATE_H

#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "core/message.h"

/* Where an API field may appear. */
typedef enum FieldPlace
{
	IN_OPTIONS = 1 << 0,		/* options of sms_send, sms_queue, sms_send_bulk */
	IN_MESSAGE = 1 << 1,		/* a message of sms_send_bulk_json */
	IN_DEFAULTS = 1 << 2,		/* defaultValues (sms_send_bulk_json's defaults) */
	IN_ROOT = 1 << 3			/* root of a bulk request (sms_send_bulk_json's options) */
} FieldPlace;


/* The ten arguments of sms_send/sms_queue, validated. */
extern void message_from_args(FunctionCallInfo fcinfo, SmsMessage *msg);

/* sms_send_bulk's shared arguments (all but destinations, correlation_ids). */
extern void bulk_common_from_args(FunctionCallInfo fcinfo, SmsMessage *msg);

/* sms_send_bulk's two arrays, deconstructed. */
typedef struct BulkArrays
{
	int			ndims;
	int			n;
	Datum	   *destinations;
	bool	   *destination_nulls;
	int			correlation_ndims;
	int			ncorrelation_ids;
	Datum	   *correlation_ids;	/* NULL when the argument is NULL */
	bool	   *correlation_nulls;
} BulkArrays;

/* Check every destination and correlation id. */
extern void validate_bulk_arrays(const BulkArrays *arrays);

/* Check sms_send_bulk_json's arguments; returns the message count. */
extern int	validate_bulk_json(Jsonb *messages, Jsonb *defaults, Jsonb *options);

/* Strip an optional leading '+' and check for 10-15 digits; palloc'd. */
extern char *validate_destination(const char *value, const char *argname);

/*
 * Check an outbox row as it is stored (database encoding), for rows queued
 * before today's limits: the reason it cannot be sent, or NULL.
 */
extern char *validate_stored_message(const SmsMessage *msg);

/* Whether sms_send_bulk sends this field at the root rather than in defaultValues. */
extern bool field_at_bulk_root(const char *name);

/* Those fields, all of them. */
extern const char *const *bulk_root_fields(int *n);

#endif							/* SMS_API_VALIDATE_H */
