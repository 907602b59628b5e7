/*
 * route.h
 *		Routing at enqueue by the longest matching prefix of sms_api.route.
 */
#ifndef SMS_API_ROUTE_H
#define SMS_API_ROUTE_H

#include "postgres.h"

/* Register the cache's invalidation (from _PG_init). */
extern void route_init(void);

/*
 * The provider a destination's row goes through, and in *route its
 * providers in order, as the text of a text[] (the default provider alone
 * when no prefix matches). Both stay valid until the next call.
 */
extern const char *route_for(const char *destination, size_t len, const char **route);

#endif							/* SMS_API_ROUTE_H */
