/*
 * worker.c
 *		The background worker. In sms_api.database it drains the API's
 *		status list into message_status every status_poll_interval_ms and
 *		its reply list into mo_message every mo_poll_interval_ms, one
 *		transaction per page, committed right after the page.
 *
 * The list endpoints hand each item out once, so a page fetched but not
 * committed (the worker killed in between, the answer lost) is gone from
 * the lists. Reconciliation closes that hole: after each poll, one status
 * search for recent messages that lack a final status (every id the
 * extension sent is in message_status; the API keeps statuses 3 days), and
 * every MO_RECONCILE_EVERY MO polls, and once at start, an MO search over
 * the window not yet known complete (the API keeps MOs 5 days), narrowed
 * and repeated at every poll while the API's cap cuts answers short.
 *
 * The worker uses the same transport, codec and merge code as the SQL
 * functions; only shared memory connects it to the backends.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "core/api.h"
#include "core/backoff.h"
#include "core/drain.h"
#include "core/guc.h"
#include "providers/sinch/query.h"
#include "core/shmem.h"
#include "core/sms_api.h"
#include "providers/sinch/store.h"
#include "core/worker.h"

PGDLLEXPORT void sms_api_worker_main(Datum main_arg);

/* Restarted this long after it exits on an error or a terminate. */
#define WORKER_RESTART_S 2
/* How often to look for CREATE EXTENSION. */
#define EXTENSION_RECHECK_MS 2000
/* Backoff after failures: 1 s, 2 s, 4 s ... up to this. */
#define MAX_BACKOFF_MS 60000
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
/* How long one drain may go on before polls get a turn. */
#define DRAIN_SLICE_MS 10000
/* How often sent and failed outbox rows are pruned. */
#define PRUNE_INTERVAL_MS (10 * 60 * 1000)

typedef struct Task
{
	TimestampTz next_due;
	int			failures;
} Task;

static Task status_task;
static Task mo_task;

/* where status reconciliation resumes: (updated_at, id) of the last id searched */
static bool cursor_set = false;
static TimestampTz cursor_updated_at;
static char cursor_id[UUID_LEN * 2 + 5];

static int	mo_polls_since_reconcile = MO_RECONCILE_EVERY;	/* reconcile at start */

/* the outbox */
static bool outbox_recovered = false;
static bool outbox_due = true;	/* drain at start */
static TimestampTz next_prune = 0;
static char last_error_text[WORKER_TEXT_LEN];

/*
 * MO reconciliation: replies received before mo_window_start are known
 * stored. After a capped answer the search narrows to [start, mo_window_end]
 * and goes on at every poll (mo_catching_up) until it has reached now.
 */
static TimestampTz mo_window_start = 0;
static TimestampTz mo_window_end = 0;	/* 0: up to now */
static bool mo_catching_up = false;

static ApiCounters published;
static MemoryContext cycle_cxt;

void
worker_register(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = WORKER_RESTART_S;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "sms_api");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "sms_api_worker_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "sms_api worker");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "sms_api worker");
	RegisterBackgroundWorker(&bgw);
}

static void
set_state(const char *state)
{
	SpinLockAcquire(&sms_api_shared->mutex);
	strlcpy(sms_api_shared->worker_state, state, sizeof(sms_api_shared->worker_state));
	SpinLockRelease(&sms_api_shared->mutex);
	pgstat_report_activity(STATE_RUNNING, state);
}

static void
publish_counters(void)
{
	pg_atomic_fetch_add_u64(&sms_api_shared->requests, api_counters.requests - published.requests);
	pg_atomic_fetch_add_u64(&sms_api_shared->retries, api_counters.retries - published.retries);
	pg_atomic_fetch_add_u64(&sms_api_shared->rate_limited,
							api_counters.rate_limited - published.rate_limited);
	published = api_counters;
}

