/*
 * Sinch's /v1/send-bulk-sms answer (codec_bulk_answer). The first byte is
 * the number of messages sent (modulo 16), the rest the body.
 */
#include "shim.h"

#include "providers/sinch/codec.h"

const bool	fuzz_errors_allowed = false;

void
fuzz_one(const char *data, size_t len)
{
	int			n;
	pg_uuid_t	batch_id;
	bool		has_batch_id;
	BulkAccepted *items;
	const char *problem;

	if (len < 1)
		return;
	n = (unsigned char) data[0] % 16;
	items = palloc0(Max(n, 1) * sizeof(BulkAccepted));
	problem = codec_bulk_answer(data + 1, len - 1, n, &batch_id, &has_batch_id, items);
	if (problem == NULL)
		for (int i = 0; i < n; i++)
			if (items[i].correlation_id != NULL &&
				strlen(items[i].correlation_id) > len)
				shim_fail("a correlation id longer than the answer");
}
