/*
 * databases.c
 *		sms_api.database: a comma-separated list of up to MAX_DATABASES
 *		database names, each served by a worker of its own.
 *
 * Names are taken as written (case kept, blanks around a name trimmed), as
 * the single name of 0.1.0 was; a name holding a comma cannot be listed.
 * The check hook parses the list once into its "extra", so every process
 * reads the same parsed list.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "parser/scansup.h"

#include "core/databases.h"

typedef struct DatabaseList
{
	int			n;
	char		names[MAX_DATABASES][NAMEDATALEN];
	const char *pointers[MAX_DATABASES];
} DatabaseList;

static DatabaseList *served = NULL;

/* Why the value read at server start was refused ("" if it was not). */
static char startup_refusal[256];

static bool
refuse(const char *detail)
{
	GUC_check_errdetail("%s", detail);
	if (process_shared_preload_libraries_in_progress)
		strlcpy(startup_refusal, detail, sizeof(startup_refusal));
	return false;
}

bool
databases_check(char **newval, void **extra, GucSource source)
{
	DatabaseList list;
	DatabaseList *result;
	const char *p = *newval ? *newval : "";
	char		detail[256];

	memset(&list, 0, sizeof(list));
	for (;;)
	{
		const char *start;
		const char *end;
		int			len;

		while (scanner_isspace(*p))
			p++;
		start = p;
		while (*p != '\0' && *p != ',')
			p++;
		end = p;
		while (end > start && scanner_isspace(end[-1]))
			end--;
		len = end - start;

		if (len == 0)
			return refuse(list.n == 0 && *p == '\0'
						  ? "sms_api.database must name at least one database."
						  : "The list has an empty item: a comma at either end, or two in a row.");
		if (list.n == MAX_DATABASES)
		{
			snprintf(detail, sizeof(detail),
					 "The list names more than %d databases; at most %d can be served.",
					 MAX_DATABASES, MAX_DATABASES);
			return refuse(detail);
		}
		if (len >= NAMEDATALEN)
		{
			snprintf(detail, sizeof(detail),
					 "Database name \"%.*s...\" is longer than %d bytes.",
					 20, start, NAMEDATALEN - 1);
			return refuse(detail);
		}
		memcpy(list.names[list.n], start, len);
		for (int i = 0; i < list.n; i++)
			if (strcmp(list.names[i], list.names[list.n]) == 0)
			{
				snprintf(detail, sizeof(detail), "Database \"%s\" is listed twice.",
						 list.names[i]);
				return refuse(detail);
			}
		list.n++;
		if (*p == '\0')
			break;
		p++;					/* the comma */
	}

	/* GUC frees extra with free() */
	result = malloc(sizeof(DatabaseList));
	if (result == NULL)
		return false;
	memcpy(result, &list, sizeof(list));
	for (int i = 0; i < result->n; i++)
		result->pointers[i] = result->names[i];
	*extra = result;
	return true;
}

void
databases_assign(const char *newval, void *extra)
{
	served = (DatabaseList *) extra;
}

const char *const *
served_databases(int *n)
{
	*n = served ? served->n : 0;
	return served ? served->pointers : NULL;
}

bool
database_is_served(const char *dbname)
{
	int			n;
	const char *const *names = served_databases(&n);

	for (int i = 0; i < n; i++)
		if (strcmp(names[i], dbname) == 0)
			return true;
	return false;
}

void
databases_require_valid(void)
{
	if (startup_refusal[0] != '\0')
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"sms_api.database\""),
				 errdetail("%s", startup_refusal),
				 errhint("List up to %d database names, separated by commas, as in 'app, billing'.",
						 MAX_DATABASES)));
}
