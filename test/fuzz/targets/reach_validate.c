/*
 * Reach's checks of a msisdn, a message, an id and a stored row. Fields
 * split at NUL bytes: short name (the setting), msisdn, message, id; each
 * valid UTF-8. An ERROR is a rejection.
 */
#include "shim.h"

#include "providers/reach/reach.h"

const bool	fuzz_errors_allowed = true;

void
fuzz_one(const char *data, size_t len)
{
	const char *f[4] = {0};
	int			n = shim_split(data, len, f, 4);
	SmsMessage	msg;

	for (int i = 0; i < n; i++)
		if (!shim_valid_utf8(f[i]))
			return;
	reach_short_name = unconstify(char *, f[0]);
	memset(&msg, 0, sizeof(msg));
	msg.flash = -1;
	msg.message_text = unconstify(char *, f[2]);
	msg.correlation_id = unconstify(char *, f[3]);
	(void) reach_check_stored(&msg);
	if (f[3] != NULL)
		reach_validate_id(f[3], "correlation_id");
	if (f[2] != NULL)
		reach_validate_message(f[2], "message_text");
	if (f[1] != NULL)
		(void) reach_validate_msisdn(f[1], "destination");
}
