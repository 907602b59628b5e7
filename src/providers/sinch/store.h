/*
 * store.h
 *		Writing what the API told us into the extension's tables.
 */
#ifndef SMS_API_STORE_H
#define SMS_API_STORE_H

#include "providers/sinch/codec.h"

/* Record ids the API accepted (status columns NULL); existing ids are kept. */
extern void store_sent(int n, const pg_uuid_t *ids, char *const *correlation_ids,
					   char *const *destinations);

/*
 * Record one id when the current top-level statement finishes (or at
 * commit, or with the next 999), still in the caller's transaction.
 */
extern void store_sent_later(const pg_uuid_t *id, const char *correlation_id,
							 const char *destination);

/* Write the ids store_sent_later() holds now. */
extern void store_flush_sent(void);

/* Merge statuses into message_status by the merge rule; returns rows changed. */
extern uint64 store_statuses(const StatusList *list);

/* Merge replies into mo_message, deduplicated by id; returns rows changed. */
extern uint64 store_mos(const MoList *list);

/* Register the transaction callbacks that send one NOTIFY per transaction. */
extern void store_init(void);

#endif							/* SMS_API_STORE_H */
