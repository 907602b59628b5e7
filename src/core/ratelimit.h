/*
 * ratelimit.h
 *		Pacing of requests so that the extension never provokes a 429 itself.
 */
#ifndef SMS_API_RATELIMIT_H
#define SMS_API_RATELIMIT_H

/* Limiters in shared memory; providers.h gives each provider's its slot. */
#define RATELIMIT_SLOTS 8

/*
 * Wait (interruptibly) until a request paced by this limiter may start, at
 * rate requests per second (0 = unlimited).
 */
extern void ratelimit_acquire(int limiter, int rate);

#endif							/* SMS_API_RATELIMIT_H */
