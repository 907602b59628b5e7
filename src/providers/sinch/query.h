/*
 * query.h
 *		Asking the API for statuses and replies; shared by the SQL
 *		functions of query.c and by the worker. Each raises on failure.
 */
#ifndef SMS_API_QUERY_H
#define SMS_API_QUERY_H

#include "providers/sinch/codec.h"
#include "datatype/timestamp.h"

extern void query_status_search(char *const *ids, int nids,
								char *const *correlation_ids, int ncorrelation_ids,
								StatusList *out);
extern void query_status_list(StatusList *out);
extern void query_mo_search(const TimestampTz *start_at, const TimestampTz *end_at,
							const char *sub_account, MoList *out);
extern void query_mo_list(const char *sub_account, MoList *out);

#endif							/* SMS_API_QUERY_H */
