/*
 * admin.c
 *		Looking at and nudging the workers: sms_api.wake(), and the rows
 *		behind the sms_api.worker_status and sms_api.provider_status views.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/databases.h"
#include "core/provider.h"
#include "core/shmem.h"
#include "core/sms_api.h"
#include "core/srf.h"

PG_FUNCTION_INFO_V1(sms_wake);
PG_FUNCTION_INFO_V1(sms_worker_status);
PG_FUNCTION_INFO_V1(sms_provider_status);

Datum
sms_wake(PG_FUNCTION_ARGS)
{
	sms_api_require_preload();
	shmem_wake_worker();
	PG_RETURN_VOID();
}

static void
put_time(Datum *values, bool *nulls, int i, TimestampTz t)
{
	nulls[i] = (t == 0);
	values[i] = TimestampTzGetDatum(t);
}

/* One row per worker that runs, whichever database it serves. */
Datum
sms_worker_status(PG_FUNCTION_ARGS)
{
	SrfResult	srf;
	int			ndatabases;
	const char *const *databases;

	sms_api_require_preload();
	srf_init(fcinfo, &srf);
	databases = served_databases(&ndatabases);
	for (int w = 0; w < ndatabases; w++)
	{
		WorkerShared *ws = &sms_api_shared->workers[w];
		WorkerShared copy;
		NameData	database;
		Datum		values[14];
		bool		nulls[14];

		SpinLockAcquire(&sms_api_shared->mutex);
		memcpy(&copy, ws, offsetof(WorkerShared, requests));
		SpinLockRelease(&sms_api_shared->mutex);
		if (copy.pid == 0)
			continue;

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(copy.pid);
		namestrcpy(&database, databases[w]);
		values[1] = NameGetDatum(&database);
		values[2] = CStringGetTextDatum(copy.state);
		put_time(values, nulls, 3, copy.started_at);
		put_time(values, nulls, 4, copy.last_poll_at);
		put_time(values, nulls, 5, copy.last_drain_at);
		values[6] = Int64GetDatum((int64) pg_atomic_read_u64(&ws->requests));
		values[7] = Int64GetDatum((int64) pg_atomic_read_u64(&ws->messages_sent));
		values[8] = Int64GetDatum((int64) pg_atomic_read_u64(&ws->statuses_merged));
		values[9] = Int64GetDatum((int64) pg_atomic_read_u64(&ws->mos_merged));
		values[10] = Int64GetDatum((int64) pg_atomic_read_u64(&ws->retries));
		values[11] = Int64GetDatum((int64) pg_atomic_read_u64(&ws->rate_limited));
		nulls[12] = (copy.last_error[0] == '\0');
		values[12] = CStringGetTextDatum(copy.last_error);
		put_time(values, nulls, 13, copy.last_error_at);
		tuplestore_putvalues(srf.store, srf.tupdesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * One row per provider: configured here, the view of it and the counts of
 * the worker serving this database (none: not paused, nothing counted).
 */
Datum
sms_provider_status(PG_FUNCTION_ARGS)
{
	SrfResult	srf;

	WorkerShared *ws;

	sms_api_require_preload();
	srf_init(fcinfo, &srf);
	ws = shmem_worker_of_database();
	for (int p = 0; p < nproviders; p++)
	{
		ProviderShared *ps = ws ? &ws->providers[p] : NULL;
		bool		is_paused = false;
		char		because[WORKER_TEXT_LEN] = "";
		char		error[WORKER_TEXT_LEN] = "";
		TimestampTz error_at = 0;
		Datum		values[9];
		bool		nulls[9];

		if (ps != NULL)
		{
			SpinLockAcquire(&sms_api_shared->mutex);
			is_paused = ps->paused;
			memcpy(because, ps->paused_because, sizeof(because));
			memcpy(error, ps->last_error, sizeof(error));
			error_at = ps->last_error_at;
			SpinLockRelease(&sms_api_shared->mutex);
		}

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(providers[p]->name);
		values[1] = BoolGetDatum(providers[p]->configured());
		values[2] = CStringGetTextDatum(is_paused ? psprintf("paused: %s", because)
										: providers[p]->configured() ? "ok" : "not configured");
		values[3] = Int64GetDatum(ps ? (int64) pg_atomic_read_u64(&ps->requests) : 0);
		values[4] = Int64GetDatum(ps ? (int64) pg_atomic_read_u64(&ps->messages_sent) : 0);
		values[5] = Int64GetDatum(ps ? (int64) pg_atomic_read_u64(&ps->failed) : 0);
		values[6] = Int64GetDatum(ps ? (int64) pg_atomic_read_u64(&ps->moved_away) : 0);
		nulls[7] = (error[0] == '\0');
		values[7] = CStringGetTextDatum(error);
		put_time(values, nulls, 8, error_at);
		tuplestore_putvalues(srf.store, srf.tupdesc, values, nulls);
	}
	return (Datum) 0;
}
