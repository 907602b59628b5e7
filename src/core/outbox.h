/*
 * outbox.h
 *		Sending on commit: sms_api.sms_queue(), the outbox table, and the
 *		worker's wake-up at commit.
 */
#ifndef SMS_API_OUTBOX_H
#define SMS_API_OUTBOX_H

#include "fmgr.h"

/*
 * Validate the ten sms_send arguments in fcinfo by the rules of the
 * provider (NULL: the default) and insert an outbox row; returns its id.
 * Shared by sms_queue() and sms_alert_trigger().
 */
extern int64 outbox_enqueue(FunctionCallInfo fcinfo, const char *provider,
							const char *dedupe_key);

/* Write the rows queued so far (deferred.c calls it at statement end). */
extern void outbox_flush(void);

/* Register the commit callback that wakes the worker (from _PG_init). */
extern void outbox_init(void);

#endif							/* SMS_API_OUTBOX_H */
