/*
 * ratelimit.c
 *		Per-backend pacing: requests of one kind start at least 1/rate
 *		seconds apart. A small margin keeps us clear of the API's own
 *		window, which measures arrival times, not departure times.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "ratelimit.h"

/* Added to every interval, in microseconds. */
#define RATELIMIT_MARGIN_US 2000

static TimestampTz next_start[2];

void
ratelimit_acquire(ApiKind kind)
{
	int			rate = (kind == API_SEND) ? sms_api_send_rate_limit : sms_api_query_rate_limit;
	TimestampTz now;

	if (rate <= 0)
		return;
	for (;;)
	{
		long		wait_ms;

		now = GetCurrentTimestamp();
		if (now >= next_start[kind])
			break;
		wait_ms = (long) ((next_start[kind] - now + 999) / 1000);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	next_start[kind] = now + 1000000 / rate + (rate > 100 ? 0 : RATELIMIT_MARGIN_US);
}
