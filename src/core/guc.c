/*
 * guc.c
 *		Definition of the sms_api.* settings, including the two secrets
 *		(username and token) and the token file.
 *
 * The secrets are superuser-only, hidden from SHOW ALL and pg_settings,
 * masked by a show hook even for pg_read_all_settings, and refused from
 * ALTER ROLE/DATABASE ... SET because pg_db_role_setting is world-readable.
 */
#include "postgres.h"

#include "pgtime.h"

#include <sys/stat.h>
#include <unistd.h>

#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "core/databases.h"
#include "core/guc.h"
#include "core/optout.h"
#include "core/provider.h"
#include "core/sms_api.h"

#define SECRET_MASK "********"
#define TOKEN_MAX_BYTES 4096

char	   *sms_api_base_url = NULL;
char	   *sms_api_username = NULL;
static char *sms_api_token = NULL;
static char *sms_api_token_file = NULL;
static char *sms_api_webhook_secret = NULL;
static char *sms_api_webhook_secret_file = NULL;
char	   *sms_api_ca_file = NULL;
int			sms_api_timeout_ms = 10000;
int			sms_api_connect_timeout_ms = 3000;
int			sms_api_max_retries = 2;
int			sms_api_max_response_bytes = 64 * 1024 * 1024;
int			sms_api_send_rate_limit = 700;
int			sms_api_query_rate_limit = 1;
char	   *sms_api_database = NULL;
int			sms_api_status_poll_interval_ms = 5000;
int			sms_api_mo_poll_interval_ms = 0;
int			sms_api_queue_batch_size = 1000;
int			sms_api_queue_max_attempts = 10;
char	   *sms_api_default_provider = NULL;
char	   *sms_api_outbox_retention = NULL;

/* What token_file and webhook_secret_file held, kept until they are assigned again. */
static char *token_from_file = NULL;
static char *webhook_secret_from_file = NULL;
/* For scrubbing: a file that could not be read is tried again after a reload. */
static bool token_file_failed = false;
static bool webhook_secret_file_failed = false;

const char *
settings_secret_show(void)
{
	return SECRET_MASK;
}

/*
 * Refuse secrets from sources that end up in catalogs readable by everyone:
 * ALTER ROLE/DATABASE ... SET and CREATE FUNCTION ... SET are validated with
 * PGC_S_TEST, and applied at login with the database/user sources.
 */
bool
settings_secret_check(char **newval, void **extra, GucSource source)
{
	if (source == PGC_S_TEST || source == PGC_S_DATABASE ||
		source == PGC_S_USER || source == PGC_S_DATABASE_USER)
	{
		if (*newval == NULL || **newval == '\0')
			return true;
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("sms_api secrets cannot be set per role, database or function");
		GUC_check_errdetail("Such settings are stored in catalogs that every role can read.");
		GUC_check_errhint("Set it in postgresql.conf or with ALTER SYSTEM, or use its _file setting (sms_api.token_file, sms_api.webhook_secret_file).");
		return false;
	}
	return true;
}

void
settings_forget_secret(char **secret)
{
	if (*secret != NULL)
	{
		explicit_bzero(*secret, strlen(*secret));
		pfree(*secret);
		*secret = NULL;
	}
}

/* Runs on every reload that mentions the file, so a rotated file is re-read. */
static void
token_file_assign(const char *newval, void *extra)
{
	settings_forget_secret(&token_from_file);
	token_file_failed = false;
}

static void
webhook_secret_file_assign(const char *newval, void *extra)
{
	settings_forget_secret(&webhook_secret_from_file);
	webhook_secret_file_failed = false;
}

bool		settings_in_worker = false;

/*
 * The worker takes the settings any role may change only from the server's
 * configuration: a database owner's ALTER DATABASE ... SET sms_api.timeout_ms
 * = 50 would otherwise make it give up on every batch before the answer,
 * and send each one again and again.
 */
static bool
worker_source_check(int *newval, void **extra, GucSource source)
{
	if (settings_in_worker &&
		(source == PGC_S_DATABASE || source == PGC_S_USER || source == PGC_S_DATABASE_USER))
	{
		GUC_check_errdetail("The sms_api worker takes this setting only from the server's configuration files.");
		return false;
	}
	return true;
}

bool
settings_base_url_check(char **newval, void **extra, GucSource source)
{
	if (**newval == '\0' ||
		pg_strncasecmp(*newval, "http://", 7) == 0 ||
		pg_strncasecmp(*newval, "https://", 8) == 0)
		return true;
	GUC_check_errdetail("The API root must start with https:// (or http:// for a local simulator or proxy).");
	return false;
}

