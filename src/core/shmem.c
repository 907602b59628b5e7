/*
 * shmem.c
 *		The extension's shared memory: one fixed-size struct, sized and
 *		initialized at server start (as pg_stat_statements does).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "core/shmem.h"

SmsApiShared *sms_api_shared = NULL;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

#if PG_VERSION_NUM >= 150000
static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SmsApiShared)));
}
#endif

static void
shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sms_api_shared = ShmemInitStruct("sms_api", sizeof(SmsApiShared), &found);
	if (!found)
	{
		memset(sms_api_shared, 0, sizeof(SmsApiShared));
		SpinLockInit(&sms_api_shared->mutex);
		pg_atomic_init_u64(&sms_api_shared->requests, 0);
		pg_atomic_init_u64(&sms_api_shared->messages_sent, 0);
		pg_atomic_init_u64(&sms_api_shared->statuses_merged, 0);
		pg_atomic_init_u64(&sms_api_shared->mos_merged, 0);
		pg_atomic_init_u64(&sms_api_shared->retries, 0);
		pg_atomic_init_u64(&sms_api_shared->rate_limited, 0);
		credential_shmem_init(&sms_api_shared->credentials);
		for (int p = 0; p < PROVIDER_SLOTS; p++)
		{
			ProviderShared *ps = &sms_api_shared->providers[p];

			pg_atomic_init_u64(&ps->requests, 0);
			pg_atomic_init_u64(&ps->messages_sent, 0);
			pg_atomic_init_u64(&ps->failed, 0);
			pg_atomic_init_u64(&ps->moved_away, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

void
shmem_install_hooks(void)
{
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
#else
	RequestAddinShmemSpace(MAXALIGN(sizeof(SmsApiShared)));
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

void
shmem_wake_worker(void)
{
	Latch	   *latch;

	SpinLockAcquire(&sms_api_shared->mutex);
	sms_api_shared->wake_requested = true;
	latch = sms_api_shared->worker_latch;
	SpinLockRelease(&sms_api_shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

void
shmem_notify_outbox(void)
{
	Latch	   *latch;

	SpinLockAcquire(&sms_api_shared->mutex);
	sms_api_shared->outbox_pending = true;
	latch = sms_api_shared->worker_latch;
	SpinLockRelease(&sms_api_shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

void
shmem_record_error(const char *message)
{
	SpinLockAcquire(&sms_api_shared->mutex);
	strlcpy(sms_api_shared->last_error, message, sizeof(sms_api_shared->last_error));
	sms_api_shared->last_error_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);
}

void
shmem_record_provider_error(int p, const char *message)
{
	ProviderShared *ps = &sms_api_shared->providers[p];

	SpinLockAcquire(&sms_api_shared->mutex);
	strlcpy(ps->last_error, message, sizeof(ps->last_error));
	ps->last_error_at = GetCurrentTimestamp();
	SpinLockRelease(&sms_api_shared->mutex);
}

void
shmem_set_paused(int p, const char *because)
{
	ProviderShared *ps = &sms_api_shared->providers[p];

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
	SpinLockAcquire(&sms_api_shared->mutex);
	for (int p = 0; p < PROVIDER_SLOTS; p++)
	{
		sms_api_shared->providers[p].paused = false;
		sms_api_shared->providers[p].paused_because[0] = '\0';
	}
	SpinLockRelease(&sms_api_shared->mutex);
}
