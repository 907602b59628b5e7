/*
 * admin.c
 *		Looking at and nudging the worker: sms_api.wake(), and the rows
 *		behind the sms_api.worker_status and sms_api.provider_status views.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

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

/* One row while a worker runs, none otherwise. */
Datum
sms_worker_status(PG_FUNCTION_ARGS)
{
	SrfResult	srf;
	SmsApiShared copy;
	Datum		values[13];
	bool		nulls[13];

	sms_api_require_preload();
	srf_init(fcinfo, &srf);

	SpinLockAcquire(&sms_api_shared->mutex);
	memcpy(&copy.worker_pid, &sms_api_shared->worker_pid,
		   offsetof(SmsApiShared, requests) - offsetof(SmsApiShared, worker_pid));
	SpinLockRelease(&sms_api_shared->mutex);
	if (copy.worker_pid == 0)
		return (Datum) 0;

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(copy.worker_pid);
	values[1] = CStringGetTextDatum(copy.worker_state);
	put_time(values, nulls, 2, copy.started_at);
	put_time(values, nulls, 3, copy.last_poll_at);
	put_time(values, nulls, 4, copy.last_drain_at);
	values[5] = Int64GetDatum((int64) pg_atomic_read_u64(&sms_api_shared->requests));
	values[6] = Int64GetDatum((int64) pg_atomic_read_u64(&sms_api_shared->messages_sent));
	values[7] = Int64GetDatum((int64) pg_atomic_read_u64(&sms_api_shared->statuses_merged));
	values[8] = Int64GetDatum((int64) pg_atomic_read_u64(&sms_api_shared->mos_merged));
	values[9] = Int64GetDatum((int64) pg_atomic_read_u64(&sms_api_shared->retries));
	values[10] = Int64GetDatum((int64) pg_atomic_read_u64(&sms_api_shared->rate_limited));
	nulls[11] = (copy.last_error[0] == '\0');
	values[11] = CStringGetTextDatum(copy.last_error);
	put_time(values, nulls, 12, copy.last_error_at);
	tuplestore_putvalues(srf.store, srf.tupdesc, values, nulls);
	return (Datum) 0;
}

/* One row per provider: configured here, the worker's view of it, its counts. */
Datum
sms_provider_status(PG_FUNCTION_ARGS)
{
	SrfResult	srf;

	sms_api_require_preload();
	srf_init(fcinfo, &srf);
	for (int p = 0; p < nproviders; p++)
	{
		ProviderShared *ps = &sms_api_shared->providers[p];
		bool		is_paused;
		char		because[WORKER_TEXT_LEN];
		char		error[WORKER_TEXT_LEN];
		TimestampTz error_at;
		Datum		values[9];
		bool		nulls[9];

		SpinLockAcquire(&sms_api_shared->mutex);
		is_paused = ps->paused;
		memcpy(because, ps->paused_because, sizeof(because));
		memcpy(error, ps->last_error, sizeof(error));
		error_at = ps->last_error_at;
		SpinLockRelease(&sms_api_shared->mutex);

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(providers[p]->name);
		values[1] = BoolGetDatum(providers[p]->configured());
		values[2] = CStringGetTextDatum(is_paused ? psprintf("paused: %s", because)
										: providers[p]->configured() ? "ok" : "not configured");
		values[3] = Int64GetDatum((int64) pg_atomic_read_u64(&ps->requests));
		values[4] = Int64GetDatum((int64) pg_atomic_read_u64(&ps->messages_sent));
		values[5] = Int64GetDatum((int64) pg_atomic_read_u64(&ps->failed));
		values[6] = Int64GetDatum((int64) pg_atomic_read_u64(&ps->moved_away));
		nulls[7] = (error[0] == '\0');
		values[7] = CStringGetTextDatum(error);
		put_time(values, nulls, 8, error_at);
		tuplestore_putvalues(srf.store, srf.tupdesc, values, nulls);
	}
	return (Datum) 0;
}
