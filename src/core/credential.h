/*
 * credential.h
 *		A credential that one process fetches for the whole cluster (an
 *		access token): kept in shared memory and copied into each process,
 *		renewed before it expires, dropped when the API refuses it. While
 *		one process fetches, the others wait for its answer instead of
 *		asking the token endpoint too.
 */
#ifndef SMS_API_CREDENTIAL_H
#define SMS_API_CREDENTIAL_H

#include "datatype/timestamp.h"
#include "storage/condition_variable.h"
#include "storage/spin.h"

#include "core/api.h"

/* Slots, one per provider that needs one (providers.h names them). */
#define CREDENTIAL_SLOTS 2
/* The longest credential kept; a longer one is an unusable answer. */
#define CREDENTIAL_MAX_LEN 2048

/* What a fetch that failed said, for the processes that waited for it. */
#define CREDENTIAL_ERROR_LEN 256

typedef struct SharedCredential
{
	slock_t		mutex;
	uint64		generation;		/* changes whenever the value does */
	uint64		key;			/* the endpoint and credentials it was fetched for */
	uint64		fetch_counter;	/* numbers the fetches */
	/* a fetch under way: who, which, given up on when */
	int			fetcher_pid;	/* 0: none */
	uint64		fetch_id;
	TimestampTz fetch_deadline;
	/* the last fetch that failed, and why */
	uint64		failed_fetch_id;
	int			failed_sqlstate;
	char		failed_message[CREDENTIAL_ERROR_LEN];
	char		failed_detail[CREDENTIAL_ERROR_LEN];
	TimestampTz expires_at;		/* 0: no value */
	int			len;
	char		value[CREDENTIAL_MAX_LEN + 1];
} SharedCredential;

typedef struct SharedCredentials
{
	ConditionVariable fetched;	/* a fetch ended, well or not */
	SharedCredential slots[CREDENTIAL_SLOTS];
} SharedCredentials;

/* Set up in shared memory (shmem.c). */
extern void credential_shmem_init(SharedCredentials *c);

/*
 * Ask the API for a new value: true with *value (palloc'd, NUL-terminated)
 * and *lifetime_s, or false with *res and *err saying why.
 */
typedef bool (*CredentialFetch) (char **value, int64 *lifetime_s,
								 HttpResult *res, ApiError *err);

/*
 * The slot's value for key (a hash of the endpoint and the credentials:
 * a value fetched for others is not used), fetched once for the cluster
 * when there is none or it expires within a margin. A process that waited
 * for another's fetch that failed gets that failure. False with *res and
 * *err when there is no value; *generation identifies the value for
 * credential_drop. The value stays valid until the next call for the slot.
 */
extern bool credential_get(int slot, uint64 key, CredentialFetch fetch, const char **value,
						   uint64 *generation, HttpResult *res, ApiError *err);

/* The value of that generation was refused: the next get fetches anew. */
extern void credential_drop(int slot, uint64 generation);

/* Where this process keeps its copy (for settings_register_secret). */
extern char **credential_local(int slot);

#endif							/* SMS_API_CREDENTIAL_H */
