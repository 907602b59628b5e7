/*
 * shim_elog.c
 *		ereport and elog as elog.c does them, minus the logging: a report of
 *		level ERROR runs the error context callbacks and longjmps to the
 *		innermost PG_TRY (the harness's, if the code under test has none);
 *		lower levels format their message and return; FATAL and PANIC, or
 *		an ERROR with no PG_TRY around it, abort, since a decoder must never
 *		raise them. Messages are formatted with libpgport's snprintf, as the
 *		server formats them (%m included).
 */
#include "postgres.h"

#include <stdio.h>

#include "shim.h"

sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

/* The report being built; one deep, as nothing here reports while reporting. */
static struct
{
	bool		active;			/* between errstart and errfinish */
	bool		pending;		/* an ERROR thrown, not yet flushed */
	int			elevel;
	int			sqlerrcode;
	char	   *message;
	char	   *detail;
	char	   *hint;
	char	   *context;
} report;

static void
clear_report(void)
{
	free(report.message);
	free(report.detail);
	free(report.hint);
	free(report.context);
	memset(&report, 0, sizeof(report));
}

void
shim_fail(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	fputs("sms_api fuzz invariant broken: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	abort();
}

bool
errstart(int elevel, const char *domain)
{
	if (report.active)
		shim_fail("ereport while formatting another report");
	if (report.pending)
		shim_fail("ereport while an ERROR is being handled, before FlushErrorState");
	clear_report();
	report.active = true;
	report.elevel = elevel;
	/* elog.c's defaults: internal error for ERROR and up, else a warning or success */
	report.sqlerrcode = elevel >= ERROR ? ERRCODE_INTERNAL_ERROR :
		elevel >= WARNING ? ERRCODE_WARNING : ERRCODE_SUCCESSFUL_COMPLETION;
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

static char *
format(const char *fmt, va_list args)
{
	char		buf[1];
	va_list		copy;
	int			n;
	char	   *out;

	va_copy(copy, args);
	n = pg_vsnprintf(buf, sizeof(buf), fmt, copy);
	va_end(copy);
	if (n < 0)
		shim_fail("a report's format \"%s\" cannot be formatted", fmt);
	out = malloc(n + 1);
	if (out == NULL)
		abort();
	pg_vsnprintf(out, n + 1, fmt, args);
	return out;
}

#define SET_FIELD(field, fmt) \
	do { \
		va_list		args; \
		if (!report.active) \
			shim_fail("%s outside ereport", __func__); \
		free(report.field); \
		va_start(args, fmt); \
		report.field = format(fmt, args); \
		va_end(args); \
	} while (0)

int
errcode(int sqlerrcode)
{
	report.sqlerrcode = sqlerrcode;
	return 0;
}

int
errmsg(const char *fmt,...)
{
	SET_FIELD(message, fmt);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	SET_FIELD(message, fmt);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	SET_FIELD(detail, fmt);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	SET_FIELD(detail, fmt);
	return 0;
}

int
errhint(const char *fmt,...)
{
	SET_FIELD(hint, fmt);
	return 0;
}

int
errcontext_msg(const char *fmt,...)
{
	SET_FIELD(context, fmt);
	return 0;
}

int
set_errcontext_domain(const char *domain)
{
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	ErrorContextCallback *econtext;

	for (econtext = error_context_stack; econtext != NULL; econtext = econtext->previous)
		econtext->callback(econtext->arg);
	report.active = false;
	if (report.elevel >= FATAL)
		shim_fail("%s at %s:%d: %s", report.elevel == FATAL ? "FATAL" : "PANIC",
				  filename, lineno, report.message ? report.message : "");
	if (report.elevel >= ERROR)
	{
		report.pending = true;
		if (PG_exception_stack == NULL)
			shim_fail("ERROR outside any PG_TRY at %s:%d", filename, lineno);
		siglongjmp(*PG_exception_stack, 1);
	}
	clear_report();
}

void
pg_re_throw(void)
{
	if (!report.pending)
		shim_fail("PG_RE_THROW with no ERROR being handled");
	if (PG_exception_stack == NULL)
		shim_fail("PG_RE_THROW outside any PG_TRY");
	siglongjmp(*PG_exception_stack, 1);
}

void
FlushErrorState(void)
{
	clear_report();
}

/* The ERROR being handled, palloc'd as elog.c copies it (the fields code reads). */
ErrorData *
CopyErrorData(void)
{
	ErrorData  *edata = palloc0(sizeof(ErrorData));

	if (!report.pending)
		shim_fail("CopyErrorData with no ERROR being handled");
	edata->elevel = report.elevel;
	edata->sqlerrcode = report.sqlerrcode;
	edata->message = report.message ? pstrdup(report.message) : NULL;
	edata->detail = report.detail ? pstrdup(report.detail) : NULL;
	edata->hint = report.hint ? pstrdup(report.hint) : NULL;
	edata->context = report.context ? pstrdup(report.context) : NULL;
	return edata;
}

void
FreeErrorData(ErrorData *edata)
{
	if (edata->message)
		pfree(edata->message);
	if (edata->detail)
		pfree(edata->detail);
	if (edata->hint)
		pfree(edata->hint);
	if (edata->context)
		pfree(edata->context);
	pfree(edata);
}

int
geterrcode(void)
{
	return report.sqlerrcode;
}

int
shim_error_code(void)
{
	return report.sqlerrcode;
}

const char *
shim_error_message(void)
{
	return report.message ? report.message : "";
}
