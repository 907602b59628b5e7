/*
 * worker.c
 *		The background worker, one per database of sms_api.database. In
 *		its database it sends the outbox (drain.c) and runs each provider's
 *		periodic tasks (its polls, at the interval its settings give, with a
 *		backoff after failures), each step in transactions of its own.
 *
 * The worker uses the same transport, codecs and merge code as the SQL
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
#include "core/provider.h"
#include "core/backoff.h"
#include "core/databases.h"
#include "core/drain.h"
#include "core/guc.h"
#include "core/shmem.h"
#include "core/sms_api.h"
#include "core/version.h"
#include "core/worker.h"

PGDLLEXPORT void sms_api_worker_main(Datum main_arg);

/* Restarted this long after it exits on an error or a terminate. */
#define WORKER_RESTART_S 2
/* How often to look for CREATE EXTENSION. */
#define EXTENSION_RECHECK_MS 2000
/* Backoff after failures: 1 s, 2 s, 4 s ... up to this. */
#define MAX_BACKOFF_MS 60000
/* How long one drain may go on before polls get a turn. */
#define DRAIN_SLICE_MS 10000
/* How often sent and failed outbox rows are pruned. */
#define PRUNE_INTERVAL_MS (10 * 60 * 1000)

typedef struct Task
{
	TimestampTz next_due;
	int			failures;
} Task;

/* Every provider's tasks, in the order of providers[] and their tasks. */
#define MAX_TASKS 16
static Task tasks[MAX_TASKS];

/* the outbox */
static bool outbox_recovered = false;
static bool outbox_due = true;	/* drain at start */
/* Said once (per worker) that our database waits for ALTER EXTENSION UPDATE. */
static bool outdated_logged = false;
static TimestampTz next_prune = 0;
static char last_error_text[WORKER_TEXT_LEN];


static ApiCounters published;
static MemoryContext cycle_cxt;

/*
 * One worker per database of sms_api.database, registered at server start
 * (the list only changes with a restart); the postmaster restarts each on
 * its own. Its argument is its slot, the database's place in the list.
 */
void
worker_register(void)
{
	int			n;
	const char *const *databases = served_databases(&n);

	for (int i = 0; i < n; i++)
	{
		BackgroundWorker bgw;

		memset(&bgw, 0, sizeof(bgw));
		bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
		bgw.bgw_restart_time = WORKER_RESTART_S;
		snprintf(bgw.bgw_library_name, BGW_MAXLEN, "sms_api");
		snprintf(bgw.bgw_function_name, BGW_MAXLEN, "sms_api_worker_main");
		/* the process title: which database */
		snprintf(bgw.bgw_name, BGW_MAXLEN, "sms_api worker for database %s", databases[i]);
		snprintf(bgw.bgw_type, BGW_MAXLEN, "sms_api worker");
		bgw.bgw_main_arg = Int32GetDatum(i);
		RegisterBackgroundWorker(&bgw);
	}
}

void
worker_set_state(const char *state)
{
	SpinLockAcquire(&sms_api_shared->mutex);
	strlcpy(my_worker->state, state, sizeof(my_worker->state));
	SpinLockRelease(&sms_api_shared->mutex);
	pgstat_report_activity(STATE_RUNNING, state);
}

static void
publish_counters(void)
{
	pg_atomic_fetch_add_u64(&my_worker->requests, api_counters.requests - published.requests);
	pg_atomic_fetch_add_u64(&my_worker->retries, api_counters.retries - published.retries);
	pg_atomic_fetch_add_u64(&my_worker->rate_limited,
							api_counters.rate_limited - published.rate_limited);
	published = api_counters;
}

static void
worker_detach(int code, Datum arg)
{
	SpinLockAcquire(&sms_api_shared->mutex);
	my_worker->pid = 0;
	my_worker->latch = NULL;
	strlcpy(my_worker->state, "stopped", sizeof(my_worker->state));
	SpinLockRelease(&sms_api_shared->mutex);
}

static void
worker_attach(void)
{
	SpinLockAcquire(&sms_api_shared->mutex);
	my_worker->pid = MyProcPid;
	my_worker->database = MyDatabaseId;
	my_worker->latch = MyLatch;
	my_worker->started_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);
	before_shmem_exit(worker_detach, (Datum) 0);
}

/* A wake from sms_api.wake(): everything becomes due now. */
static bool
consume_wake(void)
{
	bool		woken;

	SpinLockAcquire(&sms_api_shared->mutex);
	woken = my_worker->wake_requested;
	my_worker->wake_requested = false;
	SpinLockRelease(&sms_api_shared->mutex);
	return woken;
}

/* A transaction that queued messages has committed. */
static bool
consume_outbox(void)
{
	bool		pending;

	SpinLockAcquire(&sms_api_shared->mutex);
	pending = my_worker->outbox_pending;
	my_worker->outbox_pending = false;
	SpinLockRelease(&sms_api_shared->mutex);
	return pending;
}

