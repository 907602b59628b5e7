/*
 * sms_ingest's webhook bodies (codec_ingest): statuses, MOs, envelopes and
 * arrays of them, then the scrubbing the stores apply.
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

	if (codec_ingest(data, len, &st, &mo) != NULL)
		return;
	scrub_statuses(&st);
	scrub_mos(&mo);
	check_statuses(&st);
	check_mos(&mo);
}
