/*
 * directcall.h
 *		The Directcall provider (Brazil): voice calls, by text-to-speech or
 *		an MP3, and SMS, to many numbers in one multipart POST /sms/send,
 *		authorized by an access token requested with a client id and secret.
 */
#ifndef SMS_API_DIRECTCALL_H
#define SMS_API_DIRECTCALL_H

#include "datatype/timestamp.h"
#include "fmgr.h"

#include "core/api.h"
#include "core/provider.h"

/* The API's documented limits. */
#define DIRECTCALL_MAX_TEXT 700		/* characters of "texto" */
#define DIRECTCALL_MAX_AUDIO 4194304	/* bytes of "audio": 4 MiB */

/* Limits of our own (README lists them). */
#define DIRECTCALL_MAX_DESTINATIONS 100000	/* numbers in one call's CSV */
#define DIRECTCALL_MAX_AUDIO_ID 255

/* Its return codes that mean more than a refusal. */
#define DIRECTCALL_CODE_OK "000"
#define DIRECTCALL_CODE_AUTH "006"

extern char *directcall_base_url;
extern char *directcall_origin;
extern char *directcall_time_zone;
extern int	directcall_token_lifetime;
extern int	directcall_rate_limit;

extern void directcall_define_settings(bool preloading);

/* The client id and secret (or its file's); raise 55000 when unset. */
extern const char *directcall_client_id(void);
extern const char *directcall_client_secret(void);

/* Whether a base URL and a client id are set (no secret is read). */
extern bool directcall_configured(void);

/* Raise 55000 naming the first setting that keeps a request from going out. */
extern void directcall_require_settings(void);

/* One POST /sms/send, validated; strings UTF-8. */
typedef struct DirectcallSend
{
	char	  **destinations;	/* digits only */
	int			ndestinations;
	const char *text;			/* exactly one of text, audio, audio_id */
	const char *audio;
	size_t		audio_len;
	const char *audio_id;
	const char *kind;			/* "voz" or "texto" */
	const char *origin;			/* digits */
	bool		has_cron;
	TimestampTz cron;
	int			send_from_hour; /* -1: not sent */
	int			send_until_hour;
} DirectcallSend;

/* directcall_form.c: the multipart request of a send. */
extern void directcall_build_call(const DirectcallSend *s, ApiCall *call);

/* directcall_codec.c: the answers. NULL or a problem. */
typedef struct DirectcallAnswer
{
	char	   *status;
	char	   *code;			/* "codigo", three digits */
	char	   *msg;
	char	   *caller_id;		/* "callerid" */
} DirectcallAnswer;

extern const char *directcall_decode_answer(const char *body, size_t len,
											DirectcallAnswer *out);
extern const char *directcall_decode_token(const char *body, size_t len, char **token,
										   int64 *expires_in);

/* The answer's code, when the body is a Directcall answer with one. */
extern char *directcall_answer_code(const HttpResult *res);

/* directcall_codes.c: what each return code means. */
extern bool directcall_classify_code(const ApiTarget *t, const HttpResult *res,
									 int attempts, const DirectcallAnswer *a,
									 ApiError *err);
extern bool directcall_is_billing_code(const char *code);
extern bool directcall_is_account_code(const char *code);

/* directcall_api.c: the targets. */
extern const ApiTarget directcall_target;
extern const ApiTarget directcall_token_target;

/* directcall_token.c */
extern bool directcall_authorize(const ApiTarget *t, HttpResult *res, ApiError *err);
extern bool directcall_renew(const ApiTarget *t, const HttpRequest *req, const HttpResult *res);
/* The token authorize() got (NULL: none), and its generation (0: none). */
extern const char *directcall_token(uint64 *generation);

/* directcall_validate.c */
extern bool directcall_is_number(const char *digits);	/* 10-15 digits */
extern char *directcall_validate_number(const char *value, const char *argname);
extern void directcall_validate_text(const char *text, const char *argname);
extern void directcall_validate_audio(const char *audio, size_t len, const char *argname);
extern void directcall_validate_audio_id(const char *audio_id, const char *argname);
extern void directcall_validate_kind(const char *kind, const char *argname);
extern void directcall_validate_hour(int hour, const char *argname);
extern const char *directcall_origin_or_setting(const char *origin);
extern void directcall_queue_args(FunctionCallInfo fcinfo, SmsMessage *msg);
extern char *directcall_check_stored(const SmsMessage *msg);

/* The options an outbox row may carry, read from its validated JSON. */
typedef struct DirectcallOptions
{
	char	   *kind;			/* NULL: texto, or voz with an audio_id */
	char	   *audio_id;
	char	   *origin;
	int			send_from_hour;
	int			send_until_hour;
} DirectcallOptions;

/* directcall_options.c: NULL, or why the options are unusable. */
extern const char *directcall_read_options(const char *json, DirectcallOptions *o);

extern const Provider directcall_provider;

#endif							/* SMS_API_DIRECTCALL_H */