/* The extension's version in our database (NULL: not installed). */
static char *
installed_version(void)
{
	char	   *version;

	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	MemoryContextSwitchTo(cxt);
	version = extension_version();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	return version;
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

bool
worker_in_transaction(bool (*fn) (void), bool *result)
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

void
worker_limit_lock_waits(void)
{
	(void) set_config_option("lock_timeout", POLL_LOCK_TIMEOUT, PGC_SUSET, PGC_S_OVERRIDE,
							 GUC_ACTION_LOCAL, true, 0, false);
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

static void
all_tasks_due(void)
{
	for (int k = 0; k < MAX_TASKS; k++)
		tasks[k].next_due = 0;
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

	if (!outbox_recovered && worker_in_transaction(drain_recover, &done))
		outbox_recovered = true;

	worker_set_state("sending");
	while (claimed && GetCurrentTimestamp() < until)
	{
		CHECK_FOR_INTERRUPTS();
		if (!worker_in_transaction(drain_claim, &claimed) || !claimed)
			break;
		do
		{
			if (!run_step(drain_send_round, &more, false))
			{
				/* a setting is missing or unusable: wait for a reload */
				drain_abort_round(last_error_text);
				(void) worker_in_transaction(drain_record, &done);
				more = false;
			}
		} while (more);
	}
	/* more left than one slice could send: go on after the polls */
	outbox_due = claimed;
	(void) worker_in_transaction(drain_next_due, &done);

	SpinLockAcquire(&sms_api_shared->mutex);
	my_worker->last_drain_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);

	if (GetCurrentTimestamp() >= next_prune && worker_in_transaction(prune_outbox, &done))
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
	bool		backing_off = false;

	if (outbox_due || (drain_next_due_at != 0 && now >= drain_next_due_at))
		drain_outbox();
	if (drain_next_due_at != 0)
		next = Min(next, drain_next_due_at);

	for (int p = 0, k = 0; p < nproviders; p++)
		for (int i = 0; i < providers[p]->ntasks; i++, k++)
		{
			const WorkerTask *wt = &providers[p]->tasks[i];

			if (*wt->interval_ms <= 0)
				continue;
			if (GetCurrentTimestamp() >= tasks[k].next_due)
			{
				bool		ok;

				worker_set_state(wt->state);
				ok = wt->run();
				SpinLockAcquire(&sms_api_shared->mutex);
				my_worker->last_poll_at = GetCurrentTimestamp();
				SpinLockRelease(&sms_api_shared->mutex);
				schedule(&tasks[k], ok, *wt->interval_ms);
			}
			next = Min(next, tasks[k].next_due);
			backing_off |= tasks[k].failures > 0;
		}
	if (drain_any_paused())
		worker_set_state(drain_paused_state());
	else
		worker_set_state(backing_off ? "backing off" : "idle");

	TimestampDifference(GetCurrentTimestamp(), next, &secs, &usecs);
	return Max(secs * 1000 + usecs / 1000, 1);
}

void
sms_api_worker_main(Datum main_arg)
{
	int			slot = DatumGetInt32(main_arg);
	int			ndatabases;
	const char *database;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	settings_in_worker = true;
	my_worker = &sms_api_shared->workers[slot];
	database = served_databases(&ndatabases)[slot];
	BackgroundWorkerInitializeConnection(database, NULL, 0);
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
	pgstat_report_appname(psprintf("sms_api worker for %s", database));

	worker_attach();
	worker_set_state("starting");
	cycle_cxt = AllocSetContextCreate(TopMemoryContext, "sms_api worker cycle",
									  ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		long		timeout_ms;
		char	   *version;

		MemoryContextSwitchTo(cycle_cxt);
		MemoryContextReset(cycle_cxt);
		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* new intervals take effect now; new credentials resume sending */
			all_tasks_due();
			drain_resume();
			outbox_due = true;
		}
		if (consume_wake())
		{
			all_tasks_due();
			outbox_due = true;
		}
		if (consume_outbox())
			outbox_due = true;

		version = installed_version();
		if (version == NULL)
		{
			bool		logged;

			SpinLockAcquire(&sms_api_shared->mutex);
			logged = my_worker->waiting_logged;
			my_worker->waiting_logged = true;
			SpinLockRelease(&sms_api_shared->mutex);
			if (!logged)
				ereport(LOG,
						(errmsg("sms_api worker: extension \"sms_api\" is not installed in database \"%s\"; waiting for it",
								database),
						 errhint("Run CREATE EXTENSION sms_api in that database, or remove it from sms_api.database.")));
			worker_set_state("waiting for CREATE EXTENSION");
			outbox_recovered = false;
			outbox_due = true;
			timeout_ms = EXTENSION_RECHECK_MS;
		}
		else if (strcmp(version, SMS_API_VERSION) != 0)
		{
			/* the old tables: nothing of ours may run on them until updated */
			if (!outdated_logged)
				ereport(LOG,
						(errmsg("sms_api worker: extension \"sms_api\" is at version %s in database \"%s\", but the loaded library is version %s; waiting for the update",
								version, sms_api_database, SMS_API_VERSION),
						 errhint("Run ALTER EXTENSION sms_api UPDATE in that database.")));
			outdated_logged = true;
			worker_set_state("waiting for ALTER EXTENSION sms_api UPDATE");
			outbox_recovered = false;
			outbox_due = true;
			timeout_ms = EXTENSION_RECHECK_MS;
		}
		else
		{
			SpinLockAcquire(&sms_api_shared->mutex);
			my_worker->waiting_logged = false;
			SpinLockRelease(&sms_api_shared->mutex);
			outdated_logged = false;
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
