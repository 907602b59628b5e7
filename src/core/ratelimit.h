/*
 * ratelimit.h
 *		Pacing of requests so that the extension never provokes a 429 itself.
 */
#ifndef SMS_API_RATELIMIT_H
#define SMS_API_RATELIMIT_H

#include "core/api.h"

/* Wait (interruptibly) until a request of this kind may start. */
extern void ratelimit_acquire(ApiKind kind);

#endif							/* SMS_API_RATELIMIT_H */
