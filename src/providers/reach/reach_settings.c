/*
 * reach_settings.c
 *		The sms_api.reach_* settings. The API key and secret are secrets as
 *		the Sinch token is: superuser-only, masked, refused per role or
 *		database, scrubbed from what the API sends back; the secret may come
 *		from a file (sms_api.reach_api_secret_file).
 */
#include "postgres.h"

#include "utils/guc.h"

#include "core/guc.h"
#include "providers/reach/reach.h"

char	   *reach_base_url = NULL;
static char *reach_api_key_value = NULL;
static char *reach_api_secret_value = NULL;
static char *reach_api_secret_file = NULL;
static char *secret_from_file = NULL;
char	   *reach_short_name = NULL;
char	   *reach_time_zone = NULL;
int			reach_rate_limit = 10;
int			reach_poll_interval_ms = 0;

static bool
short_name_check(char **newval, void **extra, GucSource source)
{
	if (strlen(*newval) <= REACH_MAX_MESSAGE - 3)
		return true;
	GUC_check_errdetail("A short name that long leaves no room for a message.");
	return false;
}

static void
secret_file_assign(const char *newval, void *extra)
{
	settings_forget_secret(&secret_from_file);
	settings_secret_file_changed();
}

void
reach_define_settings(bool preloading)
{
	DefineCustomStringVariable("sms_api.reach_base_url",
							   "Root URL of the Reach API, such as https://<operator host>/api/rest (empty: not configured).",
							   "Redirects are never followed.",
							   &reach_base_url, "",
							   PGC_SUSET, 0,
							   settings_base_url_check, NULL, NULL);
	DefineCustomStringVariable("sms_api.reach_api_key",
							   "Reach API key, sent in the Authorization header and signed.",
							   NULL,
							   &reach_api_key_value, "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   settings_secret_check, NULL, settings_secret_show);
	DefineCustomStringVariable("sms_api.reach_api_secret",
							   "Reach API secret, the HMAC-SHA1 key of every request's signature.",
							   "Prefer sms_api.reach_api_secret_file: the server logs changed settings on reload.",
							   &reach_api_secret_value, "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   settings_secret_check, NULL, settings_secret_show);
	DefineCustomStringVariable("sms_api.reach_api_secret_file",
							   "File whose first line is the Reach API secret, used when sms_api.reach_api_secret is empty.",
							   "Re-read when the server reloads its configuration.",
							   &reach_api_secret_file, "",
							   PGC_SIGHUP, 0,
							   NULL, secret_file_assign, NULL);
	DefineCustomStringVariable("sms_api.reach_short_name",
							   "The account's short name, which Reach prefixes to every message (\"<short name>: \").",
							   NULL,
							   &reach_short_name, "",
							   PGC_SUSET, 0,
							   short_name_check, NULL, NULL);
	DefineCustomStringVariable("sms_api.reach_time_zone",
							   "Time zone of the Reach API's created_on values.",
							   NULL,
							   &reach_time_zone, "UTC",
							   PGC_SUSET, 0,
							   settings_time_zone_check, NULL, NULL);
	DefineCustomIntVariable("sms_api.reach_rate_limit",
							"Reach requests per second, cluster-wide (0 = unlimited).",
							NULL,
							&reach_rate_limit,
							10, 0, 100000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sms_api.reach_poll_interval_ms",
							"How often the worker lists recent Reach messages into reach_message (0 = off).",
							NULL,
							&reach_poll_interval_ms,
							0, 0, 86400000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	settings_register_secret(&reach_api_key_value, NULL);
	settings_register_secret(&reach_api_secret_value, NULL);
	settings_register_secret(&secret_from_file, reach_api_secret);
}

const char *
reach_api_key(void)
{
	return settings_required(reach_api_key_value, "sms_api.reach_api_key", NULL);
}

const char *
reach_api_secret(void)
{
	return settings_secret_or_file(reach_api_secret_value, reach_api_secret_file, &secret_from_file,
								   "sms_api.reach_api_secret", "sms_api.reach_api_secret_file");
}

void
reach_require_settings(void)
{
	(void) settings_required(reach_base_url, "sms_api.reach_base_url",
							 "Set sms_api.reach_base_url to the operator's API root, such as https://<host>/api/rest.");
	(void) reach_api_key();
	(void) reach_api_secret();
}
