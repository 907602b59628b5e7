/*
 * databases.h
 *		sms_api.database: the databases the workers serve, one worker each.
 */
#ifndef SMS_API_DATABASES_H
#define SMS_API_DATABASES_H

#include "utils/guc.h"

/* At most this many databases, hence workers (and their shared memory). */
#define MAX_DATABASES 16

/* Check and assign hooks of sms_api.database. */
extern bool databases_check(char **newval, void **extra, GucSource source);
extern void databases_assign(const char *newval, void *extra);

/* The served databases, in the order listed; *n of them. */
extern const char *const *served_databases(int *n);

/* Whether dbname is one of them. */
extern bool database_is_served(const char *dbname);

/*
 * At server start: raise FATAL if the setting's value was refused (GUC
 * then falls back to the default, which would serve another database).
 */
extern void databases_require_valid(void);

#endif							/* SMS_API_DATABASES_H */
