/*
 * backoff.c
 *		Exponential backoff with jitter, for every retry the extension makes.
 */
#include "postgres.h"

#include "common/pg_prng.h"

#include "core/backoff.h"

double
backoff_random_fraction(void)
{
	return pg_prng_double(&pg_global_prng_state);
}

int64
backoff_delay_ms(int failures, int64 base_ms, int64 max_ms)
{
	int64		delay = base_ms << Min(Max(failures, 1) - 1, 30);

	delay = Min(delay, max_ms);
	return (int64) (delay * (0.75 + backoff_random_fraction() / 2));
}
