/*
 * reach_validate.c
 *		Reach's rules on what a user passes, checked before any request:
 *		22004 for a missing value, 22001 for a text over the API's limit,
 *		22023 for anything else. No I/O here.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "providers/reach/reach.h"

#define REACH_MIN_MSISDN 8
#define REACH_MAX_MSISDN 15

/* Characters a message may have: 160 less "<short name>: ", which Reach prefixes. */
static int
message_limit(void)
{
	int			prefix = (reach_short_name != NULL && reach_short_name[0] != '\0')
		? pg_mbstrlen(reach_short_name) + 2 : 0;

	return REACH_MAX_MESSAGE - prefix;
}

char *
reach_validate_msisdn(const char *value, const char *argname)
{
	const char *digits = value;
	size_t		n;

	if (digits[0] == '+')
		digits++;
	n = strlen(digits);
	if (n < REACH_MIN_MSISDN || n > REACH_MAX_MSISDN || strspn(digits, "0123456789") != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", argname, value),
				 errdetail("A Reach msisdn is 8 to 15 digits, country code first, optionally after a leading \"+\".")));
	return pstrdup(digits);
}

void
reach_validate_message(const char *message, const char *argname)
{
	int			limit = message_limit();
	int			nchars;

	if (message[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));
	if ((int) strlen(message) <= limit)
		return;
	nchars = pg_mbstrlen(message);
	if (nchars > limit)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too long (%d characters)", argname, nchars),
				 (reach_short_name != NULL && reach_short_name[0] != '\0') ?
				 errdetail("Reach accepts at most %d characters: 160 less the short name \"%s\" and \": \", which it prefixes to every message.",
						   limit, reach_short_name) :
				 errdetail("Reach accepts at most %d characters.", limit)));
}

void
reach_validate_id(const char *id, const char *argname)
{
	int			nchars;

	if ((int) strlen(id) <= REACH_MAX_ID)
		return;
	nchars = pg_mbstrlen(id);
	if (nchars > REACH_MAX_ID)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too long (%d characters)", argname, nchars),
				 errdetail("Reach accepts an id of at most %d characters.", REACH_MAX_ID)));
}

/* sms_send()'s arguments that Reach has no field for. */
static const char *const unsupported[] = {
	NULL, NULL, NULL, "extra_info", "flash", "scheduled_at", "expires_at",
	"campaign_alias", "sub_account", "options"
};

void
reach_queue_args(FunctionCallInfo fcinfo, SmsMessage *msg)
{
	memset(msg, 0, sizeof(*msg));
	msg->flash = -1;
	for (int i = 3; i < 10; i++)
		if (!PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("provider \"reach\" cannot carry %s", unsupported[i]),
					 errdetail("A Reach message has a msisdn, a message and an id (correlation_id) only.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("destination must not be NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("message_text must not be NULL")));
	msg->destination = reach_validate_msisdn(text_to_cstring(PG_GETARG_TEXT_PP(0)), "destination");
	msg->message_text = text_to_cstring(PG_GETARG_TEXT_PP(1));
	reach_validate_message(msg->message_text, "message_text");
	if (!PG_ARGISNULL(2))
	{
		msg->correlation_id = text_to_cstring(PG_GETARG_TEXT_PP(2));
		reach_validate_id(msg->correlation_id, "correlation_id");
	}
}

/* An outbox row as stored, checked again with today's short name. */
char *
reach_check_stored(const SmsMessage *msg)
{
	int			limit = message_limit();

	if (msg->message_text == NULL || msg->message_text[0] == '\0')
		return pstrdup("a Reach message needs a text");
	if (pg_mbstrlen(msg->message_text) > limit)
		return psprintf("message_text has %d characters; Reach accepts %d with the short name \"%s\"",
						pg_mbstrlen(msg->message_text), limit,
						reach_short_name ? reach_short_name : "");
	if (msg->correlation_id != NULL && pg_mbstrlen(msg->correlation_id) > REACH_MAX_ID)
		return psprintf("correlation_id has %d characters; Reach accepts an id of at most %d",
						pg_mbstrlen(msg->correlation_id), REACH_MAX_ID);
	if (msg->extra_info != NULL || msg->flash >= 0 || msg->has_scheduled_at ||
		msg->has_expires_at || msg->campaign_alias != NULL || msg->sub_account != NULL ||
		msg->options_json != NULL)
		return pstrdup("the row has fields Reach cannot carry");
	return NULL;
}
