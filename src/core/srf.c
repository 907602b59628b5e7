/*
 * srf.c
 *		Materialize-mode setup for our set-returning functions, written out
 *		rather than PostgreSQL 15's InitMaterializedSRF() so that 13 and 14
 *		build too.
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"

#include "core/srf.h"

void
srf_init(FunctionCallInfo fcinfo, SrfResult *out)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	tupdesc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set"),
				 errhint("Call it in FROM: SELECT * FROM sms_api.<function>(...).")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	out->tupdesc = CreateTupleDescCopy(tupdesc);
	out->store = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
									   false, work_mem);
	MemoryContextSwitchTo(old);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = out->store;
	rsinfo->setDesc = out->tupdesc;
}
