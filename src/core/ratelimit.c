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
 * Waiters are served in the order they came. Without that, a caller who
 * arrives the moment a start comes within the horizon takes it from one
 * who has waited for it, and one worker of three sharing a limit was seen
 * to get nothing for seconds. Each waiter notes in shared memory since when
 * it waits; only the longest waiter books, nobody jumps the line, and a
 * waiter that books, errors out or exits hands the place on to the next.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/ratelimit.h"
#include "core/shmem.h"

#define RATELIMIT_HORIZON_US USECS_PER_SEC

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

/* Sleep interruptibly until the given time. */
static void
wait_until(TimestampTz until)
{
	while (GetCurrentTimestamp() < until)
		wait_once(until);
}

/* The limiter this process waits on, or -1. */
static int	waiting_on = -1;

/* This process's PGPROC number, which indexes waiting_since. */
static int
my_procno(void)
{
	int			procno = sms_api_procno();

	if (procno < 0 || procno >= MaxBackends)
		elog(ERROR, "sms_api: process %d cannot wait for a rate limiter", MyProcPid);
	return procno;
}

static TimestampTz *
waiting_since(int limiter, int procno)
{
	return &sms_api_shared->waiting_since[limiter * MaxBackends + procno];
}

/* The latch of the limiter's longest waiter, or NULL; limiter_lock held. */
static Latch *
first_latch(RateLimiterShared *l)
{
	return l->first < 0 ? NULL : &GetPGProcByNumber(l->first)->procLatch;
}

/*
 * Stop waiting on the limiter; limiter_lock held. If this process was the
 * longest waiter, the next longest takes its place: the caller sets the
 * latch returned once it has released the lock.
 */
static Latch *
stop_waiting(int limiter, int procno)
{
	RateLimiterShared *l = &sms_api_shared->limiters[limiter];
	TimestampTz oldest = 0;

	*waiting_since(limiter, procno) = 0;
	l->nwaiting--;
	waiting_on = -1;
	if (l->first != procno)
		return NULL;
	l->first = -1;
	for (int p = 0, found = 0; p < MaxBackends && found < l->nwaiting; p++)
	{
		TimestampTz since = *waiting_since(limiter, p);

		if (since == 0)
			continue;
		found++;
		if (oldest == 0 || since < oldest)
		{
			oldest = since;
			l->first = p;
		}
	}
	return first_latch(l);
}

/* Stop waiting on the limiter, from outside the lock. */
static void
stop_waiting_unlocked(int limiter, int procno)
{
	Latch	   *next;

	LWLockAcquire(sms_api_shared->limiter_lock, LW_EXCLUSIVE);
	next = stop_waiting(limiter, procno);
	LWLockRelease(sms_api_shared->limiter_lock);
	if (next)
		SetLatch(next);
}

/* A FATAL (pg_terminate_backend, say) skips PG_CATCH: stop at exit. */
static void
stop_waiting_at_exit(int code, Datum arg)
{
	if (waiting_on >= 0)
		stop_waiting_unlocked(waiting_on, my_procno());
}

/*
 * Book a start within the horizon. While there is none, or others wait,
 * wait in line: the longest waiter sleeps until its start comes within the
 * horizon, the others until they are the longest waiter.
 */
static TimestampTz
book_in_turn(int limiter, int64 interval, int64 horizon)
{
	static bool exit_hook = false;
	RateLimiterShared *l = &sms_api_shared->limiters[limiter];
	int			procno = my_procno();
	volatile bool waiting = false;
	TimestampTz slot = 0;

	if (!exit_hook)
	{
		before_shmem_exit(stop_waiting_at_exit, (Datum) 0);
		exit_hook = true;
	}
	PG_TRY();
	{
		for (;;)
		{
			TimestampTz now;
			bool		ahead;
			bool		mine;
			Latch	   *next = NULL;

			/* the time is read under the lock: arrival order is lock order */
			LWLockAcquire(sms_api_shared->limiter_lock, LW_EXCLUSIVE);
			now = GetCurrentTimestamp();
			slot = Max(l->next_start, now);
			ahead = slot - now > horizon;
			mine = waiting ? l->first == procno : l->nwaiting == 0;
			if (mine && !ahead)
			{
				l->next_start = slot + interval;
				if (waiting)
					next = stop_waiting(limiter, procno);
				waiting = false;
				LWLockRelease(sms_api_shared->limiter_lock);
				if (next)
					SetLatch(next);
				break;
			}
			if (!waiting)
			{
				*waiting_since(limiter, procno) = now;
				if (l->nwaiting++ == 0)
					l->first = procno;
				waiting = true;
				waiting_on = limiter;
				mine = l->first == procno;
			}
			LWLockRelease(sms_api_shared->limiter_lock);

			/* the horizon bounds a sleep in line too, should a wakeup be missed */
			wait_once(mine ? slot - horizon : now + horizon);
		}
	}
	PG_CATCH();
	{
		if (waiting)
			stop_waiting_unlocked(limiter, procno);
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
	LWLockAcquire(sms_api_shared->limiter_lock, LW_EXCLUSIVE);
	slot = Max(l->next_start, now);
	l->next_start = slot + interval;
	LWLockRelease(sms_api_shared->limiter_lock);
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
	int64		booked_interval = 0;
	volatile TimestampTz slot = book(limiter, rate, true, &booked_interval);
	volatile int64 interval = booked_interval;

	if (slot == 0)
		return;
	PG_TRY();
	{
		wait_until(slot);
	}
	PG_CATCH();
	{
		RateLimiterShared *l = &sms_api_shared->limiters[limiter];
		Latch	   *first = NULL;

		/* give the start back, to the longest waiter */
		LWLockAcquire(sms_api_shared->limiter_lock, LW_EXCLUSIVE);
		if (l->next_start == slot + interval)
		{
			l->next_start = slot;
			first = first_latch(l);
		}
		LWLockRelease(sms_api_shared->limiter_lock);
		if (first)
			SetLatch(first);
		PG_RE_THROW();
	}
	PG_END_TRY();
}
