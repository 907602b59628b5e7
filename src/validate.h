/*
 * validate.h
 *		Checks everything a user passes before the first network byte, with
 *		the contract's SQLSTATEs. No I/O here.
 */
#ifndef SMS_API_VALIDATE_H
#define SMS_API_VALIDATE_H

#include "fmgr.h"

/*
 * One message, validated, strings in UTF-8. NULL means absent (the field is
 * not sent).
 */
typedef struct SmsMessage
{
	char	   *destination;	/* digits only */
	char	   *message_text;
	char	   *correlation_id;
	char	   *extra_info;
	int			flash;			/* -1 absent, 0 false, 1 true */
	bool		has_scheduled_at;
	int64		scheduled_at_ms;	/* Unix epoch, milliseconds */
	bool		has_expires_at;
	int64		expires_at_ms;
	char	   *campaign_alias;
	char	   *sub_account;
	char	   *options_json;	/* validated options object as JSON text */
} SmsMessage;

/*
 * Read and validate the ten arguments of sms_send/sms_queue starting at
 * argument 0.
 */
extern void message_from_args(FunctionCallInfo fcinfo, SmsMessage *msg);

/* Strip an optional leading '+' and check for 10-15 digits; palloc'd. */
extern char *validate_destination(const char *value, const char *argname);

#endif							/* SMS_API_VALIDATE_H */
