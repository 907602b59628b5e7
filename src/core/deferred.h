/*
 * deferred.h
 *		Writes that a call leaves for the end of the top-level statement
 *		(like an AFTER STATEMENT trigger), or for commit at the latest: one
 *		set-based INSERT for many calls instead of one per call.
 */
#ifndef SMS_API_DEFERRED_H
#define SMS_API_DEFERRED_H

/* Writes whatever its module holds; called with a snapshot active. */
typedef void (*DeferredFlush) (void);

/* Register a flush (from _PG_init); runs at statement end and pre-commit. */
extern void deferred_register(DeferredFlush flush);

/*
 * Run fn as role owner with search_path pg_catalog, sms_api, pg_temp: the
 * context of the SECURITY DEFINER function that deferred the write, which
 * has returned by the time the write happens.
 */
extern void deferred_run_as(Oid owner, void (*fn) (void *), void *arg);

/* Install the executor hooks and the commit callback (from _PG_init). */
extern void deferred_init(void);

#endif							/* SMS_API_DEFERRED_H */
