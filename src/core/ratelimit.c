/*
 * ratelimit.c
 *		Cluster-wide pacing, so that the extension never provokes a 429
 *		itself: every backend and the worker book the next free start time
 *		on their limiter (one per provider's kind of request) in shared
 *		memory, then wait for it.
 *
 * Slots are 1.05/rate seconds apart: the API counts arrivals in a sliding
 * second, and a request arrives after its slot (the scheduler, the up to
 * HTTP_MAX_PARALLEL slots a drain books before its requests leave
 * together, the network). With that margin no second of arrivals holds
 * more than rate requests as long as each arrives within 50 ms of its slot.
 *
 * A booking is a promise of the caller's to use the slot, and a caller can
 * be cancelled or fail before its request goes out. So nobody books a start
 * further ahead than RATELIMIT_HORIZON_US (or one interval, if that is
 * longer): a caller that finds the next free start further away waits
 * without booking, and a caller cancelled while waiting for its booked slot
 * gives it back when nobody booked after it. Callers who walk away can
 * therefore hold up the others by at most one horizon, however many they are.
 * A caller sending several requests at once books the first that way and
 * the others at once after it, wherever they fall: waiting for a later
 * booking would make the earlier requests miss their slots, and go out
 * together with whoever came next.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

#include "core/ratelimit.h"
#include "core/shmem.h"

#define RATELIMIT_HORIZON_US USECS_PER_SEC

/* Sleep interruptibly until the given time. */
static void
wait_until(TimestampTz until)
{
	TimestampTz now = GetCurrentTimestamp();

	while (now < until)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) ((until - now + 999) / 1000), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		now = GetCurrentTimestamp();
	}
}

/*
 * Book the next free start on the limiter, waiting while it is beyond the
 * horizon unless told not to; the interval is the limiter's at that rate.
 * 0 if unlimited.
 */
static TimestampTz
book(int limiter, int rate, bool within_horizon, int64 *interval_out)
{
	int64		interval;
	int64		horizon;
	TimestampTz slot;

	Assert(limiter >= 0 && limiter < RATELIMIT_SLOTS);
	if (rate <= 0)
		return 0;
	interval = (1050000 + rate - 1) / rate;
	horizon = Max(interval, RATELIMIT_HORIZON_US);
	*interval_out = interval;

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		bool		booked;

		SpinLockAcquire(&sms_api_shared->mutex);
		slot = Max(sms_api_shared->next_start[limiter], now);
		booked = !within_horizon || slot - now <= horizon;
		if (booked)
			sms_api_shared->next_start[limiter] = slot + interval;
		SpinLockRelease(&sms_api_shared->mutex);
		if (booked)
			return slot;
		wait_until(slot - horizon);
	}
}

TimestampTz
ratelimit_book(int limiter, int rate, bool first)
{
	int64		interval;

	return book(limiter, rate, first, &interval);
}

void
ratelimit_acquire(int limiter, int rate)
{
	int64		interval = 0;
	volatile TimestampTz slot = book(limiter, rate, true, &interval);

	if (slot == 0)
		return;
	PG_TRY();
	{
		wait_until(slot);
	}
	PG_CATCH();
	{
		SpinLockAcquire(&sms_api_shared->mutex);
		if (sms_api_shared->next_start[limiter] == slot + interval)
			sms_api_shared->next_start[limiter] = slot;
		SpinLockRelease(&sms_api_shared->mutex);
		PG_RE_THROW();
	}
	PG_END_TRY();
}
