/*
 * datum.h
 *		Building array Datums for the set-based statements (unnest of
 *		parallel arrays) that the outbox and the stores run.
 */
#ifndef SMS_API_DATUM_H
#define SMS_API_DATUM_H

/* A one-dimensional array of n elements of elemtype; nulls may be NULL. */
extern Datum datum_array(Oid elemtype, Datum *values, bool *nulls, int n);

/* A text[] of n C strings (NULL elements are SQL NULLs). */
extern Datum datum_text_array(char *const *strings, int n);

#endif							/* SMS_API_DATUM_H */