static void
worker_detach(int code, Datum arg)
{
	SpinLockAcquire(&sms_api_shared->mutex);
	sms_api_shared->worker_pid = 0;
	sms_api_shared->worker_latch = NULL;
	strlcpy(sms_api_shared->worker_state, "stopped", sizeof(sms_api_shared->worker_state));
	SpinLockRelease(&sms_api_shared->mutex);
}

static void
worker_attach(void)
{
	SpinLockAcquire(&sms_api_shared->mutex);
	sms_api_shared->worker_pid = MyProcPid;
	sms_api_shared->worker_latch = MyLatch;
	sms_api_shared->started_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);
	before_shmem_exit(worker_detach, (Datum) 0);
}

/* A wake from sms_api.wake(): everything becomes due now. */
static bool
consume_wake(void)
{
	bool		woken;

	SpinLockAcquire(&sms_api_shared->mutex);
	woken = sms_api_shared->wake_requested;
	sms_api_shared->wake_requested = false;
	SpinLockRelease(&sms_api_shared->mutex);
	return woken;
}

/* A transaction that queued messages has committed. */
static bool
consume_outbox(void)
{
	bool		pending;

	SpinLockAcquire(&sms_api_shared->mutex);
	pending = sms_api_shared->outbox_pending;
	sms_api_shared->outbox_pending = false;
	SpinLockRelease(&sms_api_shared->mutex);
	return pending;
}

static bool
extension_installed(void)
{
	bool		installed;

	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	installed = OidIsValid(get_extension_oid("sms_api", true));
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	return installed;
}

/*
 * Every transaction of the worker takes a share lock on the extension
 * before it touches a table. DROP EXTENSION locks the extension first and
 * its tables after, so it waits for the worker's transaction (or the worker
 * for it) instead of deadlocking with it, table against table.
 */
static void
lock_extension(void)
{
	Oid			ext = get_extension_oid("sms_api", true);

	if (OidIsValid(ext))
	{
		LockDatabaseObject(ExtensionRelationId, ext, 0, AccessShareLock);
		/* a DROP that committed while we waited is visible now */
		if (get_extension_oid("sms_api", true) == ext)
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("extension \"sms_api\" was dropped")));
}

/* Where the caller allocates; a transaction's end switches back to it. */
static MemoryContext outer_cxt;

void
worker_begin_transaction(void)
{
	outer_cxt = CurrentMemoryContext;
	/* a worker has no client statements: now() would stand still */
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	lock_extension();
}

void
worker_commit_transaction(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(outer_cxt);
	/* at most once a second: what autovacuum sees of our writes */
	pgstat_report_stat(false);
}

/*
 * Run fn in its own transaction. An error is logged and kept for
 * worker_status; the transaction is rolled back and false returned.
 */
