/*
 * sinch_poll.c
 *		The worker's Sinch tasks. It drains the API's status list into
 *		message_status every status_poll_interval_ms and its reply list into
 *		mo_message every mo_poll_interval_ms, one transaction per page,
 *		committed right after the page.
 *
 * The list endpoints hand each item out once, so a page fetched but not
 * committed (the worker killed in between, the answer lost) is gone from
 * the lists. Reconciliation closes that hole: after each poll, one status
 * search for recent messages that lack a final status (every id the
 * extension sent is in message_status; the API keeps statuses 3 days), and
 * every MO_RECONCILE_EVERY MO polls, and once at start, an MO search over
 * the window not yet known complete (the API keeps MOs 5 days), narrowed
 * and repeated at every poll while the API's cap cuts answers short.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "core/guc.h"
#include "core/shmem.h"
#include "core/worker.h"
#include "providers/sinch/query.h"
#include "providers/sinch/sinch.h"
#include "providers/sinch/store.h"

/* Pages drained per poll before other work gets a turn. */
#define MAX_PAGES_PER_POLL 100
/* Message ids per reconciliation search. */
#define RECONCILE_BATCH 1000
/* An MO search every this many MO polls (and at start). */
#define MO_RECONCILE_EVERY 10
/* The API returns at most this many MOs per call. */
#define MO_PAGE_MAX 1000
/* Overlap between successive MO reconciliation windows. */
#define MO_WINDOW_OVERLAP_MS 60000
#define MO_WINDOW_DAYS 5
/* A capped MO window narrower than this is not split further (the API takes whole seconds). */
#define MO_WINDOW_MIN_MS 2000
/* where status reconciliation resumes: (updated_at, id) of the last id searched */
static bool cursor_set = false;
static TimestampTz cursor_updated_at;
static char cursor_id[UUID_LEN * 2 + 5];

static int	mo_polls_since_reconcile = MO_RECONCILE_EVERY;	/* reconcile at start */
/*
 * MO reconciliation: replies received before mo_window_start are known
 * stored. After a capped answer the search narrows to [start, mo_window_end]
 * and goes on at every poll (mo_catching_up) until it has reached now.
 */
static TimestampTz mo_window_start = 0;
static TimestampTz mo_window_end = 0;	/* 0: up to now */
static bool mo_catching_up = false;

/* One page of the status list; true if it held anything. */
static bool
status_page(void)
{
	StatusList	list;

	worker_limit_lock_waits();
	query_status_list(&list);
	pg_atomic_fetch_add_u64(&my_worker->statuses_merged, store_statuses(&list));
	return list.n + list.skipped > 0;
}

/*
 * One status search for recent ids that lack a final status, resuming where
 * the previous search stopped; ids updated within the last two polls are
 * left to the list.
 */
static bool
reconcile_statuses(void)
{
	TimestampTz recent = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													 -Max(2 * (int64) sms_api_status_poll_interval_ms, 1000));
	Oid			types[3] = {TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	MemoryContext outer = CurrentMemoryContext;
	char	  **ids;
	int			n;
	StatusList	list;

	values[0] = TimestampTzGetDatum(recent);
	if (cursor_set)
	{
		values[1] = TimestampTzGetDatum(cursor_updated_at);
		values[2] = DirectFunctionCall1(uuid_in, CStringGetDatum(cursor_id));
	}
	else
	{
		values[1] = TimestampTzGetDatum(DT_NOBEGIN);
		values[2] = DirectFunctionCall1(uuid_in, CStringGetDatum("00000000-0000-0000-0000-000000000000"));
	}

	SPI_connect();
	if (SPI_execute_with_args("SELECT id::text, updated_at FROM sms_api.message_status "
							  "WHERE updated_at > pg_catalog.now() - interval '3 days' AND updated_at < $1 "
							  "AND (sent_status_code IS NULL "
							  "     OR (sent_status_code = 2 AND delivered_status_code IS NULL)) "
							  "AND (updated_at, id) > ($2, $3) "
							  "ORDER BY updated_at, id LIMIT " CppAsString2(RECONCILE_BATCH),
							  3, types, values, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read message_status");
	n = (int) SPI_processed;
	ids = MemoryContextAlloc(outer, (n + 1) * sizeof(char *));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 1));
		if (i == n - 1)
		{
			cursor_updated_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i],
																  SPI_tuptable->tupdesc, 2, &isnull));
			strlcpy(cursor_id, ids[i], sizeof(cursor_id));
		}
	}
	SPI_finish();

	/* a short batch means the end: start over next time */
	cursor_set = (n == RECONCILE_BATCH);
	if (n == 0)
		return false;
	worker_limit_lock_waits();
	query_status_search(ids, n, NULL, 0, &list);
	pg_atomic_fetch_add_u64(&my_worker->statuses_merged, store_statuses(&list));
	return true;
}

