/*
 * registry.c
 *		The providers the extension knows. Adding one is a folder under
 *		src/providers and a line here.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "core/provider.h"
#include "core/shmem.h"
#include "core/sms_api.h"
#include "providers/directcall/directcall.h"
#include "providers/reach/reach.h"
#include "providers/sinch/sinch.h"

const Provider *const providers[] = {
	&sinch_provider,
	&reach_provider,
	&directcall_provider,
};

const int	nproviders = lengthof(providers);

StaticAssertDecl(lengthof(providers) <= MAX_PROVIDERS, "too many providers");
StaticAssertDecl(MAX_PROVIDERS <= PROVIDER_SLOTS, "shared memory holds fewer providers");

int
provider_index(const char *name)
{
	for (int p = 0; p < nproviders; p++)
		if (strcmp(providers[p]->name, name) == 0)
			return p;
	return -1;
}

const Provider *
provider_by_name(const char *name)
{
	int			p = provider_index(name);

	return p < 0 ? NULL : providers[p];
}

const char *
providers_list(void)
{
	StringInfoData known;

	initStringInfo(&known);
	for (int i = 0; i < nproviders; i++)
		appendStringInfo(&known, "%s%s", i ? ", " : "", providers[i]->name);
	return known.data;
}

OutboxVerdict
provider_default_verdict(const HttpResult *res, const ApiError *err)
{
	long		status = res->outcome == HTTP_ANSWERED ? res->status : 0;

	if (status == 401)
		return VERDICT_PAUSE;
	if (status == 403 || status == 404)
		return VERDICT_PROBE;
	if (err->sqlstate == ERRCODE_SMS_API_REJECTED)
		return VERDICT_REJECT;
	return VERDICT_RETRY;
}

void
providers_define_settings(bool preloading)
{
	for (int p = 0; p < nproviders; p++)
		if (providers[p]->define_settings != NULL)
			providers[p]->define_settings(preloading);
}
