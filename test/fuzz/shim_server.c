/*
 * shim_server.c
 *		The rest of the server a decoder or validator calls: the database
 *		encoding (UTF-8; character counting and verification go through
 *		libpgcommon's own wchar.c, as mbutils.c does), the timestamp
 *		arithmetic Reach's local times use (the zone is UTC: the fuzzer
 *		tests the parsing, not the tz database), and the settings the
 *		decoders read, fixed at their defaults.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "core/guc.h"
#include "providers/directcall/directcall.h"
#include "providers/reach/reach.h"
#include "shim.h"

int
GetDatabaseEncoding(void)
{
	return PG_UTF8;
}

int
pg_database_encoding_max_length(void)
{
	return pg_encoding_max_length(PG_UTF8);
}

int
pg_mblen(const char *mbstr)
{
	return pg_encoding_mblen(PG_UTF8, mbstr);
}

/* mbutils.c's loops, for a multibyte database encoding. */
int
pg_mbstrlen(const char *mbstr)
{
	int			len = 0;

	while (*mbstr)
	{
		mbstr += pg_mblen(mbstr);
		len++;
	}
	return len;
}

int
pg_mbstrlen_with_len(const char *mbstr, int limit)
{
	int			len = 0;

	while (limit > 0 && *mbstr)
	{
		int			l = pg_mblen(mbstr);

		limit -= l;
		mbstr += l;
		len++;
	}
	return len;
}

bool
pg_verifymbstr(const char *mbstr, int len, bool noError)
{
	if (pg_encoding_verifymbstr(PG_UTF8, mbstr, len) == len)
		return true;
	if (noError)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid byte sequence for encoding \"UTF8\"")));
	return false;
}

/* mbutils.c's check of a text in any encoding, over libpgcommon's verifier. */
bool
pg_verify_mbstr(int encoding, const char *mbstr, int len, bool noError)
{
	if (pg_encoding_verifymbstr(encoding, mbstr, len) == len)
		return true;
	if (noError)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid byte sequence for encoding \"%s\"", pg_enc2name_tbl[encoding].name)));
	return false;
}

/* Between UTF-8 and the (UTF-8) database: verified, never copied, as mbutils.c does. */
char *
pg_any_to_server(const char *s, int len, int encoding)
{
	if (len <= 0)
		return unconstify(char *, s);
	if (encoding != PG_UTF8 && encoding != PG_SQL_ASCII)
		shim_fail("conversion from encoding %d: the shim's database is UTF-8", encoding);
	(void) pg_verifymbstr(s, len, false);
	return unconstify(char *, s);
}

char *
pg_server_to_any(const char *s, int len, int encoding)
{
	if (encoding != PG_UTF8 && encoding != PG_SQL_ASCII)
		shim_fail("conversion to encoding %d: the shim's database is UTF-8", encoding);
	return unconstify(char *, s);
}

/* datetime.c's table and date arithmetic. */
const int	day_tab[2][13] =
{
	{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0},
	{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0}
};

int
date2j(int year, int month, int day)
{
	int			julian;
	int			century;

	if (month > 2)
	{
		month += 1;
		year += 4800;
	}
	else
	{
		month += 13;
		year += 4799;
	}
	century = year / 100;
	julian = year * 365 - 32167;
	julian += year / 4 - century + century / 4;
	julian += 7834 * month / 256 + day;
	return julian;
}

/* timestamp.c's tm2timestamp, step for step. */
int
tm2timestamp(struct pg_tm *tm, fsec_t fsec, int *tzp, Timestamp *result)
{
	TimeOffset	date;
	TimeOffset	time;

	if (!IS_VALID_JULIAN(tm->tm_year, tm->tm_mon, tm->tm_mday))
	{
		*result = 0;
		return -1;
	}
	date = date2j(tm->tm_year, tm->tm_mon, tm->tm_mday) - POSTGRES_EPOCH_JDATE;
	time = ((((tm->tm_hour * MINS_PER_HOUR) + tm->tm_min) * SECS_PER_MINUTE) + tm->tm_sec)
		* USECS_PER_SEC + fsec;
	*result = date * USECS_PER_DAY + time;
	if ((*result - time) / USECS_PER_DAY != date)
	{
		*result = 0;
		return -1;
	}
	if (tzp != NULL)
		*result = *result + (Timestamp) *tzp * USECS_PER_SEC;
	if (!IS_VALID_TIMESTAMP(*result))
	{
		*result = 0;
		return -1;
	}
	return 0;
}

/* One zone, UTC, whatever the name. */
static char utc_zone;

pg_tz *
pg_tzset(const char *tzname)
{
	return (pg_tz *) &utc_zone;
}

int
DetermineTimeZoneOffset(struct pg_tm *tm, pg_tz *tzp)
{
	if (tzp != (pg_tz *) &utc_zone)
		shim_fail("DetermineTimeZoneOffset with a zone pg_tzset did not return");
	tm->tm_isdst = 0;
	return 0;
}

/*
 * The settings the code under test reads, at their defaults (guc.c and the
 * *_settings.c files define them in the server); the URLs are never used.
 */
char	   *sms_api_base_url = NULL;
char	   *sms_api_username = NULL;
int			sms_api_timeout_ms = 10000;
int			sms_api_max_retries = 2;
int			sms_api_max_response_bytes = 64 * 1024 * 1024;
int			sms_api_send_rate_limit = 700;
int			sms_api_query_rate_limit = 1;
char	   *reach_base_url = NULL;
char	   *reach_time_zone = "UTC";
char	   *reach_short_name = NULL;
int			reach_rate_limit = 0;
char	   *directcall_base_url = NULL;
char	   *directcall_origin = NULL;
int			directcall_rate_limit = 0;

/* One secret, so that scrubbing is exercised and checked. */
const char *const *
settings_secrets(bool with_username)
{
	static const char *const secrets[] = {SHIM_SECRET, NULL};

	return secrets;
}
