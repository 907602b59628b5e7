/*
 * ingest.c
 *		sms_api.ingest(jsonb): webhook bodies pushed by the API (sent-status
 *		callbacks, delivery reports, MOs, or arrays of them) merged into
 *		the tables by the same rule as everything else.
 *
 * When sms_api.webhook_secret (or its file) is set, the caller must present
 * it in the X-Sms-Api-Secret header, which PostgREST passes to the function
 * as the JSON object in the setting request.headers (names lower-cased).
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"

#include "core/guc.h"

#include "providers/sinch/codec.h"
#include "core/scrub.h"
#include "core/sms_api.h"
#include "providers/sinch/store.h"

PG_FUNCTION_INFO_V1(sms_ingest);

#define SECRET_HEADER "x-sms-api-secret"

/* The value of a header PostgREST passed in request.headers, or NULL. */
static char *
request_header(const char *name)
{
	const char *headers = GetConfigOption("request.headers", true, false);
	Jsonb	   *json;
	JsonbValue	key;
	JsonbValue *value;

	if (headers == NULL || headers[0] == '\0')
		return NULL;
	json = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(headers)));
	if (!JB_ROOT_IS_OBJECT(json))
		return NULL;
	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	value = findJsonbValueFromContainer(&json->root, JB_FOBJECT, &key);
	if (value == NULL || value->type != jbvString)
		return NULL;
	return pnstrdup(value->val.string.val, value->val.string.len);
}

/* Refuse the call unless it carries the webhook secret, when one is set. */
static void
authenticate_caller(void)
{
	const char *secret = settings_webhook_secret();
	char	   *given;

	if (secret == NULL)
		return;
	given = request_header(SECRET_HEADER);
	if (given == NULL || strlen(given) != strlen(secret) ||
		timingsafe_bcmp(given, secret, strlen(secret)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("the webhook caller did not present sms_api.webhook_secret"),
				 errdetail(given == NULL ? "The request has no X-Sms-Api-Secret header." :
						   "The X-Sms-Api-Secret header does not match."),
				 errhint("Send the secret in the X-Sms-Api-Secret header (PostgREST passes it in request.headers).")));
}

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
	authenticate_caller();
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
	scrub_statuses(&statuses);
	scrub_mos(&mos);
	merged = store_statuses(&statuses) + store_mos(&mos);
	PG_RETURN_INT32((int32) Min(merged, (uint64) PG_INT32_MAX));
}
