/*
 * shmem.h
 *		State shared by every backend and the workers: the cluster-wide rate
 *		limiters and access tokens, and per worker its latch (wake), its
 *		live counters and its view of each provider.
 */
#ifndef SMS_API_SHMEM_H
#define SMS_API_SHMEM_H

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/spin.h"

#include "core/credential.h"
#include "core/databases.h"
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

/* One worker's state: a slot per database of sms_api.database, in its order. */
typedef struct WorkerShared
{
	/* under SmsApiShared.mutex; pid 0 when the worker does not run */
	int			pid;
	Oid			database;		/* InvalidOid until its worker first connects */
	Latch	   *latch;
	char		state[64];
	TimestampTz started_at;
	TimestampTz last_poll_at;
	TimestampTz last_drain_at;
	char		last_error[WORKER_TEXT_LEN];
	TimestampTz last_error_at;
	bool		waiting_logged; /* "extension not installed" said once */
	bool		wake_requested; /* sms_api.wake(): everything is due now */
	bool		outbox_pending; /* a transaction that queued committed */

	pg_atomic_uint64 requests;
	pg_atomic_uint64 messages_sent;
	pg_atomic_uint64 statuses_merged;
	pg_atomic_uint64 mos_merged;
	pg_atomic_uint64 retries;
	pg_atomic_uint64 rate_limited;

	/* each worker's drain pauses and counts on its own */
	ProviderShared providers[PROVIDER_SLOTS];
} WorkerShared;

/*
 * The rate limiters and the access tokens are the cluster's: every worker
 * and backend shares them, whatever its database.
 */
/*
 * One rate limiter: the next free start, how many callers wait for one,
 * and which of them has waited longest (a PGPROC number; -1: none), who
 * books next.
 */
typedef struct RateLimiterShared
{
	TimestampTz next_start;
	int			nwaiting;
	int			first;
} RateLimiterShared;

typedef struct SmsApiShared
{
	slock_t		mutex;			/* protects the rest but atomics and limiters */
	LWLock	   *limiter_lock;	/* protects limiters and waiting_since */
	RateLimiterShared limiters[RATELIMIT_SLOTS];
	SharedCredentials credentials;	/* access tokens (credential.c) */
	WorkerShared workers[MAX_DATABASES];
	/* since when each process waits on each limiter (0: it does not), by
	 * limiter, then PGPROC number (MaxBackends of them) */
	TimestampTz waiting_since[FLEXIBLE_ARRAY_MEMBER];
} SmsApiShared;

extern SmsApiShared *sms_api_shared;

/* In a worker, its own slot; NULL elsewhere. */
extern WorkerShared *my_worker;

/* Ask for shared memory (from _PG_init, when preloading). */
extern void shmem_install_hooks(void);

/* The slot of the worker serving this backend's database, or NULL. */
extern WorkerShared *shmem_worker_of_database(void);

/* sms_api.wake(): everything becomes due; sets the worker's latch. */
extern void shmem_wake_worker(void);

/* Keep the worker's latest error for worker_status (and provider p's; -1: none). */
extern void shmem_record_error(const char *message);
extern void shmem_record_provider_error(int p, const char *message);

/* A provider paused (because), or every provider resumed, in this worker. */
extern void shmem_set_paused(int p, const char *because);
extern void shmem_clear_paused(void);

/* A transaction that queued messages committed; sets the worker's latch. */
extern void shmem_notify_outbox(void);

#endif							/* SMS_API_SHMEM_H */
