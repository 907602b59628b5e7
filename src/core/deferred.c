/*
 * deferred.c
 *		Runs the registered flushes when the top-level statement finishes
 *		(an ExecutorFinish hook, counting executor nesting as
 *		pg_stat_statements does) and before commit or PREPARE, so deferred
 *		rows are in their tables for the next statement and leave with a
 *		rollback.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

#include "core/deferred.h"

#define MAX_FLUSHES 4

static DeferredFlush flushes[MAX_FLUSHES];
static int	nflushes = 0;
static int	executor_depth = 0;

static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;

void
deferred_register(DeferredFlush flush)
{
	if (nflushes == MAX_FLUSHES)
		elog(ERROR, "too many deferred flushes");
	flushes[nflushes++] = flush;
}

/* A SELECT's portal finishes its executor without an active snapshot. */
static void
flush_all(void)
{
	bool		pushed = false;

	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	for (int i = 0; i < nflushes; i++)
		flushes[i] ();
	if (pushed)
		PopActiveSnapshot();
}

void
deferred_run_as(Oid owner, void (*fn) (void *), void *arg)
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, sms_api, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
		PG_RE_THROW();
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	AtEOXact_GUC(true, save_nestlevel);
}

static void
deferred_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
					 bool execute_once)
{
	executor_depth++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_CATCH();
	{
		executor_depth--;
		PG_RE_THROW();
	}
	PG_END_TRY();
	executor_depth--;
}

static void
deferred_ExecutorFinish(QueryDesc *queryDesc)
{
	executor_depth++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_CATCH();
	{
		executor_depth--;
		PG_RE_THROW();
	}
	PG_END_TRY();
	executor_depth--;
	if (executor_depth == 0)
		flush_all();
}

static void
deferred_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE)
		flush_all();
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		executor_depth = 0;
}

void
deferred_init(void)
{
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = deferred_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = deferred_ExecutorFinish;
	RegisterXactCallback(deferred_xact_callback, NULL);
}