static bool
run_step(bool (*fn) (void), bool *result, bool transactional)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		if (transactional)
			worker_begin_transaction();
		*result = fn();
		if (transactional)
			worker_commit_transaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		/* also ends a transaction a step opened itself */
		AbortCurrentTransaction();
		strlcpy(last_error_text,
				edata->detail ? psprintf("%s: %s", edata->message, edata->detail) : edata->message,
				sizeof(last_error_text));
		shmem_record_error(last_error_text);
		ereport(LOG,
				(errmsg("sms_api worker: %s", edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
		FreeErrorData(edata);
		RESUME_INTERRUPTS();
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

static bool
in_transaction(bool (*fn) (void), bool *result)
{
	return run_step(fn, result, true);
}

/*
 * A poll's merge waits at most this long for a row a session holds (say,
 * an open transaction that called ingest()): it fails and is tried again
 * after a backoff, and reconciliation brings back what the page held,
 * instead of one session stalling the worker, and the outbox with it. The
 * drain keeps waiting: its records must not fail after the API accepted.
 */
#define POLL_LOCK_TIMEOUT "5s"

static void
limit_lock_waits(void)
{
	(void) set_config_option("lock_timeout", POLL_LOCK_TIMEOUT, PGC_SUSET, PGC_S_OVERRIDE,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/* One page of the status list; true if it held anything. */
static bool
status_page(void)
{
	StatusList	list;

	limit_lock_waits();
	query_status_list(&list);
	pg_atomic_fetch_add_u64(&sms_api_shared->statuses_merged, store_statuses(&list));
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
	limit_lock_waits();
	query_status_search(ids, n, NULL, 0, &list);
	pg_atomic_fetch_add_u64(&sms_api_shared->statuses_merged, store_statuses(&list));
	return true;
}

/* One page of the reply list; true if more may follow. */
static bool
mo_page(void)
{
	MoList		list;

	limit_lock_waits();
	query_mo_list(NULL, &list);
	pg_atomic_fetch_add_u64(&sms_api_shared->mos_merged, store_mos(&list));
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
	limit_lock_waits();
	query_mo_search(&start, mo_window_end != 0 ? &end : NULL, NULL, &list);
	pg_atomic_fetch_add_u64(&sms_api_shared->mos_merged, store_mos(&list));
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

/* Schedule the next run: the interval after success, backoff after failure. */
static void
schedule(Task *task, bool ok, int interval_ms)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		delay;

	if (ok)
	{
		task->failures = 0;
		delay = interval_ms;
	}
	else
	{
		task->failures++;
		delay = backoff_delay_ms(task->failures, 1000, MAX_BACKOFF_MS);
	}
	task->next_due = TimestampTzPlusMilliseconds(now, delay);
}

static bool
drain(bool (*page) (void))
{
	bool		more = true;

	for (int i = 0; more && i < MAX_PAGES_PER_POLL; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!in_transaction(page, &more))
			return false;
	}
	return true;
}

static void
poll_statuses(void)
{
	bool		ok;
	bool		searched;

	set_state("polling statuses");
	ok = drain(status_page);
	if (ok)
	{
		set_state("reconciling statuses");
		ok = in_transaction(reconcile_statuses, &searched);
	}
	SpinLockAcquire(&sms_api_shared->mutex);
	sms_api_shared->last_poll_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);
	schedule(&status_task, ok, sms_api_status_poll_interval_ms);
}

static void
poll_mos(void)
{
	bool		ok;
	bool		done;

	set_state("polling replies");
	ok = drain(mo_page);
	if (ok && (mo_catching_up || ++mo_polls_since_reconcile >= MO_RECONCILE_EVERY))
	{
		set_state("reconciling replies");
		ok = in_transaction(reconcile_mos, &done);
		if (ok)
			mo_polls_since_reconcile = 0;
	}
	SpinLockAcquire(&sms_api_shared->mutex);
	sms_api_shared->last_poll_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);
	schedule(&mo_task, ok, sms_api_mo_poll_interval_ms);
}

static bool
prune_outbox(void)
{
	SPI_connect();
	if (SPI_execute("SELECT sms_api.prune()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not prune the outbox");
	SPI_finish();
	return true;
}

/* Send what the outbox holds, round after round, within a time slice. */
static void
drain_outbox(void)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DRAIN_SLICE_MS);
	bool		claimed = true;
	bool		more;
	bool		done;

	if (!outbox_recovered && in_transaction(drain_recover, &done))
		outbox_recovered = true;

	set_state("sending");
	while (claimed && !drain_paused && GetCurrentTimestamp() < until)
	{
		CHECK_FOR_INTERRUPTS();
		if (!in_transaction(drain_claim, &claimed) || !claimed)
			break;
		do
		{
			if (!run_step(drain_send_round, &more, false))
			{
				/* a setting is missing or unusable: wait for a reload */
				drain_abort_round(last_error_text);
				(void) in_transaction(drain_record, &done);
				more = false;
			}
		} while (more && !drain_paused);
	}
	/* more left than one slice could send: go on after the polls */
	outbox_due = claimed && !drain_paused;
	(void) in_transaction(drain_next_due, &done);

	SpinLockAcquire(&sms_api_shared->mutex);
	sms_api_shared->last_drain_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);

	if (GetCurrentTimestamp() >= next_prune && in_transaction(prune_outbox, &done))
		next_prune = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PRUNE_INTERVAL_MS);
}

