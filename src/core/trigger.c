/*
 * trigger.c
 *		sms_api.sms_alert_trigger(): a row trigger that queues an SMS.
 *		TG_ARGV[0] names the destination column, TG_ARGV[1] is the message
 *		template: {column} is replaced by that column of NEW (OLD on
 *		DELETE) as text, NULL as empty; {{ and }} are literal braces. Row
 *		content is substituted once and never read as a template, and it
 *		reaches the outbox as a parameter, so it cannot inject anything.
 *		TG_ARGV[2], if given, is the provider ('' for the default), and
 *		TG_ARGV[3] the options as sms_queue() takes them (JSON text).
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "core/outbox.h"
#include "core/sms_api.h"
#include "providers/sinch/validate.h"

/* A destination has at most 16 characters; more is read only this far. */
#define MAX_DESTINATION_CHARS 64

PG_FUNCTION_INFO_V1(sms_alert_trigger);

static int
column_number(Relation rel, const char *name)
{
	int			attno = SPI_fnumber(RelationGetDescr(rel), name);

	if (attno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of sms_api.sms_alert_trigger does not exist in table \"%s\"",
						name, RelationGetRelationName(rel))));
	return attno;
}

/* Larger values of other variable-length types are refused before output. */
#define MAX_OTHER_VALUE_BYTES (1024 * 1024)

/*
 * The column's value as text, or NULL. Of a text or varchar column (or a
 * domain over one) only the first max_chars + 1 characters are read (a
 * slice of its TOAST), since anything longer is refused anyway: a huge value
 * costs nothing to refuse. A value of another variable-length type is
 * refused unread when it is too large to render.
 */
static char *
column_text(Relation rel, HeapTuple tuple, const char *name, int max_chars)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			attno = column_number(rel, name);
	Form_pg_attribute att = TupleDescAttr(desc, attno - 1);
	Oid			type = getBaseType(att->atttypid);
	bool		isnull;
	Datum		value;
	text	   *slice;
	int			len;

	value = heap_getattr(tuple, attno, desc, &isnull);
	if (isnull)
		return NULL;
	if (type != TEXTOID && type != VARCHAROID)
	{
		if (att->attlen == -1 &&
			toast_raw_datum_size(value) > MAX_OTHER_VALUE_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
					 errmsg("column \"%s\" is too large for a message (%zu bytes)",
							name, toast_raw_datum_size(value)),
					 errdetail("The API accepts at most %d characters.", MAX_MESSAGE_TEXT)));
		return SPI_getvalue(tuple, desc, attno);
	}
	slice = (text *) pg_detoast_datum_slice((struct varlena *) DatumGetPointer(value), 0,
											(int32) (max_chars + 1) * MAX_MULTIBYTE_CHAR_LEN);
	/* a slice may end inside a character: keep whole ones */
	len = pg_mbcliplen(VARDATA_ANY(slice), VARSIZE_ANY_EXHDR(slice), VARSIZE_ANY_EXHDR(slice));
	return pnstrdup(VARDATA_ANY(slice), len);
}

/* Append part of the text; stop with 22001 once it is over the API's limit. */
static void
append_counted(StringInfo out, int *nchars, const char *s, int len)
{
	*nchars += pg_mbstrlen_with_len(s, len);
	if (*nchars > MAX_MESSAGE_TEXT)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("message_text is too long (more than %d characters)", MAX_MESSAGE_TEXT),
				 errdetail("The API accepts at most %d characters; sms_api.sms_alert_trigger stopped rendering there.",
						   MAX_MESSAGE_TEXT)));
	appendBinaryStringInfo(out, s, len);
}

static char *
render(const char *template, Relation rel, HeapTuple tuple)
{
	StringInfoData out;
	const char *p = template;
	int			nchars = 0;

	initStringInfo(&out);
	while (*p)
	{
		if (p[0] == '{' && p[1] == '{')
		{
			append_counted(&out, &nchars, "{", 1);
			p += 2;
		}
		else if (p[0] == '}' && p[1] == '}')
		{
			append_counted(&out, &nchars, "}", 1);
			p += 2;
		}
		else if (p[0] == '{')
		{
			const char *end = strchr(p + 1, '}');
			char	   *name;
			char	   *value;

			if (end == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unterminated placeholder in sms_api.sms_alert_trigger template"),
						 errhint("Write {column}, or {{ for a literal brace.")));
			name = pnstrdup(p + 1, end - p - 1);
			value = column_text(rel, tuple, name, MAX_MESSAGE_TEXT);
			if (value)
				append_counted(&out, &nchars, value, strlen(value));
			p = end + 1;
		}
		else if (p[0] == '}')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unmatched \"}\" in sms_api.sms_alert_trigger template"),
					 errhint("Write }} for a literal brace.")));
		else
		{
			int			len = pg_mblen(p);

			append_counted(&out, &nchars, p, len);
			p += len;
		}
	}
	return out.data;
}

Datum
sms_alert_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	HeapTuple	tuple;
	char	  **args;
	char	   *destination;
	char	   *text;

	LOCAL_FCINFO(queue_fcinfo, 10);

	sms_api_require_preload();
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sms_api.sms_alert_trigger() must be called as a trigger")));
	if (!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sms_api.sms_alert_trigger() must be a FOR EACH ROW trigger")));
	if (td->tg_trigger->tgnargs < 2 || td->tg_trigger->tgnargs > 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sms_api.sms_alert_trigger() takes two to four arguments: the destination column, the message template, and optionally the provider and the options (JSON)")));

	rel = td->tg_relation;
	args = td->tg_trigger->tgargs;
	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;

	destination = column_text(rel, tuple, args[0], MAX_DESTINATION_CHARS);
	text = render(args[1], rel, tuple);

	InitFunctionCallInfoData(*queue_fcinfo, NULL, 10, InvalidOid, NULL, NULL);
	for (int i = 0; i < 10; i++)
	{
		queue_fcinfo->args[i].value = (Datum) 0;
		queue_fcinfo->args[i].isnull = true;
	}
	if (destination)
	{
		queue_fcinfo->args[0].value = CStringGetTextDatum(destination);
		queue_fcinfo->args[0].isnull = false;
	}
	queue_fcinfo->args[1].value = CStringGetTextDatum(text);
	queue_fcinfo->args[1].isnull = false;
	/* the options, as sms_queue's: a Directcall voice call is {"kind": "voz"} */
	if (td->tg_trigger->tgnargs == 4)
	{
		queue_fcinfo->args[9].value = DirectFunctionCall1(jsonb_in, CStringGetDatum(args[3]));
		queue_fcinfo->args[9].isnull = false;
	}
	(void) outbox_enqueue(queue_fcinfo,
						  td->tg_trigger->tgnargs >= 3 && args[2][0] != '\0' ? args[2] : NULL,
						  NULL);

	/* a BEFORE trigger must hand the row back unchanged */
	if (TRIGGER_FIRED_BEFORE(td->tg_event))
		return PointerGetDatum(tuple);
	return PointerGetDatum(NULL);
}
