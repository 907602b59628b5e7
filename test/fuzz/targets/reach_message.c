/*
 * A Reach answer to a send or a status request: a Message object
 * (reach_decode_message) or a {code, error} refusal (reach_decode_error).
 */
#include "shim.h"

#include "providers/reach/reach.h"

const bool	fuzz_errors_allowed = false;

void
fuzz_one(const char *data, size_t len)
{
	ReachMessage m;
	int64		code;
	char	   *error;

	if (reach_decode_message(data, len, &m) == NULL &&
		m.message_id != NULL && m.message_id[0] == '\0')
		shim_fail("an empty message_id kept");
	if (reach_decode_error(data, len, &code, &error) && error != NULL)
	{
		if (strstr(error, SHIM_SECRET) != NULL)
			shim_fail("the secret survived in an error");
		if (!shim_valid_utf8(error))
			shim_fail("an error that is not valid UTF-8");
		if (strlen(error) > 503)
			shim_fail("an error of %zu bytes", strlen(error));
	}
}
