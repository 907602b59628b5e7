/*
 * provider.h
 *		What a provider gives the shared parts: the operations the outbox
 *		drain and the worker call. The shared parts know providers only
 *		through this table (providers/registry.c lists them).
 */
#ifndef SMS_API_PROVIDER_H
#define SMS_API_PROVIDER_H

#include "fmgr.h"
#include "utils/uuid.h"

#include "core/api.h"
#include "core/message.h"

/* What a refused outbox request means for its rows. */
typedef enum OutboxVerdict
{
	VERDICT_RETRY,				/* may succeed later: queued again after a backoff */
	VERDICT_REJECT,				/* these messages are refused: split, fail alone */
	VERDICT_PAUSE,				/* the account or URL is wrong: wait for new settings */
	VERDICT_PROBE				/* account or rows? the provider's probe tells */
} OutboxVerdict;

/* What a provider learned of one sent row. */
typedef struct SentRef
{
	bool		has_message_id;
	pg_uuid_t	message_id;		/* outbox.message_id (Sinch) */
	bool		has_batch_id;
	pg_uuid_t	batch_id;
	char	   *provider_ref;	/* outbox.provider_ref, or NULL */
	char	   *correlation_id; /* as echoed, or NULL for the row's own */
	void	   *payload;		/* the provider's own, for record_sent */
} SentRef;

/* A periodic job of the worker's, run outside a transaction. */
typedef struct WorkerTask
{
	const char *state;			/* worker_status.state while it runs */
	const int  *interval_ms;	/* its setting; 0 = off */
	bool		(*run) (void);	/* false after a failure: backoff */
} WorkerTask;

typedef struct Provider
{
	const char *name;			/* outbox.provider */
	const char *paused_state;	/* worker_status.state while paused */

	/* Define its sms_api.* settings (from _PG_init). */
	void		(*define_settings) (bool preloading);

	/* Whether its settings name an API to send to (no secret is read). */
	bool		(*configured) (void);

	/*
	 * sms_queue(): validate sms_send()'s ten arguments in fcinfo by this
	 * provider's rules into *msg (an argument it cannot carry is 22023
	 * naming it); msg->destination normalized.
	 */
	void		(*queue_args) (FunctionCallInfo fcinfo, SmsMessage *msg);

	/* Rows per request. */
	int			(*batch_size) (void);

	/*
	 * An SQL expression over the claimed row "o": rows with equal values
	 * may share a request. NULL: any rows may.
	 */
	const char *(*batch_key_sql) (void);

	/* A claimed row as stored (database encoding): why it cannot be sent, or NULL. */
	char	   *(*check_stored) (const SmsMessage *msg);

	/* The request for n messages (UTF-8), palloc'd. */
	void		(*build_request) (const SmsMessage *msgs, int n, ApiCall *call);

	/* Decode a 2xx answer for n messages into refs[0..n-1]; NULL or the problem. */
	const char *(*decode_sent) (const HttpResult *res, int n, SentRef *refs);

	/* What a refusal (res answered or not, err classified) means. */
	OutboxVerdict (*verdict) (const HttpResult *res, const ApiError *err);

	/* For VERDICT_PROBE: a request that carries no message, or NULL. */
	const ApiCall *probe;

	/* In the record's transaction: what the provider keeps of sent rows, or NULL. */
	void		(*record_sent) (int n, const SentRef *refs, char *const *destinations);

	/* The worker's periodic jobs. */
	const WorkerTask *tasks;
	int			ntasks;
} Provider;

/* Every provider, in a fixed order (the index is stable within a server). */
#define MAX_PROVIDERS 8

extern const Provider *const providers[];
extern const int nproviders;

/* The provider named so, or NULL. */
extern const Provider *provider_by_name(const char *name);
extern int	provider_index(const char *name);

/* "sinch, reach, directcall", for messages. */
extern const char *providers_list(void);

/* Each provider defines its settings (from settings_define). */
extern void providers_define_settings(bool preloading);

/* The default verdict: 401 pause, 403/404 probe, SM001 reject, else retry. */
extern OutboxVerdict provider_default_verdict(const HttpResult *res, const ApiError *err);

#endif							/* SMS_API_PROVIDER_H */
