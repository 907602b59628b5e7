/*
 * dedupe.h
 *		Idempotent queueing: sms_queue(..., dedupe_key) gives the id of the
 *		outbox row that already has the key, also across racing sessions.
 */
#ifndef SMS_API_DEDUPE_H
#define SMS_API_DEDUPE_H

#include "postgres.h"

/* The longest dedupe_key, in characters (22001 above it). */
#define DEDUPE_KEY_MAX_CHARS 200

/*
 * Rows with a key buffered at once (each holds its key's lock until it is
 * written): the default max_locks_per_transaction, so a bulk of keys does
 * not fill the lock table.
 */
#define DEDUPE_FLUSH_AT 64

/*
 * The id of the outbox row (written, or buffered by this transaction) that
 * has the key, waiting for another transaction writing it to end; false
 * when there is none, and then this transaction holds the key's lock until
 * dedupe_unlock(), so the caller must buffer its row with dedupe_buffer().
 */
extern bool dedupe_find(const char *key, int len, int64 *id);

/* Remember a buffered row's key (key stays valid in rows_cxt). */
extern void dedupe_buffer(const char *key, int len, int64 id, MemoryContext rows_cxt);

/* A buffered row's key is written (or its row dropped): let its lock go. */
extern void dedupe_unlock(const char *key, int len);

/* The buffered rows are gone (written or dropped, with their memory). */
extern void dedupe_forget_buffered(void);

#endif							/* SMS_API_DEDUPE_H */
