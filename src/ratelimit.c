/*
 * ratelimit.c
 *		Cluster-wide pacing, so that the extension never provokes a 429
 *		itself: every backend and the worker reserve the next free start
 *		time for their kind of request in shared memory, then wait for it.
 *		Rates up to 100/s get a 5% margin, since the API's window measures
 *		arrival times, not departure times, and the network adds jitter.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "ratelimit.h"
#include "shmem.h"


void
ratelimit_acquire(ApiKind kind)
{
	int			rate = (kind == API_SEND) ? sms_api_send_rate_limit : sms_api_query_rate_limit;
	int64		interval;
	TimestampTz now;
	TimestampTz slot;

	if (rate <= 0)
		return;
	interval = 1000000 / rate;
	if (rate <= 100)
		interval += interval / 20;
	now = GetCurrentTimestamp();

	SpinLockAcquire(&sms_api_shared->mutex);
	slot = Max(sms_api_shared->next_start[kind], now);
	sms_api_shared->next_start[kind] = slot + interval;
	SpinLockRelease(&sms_api_shared->mutex);

	while (now < slot)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) ((slot - now + 999) / 1000), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		now = GetCurrentTimestamp();
	}
}
