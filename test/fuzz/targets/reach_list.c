/*
 * A Reach GET /messages page: an array of Message objects
 * (reach_decode_list), each then brought to the database's encoding and
 * scrubbed of secrets (reach_message_to_server), as reach_list() does.
 */
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
	{
		ReachMessage *m = &msgs[i];
		const char *texts[10];

		if (m->is_scheduled < -1 || m->is_scheduled > 1)
			shim_fail("is_scheduled %d", m->is_scheduled);
		reach_message_to_server(m);
		texts[0] = m->message_id;
		texts[1] = m->id;
		texts[2] = m->short_code;
		texts[3] = m->country;
		texts[4] = m->msisdn;
		texts[5] = m->direction;
		texts[6] = m->status;
		texts[7] = m->message;
		texts[8] = m->sent_from;
		texts[9] = m->created_by;
		for (int j = 0; j < (int) lengthof(texts); j++)
			if (texts[j] != NULL && strstr(texts[j], SHIM_SECRET) != NULL)
				shim_fail("the secret survived in a listed message");
	}
}