/* Run what is due; returns how long to sleep. */
static long
run_due_tasks(void)
{
	TimestampTz now = GetCurrentTimestamp();
	/* even with nothing to do, look for DROP EXTENSION now and then */
	TimestampTz next = TimestampTzPlusMilliseconds(now, EXTENSION_RECHECK_MS);
	long		secs;
	int			usecs;

	if (!drain_paused &&
		(outbox_due || (drain_next_due_at != 0 && now >= drain_next_due_at)))
		drain_outbox();
	if (!drain_paused && drain_next_due_at != 0)
		next = Min(next, drain_next_due_at);

	if (sms_api_status_poll_interval_ms > 0)
	{
		if (now >= status_task.next_due)
			poll_statuses();
		next = Min(next, status_task.next_due);
	}
	if (sms_api_mo_poll_interval_ms > 0)
	{
		if (GetCurrentTimestamp() >= mo_task.next_due)
			poll_mos();
		next = Min(next, mo_task.next_due);
	}
	if (drain_paused)
		set_state("paused: check the account and sms_api.base_url");
	else
		set_state((status_task.failures || mo_task.failures) ? "backing off" : "idle");

	TimestampDifference(GetCurrentTimestamp(), next, &secs, &usecs);
	return Max(secs * 1000 + usecs / 1000, 1);
}

void
sms_api_worker_main(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	settings_in_worker = true;
	BackgroundWorkerInitializeConnection(sms_api_database, NULL, 0);
	/*
	 * The worker runs as the bootstrap superuser: what ALTER DATABASE or
	 * ALTER ROLE set must not decide which functions its statements call
	 * (every name is qualified as well), nor make its transactions fail.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("idle_in_transaction_session_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
	pgstat_report_appname("sms_api worker");

	worker_attach();
	set_state("starting");
	cycle_cxt = AllocSetContextCreate(TopMemoryContext, "sms_api worker cycle",
									  ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		long		timeout_ms;

		MemoryContextSwitchTo(cycle_cxt);
		MemoryContextReset(cycle_cxt);
		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* new intervals take effect now; new credentials resume sending */
			status_task.next_due = mo_task.next_due = 0;
			drain_paused = false;
			outbox_due = true;
		}
		if (consume_wake())
		{
			status_task.next_due = mo_task.next_due = 0;
			outbox_due = true;
		}
		if (consume_outbox())
			outbox_due = true;

		if (!extension_installed())
		{
			bool		logged;

			SpinLockAcquire(&sms_api_shared->mutex);
			logged = sms_api_shared->waiting_logged;
			sms_api_shared->waiting_logged = true;
			SpinLockRelease(&sms_api_shared->mutex);
			if (!logged)
				ereport(LOG,
						(errmsg("sms_api worker: extension \"sms_api\" is not installed in database \"%s\"; waiting for it",
								sms_api_database),
						 errhint("Run CREATE EXTENSION sms_api in that database, or set sms_api.database.")));
			set_state("waiting for CREATE EXTENSION");
			outbox_recovered = false;
			outbox_due = true;
			timeout_ms = EXTENSION_RECHECK_MS;
		}
		else
		{
			SpinLockAcquire(&sms_api_shared->mutex);
			sms_api_shared->waiting_logged = false;
			SpinLockRelease(&sms_api_shared->mutex);
			timeout_ms = run_due_tasks();
		}
		publish_counters();
		pgstat_report_activity(STATE_IDLE, NULL);
		/* nothing of this round's table statistics may wait for the next */
		pgstat_report_stat(true);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
