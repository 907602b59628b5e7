/*
 * shim.h
 *		What a fuzz target sees of the shim that stands in for the server:
 *		one entry point per target, and the last ERROR raised.
 */
#ifndef SMS_API_FUZZ_SHIM_H
#define SMS_API_FUZZ_SHIM_H

#include "postgres.h"

/*
 * Each target defines these two. fuzz_one gets the input NUL-terminated at
 * len, as src/http hands an answer's body to a decoder. fuzz_errors_allowed
 * says whether an ereport(ERROR) is a normal rejection (validation) or a
 * finding (decoders, which describe a bad answer and never raise).
 */
extern void fuzz_one(const char *data, size_t len);
extern const bool fuzz_errors_allowed;

/* The SQLSTATE and message of the ERROR being handled; for oracles. */
extern int	shim_error_code(void);
extern const char *shim_error_message(void);

/* Report a broken invariant: prints it and aborts, which libFuzzer records. */
extern void shim_fail(const char *fmt,...) pg_attribute_printf(1, 2) pg_attribute_noreturn();

/* The secret the shim's settings_secrets() knows; a decoder must scrub it. */
#define SHIM_SECRET "fuzzSecretToken0123"

/* Split data at NUL bytes into at most max fields; returns how many. */
extern int	shim_split(const char *data, size_t len, const char **fields, int max);

/* Whether s (NUL-terminated) is valid UTF-8, as every server text is. */
extern bool shim_valid_utf8(const char *s);

#endif							/* SMS_API_FUZZ_SHIM_H */
