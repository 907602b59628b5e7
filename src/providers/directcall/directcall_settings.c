/*
 * directcall_settings.c
 *		The sms_api.directcall_* settings. The client id and secret are
 *		secrets as the Sinch token is: superuser-only, masked, refused per
 *		role or database, scrubbed from what the API sends back; the secret
 *		may come from a file (sms_api.directcall_client_secret_file).
 */
#include "postgres.h"

#include "utils/guc.h"

#include "core/credential.h"
#include "core/guc.h"
#include "providers/providers.h"
#include "providers/directcall/directcall.h"

char	   *directcall_base_url = NULL;
static char *client_id_value = NULL;
static char *client_secret_value = NULL;
static char *client_secret_file = NULL;
static char *secret_from_file = NULL;
char	   *directcall_origin = NULL;
char	   *directcall_time_zone = NULL;
int			directcall_token_lifetime = 3600;
int			directcall_rate_limit = 10;

/* Empty, or a number as the API wants it: 10-15 digits after an optional '+'. */
static bool
origin_check(char **newval, void **extra, GucSource source)
{
	const char *digits = (*newval)[0] == '+' ? *newval + 1 : *newval;
	size_t		n = strlen(digits);

	if ((*newval)[0] == '\0' ||
		(n >= 10 && n <= 15 && strspn(digits, "0123456789") == n))
		return true;
	GUC_check_errdetail("The caller number is 10 to 15 digits (country, area, number), such as 554130600300.");
	return false;
}

static void
secret_file_assign(const char *newval, void *extra)
{
	settings_forget_secret(&secret_from_file);
	settings_secret_file_changed();
}

void
directcall_define_settings(bool preloading)
{
	DefineCustomStringVariable("sms_api.directcall_base_url",
							   "Root URL of the Directcall API (empty: not configured).",
							   "Redirects are never followed.",
							   &directcall_base_url, "https://api.directcallsoft.com",
							   PGC_SUSET, 0,
							   settings_base_url_check, NULL, NULL);
	DefineCustomStringVariable("sms_api.directcall_client_id",
							   "Directcall client id, with which access tokens are requested.",
							   NULL,
							   &client_id_value, "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   settings_secret_check, NULL, settings_secret_show);
	DefineCustomStringVariable("sms_api.directcall_client_secret",
							   "Directcall client secret, with which access tokens are requested.",
							   "Prefer sms_api.directcall_client_secret_file: the server logs changed settings on reload.",
							   &client_secret_value, "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   settings_secret_check, NULL, settings_secret_show);
	DefineCustomStringVariable("sms_api.directcall_client_secret_file",
							   "File whose first line is the Directcall client secret, used when sms_api.directcall_client_secret is empty.",
							   "Re-read when the server reloads its configuration.",
							   &client_secret_file, "",
							   PGC_SIGHUP, 0,
							   NULL, secret_file_assign, NULL);
	DefineCustomStringVariable("sms_api.directcall_origin",
							   "The default caller number of Directcall sends (\"origem\"), such as 554130600300.",
							   NULL,
							   &directcall_origin, "",
							   PGC_SUSET, 0,
							   origin_check, NULL, NULL);
	DefineCustomStringVariable("sms_api.directcall_time_zone",
							   "Time zone in which Directcall schedules (\"cron\") are written.",
							   NULL,
							   &directcall_time_zone, "America/Sao_Paulo",
							   PGC_SUSET, 0,
							   settings_time_zone_check, NULL, NULL);
	DefineCustomIntVariable("sms_api.directcall_token_lifetime",
							"How long a Directcall access token is used when its answer states no expiry.",
							NULL,
							&directcall_token_lifetime,
							3600, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sms_api.directcall_rate_limit",
							"Directcall requests per second, cluster-wide (0 = unlimited).",
							NULL,
							&directcall_rate_limit,
							10, 0, 100000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	settings_register_secret(&client_id_value, NULL);
	settings_register_secret(&client_secret_value, NULL);
	settings_register_secret(&secret_from_file, directcall_client_secret);
	/* the access token too: an answer that echoes it must not show it */
	settings_register_secret(credential_local(CREDENTIAL_DIRECTCALL), NULL);
}

const char *
directcall_client_id(void)
{
	return settings_required(client_id_value, "sms_api.directcall_client_id", NULL);
}

const char *
directcall_client_secret(void)
{
	return settings_secret_or_file(client_secret_value, client_secret_file, &secret_from_file,
								   "sms_api.directcall_client_secret",
								   "sms_api.directcall_client_secret_file");
}

void
directcall_require_settings(void)
{
	(void) settings_required(directcall_base_url, "sms_api.directcall_base_url",
							 "Set sms_api.directcall_base_url to https://api.directcallsoft.com.");
	(void) directcall_client_id();
	(void) directcall_client_secret();
}

bool
directcall_configured(void)
{
	return directcall_base_url != NULL && directcall_base_url[0] != '\0' &&
		client_id_value != NULL && client_id_value[0] != '\0';
}
