/*
 * optout.c
 *		sms_api.opt_out, for every provider: replies that are keywords add
 *		or remove their sender as they are first stored, and the sends look
 *		their destinations up before the first network byte.
 *
 * Every lookup is one statement over the primary key: a single send one
 * probe, a bulk request's messages one semi-join, the drain's claim an
 * EXISTS per claimed row in the claim itself (OPTOUT_CLAIM_SQL). A batch
 * of replies is classified in C (optout_keyword.c) and the keywords among
 * them written in one statement; a reply stored again (reconciliation,
 * a webhook after a poll) is not first stored and changes nothing.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "core/datum.h"
#include "core/optout.h"

bool		optout_enforce = true;

static SPIPlanPtr one_plan = NULL;
static SPIPlanPtr many_plan = NULL;
static SPIPlanPtr reply_plan = NULL;

void
optout_define_settings(void)
{
	DefineCustomBoolVariable("sms_api.opt_out_enforce",
							 "Never send to a destination in sms_api.opt_out.",
							 NULL,
							 &optout_enforce,
							 true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	optout_keyword_define_settings();
}

static SPIPlanPtr
prepare_kept(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare an opt-out statement: %s",
			 SPI_result_code_string(SPI_result));
	return plan;
}

/* Whether destination is opted out: one index probe. */
static bool
opted_out(const char *destination)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	bool		found;

	SPI_connect();
	if (one_plan == NULL)
		one_plan = prepare_kept("SELECT FROM sms_api.opt_out x WHERE x.destination = $1",
								1, types);
	args[0] = CStringGetTextDatum(destination);
	if (SPI_execute_plan(one_plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read sms_api.opt_out");
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

/* A probe per destination (OFFSET 0: see OPTOUT_CLAIM_SQL), in one statement. */
int
optout_mark(char *const *destinations, int n, bool *opted)
{
	Oid			types[1] = {TEXTARRAYOID};
	Datum		args[1];
	int			found;

	memset(opted, 0, n * sizeof(bool));
	if (!optout_enforce || n == 0)
		return 0;
	SPI_connect();
	if (many_plan == NULL)
		many_plan = prepare_kept("SELECT u.i::int4 FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS u(d, i) "
								 "WHERE EXISTS (SELECT FROM sms_api.opt_out x WHERE x.destination = u.d OFFSET 0)",
								 1, types);
	args[0] = datum_text_array(destinations, n);
	if (SPI_execute_plan(many_plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read sms_api.opt_out");
	found = (int) SPI_processed;
	for (int k = 0; k < found; k++)
	{
		bool		isnull;
		int32		i = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1, &isnull));

		opted[i - 1] = true;
	}
	SPI_finish();
	return found;
}

void
optout_refuse(char *const *destinations, int n, const char *function)
{
	bool	   *opted;
	int			found;
	int			first = 0;

	if (!optout_enforce || n == 0)
		return;
	if (n == 1)
	{
		if (opted_out(destinations[0]))
			ereport(ERROR,
					(errcode(ERRCODE_SMS_API_OPTED_OUT),
					 errmsg("destination \"%s\" has opted out", destinations[0]),
					 errdetail("It is in sms_api.opt_out; %s sent nothing.", function),
					 errhint("Delete its row from sms_api.opt_out only if the person asked to receive messages again.")));
		return;
	}
	opted = palloc(n * sizeof(bool));
	found = optout_mark(destinations, n, opted);
	if (found == 0)
	{
		pfree(opted);
		return;
	}
	while (!opted[first])
		first++;
	ereport(ERROR,
			(errcode(ERRCODE_SMS_API_OPTED_OUT),
			 errmsg("%d of %d destinations have opted out", found, n),
			 errdetail("The first is \"%s\" (destinations[%d]); they are in sms_api.opt_out, and %s sent nothing.",
					   destinations[first], first + 1, function),
			 errhint("Leave them out of the destinations.")));
}

/* A reply's sender as destinations are stored (digits, no '+'), or NULL. */
static char *
sender_number(char *s)
{
	size_t		n;

	if (s[0] == '+')
		s++;
	n = strlen(s);
	if (n == 0 || n > 15 || strspn(s, "0123456789") != n)
		return NULL;
	return s;
}

void
optout_from_replies(const char *provider, SPITupleTable *tuptable, uint64 n)
{
	Oid			types[5] = {TEXTARRAYOID, TEXTARRAYOID, BOOLARRAYOID, TIMESTAMPTZARRAYOID, TEXTOID};
	Datum		args[5];
	char	  **senders;
	char	  **keywords;
	Datum	   *outs;
	Datum	   *received;
	bool	   *received_nulls;
	int			k = 0;

	if (n == 0)
		return;
	senders = palloc(n * sizeof(char *));
	keywords = palloc(n * sizeof(char *));
	outs = palloc(n * sizeof(Datum));
	received = palloc(n * sizeof(Datum));
	received_nulls = palloc(n * sizeof(bool));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tuptable->vals[i];
		TupleDesc	desc = tuptable->tupdesc;
		bool		isnull;
		bool		first_stored = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		char	   *sender;
		char	   *text;
		const char *written;
		OptoutKeyword kind;

		if (!first_stored || (sender = SPI_getvalue(tup, desc, 1)) == NULL ||
			(sender = sender_number(sender)) == NULL ||
			(text = SPI_getvalue(tup, desc, 2)) == NULL)
			continue;
		kind = optout_keyword(pg_server_to_any(text, strlen(text), PG_UTF8), &written);
		if (kind == KEYWORD_NONE)
			continue;
		senders[k] = sender;
		keywords[k] = pg_any_to_server(written, strlen(written), PG_UTF8);
		outs[k] = BoolGetDatum(kind == KEYWORD_OUT);
		received[k] = SPI_getbinval(tup, desc, 3, &received_nulls[k]);
		k++;
	}
	if (k == 0)
		return;

	SPI_connect();
	if (reply_plan == NULL)
		reply_plan = prepare_kept(
		/* a sender's last keyword of the batch is the one that counts */
								  "WITH r AS (SELECT DISTINCT ON (u.d) u.d, u.k, u.o, u.t "
								  "FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]), "
								  "pg_catalog.unnest($3::bool[]), pg_catalog.unnest($4::timestamptz[])) "
								  "WITH ORDINALITY AS u(d, k, o, t, i) "
								  "ORDER BY u.d, u.t DESC NULLS LAST, u.i DESC), "
								  "added AS (INSERT INTO sms_api.opt_out (destination, keyword, provider, opted_out_at, source) "
								  "SELECT r.d, r.k, $5, coalesce(r.t, pg_catalog.now()), 'reply' FROM r WHERE r.o "
								  "ON CONFLICT (destination) DO NOTHING) "
								  "DELETE FROM sms_api.opt_out x USING r "
								  "WHERE NOT r.o AND x.destination = r.d AND x.source = 'reply'",
								  5, types);
	args[0] = datum_text_array(senders, k);
	args[1] = datum_text_array(keywords, k);
	args[2] = datum_array(BOOLOID, outs, NULL, k);
	args[3] = datum_array(TIMESTAMPTZOID, received, received_nulls, k);
	args[4] = CStringGetTextDatum(provider);
	if (SPI_execute_plan(reply_plan, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not merge replies into sms_api.opt_out");
	SPI_finish();
}
