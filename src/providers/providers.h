/*
 * providers.h
 *		The providers the extension knows, and what each gives the shared
 *		parts: its rate limiter and credential slots, its settings, and its
 *		outbox and worker operations (core/provider.h).
 */
#ifndef SMS_API_PROVIDERS_H
#define SMS_API_PROVIDERS_H

/* Rate limiter slots (core/ratelimit.h), one per kind of request. */
enum
{
	LIMITER_SINCH_SEND,
	LIMITER_SINCH_QUERY,
	LIMITER_REACH,
	LIMITER_DIRECTCALL
};

/* Shared credential slots (core/credential.h). */
enum
{
	CREDENTIAL_DIRECTCALL
};

#endif							/* SMS_API_PROVIDERS_H */
