/*
 * sms_api.h
 *		Declarations shared by every part of the extension: our SQLSTATEs
 *		and the preload check.
 */
#ifndef SMS_API_H
#define SMS_API_H

#include "postgres.h"

/* SQLSTATEs of our own (class "SM"), documented in README.md */
#define ERRCODE_SMS_API_REJECTED		MAKE_SQLSTATE('S','M','0','0','1')
#define ERRCODE_SMS_API_OUTCOME_UNKNOWN	MAKE_SQLSTATE('S','M','0','0','2')
#define ERRCODE_SMS_API_UNAVAILABLE		MAKE_SQLSTATE('S','M','0','0','3')
#define ERRCODE_SMS_API_BAD_ANSWER		MAKE_SQLSTATE('S','M','0','0','4')

#ifndef SMS_API_VERSION
#error "SMS_API_VERSION comes from the Makefile (EXTVERSION)"
#endif

/*
 * What every SQL function checks first: the library was preloaded, and
 * this database's extension is at the library's version (55000 otherwise).
 */
extern void sms_api_require_preload(void);

/*
 * Raise 25006 unless this transaction can write: a function that would
 * talk to the API and then record what it did checks this before the first
 * network byte, so a standby or a read-only transaction never sends (or
 * consumes a list) and then fails.
 */
extern void sms_api_require_writable(const char *function);

#endif							/* SMS_API_H */
