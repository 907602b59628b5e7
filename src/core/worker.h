/*
 * worker.h
 *		The background worker: polls statuses and replies into tables.
 */
#ifndef SMS_API_WORKER_H
#define SMS_API_WORKER_H

/* Register the worker (from _PG_init, when preloading). */
extern void worker_register(void);

/*
 * A transaction of the worker's: statement time set, a snapshot, and the
 * extension locked against a concurrent DROP EXTENSION.
 */
extern void worker_begin_transaction(void);
extern void worker_commit_transaction(void);

/*
 * Run fn in a transaction of its own. An error is logged and kept for
 * worker_status; the transaction is rolled back and false returned.
 */
extern bool worker_in_transaction(bool (*fn) (void), bool *result);

/* In a poll's transaction: wait at most a few seconds for a locked row. */
extern void worker_limit_lock_waits(void);

/* What worker_status.state shows. */
extern void worker_set_state(const char *state);

#endif							/* SMS_API_WORKER_H */
