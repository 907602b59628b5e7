/* The errorMessage of a Sinch error body (codec_error_message): scrubbed and cut. */
#include "shim.h"

#include "providers/sinch/codec.h"

const bool	fuzz_errors_allowed = false;

void
fuzz_one(const char *data, size_t len)
{
	static const char *const secrets[] = {SHIM_SECRET, NULL};
	char	   *message = codec_error_message(data, len, secrets);

	if (message == NULL)
		return;
	if (strstr(message, SHIM_SECRET) != NULL)
		shim_fail("the secret survived in an error message");
	if (!shim_valid_utf8(message))
		shim_fail("an error message that is not valid UTF-8");
	if (strlen(message) > 503)
		shim_fail("an error message of %zu bytes", strlen(message));
	for (const char *p = message; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			shim_fail("a control character in an error message");
}
