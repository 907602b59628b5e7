/*
 * srf.h
 *		Set-returning functions in materialize mode: every row is produced
 *		before the first is returned, so LIMIT never stops a send half-way.
 */
#ifndef SMS_API_SRF_H
#define SMS_API_SRF_H

#include "fmgr.h"
#include "utils/tuplestore.h"

typedef struct SrfResult
{
	Tuplestorestate *store;
	TupleDesc	tupdesc;
} SrfResult;

extern void srf_init(FunctionCallInfo fcinfo, SrfResult *out);

#endif							/* SMS_API_SRF_H */
