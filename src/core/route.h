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
 * The provider a destination's row goes through: the first of its route's,
 * with *prefix set to that route's prefix, or sms_api.default_provider with
 * *prefix NULL when no prefix matches. Valid until the next call.
 */
extern const char *route_for(const char *destination, size_t len, const char **prefix);

#endif							/* SMS_API_ROUTE_H */
