/*
 * message.h
 *		One message as sms_send() and sms_queue() take it, and as an outbox
 *		row holds it, whatever provider sends it: the outbox's columns, and
 *		the limits that bound them.
 */
#ifndef SMS_API_MESSAGE_H
#define SMS_API_MESSAGE_H

/* The Sinch API's documented limits, in characters: the widest of any provider. */
#define MAX_MESSAGE_TEXT 1280
#define MAX_CORRELATION_ID 64
#define MAX_EXTRA_INFO 255

/* Limits of our own where the API documents none (README lists them). */
#define MAX_NAME_TEXT 255		/* campaignAlias, subAccount, flowId, templateName */
#define MAX_TIME_ZONE 64		/* an IANA zone name */
#define MAX_PARAMS 256			/* placeholders in params */
#define MAX_PARAM_KEY 255
#define MAX_OPTIONS_BYTES 65536 /* an options, defaults or message object, as jsonb */

/* The most bytes a text of that many characters takes in any encoding. */
#define MAX_STORED_TEXT_BYTES(chars) ((chars) * MAX_MULTIBYTE_CHAR_LEN)

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

#endif							/* SMS_API_MESSAGE_H */
