/*
 * shmem.h
 *		State shared by every backend and the worker: the cluster-wide rate
 *		limiters, the worker's latch (wake), its live counters, and the
 *		access tokens fetched for everyone.
 */
#ifndef SMS_API_SHMEM_H
#define SMS_API_SHMEM_H

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/spin.h"

#include "core/credential.h"
#include "core/ratelimit.h"

#define WORKER_TEXT_LEN 256

/* Per provider, as the worker's drain sees it (providers[] order). */
#define PROVIDER_SLOTS 8

typedef struct ProviderShared
{
	/* under SmsApiShared.mutex */
	bool		paused;
	char		paused_because[WORKER_TEXT_LEN];
	char		last_error[WORKER_TEXT_LEN];
	TimestampTz last_error_at;
	pg_atomic_uint64 requests;
	pg_atomic_uint64 messages_sent;
	pg_atomic_uint64 failed;
	pg_atomic_uint64 moved_away;
} ProviderShared;

typedef struct SmsApiShared
{
	slock_t		mutex;			/* protects everything but the atomics */
	TimestampTz next_start[RATELIMIT_SLOTS];	/* rate limiters */

	/* the worker; pid 0 when none runs */
	int			worker_pid;
	Latch	   *worker_latch;
	char		worker_state[64];
	TimestampTz started_at;
	TimestampTz last_poll_at;
	TimestampTz last_drain_at;
	char		last_error[WORKER_TEXT_LEN];
	TimestampTz last_error_at;
	bool		waiting_logged; /* "extension not installed" said once */
	bool		wake_requested; /* sms_api.wake(): everything is due now */
	bool		outbox_pending; /* a transaction that queued committed */
	bool		drain_paused;	/* 401/403/404: wait for new settings */

	pg_atomic_uint64 requests;
	pg_atomic_uint64 messages_sent;
	pg_atomic_uint64 statuses_merged;
	pg_atomic_uint64 mos_merged;
	pg_atomic_uint64 retries;
	pg_atomic_uint64 rate_limited;

	SharedCredentials credentials;	/* access tokens (credential.c) */
	ProviderShared providers[PROVIDER_SLOTS];
} SmsApiShared;

extern SmsApiShared *sms_api_shared;

/* Ask for shared memory (from _PG_init, when preloading). */
extern void shmem_install_hooks(void);

/* sms_api.wake(): everything becomes due; sets the worker's latch. */
extern void shmem_wake_worker(void);

/* Keep the worker's latest error for worker_status (and provider p's; -1: none). */
extern void shmem_record_error(const char *message);
extern void shmem_record_provider_error(int p, const char *message);

/* A provider paused (because), or every provider resumed. */
extern void shmem_set_paused(int p, const char *because);
extern void shmem_clear_paused(void);

/* A transaction that queued messages committed; sets the worker's latch. */
extern void shmem_notify_outbox(void);

#endif							/* SMS_API_SHMEM_H */
