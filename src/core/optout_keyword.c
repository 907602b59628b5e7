/*
 * optout_keyword.c
 *		Whether a reply's text is an opt-out or opt-in keyword: the settings
 *		sms_api.opt_out_keywords and sms_api.opt_in_keywords, and the one
 *		normal form both a keyword and a reply are compared in.
 *
 * The normal form: white space trimmed (runs inside collapsed to one
 * space); then trailing '.', '!', '?' (any number, mixed with spaces) and
 * leading Spanish '¡', '¿' dropped; letters upper-cased and stripped of
 * their accents (Latin-1 and Latin Extended-A letters folded to their base
 * letter, combining marks dropped). "  stop ", "Parar.", "¡BAJA!",
 * "Sáir?" are STOP, PARAR, BAJA, SAIR. Other punctuation stays: "STOP,"
 * or "STOP :)" is not STOP. Texts and keywords are compared in UTF-8.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/guc.h"

#include "core/optout.h"

#define MAX_KEYWORDS 64
#define MAX_KEYWORD_BYTES 64
/* A reply longer than this cannot be a keyword, whatever its padding. */
#define MAX_REPLY_BYTES 512

typedef struct KeywordList
{
	int			n;
	const char *norm[MAX_KEYWORDS];
	const char *written[MAX_KEYWORDS];
	char		data[FLEXIBLE_ARRAY_MEMBER];
} KeywordList;

static char *opt_out_keywords_value;
static char *opt_in_keywords_value;
static KeywordList *opt_out_list = NULL;	/* the settings' extra */
static KeywordList *opt_in_list = NULL;

/* Base letters of U+00C0..U+00FF; '*' keeps the letter as it is. */
static const char latin1_base[] =
"AAAAAA*CEEEEIIIIDNOOOOO*OUUUUY**"
"AAAAAA*CEEEEIIIIDNOOOOO*OUUUUY*Y";

/* Base letters of U+0100..U+017F (Latin Extended-A). */
static const char latin_ext_a_base[] =
"AAAAAACCCCCCCCDDDDEEEEEEEEEEGGGGGGGGHHHHIIIIIIIIII**JJKKKLLLLLLLLLL"
"NNNNNNNNNOOOOOO**RRRRRRSSSSSSSSTTTTTTUUUUUUUUUUUUWWYYYZZZZZZS";

static bool
is_space(pg_wchar c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0;
}

/* Append the normal form of UTF-8 s (len bytes) to out. */
static void
normalise(const char *s, int len, StringInfo out)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	bool		space = false;

	while (p < end)
	{
		int			clen = pg_utf_mblen(p);
		pg_wchar	c;

		if (p + clen > end)
			break;
		c = utf8_to_unicode(p);
		if (is_space(c))
			space = true;
		else if (c >= 0x300 && c <= 0x36F)
			;					/* a combining accent */
		else
		{
			char		base = 0;

			if (space && out->len > 0)
				appendStringInfoChar(out, ' ');
			space = false;
			if (c < 0x80)
				base = pg_ascii_toupper((unsigned char) c);
			else if (c >= 0xC0 && c <= 0xFF)
				base = latin1_base[c - 0xC0];
			else if (c >= 0x100 && c <= 0x17F)
				base = latin_ext_a_base[c - 0x100];
			if (base != 0 && base != '*')
				appendStringInfoChar(out, base);
			else
				appendBinaryStringInfo(out, (const char *) p, clen);
		}
		p += clen;
	}
	/* trailing . ! ? and spaces, leading ¡ ¿ and spaces */
	while (out->len > 0 && strchr(" .!?", out->data[out->len - 1]) != NULL)
		out->data[--out->len] = '\0';
	{
		int			skip = 0;

		for (;;)
		{
			if (out->data[skip] == ' ')
				skip++;
			else if (strncmp(out->data + skip, "\xC2\xA1", 2) == 0 ||
					 strncmp(out->data + skip, "\xC2\xBF", 2) == 0)
				skip += 2;
			else
				break;
		}
		if (skip > 0)
		{
			memmove(out->data, out->data + skip, out->len - skip + 1);
			out->len -= skip;
		}
	}
}

static KeywordList *
list_of(int which)
{
	return which == KEYWORD_OUT ? opt_out_list : opt_in_list;
}

OptoutKeyword
optout_keyword(const char *text, const char **as_written)
{
	int			len = strlen(text);
	StringInfoData norm;
	OptoutKeyword found = KEYWORD_NONE;

	if (len > MAX_REPLY_BYTES)
		return KEYWORD_NONE;
	initStringInfo(&norm);
	normalise(text, len, &norm);
	for (int which = KEYWORD_OUT; which <= KEYWORD_IN && found == KEYWORD_NONE; which++)
	{
		KeywordList *list = list_of(which);

		for (int i = 0; list != NULL && i < list->n; i++)
			if (strcmp(norm.data, list->norm[i]) == 0)
			{
				*as_written = list->written[i];
				found = (OptoutKeyword) which;
				break;
			}
	}
	pfree(norm.data);
	return found;
}

