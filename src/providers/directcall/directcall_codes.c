/*
 * directcall_codes.c
 *		The Directcall return codes on our SQLSTATE table (README lists it).
 *		A code other than 000 is a refusal whatever the HTTP status, so
 *		answers are classified by their codigo first. 005 and 007 (the
 *		provider could not reach its own servers) are SM003 and retried;
 *		002 and 008 (a call request or a send that failed on its way) may
 *		have reached some numbers, so their outcome is unknown (SM002).
 */
#include "postgres.h"

#include <ctype.h>

#include "core/scrub.h"
#include "core/sms_api.h"
#include "providers/directcall/directcall.h"

typedef struct CodeMeaning
{
	const char *code;
	int			sqlstate;
	bool		retryable;
	const char *message;		/* "the Directcall API ..." */
	const char *hint;
} CodeMeaning;

#define BILLING_HINT "Nothing was sent. Check the Directcall account's balance and billing, then send again."

static const CodeMeaning meanings[] = {
	{"001", ERRCODE_SMS_API_REJECTED, false, "refused a parameter", NULL},
	{"002", ERRCODE_SMS_API_OUTCOME_UNKNOWN, false, "could not place the call request", "Some numbers may have been called: check with Directcall before sending again."},
	{"003", ERRCODE_SMS_API_REJECTED, false, "says the call is not active", NULL},
	{"004", ERRCODE_SMS_API_REJECTED, false, "says the call is not finished", NULL},
	{"005", ERRCODE_SMS_API_UNAVAILABLE, true, "had a connection failure", "Retry later."},
	{"006", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, false, "refused the authentication", NULL},
	{"007", ERRCODE_SMS_API_UNAVAILABLE, true, "could not reach its SMS server", "Retry later."},
	{"008", ERRCODE_SMS_API_OUTCOME_UNKNOWN, false, "could not send the message", "Some numbers may have been reached: check with Directcall before sending again."},
	{"009", ERRCODE_SMS_API_REJECTED, false, "does not know a field", NULL},
	{"010", ERRCODE_SMS_API_REJECTED, false, "does not know the identifier, or it was cancelled", "Check audio_id: the audio must be registered with Directcall first."},
	{"011", ERRCODE_SMS_API_REJECTED, false, "had a billing service problem", BILLING_HINT},
	{"100", ERRCODE_SMS_API_REJECTED, false, "had a billing problem", BILLING_HINT},
	{"101", ERRCODE_SMS_API_REJECTED, false, "says the test account is not registered", "Register the test account with Directcall, or use a production account."},
	{"102", ERRCODE_SMS_API_REJECTED, false, "says the account has no calls of this type left", BILLING_HINT},
	{"200", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, false, "says the user is not registered", NULL},
	{"201", ERRCODE_SMS_API_REJECTED, false, "says the balance is insufficient", "Nothing was sent. Top up the Directcall account, then send again."},
};

/* The fields of a send, longest first so that "destino_csv" wins over "destino". */
static const char *const fields[] = {
	"access_token", "destino_csv", "enviar_ate", "enviar_de", "audio_id", "destino",
	"origem", "format", "audio", "texto", "tipo", "cron",
};

static const CodeMeaning *
meaning_of(const char *code)
{
	for (int i = 0; i < (int) lengthof(meanings); i++)
		if (strcmp(meanings[i].code, code) == 0)
			return &meanings[i];
	return NULL;
}

/*
 * The field a refusal's msg names, or NULL: the word after its first ": "
 * ("001 - Parâmetro inválido: origem (...)"), else the first field named
 * anywhere in it.
 */
static const char *
field_named(const char *msg)
{
	const char *after;

	if (msg == NULL)
		return NULL;
	if ((after = strstr(msg, ": ")) != NULL)
	{
		after += 2;
		for (int i = 0; i < (int) lengthof(fields); i++)
		{
			size_t		n = strlen(fields[i]);

			if (strncmp(after, fields[i], n) == 0 &&
				(after[n] == '\0' || !(isalnum((unsigned char) after[n]) || after[n] == '_')))
				return fields[i];
		}
	}
	for (int i = 0; i < (int) lengthof(fields); i++)
		if (strstr(msg, fields[i]) != NULL)
			return fields[i];
	return NULL;
}

bool
directcall_is_billing_code(const char *code)
{
	return code != NULL && (strcmp(code, "011") == 0 || strcmp(code, "100") == 0 ||
							strcmp(code, "102") == 0 || strcmp(code, "201") == 0);
}

bool
directcall_is_account_code(const char *code)
{
	return code != NULL && (strcmp(code, "006") == 0 || strcmp(code, "101") == 0 ||
							strcmp(code, "200") == 0);
}

bool
directcall_classify_code(const ApiTarget *t, const HttpResult *res, int attempts,
						 const DirectcallAnswer *a, ApiError *err)
{
	const CodeMeaning *m = meaning_of(a->code);
	const char *field;
	const char *hint;

	if (m == NULL)
	{
		api_set_error(err, ERRCODE_SMS_API_REJECTED,
					  psprintf("the %s refused the request with an unknown code", t->api_name),
					  api_status_detail(t, res, attempts), NULL);
		return false;
	}
	hint = m->hint;
	if (m->sqlstate == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION)
		hint = t->credentials_hint;
	field = (strcmp(m->code, "001") == 0 || strcmp(m->code, "009") == 0) ? field_named(a->msg) : NULL;
	api_set_error(err, m->sqlstate,
				  field ? psprintf("the %s refused the field \"%s\"", t->api_name, field)
				  : psprintf("the %s %s", t->api_name, m->message),
				  api_status_detail(t, res, attempts),
				  hint ? pstrdup(hint) : NULL);
	return m->retryable;
}
