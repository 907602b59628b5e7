/*
 * worker.h
 *		The background worker: polls statuses and replies into tables.
 */
#ifndef SMS_API_WORKER_H
#define SMS_API_WORKER_H

/* Register the worker (from _PG_init, when preloading). */
extern void worker_register(void);

#endif							/* SMS_API_WORKER_H */
