/*
 * segments.c
 *		sms_api.sms_segments(): how a text would travel as SMS, by 3GPP
 *		TS 23.038 as printed. GSM-7 when every character is in the default
 *		alphabet (6.2.1) or its extension table (6.2.1.1, two units each),
 *		else UCS-2 counted in UTF-16 code units; a text over one message's
 *		160 / 70 units goes in parts of 153 / 67, filled in order, a
 *		two-unit character never split between two parts. No I/O.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(sms_segments);

#define GSM7_SINGLE 160
#define GSM7_PART 153
#define UCS2_SINGLE 70
#define UCS2_PART 67

/*
 * 6.2.1, positions 0x00-0x7F. 0x1B is the escape to the extension table,
 * not a character; 0x09 is the capital C with cedilla, as printed (some
 * implementations read it as the small one).
 */
static const pg_wchar gsm7_default[] = {
	'@', 0x00A3, '$', 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
	0x00F2, 0x00C7, '\n', 0x00D8, 0x00F8, '\r', 0x00C5, 0x00E5,
	0x0394, '_', 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
	0x03A3, 0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
	' ', '!', '"', '#', 0x00A4, '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	0x00A1, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
	0x00BF, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0
};

StaticAssertDecl(lengthof(gsm7_default) == 127, "6.2.1 has 128 positions, one the escape");

/* 6.2.1.1: the characters reached through the escape, form feed included. */
static const pg_wchar gsm7_extension[] = {
	'\f', '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC
};

/* GSM-7 units of one code point: 1 (default), 2 (extension), 0 (neither). */
static int
gsm7_units(pg_wchar c)
{
	for (size_t i = 0; i < lengthof(gsm7_default); i++)
		if (gsm7_default[i] == c)
			return 1;
	for (size_t i = 0; i < lengthof(gsm7_extension); i++)
		if (gsm7_extension[i] == c)
			return 2;
	return 0;
}

/*
 * Units per code point, computed once for the first 256 and looked up:
 * ASCII and Latin-1 are nearly every message. The tables above are what
 * is read; this only caches them.
 */
static int8 gsm7_latin1[256];
static bool gsm7_latin1_ready = false;

static int
gsm7_units_cached(pg_wchar c)
{
	if (c >= 256)
		return gsm7_units(c);
	if (!gsm7_latin1_ready)
	{
		for (int i = 0; i < 256; i++)
			gsm7_latin1[i] = (int8) gsm7_units((pg_wchar) i);
		gsm7_latin1_ready = true;
	}
	return gsm7_latin1[c];
}

/* Parts of at most part_size units, each character whole in one part. */
static int
count_parts(const pg_wchar *chars, int n, bool gsm7, int part_size)
{
	int			parts = 1;
	int			used = 0;

	for (int i = 0; i < n; i++)
	{
		int			u = gsm7 ? gsm7_units_cached(chars[i]) : (chars[i] > 0xFFFF ? 2 : 1);

		if (used + u > part_size)
		{
			parts++;
			used = 0;
		}
		used += u;
	}
	return parts;
}

Datum
sms_segments(PG_FUNCTION_ARGS)
{
	text	   *message = PG_GETARG_TEXT_PP(0);
	const char *utf8 = VARDATA_ANY(message);
	int			len = VARSIZE_ANY_EXHDR(message);
	pg_wchar   *chars;
	int			n = 0;
	int			gsm_units = 0;
	int			ucs2_units = 0;
	bool		gsm7 = true;
	int			segments;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "sms_segments must return sms_api.segments");

	/* code points are Unicode only in UTF-8; another encoding is converted */
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		utf8 = pg_server_to_any(utf8, len, PG_UTF8);
		len = strlen(utf8);
	}
	chars = palloc((len + 1) * sizeof(pg_wchar));
	for (const unsigned char *p = (const unsigned char *) utf8,
		 *end = p + len; p < end; p += pg_utf_mblen(p))
	{
		pg_wchar	c = utf8_to_unicode(p);
		int			u = gsm7_units_cached(c);

		chars[n++] = c;
		if (u == 0)
			gsm7 = false;
		gsm_units += u;
		ucs2_units += c > 0xFFFF ? 2 : 1;
	}

	if (gsm7)
		segments = gsm_units <= GSM7_SINGLE ? 1 : count_parts(chars, n, true, GSM7_PART);
	else
		segments = ucs2_units <= UCS2_SINGLE ? 1 : count_parts(chars, n, false, UCS2_PART);

	values[0] = CStringGetTextDatum(gsm7 ? "GSM-7" : "UCS-2");
	values[1] = Int32GetDatum(n);
	values[2] = Int32GetDatum(gsm7 ? gsm_units : ucs2_units);
	values[3] = Int32GetDatum(segments);
	pfree(chars);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
