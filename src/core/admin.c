/*
 * admin.c
 *		Looking at and nudging the worker: sms_api.wake() and the row
 *		behind the sms_api.worker_status view.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/shmem.h"
#include "core/sms_api.h"
#include "core/srf.h"

PG_FUNCTION_INFO_V1(sms_wake);
PG_FUNCTION_INFO_V1(sms_worker_status);

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
