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

typedef struct SharedCredential
{
	slock_t		mutex;
	uint64		generation;		/* changes whenever the value does */
	bool		fetching;		/* a process is asking for a new one */
	TimestampTz fetch_started;
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
 * The slot's value, fetched (once for the cluster) when there is none or
 * it expires within a margin; *generation identifies it for
 * credential_drop. False with *res and *err when the fetch failed. The
 * value stays valid until the next call for the slot.
 */
extern bool credential_get(int slot, CredentialFetch fetch, const char **value,
						   uint64 *generation, HttpResult *res, ApiError *err);

/* The value of that generation was refused: the next get fetches anew. */
extern void credential_drop(int slot, uint64 generation);

/* This process's copy, or NULL: for prepare() and for scrubbing. */
extern const char *credential_cached(int slot);

/* Where this process keeps its copy (for settings_register_secret). */
extern char **credential_local(int slot);

#endif							/* SMS_API_CREDENTIAL_H */
