/*
 * ratelimit.h
 *		Pacing of requests so that the extension never provokes a 429 itself.
 */
#ifndef SMS_API_RATELIMIT_H
#define SMS_API_RATELIMIT_H

#include "datatype/timestamp.h"

/* Limiters in shared memory; providers.h gives each provider's its slot. */
#define RATELIMIT_SLOTS 8

/*
 * Wait (interruptibly) until a request paced by this limiter may start, at
 * rate requests per second (0 = unlimited).
 */
extern void ratelimit_acquire(int limiter, int rate);

/*
 * Book a start for a request that goes out with others (HttpRequest's
 * not_before), without waiting for it to come; 0 if unlimited. Only the
 * first of them may wait for a booking within the horizon.
 */
extern TimestampTz ratelimit_book(int limiter, int rate, bool first);

#endif							/* SMS_API_RATELIMIT_H */
