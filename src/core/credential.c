/*
 * credential.c
 *		Credentials fetched once for the cluster. A process that finds no
 *		usable value in its slot (none, about to expire, or fetched for
 *		another endpoint or account) marks the slot as being fetched and
 *		asks; the others sleep on a condition variable until it is done and
 *		take its value, or its failure: a failing token endpoint sees one
 *		request, not one per backend. The fetcher writes when it gives up;
 *		one that dies without a word is given up on then, and one that
 *		exits releases its mark. A waiter waits at most its own
 *		sms_api.timeout_ms.
 *
 *		The value is copied into the process under the slot's spinlock, so
 *		the copy lives in a static buffer (no allocation under a spinlock);
 *		every copy is zeroed when replaced.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "utils/timestamp.h"

#include "core/credential.h"
#include "core/guc.h"
#include "core/shmem.h"
#include "core/sms_api.h"

/* A value is renewed this long before it expires: a tenth of its life, at most a minute. */
#define MAX_RENEW_MARGIN_MS 60000
/* The longest life believed; a longer stated one is cut to this. */
#define MAX_LIFETIME_S (30 * 86400)

/* How often a waiter looks again (a missed wake-up costs no more). */
#define WAIT_SLICE_MS 100

static char local_value[CREDENTIAL_SLOTS][CREDENTIAL_MAX_LEN + 1];
static char *local_ptr[CREDENTIAL_SLOTS];	/* local_value[slot] or NULL */
static uint64 local_generation[CREDENTIAL_SLOTS];
static uint64 owned_fetch[CREDENTIAL_SLOTS];	/* the fetch this process runs, or 0 */
static bool exit_hook_set = false;

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

/* Copy the slot's value into this process; the caller holds its spinlock. */
static void
take_locked(int slot, SharedCredential *s)
{
	if (local_ptr[slot] != NULL && local_generation[slot] == s->generation)
		return;
	explicit_bzero(local_value[slot], sizeof(local_value[slot]));
	memcpy(local_value[slot], s->value, s->len + 1);
	local_ptr[slot] = local_value[slot];
	local_generation[slot] = s->generation;
}

/* A process that exits while fetching releases the slot for the others. */
static void
release_owned(int code, Datum arg)
{
	for (int slot = 0; slot < CREDENTIAL_SLOTS; slot++)
	{
		SharedCredential *s = shared_slot(slot);

		if (owned_fetch[slot] == 0)
			continue;
		SpinLockAcquire(&s->mutex);
		if (s->fetcher_pid == MyProcPid && s->fetch_id == owned_fetch[slot])
			s->fetcher_pid = 0;
		SpinLockRelease(&s->mutex);
		owned_fetch[slot] = 0;
		ConditionVariableBroadcast(&sms_api_shared->credentials.fetched);
	}
}

/*
 * Publish what fetch id came to: its value (copied here too), or its
 * failure (err, or NULL when it was cut short by an error of ours).
 */
static void
end_fetch(int slot, uint64 id, uint64 key, const char *value, int64 lifetime_s,
		  const ApiError *err)
{
	SharedCredential *s = shared_slot(slot);
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&s->mutex);
	if (s->fetcher_pid == MyProcPid && s->fetch_id == id)
		s->fetcher_pid = 0;
	if (value != NULL)
	{
		int64		life_ms = Min(lifetime_s, MAX_LIFETIME_S) * 1000;
		int64		margin_ms = Min(life_ms / 10, MAX_RENEW_MARGIN_MS);

		explicit_bzero(s->value, sizeof(s->value));
		s->len = (int) strlen(value);
		memcpy(s->value, value, s->len + 1);
		s->key = key;
		s->generation++;
		s->expires_at = TimestampTzPlusMilliseconds(now, life_ms - margin_ms);
		take_locked(slot, s);
	}
	else if (err != NULL)
	{
		s->failed_fetch_id = id;
		s->failed_sqlstate = err->sqlstate;
		strlcpy(s->failed_message, err->message ? err->message : "", CREDENTIAL_ERROR_LEN);
		strlcpy(s->failed_detail, err->detail ? err->detail : "", CREDENTIAL_ERROR_LEN);
	}
	SpinLockRelease(&s->mutex);
	owned_fetch[slot] = 0;
	ConditionVariableBroadcast(&sms_api_shared->credentials.fetched);
}

