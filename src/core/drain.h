/*
 * drain.h
 *		The worker's side of the outbox: claim, send, record. Each step is
 *		run by the worker (in a transaction for claim and record, outside
 *		one for send), so no transaction spans more than one round of
 *		requests.
 */
#ifndef SMS_API_DRAIN_H
#define SMS_API_DRAIN_H

#include "datatype/timestamp.h"

/* Return rows an interrupted drain left in 'sending' to 'queued'. */
extern bool drain_recover(void);

/* Claim due rows ('queued' -> 'sending'); true if any were claimed. */
extern bool drain_claim(void);

/*
 * Send up to HTTP_MAX_PARALLEL batches of the claim, recording each one's
 * outcome (in a transaction of its own) as soon as it is known; true if
 * more batches remain. Runs outside a transaction.
 */
extern bool drain_send_round(void);

/* After drain_send_round raised: the round's rows wait for new settings. */
extern void drain_abort_round(const char *error);

/* Write the outcomes settled so far to the outbox and message_status. */
extern bool drain_record(void);

/* When the next queued row is due, or 0 if none is queued. */
extern bool drain_next_due(void);
extern TimestampTz drain_next_due_at;

/*
 * Providers whose account or URL was refused (401/403/404) hold their rows
 * until the configuration is reloaded; the others go on.
 */
extern bool drain_any_paused(void);

/* worker_status.state for the first paused provider, or NULL. */
extern const char *drain_paused_state(void);

/* New settings: every provider may send again. */
extern void drain_resume(void);

#endif							/* SMS_API_DRAIN_H */
