/*
 * ingest.c
 *		sms_api.ingest(jsonb): webhook bodies pushed by the API (sent-status
 *		callbacks, delivery reports, MOs, or arrays of them) merged into
 *		the tables by the same rule as everything else.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "codec.h"
#include "sms_api.h"
#include "store.h"

PG_FUNCTION_INFO_V1(sms_ingest);

Datum
sms_ingest(PG_FUNCTION_ARGS)
{
	Jsonb	   *body;
	char	   *text;
	StatusList	statuses;
	MoList		mos;
	const char *problem;
	uint64		merged;

	sms_api_require_preload();
	sms_api_require_writable("sms_api.ingest()");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the webhook body must not be null")));
	body = PG_GETARG_JSONB_P(0);
	text = JsonbToCString(NULL, &body->root, VARSIZE(body));
	text = (char *) pg_server_to_any(text, strlen(text), PG_UTF8);

	problem = codec_ingest(text, strlen(text), &statuses, &mos);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a status callback, delivery report or MO"),
				 errdetail_internal("%s", problem)));
	merged = store_statuses(&statuses) + store_mos(&mos);
	PG_RETURN_INT32((int32) Min(merged, (uint64) PG_INT32_MAX));
}
