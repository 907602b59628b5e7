/*
 * backoff.h
 *		The one retry policy: exponential backoff with jitter, used by
 *		synchronous calls, the worker's polls and the outbox drain.
 */
#ifndef SMS_API_BACKOFF_H
#define SMS_API_BACKOFF_H

/* A uniform random number in [0, 1). */
extern double backoff_random_fraction(void);

/*
 * How long to wait after the n-th failure in a row (n >= 1): base_ms,
 * doubled for each further failure, at most max_ms, and then spread over
 * 75% to 125% of that so that many waiters do not come back together.
 */
extern int64 backoff_delay_ms(int failures, int64 base_ms, int64 max_ms);

#endif							/* SMS_API_BACKOFF_H */
