/*
 * reach_poll.c
 *		The worker's Reach task: every reach_poll_interval_ms it lists the
 *		recent window of /messages (MT and MO, every page) into
 *		reach_message, so that replies and status progress arrive by
 *		themselves. The listing filters by created_on, so the window reaches
 *		back far enough for a message's status to settle after it was sent.
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "core/shmem.h"
#include "core/worker.h"
#include "providers/reach/reach.h"

/* How far back each poll lists: progress after that is not followed. */
#define REACH_POLL_WINDOW_MS (60 * 60 * 1000)
/* The end reaches a little ahead, for an operator clock that runs fast. */
#define REACH_POLL_AHEAD_MS (5 * 60 * 1000)

static bool
list_window(void)
{
	ReachWindow w;
	TimestampTz now = GetCurrentTimestamp();

	memset(&w, 0, sizeof(w));
	w.start_at = TimestampTzPlusMilliseconds(now, -(int64) REACH_POLL_WINDOW_MS);
	w.end_at = TimestampTzPlusMilliseconds(now, REACH_POLL_AHEAD_MS);
	w.direction = "ALL";
	worker_limit_lock_waits();
	pg_atomic_fetch_add_u64(&my_worker->mos_merged, reach_list(&w, NULL, NULL));
	return true;
}

static bool
poll_reach(void)
{
	bool		done;

	return worker_in_transaction(list_window, &done);
}

const WorkerTask reach_tasks[1] = {
	{"polling Reach messages", &reach_poll_interval_ms, poll_reach},
};