/* An interval of at least a second, as interval_in reads it. */
static bool
retention_check(char **newval, void **extra, GucSource source)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;
	Interval   *volatile iv = NULL;

	PG_TRY();
	{
		iv = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(*newval),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		/* interval_in only reports bad input: nothing to clean up */
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (ok && iv->month * (int64) 30 * USECS_PER_DAY + iv->day * USECS_PER_DAY + iv->time < USECS_PER_SEC)
		ok = false;
	if (!ok)
		GUC_check_errdetail("sms_api.outbox_retention must be an interval of at least one second, such as '7 days'.");
	return ok;
}

/* A provider the extension knows. */
static bool
default_provider_check(char **newval, void **extra, GucSource source)
{
	if (provider_by_name(*newval) != NULL)
		return true;
	GUC_check_errdetail("The providers are %s.", providers_list());
	return false;
}

void
settings_define(bool preloading)
{
	DefineCustomStringVariable("sms_api.base_url",
							   "Root URL of the SMS API.",
							   "Redirects are never followed.",
							   &sms_api_base_url,
							   "https://api-messaging.wavy.global",
							   PGC_SUSET, 0,
							   settings_base_url_check, NULL, NULL);
	DefineCustomStringVariable("sms_api.username",
							   "User name (or e-mail) sent in the username header.",
							   NULL,
							   &sms_api_username,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   settings_secret_check, NULL, settings_secret_show);
	DefineCustomStringVariable("sms_api.token",
							   "Authentication token sent in the authenticationtoken header.",
							   "Prefer sms_api.token_file: the server logs changed settings on reload.",
							   &sms_api_token,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   settings_secret_check, NULL, settings_secret_show);
	DefineCustomStringVariable("sms_api.token_file",
							   "File whose first line is the token, used when sms_api.token is empty.",
							   "Re-read when the server reloads its configuration.",
							   &sms_api_token_file,
							   "",
							   PGC_SIGHUP, 0,
							   NULL, token_file_assign, NULL);
	DefineCustomStringVariable("sms_api.webhook_secret",
							   "Shared secret that callers of sms_api.ingest() must present.",
							   "Checked against the X-Sms-Api-Secret header PostgREST passes in request.headers; prefer sms_api.webhook_secret_file.",
							   &sms_api_webhook_secret,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   settings_secret_check, NULL, settings_secret_show);
	DefineCustomStringVariable("sms_api.webhook_secret_file",
							   "File whose first line is the webhook secret, used when sms_api.webhook_secret is empty.",
							   "Re-read when the server reloads its configuration.",
							   &sms_api_webhook_secret_file,
							   "",
							   PGC_SIGHUP, 0,
							   NULL, webhook_secret_file_assign, NULL);
	DefineCustomStringVariable("sms_api.ca_file",
							   "Extra CA bundle trusted for https (peer and host are always verified).",
							   NULL,
							   &sms_api_ca_file,
							   "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("sms_api.timeout_ms",
							"Whole-request timeout.",
							NULL,
							&sms_api_timeout_ms,
							10000, 1, 3600000,
							PGC_USERSET, GUC_UNIT_MS,
							worker_source_check, NULL, NULL);
	DefineCustomIntVariable("sms_api.connect_timeout_ms",
							"Connect timeout.",
							NULL,
							&sms_api_connect_timeout_ms,
							3000, 1, 600000,
							PGC_USERSET, GUC_UNIT_MS,
							worker_source_check, NULL, NULL);
	DefineCustomIntVariable("sms_api.max_retries",
							"Automatic retries of a synchronous call where the API surely did not act.",
							"Only after 429, 503 or a failure to connect.",
							&sms_api_max_retries,
							2, 0, 10,
							PGC_USERSET, 0,
							worker_source_check, NULL, NULL);
	DefineCustomIntVariable("sms_api.max_response_bytes",
							"Larger answers from the API are refused.",
							NULL,
							&sms_api_max_response_bytes,
							64 * 1024 * 1024, 1024 * 1024, 1024 * 1024 * 1024,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sms_api.send_rate_limit",
							"Send requests per second, cluster-wide (0 = unlimited).",
							NULL,
							&sms_api_send_rate_limit,
							700, 0, 100000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sms_api.query_rate_limit",
							"Status queries per second, cluster-wide (0 = unlimited).",
							NULL,
							&sms_api_query_rate_limit,
							1, 0, 1000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sms_api.status_poll_interval_ms",
							"How often the worker drains /v1/sms/status/list (0 = off).",
							NULL,
							&sms_api_status_poll_interval_ms,
							5000, 0, 86400000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sms_api.mo_poll_interval_ms",
							"How often the worker drains /v1/sms/receive/list into mo_message (0 = off).",
							NULL,
							&sms_api_mo_poll_interval_ms,
							0, 0, 86400000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sms_api.queue_batch_size",
							"Messages per bulk request when the worker drains the outbox.",
							NULL,
							&sms_api_queue_batch_size,
							1000, 1, 1000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("sms_api.default_provider",
							   "The provider of a row queued without one whose destination no route matches.",
							   NULL,
							   &sms_api_default_provider, "sinch",
							   PGC_SIGHUP, 0,
							   default_provider_check, NULL, NULL);
	DefineCustomIntVariable("sms_api.queue_max_attempts",
							"After this many failed attempts an outbox row becomes failed.",
							NULL,
							&sms_api_queue_max_attempts,
							10, 1, 1000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("sms_api.outbox_retention",
							   "Outbox rows sent (failed: queued) longer ago than this are pruned by the worker.",
							   NULL,
							   &sms_api_outbox_retention,
							   "7 days",
							   PGC_SIGHUP, 0,
							   retention_check, NULL, NULL);
	/* postmaster settings can only be defined while preloading */
	if (preloading)
		DefineCustomStringVariable("sms_api.database",
								   "Databases the sms_api workers serve, one worker each.",
								   "A comma-separated list of up to 16 database names.",
								   &sms_api_database,
								   "postgres",
								   PGC_POSTMASTER, GUC_LIST_INPUT,
								   databases_check, databases_assign, NULL);

	optout_define_settings();
	providers_define_settings(preloading);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("sms_api");
#else
	EmitWarningsOnPlaceholders("sms_api");
#endif
}

/*
 * Read the first line of a secret's file. The file must belong to the
 * server's OS user or root and must not be accessible to others (as
 * PostgreSQL demands of ssl_key_file: root may let a group read it).
 */
char *
settings_read_secret_file(const char *path, const char *setting)
{
	FILE	   *f;
	struct stat st;
	char		buf[TOKEN_MAX_BYTES + 2];
	size_t		len;
	char	   *result;

	f = AllocateFile(path, "r");
	if (f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read %s \"%s\": %m", setting, path),
				 errhint("Make the file readable by the server's operating system user.")));
	if (fstat(fileno(f), &st) != 0 ||
		(st.st_uid != geteuid() && st.st_uid != 0))
	{
		FreeFile(f);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s \"%s\" must be owned by the server's operating system user or root",
						setting, path),
				 errhint("Run chown on the file, then chmod 600.")));
	}
	if ((st.st_uid == geteuid() && (st.st_mode & (S_IRWXG | S_IRWXO))) ||
		(st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO))))
	{
		FreeFile(f);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s \"%s\" is accessible to other users", setting, path),
				 errhint("Run chmod 600 on the file (640 if root owns it).")));
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	FreeFile(f);

	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
					   buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (len == 0 || len > TOKEN_MAX_BYTES)
	{
		explicit_bzero(buf, sizeof(buf));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s \"%s\" does not start with a secret", setting, path),
				 errhint("Put the secret alone on the first line of the file.")));
	}
	result = MemoryContextStrdup(TopMemoryContext, buf);
	explicit_bzero(buf, sizeof(buf));
	return result;
}