/* An ASCII character a keyword may have (any non-ASCII one may: letters). */
static bool
keyword_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == ' ' || c == '-' || c == '\'';
}

/*
 * A comma-separated list of keywords: each one of letters, digits, spaces,
 * '-' or '\'', at most MAX_KEYWORD_BYTES, none twice in normal form.
 * Empty: no keyword.
 */
static bool
keywords_check(char **newval, void **extra, GucSource source)
{
	const char *value = *newval ? *newval : "";
	StringInfoData norms;
	StringInfoData written;
	int			n = 0;
	int			norm_off[MAX_KEYWORDS];
	int			written_off[MAX_KEYWORDS];
	KeywordList *list;
	const char *p = value;
	bool		more = value[0] != '\0';

	if (pg_verify_mbstr(PG_UTF8, value, strlen(value), true) == false)
	{
		GUC_check_errdetail("The list is not valid UTF-8.");
		return false;
	}
	initStringInfo(&norms);
	initStringInfo(&written);
	while (more)
	{
		const char *comma = strchr(p, ',');
		const char *start = p;
		const char *stop = comma ? comma : p + strlen(p);
		int			len;

		/* ASCII white space only: a byte 0xA0 may be part of a letter */
		while (start < stop && is_space((unsigned char) *start) && !IS_HIGHBIT_SET(*start))
			start++;
		while (stop > start && is_space((unsigned char) stop[-1]) && !IS_HIGHBIT_SET(stop[-1]))
			stop--;
		len = stop - start;
		if (len == 0)
		{
			GUC_check_errdetail("Keyword %d is empty.", n + 1);
			return false;
		}
		if (len > MAX_KEYWORD_BYTES)
		{
			GUC_check_errdetail("Keyword %d is longer than %d bytes.", n + 1, MAX_KEYWORD_BYTES);
			return false;
		}
		for (const char *c = start; c < stop; c++)
			if (!IS_HIGHBIT_SET(*c) && !keyword_char(*c))
			{
				GUC_check_errdetail("Keyword \"%.*s\" has a character other than a letter, digit, space, '-' or '''.",
									len, start);
				return false;
			}
		if (n == MAX_KEYWORDS)
		{
			GUC_check_errdetail("At most %d keywords.", MAX_KEYWORDS);
			return false;
		}
		norm_off[n] = norms.len;
		normalise(start, len, &norms);
		if (norms.len == norm_off[n])
		{
			GUC_check_errdetail("Keyword %d has no letter or digit.", n + 1);
			return false;
		}
		for (int i = 0; i < n; i++)
			if (strcmp(norms.data + norm_off[i], norms.data + norm_off[n]) == 0)
			{
				GUC_check_errdetail("Keyword \"%.*s\" is listed twice (compared without case or accents).",
									len, start);
				return false;
			}
		appendStringInfoChar(&norms, '\0');
		written_off[n] = written.len;
		appendBinaryStringInfo(&written, start, len);
		appendStringInfoChar(&written, '\0');
		n++;
		more = comma != NULL;
		if (more)
			p = comma + 1;
	}

	/* PostgreSQL frees a setting's extra with free() */
	list = malloc(offsetof(KeywordList, data) + norms.len + written.len);
	if (list == NULL)
	{
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		return false;
	}
	list->n = n;
	memcpy(list->data, norms.data, norms.len);
	memcpy(list->data + norms.len, written.data, written.len);
	for (int i = 0; i < n; i++)
	{
		list->norm[i] = list->data + norm_off[i];
		list->written[i] = list->data + norms.len + written_off[i];
	}
	pfree(norms.data);
	pfree(written.data);
	*extra = list;
	return true;
}

static void
opt_out_keywords_assign(const char *newval, void *extra)
{
	opt_out_list = (KeywordList *) extra;
}

static void
opt_in_keywords_assign(const char *newval, void *extra)
{
	opt_in_list = (KeywordList *) extra;
}

void
optout_keyword_define_settings(void)
{
	DefineCustomStringVariable("sms_api.opt_out_keywords",
							   "Replies that opt their sender out (comma-separated; whole text, without case or accents).",
							   NULL,
							   &opt_out_keywords_value,
							   "STOP,PARE,PARAR,SAIR,CANCELAR,BAJA,ALTO,UNSUBSCRIBE",
							   PGC_SIGHUP, 0,
							   keywords_check, opt_out_keywords_assign, NULL);
	DefineCustomStringVariable("sms_api.opt_in_keywords",
							   "Replies that undo their sender's opt-out by reply (comma-separated, as opt_out_keywords).",
							   NULL,
							   &opt_in_keywords_value,
							   "START,VOLTAR,ALTA",
							   PGC_SIGHUP, 0,
							   keywords_check, opt_in_keywords_assign, NULL);
}