/* One page of the reply list; true if more may follow. */
static bool
mo_page(void)
{
	MoList		list;

	worker_limit_lock_waits();
	query_mo_list(NULL, &list);
	pg_atomic_fetch_add_u64(&my_worker->mos_merged, store_mos(&list));
	return list.n + list.skipped >= MO_PAGE_MAX;
}

/*
 * An MO search over the window not yet known complete. The API answers at
 * most MO_PAGE_MAX replies and does not say in which order it picks them,
 * so a capped answer says nothing about which replies it left out: the
 * window is halved until an answer is not capped. The search then goes on
 * from the last whole second of that window (the API takes whole seconds,
 * both ends included), trying twice its width, until it reaches now.
 */
static bool
reconcile_mos(void)
{
	TimestampTz began = GetCurrentTimestamp();
	TimestampTz oldest = TimestampTzPlusMilliseconds(began,
													 -(int64) MO_WINDOW_DAYS * 86400000 + MO_WINDOW_OVERLAP_MS);
	TimestampTz start = Max(mo_window_start, oldest);
	TimestampTz end;
	bool		capped;
	MoList		list;

	if (mo_window_end != 0 && mo_window_end <= start)
		mo_window_end = 0;
	end = mo_window_end != 0 ? mo_window_end : began;
	worker_limit_lock_waits();
	query_mo_search(&start, mo_window_end != 0 ? &end : NULL, NULL, &list);
	pg_atomic_fetch_add_u64(&my_worker->mos_merged, store_mos(&list));
	capped = list.n + list.skipped >= MO_PAGE_MAX;

	if (capped && end - start > MO_WINDOW_MIN_MS * INT64CONST(1000))
	{
		mo_window_end = start + (end - start) / 2;
		mo_catching_up = true;
		return true;
	}
	if (capped)
		ereport(WARNING,
				(errmsg("sms_api worker: the API holds more than %d replies received between %s and %s; some of them may be missing from sms_api.mo_message",
						MO_PAGE_MAX, timestamptz_to_str(start), timestamptz_to_str(end)),
				 errdetail("An MO search answers at most %d replies, and this window cannot be split further.",
						   MO_PAGE_MAX)));
	if (mo_window_end == 0)
	{
		/* up to now: the next search, at the usual pace, overlaps a little */
		mo_window_start = capped ? end : TimestampTzPlusMilliseconds(end, -MO_WINDOW_OVERLAP_MS);
		mo_catching_up = false;
		return true;
	}
	/* a narrowed window (wider than a second) is done: on from its last second */
	mo_window_start = capped ? end : end - end % USECS_PER_SEC;
	mo_window_end = mo_window_start + 2 * (end - start);
	if (mo_window_end >= began)
		mo_window_end = 0;
	mo_catching_up = true;
	return true;
}

static bool
drain(bool (*page) (void))
{
	bool		more = true;

	for (int i = 0; more && i < MAX_PAGES_PER_POLL; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!worker_in_transaction(page, &more))
			return false;
	}
	return true;
}

static bool
poll_statuses(void)
{
	bool		ok;
	bool		searched;

	ok = drain(status_page);
	if (ok)
	{
		worker_set_state("reconciling statuses");
		ok = worker_in_transaction(reconcile_statuses, &searched);
	}
	return ok;
}

static bool
poll_mos(void)
{
	bool		ok;
	bool		done;

	ok = drain(mo_page);
	if (ok && (mo_catching_up || ++mo_polls_since_reconcile >= MO_RECONCILE_EVERY))
	{
		worker_set_state("reconciling replies");
		ok = worker_in_transaction(reconcile_mos, &done);
		if (ok)
			mo_polls_since_reconcile = 0;
	}
	return ok;
}


const WorkerTask sinch_tasks[2] = {
	{"polling statuses", &sms_api_status_poll_interval_ms, poll_statuses},
	{"polling replies", &sms_api_mo_poll_interval_ms, poll_mos},
};
