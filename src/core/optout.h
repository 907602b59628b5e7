/*
 * optout.h
 *		sms_api.opt_out: filled from replies of every provider, checked
 *		wherever a message can leave.
 */
#ifndef SMS_API_OPTOUT_H
#define SMS_API_OPTOUT_H

#include "executor/spi.h"

/* SQLSTATE of a send to an opted-out destination. */
#define ERRCODE_SMS_API_OPTED_OUT	MAKE_SQLSTATE('S','M','0','0','5')

/* The text an outbox row or a bulk result row keeps for one. */
#define OPTOUT_ERROR "SM005: not sent: the destination has opted out (sms_api.opt_out)"

/* sms_api.opt_out_enforce */
extern bool optout_enforce;

extern void optout_define_settings(void);

/*
 * The drain's claim: a boolean per outbox row o, whether to fail it unsent.
 * OFFSET 0 keeps the EXISTS a primary-key probe per claimed row: without
 * it the planner may hash the whole table once per claim, which costs what
 * the table holds (measured: 500 ms for 100,000 rows, 42 ms of probes for
 * a claim of 8,000).
 */
#define OPTOUT_CLAIM_SQL(enforce_param) \
	"(" enforce_param "::bool AND EXISTS (SELECT FROM sms_api.opt_out x " \
	"WHERE x.destination = o.destination OFFSET 0))"

/*
 * Raise SM005 if any of the n destinations (normalised, server encoding)
 * is opted out; nothing when enforcement is off. One statement.
 */
extern void optout_refuse(char *const *destinations, int n, const char *function);

/*
 * Mark which of the n destinations are opted out (opted[i]); how many.
 * None when enforcement is off. One statement.
 */
extern int	optout_mark(char *const *destinations, int n, bool *opted);

/*
 * A store's merge of replies calls this, inside its SPI connection, with
 * the merge's RETURNING rows: columns (sender text, message text,
 * received_at timestamptz, first_stored bool), the sender NULL for a row
 * that is no reply. OPTOUT_RETURNING(alias, sender, text, received) is
 * that clause. Replies stored for the first time whose text is a keyword
 * add or remove their sender, in one statement.
 */
#define OPTOUT_RETURNING(t, sender, text, received) \
	" RETURNING " sender ", " t "." text ", " t "." received ", (" t ".xmax = 0)"
extern void optout_from_replies(const char *provider, SPITupleTable *tuptable, uint64 n);

/* From optout_keyword.c: which keyword list a reply's text is in. */
typedef enum OptoutKeyword
{
	KEYWORD_NONE,
	KEYWORD_OUT,
	KEYWORD_IN
} OptoutKeyword;

/* The kind of text (UTF-8), and the keyword as written in the setting. */
extern OptoutKeyword optout_keyword(const char *text, const char **as_written);

extern void optout_keyword_define_settings(void);

#endif							/* SMS_API_OPTOUT_H */
