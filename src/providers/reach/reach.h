/*
 * reach.h
 *		The Reach provider (Interactive Media's messaging platform, sold to
 *		Central American carriers' business customers): its settings, its
 *		Message object, and its entry in the provider table.
 */
#ifndef SMS_API_REACH_H
#define SMS_API_REACH_H

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "pgtime.h"

#include "core/api.h"
#include "core/provider.h"

/* The API's documented limits. */
#define REACH_MAX_MESSAGE 160	/* including "<short name>: " */
#define REACH_MAX_ID 40
#define REACH_PAGE_LIMIT 200	/* the listing's default page */

/* Codes of its {code, error} refusals that mean more than their status. */
#define REACH_CODE_QUOTA 40301	/* the contracted messages are used up */
#define REACH_CODE_RATE_LIMIT 42900

extern char *reach_base_url;
extern char *reach_short_name;
extern char *reach_time_zone;
extern int	reach_rate_limit;
extern int	reach_poll_interval_ms;

/* sms_api.reach_api_key and the secret (or its file's); raise 55000 when unset. */
extern const char *reach_api_key(void);
extern const char *reach_api_secret(void);

/* Raise 55000 naming the first Reach setting that keeps a request from going out. */
extern void reach_require_settings(void);

extern void reach_define_settings(bool preloading);

/* One Message object as the API answers it; NULL / has_* false when absent. */
typedef struct ReachMessage
{
	char	   *message_id;
	char	   *id;
	char	   *short_code;
	char	   *country;
	char	   *msisdn;
	char	   *direction;
	char	   *status;
	char	   *message;
	bool		has_total_recipients;
	int32		total_recipients;
	char	   *sent_from;		/* a string, or an array's JSON text */
	bool		has_sent_count;
	int32		sent_count;
	bool		has_error_count;
	int32		error_count;
	bool		has_total_monitors;
	int32		total_monitors;
	int			is_scheduled;	/* -1 absent, 0, 1 */
	int			is_billable;
	bool		has_created_on;
	TimestampTz created_on;
	char	   *created_by;
	bool		has_type;
	int32		type;
} ReachMessage;

/* reach_api.c: the target every Reach request goes through. */
extern const ApiTarget reach_target;

/* reach_sign.c */
extern char *reach_http_date(pg_time_t t);
extern char *reach_signature(const char *key, const char *secret, const char *date,
							 const char *sorted_query, const char *body, size_t body_len);

/* A query parameter; reach_query sorts them and encodes them as signed. */
typedef struct ReachParam
{
	const char *name;
	const char *value;
} ReachParam;

extern char *reach_query(ReachParam *params, int n);

/* reach_codec.c */
extern char *reach_encode_send(const char *msisdn, char *const *tags, int ntags,
							   const char *message, const char *id, size_t *len);
extern const char *reach_decode_message(const char *body, size_t len, ReachMessage *out);
/* An array of Message objects; *items counts the array's elements, objects or not. */
extern const char *reach_decode_list(const char *body, size_t len, ReachMessage **out,
									 int *n, int *items);
extern bool reach_decode_error(const char *body, size_t len, int64 *code, char **error);

/* reach_list.c: GET /messages over a window, every page, each merged. */
typedef struct ReachWindow
{
	TimestampTz start_at;
	TimestampTz end_at;
	const char *direction;		/* ALL, MT, MO */
	const char *msisdn;			/* digits or NULL */
	const char *tag;			/* a group's short name or NULL */
} ReachWindow;

typedef void (*ReachPageFn) (ReachMessage *msgs, int n, void *arg);

extern uint64 reach_list(const ReachWindow *w, ReachPageFn page_fn, void *arg);

/* The strings of an answer (UTF-8) in the database's encoding, scrubbed of secrets. */
extern void reach_message_to_server(ReachMessage *m);

/* reach_store.c: merge into sms_api.reach_message; rows merged. */
extern uint64 reach_store(const ReachMessage *msgs, int n);

/* reach_validate.c */
extern char *reach_validate_msisdn(const char *value, const char *argname);
extern void reach_validate_message(const char *message, const char *argname);
extern void reach_validate_id(const char *id, const char *argname);
extern void reach_queue_args(FunctionCallInfo fcinfo, SmsMessage *msg);
extern char *reach_check_stored(const SmsMessage *msg);

/* reach_poll.c */
extern const WorkerTask reach_tasks[1];

extern const Provider reach_provider;

#endif							/* SMS_API_REACH_H */
