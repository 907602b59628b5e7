/*
 * Sinch's status search and list answers ({"smsStatuses": [...]}) and its
 * MO search and list answers ({"messages": [...]}): the same body through
 * both decoders, then through the scrubbing the stores apply.
 */
#include "shim.h"

#include "core/scrub.h"
#include "providers/sinch/codec.h"
#include "check.h"

const bool	fuzz_errors_allowed = false;

void
fuzz_one(const char *data, size_t len)
{
	StatusList	st;
	MoList		mo;

	if (codec_status_answer(data, len, &st) == NULL)
	{
		if (st.n < 0 || st.skipped < 0)
			shim_fail("negative counts");
		scrub_statuses(&st);
		check_statuses(&st);
	}
	if (codec_mo_answer(data, len, &mo) == NULL)
	{
		scrub_mos(&mo);
		check_mos(&mo);
	}
}