const char *
settings_token(void)
{
	if (sms_api_token != NULL && sms_api_token[0] != '\0')
		return sms_api_token;
	if (sms_api_token_file == NULL || sms_api_token_file[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sms_api.token is not set"),
				 errhint("Set sms_api.token_file (recommended) or sms_api.token in postgresql.conf and reload.")));
	if (token_from_file == NULL)
		token_from_file = settings_read_secret_file(sms_api_token_file, "sms_api.token_file");
	return token_from_file;
}

const char *
settings_webhook_secret(void)
{
	if (sms_api_webhook_secret != NULL && sms_api_webhook_secret[0] != '\0')
		return sms_api_webhook_secret;
	if (sms_api_webhook_secret_file == NULL || sms_api_webhook_secret_file[0] == '\0')
		return NULL;
	if (webhook_secret_from_file == NULL)
		webhook_secret_from_file = settings_read_secret_file(sms_api_webhook_secret_file,
													"sms_api.webhook_secret_file");
	return webhook_secret_from_file;
}

/*
 * Read the secret files not read yet, so that text is scrubbed of them even
 * in a backend that never sent anything (ingest). A file that cannot be
 * read is left alone here: the call that needs it says why.
 */
static void
load_secret_file(const char *(*reader) (void), bool *failed)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (*failed)
		return;
	PG_TRY();
	{
		(void) reader();
	}
	PG_CATCH();
	{
		/* read_secret_file holds no file once it raises */
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		*failed = true;
	}
	PG_END_TRY();
}

