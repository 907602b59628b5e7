/* Sinch's /v1/send-sms answer (codec_send_answer). */
#include "shim.h"

#include "providers/sinch/codec.h"

const bool	fuzz_errors_allowed = false;

void
fuzz_one(const char *data, size_t len)
{
	char	   *id;
	char	   *correlation_id;
	const char *problem = codec_send_answer(data, len, &id, &correlation_id);

	if (problem == NULL && id == NULL)
		shim_fail("an accepted send answer without an id");
	if (problem != NULL && strlen(problem) == 0)
		shim_fail("an empty problem");
}
