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

#endif							/* SMS_API_WORKER_H */
