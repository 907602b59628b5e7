/*
 * Sinch's checks of what a user passes and of a stored outbox row
 * (validate_destination, validate_stored_message). The input is fields
 * split at NUL bytes: destination, message_text, correlation_id,
 * extra_info, campaign_alias, sub_account, options; each is valid UTF-8,
 * as every text the server hands over is. An ERROR is a rejection.
 */
#include "shim.h"

#include "providers/sinch/validate.h"

const bool	fuzz_errors_allowed = true;

void
fuzz_one(const char *data, size_t len)
{
	const char *f[7] = {0};
	int			n = shim_split(data, len, f, 7);
	SmsMessage	msg;

	for (int i = 0; i < n; i++)
		if (!shim_valid_utf8(f[i]))
			return;
	memset(&msg, 0, sizeof(msg));
	msg.flash = -1;
	msg.message_text = unconstify(char *, f[1]);
	msg.correlation_id = unconstify(char *, f[2]);
	msg.extra_info = unconstify(char *, f[3]);
	msg.campaign_alias = unconstify(char *, f[4]);
	msg.sub_account = unconstify(char *, f[5]);
	msg.options_json = unconstify(char *, f[6]);
	(void) validate_stored_message(&msg);
	if (strspn(validate_destination(f[0], "destination"), "0123456789") < 10)
		shim_fail("a destination of fewer than 10 digits accepted");
}
