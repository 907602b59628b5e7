/*
 * shmem.c
 *		The extension's shared memory: one struct, sized and initialized
 *		at server start (as pg_stat_statements does), with a slot for each
 *		worker and, for the rate limiters, one for each possible process.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "core/shmem.h"

SmsApiShared *sms_api_shared = NULL;
WorkerShared *my_worker = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* The struct and its waiting_since array, which MaxBackends sizes. */
static Size
shmem_size(void)
{
	return add_size(offsetof(SmsApiShared, waiting_since),
					mul_size(sizeof(TimestampTz),
							 mul_size(RATELIMIT_SLOTS, MaxBackends)));
}

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(shmem_size()));
	RequestNamedLWLockTranche("sms_api_ratelimit", 1);
}

static void
shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sms_api_shared = ShmemInitStruct("sms_api", shmem_size(), &found);
	if (!found)
	{
		memset(sms_api_shared, 0, shmem_size());
		SpinLockInit(&sms_api_shared->mutex);
		sms_api_shared->limiter_lock = &(GetNamedLWLockTranche("sms_api_ratelimit"))->lock;
		for (int r = 0; r < RATELIMIT_SLOTS; r++)
			sms_api_shared->limiters[r].first = -1;
		credential_shmem_init(&sms_api_shared->credentials);
		for (int w = 0; w < MAX_DATABASES; w++)
		{
			WorkerShared *ws = &sms_api_shared->workers[w];

			strlcpy(ws->state, "stopped", sizeof(ws->state));
			pg_atomic_init_u64(&ws->requests, 0);
			pg_atomic_init_u64(&ws->messages_sent, 0);
			pg_atomic_init_u64(&ws->statuses_merged, 0);
			pg_atomic_init_u64(&ws->mos_merged, 0);
			pg_atomic_init_u64(&ws->retries, 0);
			pg_atomic_init_u64(&ws->rate_limited, 0);
			for (int p = 0; p < PROVIDER_SLOTS; p++)
			{
				ProviderShared *ps = &ws->providers[p];

				pg_atomic_init_u64(&ps->requests, 0);
				pg_atomic_init_u64(&ps->messages_sent, 0);
				pg_atomic_init_u64(&ps->failed, 0);
				pg_atomic_init_u64(&ps->moved_away, 0);
			}
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

void
shmem_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

/*
 * A worker notes its database's OID when it connects, so a backend finds
 * its worker without a catalog lookup (commit callbacks cannot do one).
 */
WorkerShared *
shmem_worker_of_database(void)
{
	for (int w = 0; w < MAX_DATABASES; w++)
	{
		WorkerShared *ws = &sms_api_shared->workers[w];
		Oid			database;

		SpinLockAcquire(&sms_api_shared->mutex);
		database = ws->database;
		SpinLockRelease(&sms_api_shared->mutex);
		if (database == MyDatabaseId)
			return ws;
	}
	return NULL;
}

/*
 * Wake this database's worker: for everything (sms_api.wake()) or for the
 * outbox only. Nothing if no worker serves the database.
 */
static void
wake_worker(bool outbox_only)
{
	WorkerShared *ws = shmem_worker_of_database();
	Latch	   *latch;

	if (ws == NULL)
		return;
	SpinLockAcquire(&sms_api_shared->mutex);
	if (outbox_only)
		ws->outbox_pending = true;
	else
		ws->wake_requested = true;
	latch = ws->latch;
	SpinLockRelease(&sms_api_shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

void
shmem_wake_worker(void)
{
	wake_worker(false);
}

void
shmem_notify_outbox(void)
{
	wake_worker(true);
}

void
shmem_record_error(const char *message)
{
	Assert(my_worker != NULL);
	SpinLockAcquire(&sms_api_shared->mutex);
	strlcpy(my_worker->last_error, message, sizeof(my_worker->last_error));
	my_worker->last_error_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);
}

void
shmem_record_provider_error(int p, const char *message)
{
	ProviderShared *ps;

	Assert(my_worker != NULL);
	ps = &my_worker->providers[p];
	SpinLockAcquire(&sms_api_shared->mutex);
	strlcpy(ps->last_error, message, sizeof(ps->last_error));
	ps->last_error_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);
}

void
shmem_set_paused(int p, const char *because)
{
	ProviderShared *ps;

	Assert(my_worker != NULL);
	ps = &my_worker->providers[p];
	SpinLockAcquire(&sms_api_shared->mutex);
	/* the first reason is the one that matters */
	if (!ps->paused)
		strlcpy(ps->paused_because, because, sizeof(ps->paused_because));
	ps->paused = true;
	SpinLockRelease(&sms_api_shared->mutex);
}

void
shmem_clear_paused(void)
{
	Assert(my_worker != NULL);
	SpinLockAcquire(&sms_api_shared->mutex);
	for (int p = 0; p < PROVIDER_SLOTS; p++)
	{
		my_worker->providers[p].paused = false;
		my_worker->providers[p].paused_because[0] = '\0';
	}
	SpinLockRelease(&sms_api_shared->mutex);
}
