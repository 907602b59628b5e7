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
 *
 * Waiters are served longest-waiting first. Without that, a caller who
 * arrives the moment a start comes within the horizon takes it from one
 * who has waited for it, and one worker of three sharing a limit was seen
 * to get nothing for seconds. The limiter remembers the caller that has
 * waited longest; nobody else books while it waits, and it leaves that
 * place when it books, errors out or exits.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
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

/* Sleep interruptibly until the given time or the latch is set. */
static void
wait_once(TimestampTz until)
{
	TimestampTz now = GetCurrentTimestamp();

	if (now < until)
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) ((until - now + 999) / 1000), PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/* The limiter this process waits on as its longest waiter, or -1. */
static int	first_on = -1;

/* Give up the longest waiter's place; the caller holds the mutex. */
static void
leave_first(RateLimiterShared *l)
{
	if (l->first_pid == MyProcPid)
		l->first_pid = 0;
	first_on = -1;
}

/* A FATAL (pg_terminate_backend, say) skips PG_CATCH: leave at exit. */
static void
leave_first_at_exit(int code, Datum arg)
{
	if (first_on < 0)
		return;
	SpinLockAcquire(&sms_api_shared->mutex);
	leave_first(&sms_api_shared->limiters[first_on]);
	SpinLockRelease(&sms_api_shared->mutex);
}

/*
 * Book a start within the horizon, waiting while there is none or while
 * someone who has waited longer is yet to book.
 */
static TimestampTz
book_in_turn(int limiter, int64 interval, int64 horizon)
{
	static bool exit_hook = false;
	RateLimiterShared *l = &sms_api_shared->limiters[limiter];
	volatile TimestampTz since = 0;
	TimestampTz slot = 0;

	if (!exit_hook)
	{
		before_shmem_exit(leave_first_at_exit, (Datum) 0);
		exit_hook = true;
	}
	PG_TRY();
	{
		for (;;)
		{
			TimestampTz now = GetCurrentTimestamp();
			bool		ahead;
			bool		mine;
			Latch	   *first = NULL;

			SpinLockAcquire(&sms_api_shared->mutex);
			slot = Max(l->next_start, now);
			ahead = slot - now > horizon;
			mine = l->first_pid == 0 || l->first_pid == MyProcPid ||
				(since != 0 && since < l->first_since);
			if (mine && !ahead)
			{
				l->next_start = slot + interval;
				leave_first(l);
				SpinLockRelease(&sms_api_shared->mutex);
				break;
			}
			if (since == 0)
				since = now;
			if (mine)
			{
				l->first_pid = MyProcPid;
				l->first_since = since;
				l->first_latch = MyLatch;
				first_on = limiter;
			}
			else if (!ahead)
				first = l->first_latch;
			SpinLockRelease(&sms_api_shared->mutex);

			/*
			 * Look again on the latch too: a start given back, or the
			 * longest waiter's turn handed on, need not wait for the timeout.
			 */
			if (!ahead)
				SetLatch(first);	/* its start is due: wake it */
			wait_once(ahead ? slot - horizon : now + 2 * 1000);
		}
	}
	PG_CATCH();
	{
		SpinLockAcquire(&sms_api_shared->mutex);
		leave_first(l);
		SpinLockRelease(&sms_api_shared->mutex);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return slot;
}

/*
 * Book the next free start on the limiter, waiting while it is beyond the
 * horizon unless told not to; the interval is the limiter's at that rate.
 * 0 if unlimited.
 */
static TimestampTz
book(int limiter, int rate, bool within_horizon, int64 *interval_out)
{
	RateLimiterShared *l;
	int64		interval;
	TimestampTz now;
	TimestampTz slot;

	Assert(limiter >= 0 && limiter < RATELIMIT_SLOTS);
	if (rate <= 0)
		return 0;
	interval = (1050000 + rate - 1) / rate;
	*interval_out = interval;
	if (within_horizon)
		return book_in_turn(limiter, interval, Max(interval, RATELIMIT_HORIZON_US));

	l = &sms_api_shared->limiters[limiter];
	now = GetCurrentTimestamp();
	SpinLockAcquire(&sms_api_shared->mutex);
	slot = Max(l->next_start, now);
	l->next_start = slot + interval;
	SpinLockRelease(&sms_api_shared->mutex);
	return slot;
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
		RateLimiterShared *l = &sms_api_shared->limiters[limiter];

		SpinLockAcquire(&sms_api_shared->mutex);
		if (l->next_start == slot + interval)
			l->next_start = slot;
		SpinLockRelease(&sms_api_shared->mutex);
		PG_RE_THROW();
	}
	PG_END_TRY();
}
