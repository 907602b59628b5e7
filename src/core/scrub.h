/*
 * scrub.h
 *		Secrets out of text the API sends back: an API that echoes a request
 *		(its headers included) must not get the token into an error, a log
 *		line or a table.
 */
#ifndef SMS_API_SCRUB_H
#define SMS_API_SCRUB_H

#include "providers/sinch/codec.h"

/* Overwrite every occurrence of each secret (a NULL-terminated list) with '*'. */
extern void scrub_secrets(char *text, size_t len, const char *const *secrets);

/* The secret settings' values in a NUL-terminated text, or in every text field. */
extern void scrub_text(char *text);
extern void scrub_statuses(StatusList *list);
extern void scrub_mos(MoList *list);

#endif							/* SMS_API_SCRUB_H */