/* Fetch for everyone; true when this process now has the value. */
static bool
fetch_for_all(int slot, uint64 id, uint64 key, CredentialFetch fetch,
			  HttpResult *res, ApiError *err)
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
		end_fetch(slot, id, key, NULL, 0, NULL);
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
	end_fetch(slot, id, key, ok ? value : NULL, lifetime_s, ok ? NULL : err);
	if (value != NULL)
	{
		explicit_bzero(value, strlen(value));
		pfree(value);
	}
	return ok;
}

/* The error of a wait that came to nothing. */
static bool
wait_failed(HttpResult *res, ApiError *err, int sqlstate, char *message, char *detail)
{
	memset(res, 0, sizeof(*res));
	api_set_error(err, sqlstate, message, detail, NULL);
	return false;
}

bool
credential_get(int slot, uint64 key, CredentialFetch fetch, const char **value,
			   uint64 *generation, HttpResult *res, ApiError *err)
{
	SharedCredential *s = shared_slot(slot);
	ConditionVariable *cv = &sms_api_shared->credentials.fetched;
	TimestampTz give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), sms_api_timeout_ms);
	uint64		waited_for = 0;
	bool		sleeping = false;

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		uint64		id;

		SpinLockAcquire(&s->mutex);
		if (s->len > 0 && s->key == key && now < s->expires_at)
		{
			take_locked(slot, s);
			SpinLockRelease(&s->mutex);
			if (sleeping)
				ConditionVariableCancelSleep();
			*value = local_ptr[slot];
			*generation = local_generation[slot];
			return true;
		}
		if (waited_for != 0 && s->failed_fetch_id == waited_for)
		{
			/* the fetch we waited for failed: its answer is ours too */
			int			sqlstate = s->failed_sqlstate;
			char		message[CREDENTIAL_ERROR_LEN];
			char		detail[CREDENTIAL_ERROR_LEN];

			memcpy(message, s->failed_message, CREDENTIAL_ERROR_LEN);
			memcpy(detail, s->failed_detail, CREDENTIAL_ERROR_LEN);
			SpinLockRelease(&s->mutex);
			if (sleeping)
				ConditionVariableCancelSleep();
			return wait_failed(res, err, sqlstate, pstrdup(message),
							   psprintf("Another process asked for the token: %s", detail));
		}
		if (s->fetcher_pid != 0 && now < s->fetch_deadline)
		{
			waited_for = s->fetch_id;
			SpinLockRelease(&s->mutex);
			if (now >= give_up)
			{
				if (sleeping)
					ConditionVariableCancelSleep();
				return wait_failed(res, err, ERRCODE_SMS_API_UNAVAILABLE,
								   pstrdup("timed out waiting for another process's token request"),
								   psprintf("Waited sms_api.timeout_ms (%d ms).", sms_api_timeout_ms));
			}
			/* prepared before looking again, so that no wake-up is missed */
			if (!sleeping)
			{
				ConditionVariablePrepareToSleep(cv);
				sleeping = true;
				continue;
			}
			(void) ConditionVariableTimedSleep(cv, WAIT_SLICE_MS, PG_WAIT_EXTENSION);
			continue;
		}
		/* nobody is asking (or the one who was is given up on): ask for all */
		id = ++s->fetch_counter;
		s->fetcher_pid = MyProcPid;
		s->fetch_id = id;
		s->fetch_deadline = TimestampTzPlusMilliseconds(now, 2L * sms_api_timeout_ms + 1000);
		SpinLockRelease(&s->mutex);
		if (sleeping)
		{
			ConditionVariableCancelSleep();
			sleeping = false;
		}
		if (!exit_hook_set)
		{
			before_shmem_exit(release_owned, (Datum) 0);
			exit_hook_set = true;
		}
		owned_fetch[slot] = id;
		if (!fetch_for_all(slot, id, key, fetch, res, err))
			return false;
		*value = local_ptr[slot];
		*generation = local_generation[slot];
		return true;
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
	if (local_generation[slot] == generation && local_ptr[slot] != NULL)
	{
		explicit_bzero(local_value[slot], sizeof(local_value[slot]));
		local_ptr[slot] = NULL;
	}
}

char	  **
credential_local(int slot)
{
	return &local_ptr[slot];
}