static void
load_secret_files(void)
{
	if (token_from_file == NULL && sms_api_token_file != NULL && sms_api_token_file[0] != '\0' &&
		(sms_api_token == NULL || sms_api_token[0] == '\0'))
		load_secret_file(settings_token, &token_file_failed);
	if (webhook_secret_from_file == NULL && sms_api_webhook_secret_file != NULL &&
		sms_api_webhook_secret_file[0] != '\0' &&
		(sms_api_webhook_secret == NULL || sms_api_webhook_secret[0] == '\0'))
		load_secret_file(settings_webhook_secret, &webhook_secret_file_failed);
}

/* Providers' secrets: where their values (and their files' values) are kept. */
#define MAX_PROVIDER_SECRETS 16
static char **provider_secrets[MAX_PROVIDER_SECRETS];
static int	nprovider_secrets = 0;
static const char *(*provider_loaders[MAX_PROVIDER_SECRETS]) (void);
static bool provider_loader_failed[MAX_PROVIDER_SECRETS];
static int	nprovider_loaders = 0;

void
settings_register_secret(char **value, const char *(*load_file) (void))
{
	if (nprovider_secrets >= MAX_PROVIDER_SECRETS)
		elog(ERROR, "too many secret settings");
	provider_secrets[nprovider_secrets++] = value;
	if (load_file != NULL)
		provider_loaders[nprovider_loaders++] = load_file;
}

void
settings_secret_file_changed(void)
{
	memset(provider_loader_failed, 0, sizeof(provider_loader_failed));
}

const char *const *
settings_secrets(bool with_username)
{
	static const char *secrets[4 + MAX_PROVIDER_SECRETS];
	int			n = 0;

	load_secret_files();
	for (int i = 0; i < nprovider_loaders; i++)
		load_secret_file(provider_loaders[i], &provider_loader_failed[i]);
	for (int i = 0; i < nprovider_secrets; i++)
		if (*provider_secrets[i] != NULL && (*provider_secrets[i])[0] != '\0')
			secrets[n++] = *provider_secrets[i];

	if (sms_api_token != NULL && sms_api_token[0] != '\0')
		secrets[n++] = sms_api_token;
	else if (token_from_file != NULL)
		secrets[n++] = token_from_file;
	if (sms_api_webhook_secret != NULL && sms_api_webhook_secret[0] != '\0')
		secrets[n++] = sms_api_webhook_secret;
	else if (webhook_secret_from_file != NULL)
		secrets[n++] = webhook_secret_from_file;
	if (with_username && sms_api_username != NULL && sms_api_username[0] != '\0')
		secrets[n++] = sms_api_username;
	secrets[n] = NULL;
	return secrets;
}

void
settings_require_credentials(void)
{
	if (sms_api_base_url == NULL || sms_api_base_url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sms_api.base_url is not set"),
				 errhint("Set sms_api.base_url in postgresql.conf, e.g. to https://api-messaging.wavy.global.")));
	if (sms_api_username == NULL || sms_api_username[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sms_api.username is not set"),
				 errhint("Set sms_api.username in postgresql.conf or with ALTER SYSTEM, and reload.")));
	(void) settings_token();
}

const char *
settings_required(const char *value, const char *name, const char *hint)
{
	if (value == NULL || value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s is not set", name),
				 hint ? errhint("%s", hint)
				 : errhint("Set %s in postgresql.conf or with ALTER SYSTEM, and reload.", name)));
	return value;
}

const char *
settings_secret_or_file(const char *value, const char *file, char **from_file,
						const char *name, const char *file_name)
{
	if (value != NULL && value[0] != '\0')
		return value;
	if (file == NULL || file[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s is not set", name),
				 errhint("Set %s (recommended) or %s in postgresql.conf and reload.", file_name, name)));
	if (*from_file == NULL)
		*from_file = settings_read_secret_file(file, file_name);
	return *from_file;
}

bool
settings_time_zone_check(char **newval, void **extra, GucSource source)
{
	if (pg_tzset(*newval) != NULL)
		return true;
	GUC_check_errdetail("\"%s\" is not a time zone PostgreSQL knows (see pg_timezone_names).", *newval);
	return false;
}
