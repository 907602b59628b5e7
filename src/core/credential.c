/*
 * credential.c
 *		Credentials fetched once for the cluster. A process that finds no
 *		usable value in its slot marks the slot as being fetched and asks;
 *		the others sleep on a condition variable until it is done and take
 *		its value. A fetch that fails leaves the slot empty, and the next
 *		waiter asks in turn, so a failing endpoint sees one request at a
 *		time, not one per backend. A fetcher that dies without a word is
 *		given up on after twice the request timeout.
 *
 *		The value is copied into the process under the slot's spinlock, so
 *		the copy lives in a static buffer (no allocation under a spinlock);
 *		every copy is zeroed when replaced.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "utils/timestamp.h"

#include "core/credential.h"
#include "core/guc.h"
#include "core/shmem.h"
#include "core/sms_api.h"

/* A value is renewed this long before it expires: a tenth of its life, at most a minute. */
#define MAX_RENEW_MARGIN_MS 60000

/* How often a waiter looks again (a missed wake-up costs no more). */
#define WAIT_SLICE_MS 100

static char local_value[CREDENTIAL_SLOTS][CREDENTIAL_MAX_LEN + 1];
static char *local_ptr[CREDENTIAL_SLOTS];	/* local_value[slot] or NULL */
static uint64 local_generation[CREDENTIAL_SLOTS];

void
credential_shmem_init(SharedCredentials *c)
{
	ConditionVariableInit(&c->fetched);
	for (int i = 0; i < CREDENTIAL_SLOTS; i++)
	{
		memset(&c->slots[i], 0, sizeof(SharedCredential));
		SpinLockInit(&c->slots[i].mutex);
	}
}

static SharedCredential *
shared_slot(int slot)
{
	Assert(slot >= 0 && slot < CREDENTIAL_SLOTS);
	return &sms_api_shared->credentials.slots[slot];
}

static void
forget_local(int slot)
{
	explicit_bzero(local_value[slot], sizeof(local_value[slot]));
	local_ptr[slot] = NULL;
}

/* Publish what a fetch came to and wake the waiters. */
static void
end_fetch(int slot, const char *value, int64 lifetime_s)
{
	SharedCredential *s = shared_slot(slot);
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&s->mutex);
	s->fetching = false;
	if (value != NULL)
	{
		int64		life_ms = lifetime_s * 1000;
		int64		margin_ms = Min(life_ms / 10, MAX_RENEW_MARGIN_MS);

		explicit_bzero(s->value, sizeof(s->value));
		s->len = (int) strlen(value);
		memcpy(s->value, value, s->len + 1);
		s->generation++;
		s->expires_at = TimestampTzPlusMilliseconds(now, life_ms - margin_ms);
	}
	SpinLockRelease(&s->mutex);
	ConditionVariableBroadcast(&sms_api_shared->credentials.fetched);
}

/* Fetch for everyone; true when the slot now has a value. */
static bool
fetch_for_all(int slot, CredentialFetch fetch, HttpResult *res, ApiError *err)
{
	char	   *value = NULL;
	int64		lifetime_s = 0;
	bool		ok = false;

	PG_TRY();
	{
		ok = fetch(&value, &lifetime_s, res, err);
	}
	PG_CATCH();
	{
		end_fetch(slot, NULL, 0);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (ok && (strlen(value) == 0 || strlen(value) > CREDENTIAL_MAX_LEN || lifetime_s <= 0))
	{
		memset(res, 0, sizeof(*res));
		res->outcome = HTTP_ANSWERED;
		res->status = 200;
		api_set_error(err, ERRCODE_SMS_API_BAD_ANSWER,
					  pstrdup("the token endpoint answered an unusable token"),
					  psprintf("A token of %zu bytes valid for %lld s (at most %d bytes, at least 1 s).",
							   strlen(value), (long long) lifetime_s, CREDENTIAL_MAX_LEN),
					  NULL);
		ok = false;
	}
	end_fetch(slot, ok ? value : NULL, lifetime_s);
	if (value != NULL)
	{
		explicit_bzero(value, strlen(value));
		pfree(value);
	}
	return ok;
}

bool
credential_get(int slot, CredentialFetch fetch, const char **value,
			   uint64 *generation, HttpResult *res, ApiError *err)
{
	SharedCredential *s = shared_slot(slot);
	ConditionVariable *cv = &sms_api_shared->credentials.fetched;
	bool		fetched = false;

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		long		stale_ms = 2L * sms_api_timeout_ms + 1000;

		ConditionVariablePrepareToSleep(cv);
		SpinLockAcquire(&s->mutex);
		if (s->len > 0 && now < s->expires_at)
		{
			if (local_ptr[slot] == NULL || local_generation[slot] != s->generation)
			{
				explicit_bzero(local_value[slot], sizeof(local_value[slot]));
				memcpy(local_value[slot], s->value, s->len + 1);
				local_ptr[slot] = local_value[slot];
				local_generation[slot] = s->generation;
			}
			SpinLockRelease(&s->mutex);
			ConditionVariableCancelSleep();
			*value = local_ptr[slot];
			*generation = local_generation[slot];
			return true;
		}
		if (fetched)
		{
			/* ours came back already expired: a lifetime shorter than the margin */
			SpinLockRelease(&s->mutex);
			ConditionVariableCancelSleep();
			api_set_error(err, ERRCODE_SMS_API_BAD_ANSWER,
						  pstrdup("the token endpoint answered a token that expires at once"),
						  NULL, NULL);
			memset(res, 0, sizeof(*res));
			return false;
		}
		if (s->fetching &&
			!TimestampDifferenceExceeds(s->fetch_started, now, (int) Min(stale_ms, INT_MAX)))
		{
			SpinLockRelease(&s->mutex);
			(void) ConditionVariableTimedSleep(cv, WAIT_SLICE_MS, PG_WAIT_EXTENSION);
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		s->fetching = true;
		s->fetch_started = now;
		SpinLockRelease(&s->mutex);
		ConditionVariableCancelSleep();
		if (!fetch_for_all(slot, fetch, res, err))
			return false;
		fetched = true;
	}
}

void
credential_drop(int slot, uint64 generation)
{
	SharedCredential *s = shared_slot(slot);

	SpinLockAcquire(&s->mutex);
	if (s->generation == generation && s->len > 0)
	{
		explicit_bzero(s->value, sizeof(s->value));
		s->len = 0;
		s->expires_at = 0;
		s->generation++;
	}
	SpinLockRelease(&s->mutex);
	if (local_generation[slot] == generation)
		forget_local(slot);
}

const char *
credential_cached(int slot)
{
	return local_ptr[slot];
}

char	  **
credential_local(int slot)
{
	return &local_ptr[slot];
}
