/*
 * guc.h
 *		The sms_api.* settings.
 */
#ifndef SMS_API_GUC_H
#define SMS_API_GUC_H

#include "utils/guc.h"

extern char *sms_api_base_url;
extern char *sms_api_username;
extern char *sms_api_ca_file;
extern int	sms_api_timeout_ms;
extern int	sms_api_connect_timeout_ms;
extern int	sms_api_max_retries;
extern int	sms_api_max_response_bytes;
extern int	sms_api_send_rate_limit;
extern int	sms_api_query_rate_limit;
extern char *sms_api_database;
extern int	sms_api_status_poll_interval_ms;
extern int	sms_api_mo_poll_interval_ms;
extern int	sms_api_queue_batch_size;
extern int	sms_api_queue_max_attempts;
extern char *sms_api_default_provider;
extern char *sms_api_outbox_retention;

extern void settings_define(bool preloading);

/* Set by the worker before it connects: see worker_source_check. */
extern bool settings_in_worker;

/* Raise 55000 naming the first of base_url, username, token that is unusable. */
extern void settings_require_credentials(void);

/* The token from sms_api.token or sms_api.token_file; never logged. */
extern const char *settings_token(void);

/* sms_api.webhook_secret or its file's, or NULL when neither is set. */
extern const char *settings_webhook_secret(void);

/*
 * The secrets known now (NULL-terminated), to scrub from text the API sends
 * back; the username too when with_username. Never raises.
 */
extern const char *const *settings_secrets(bool with_username);

/*
 * For providers' secret settings: the check hook (no ALTER ROLE/DATABASE
 * SET), the show hook (masked), and reading a secret's file (owner and
 * mode checked; palloc'd in TopMemoryContext).
 */
/* Check hook of every provider's base URL: empty, http:// or https://. */
extern bool settings_base_url_check(char **newval, void **extra, GucSource source);

extern bool settings_secret_check(char **newval, void **extra, GucSource source);

/* Check hook of a time zone setting: a zone PostgreSQL knows. */
extern bool settings_time_zone_check(char **newval, void **extra, GucSource source);
extern const char *settings_secret_show(void);
extern char *settings_read_secret_file(const char *path, const char *setting);
extern void settings_forget_secret(char **secret);

/*
 * Scrub this secret from text the APIs send back: value points to where
 * the setting (or its file's contents) is kept; load_file, if not NULL,
 * reads the file when it is not read yet (it may raise).
 */
extern void settings_register_secret(char **value, const char *(*load_file) (void));

/* A setting's value; 55000 naming it (with hint, or the usual one) when empty. */
extern const char *settings_required(const char *value, const char *name, const char *hint);

/*
 * A secret set directly (value) or in its file (read once into *from_file);
 * 55000 naming both settings when neither is set.
 */
extern const char *settings_secret_or_file(const char *value, const char *file, char **from_file,
										   const char *name, const char *file_name);

/* A provider's secret file setting changed: its loader may be tried again. */
extern void settings_secret_file_changed(void);

#endif							/* SMS_API_GUC_H */
