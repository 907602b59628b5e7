/* A Reach GET /messages page: an array of Message objects (reach_decode_list). */
#include "shim.h"

#include "providers/reach/reach.h"

const bool	fuzz_errors_allowed = false;

void
fuzz_one(const char *data, size_t len)
{
	ReachMessage *msgs;
	int			n;
	int			items;

	if (reach_decode_list(data, len, &msgs, &n, &items) != NULL)
		return;
	if (n < 0 || n > items)
		shim_fail("%d messages decoded of %d items", n, items);
	for (int i = 0; i < n; i++)
		if (msgs[i].is_scheduled < -1 || msgs[i].is_scheduled > 1)
			shim_fail("is_scheduled %d", msgs[i].is_scheduled);
}
