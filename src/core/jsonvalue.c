/*
 * jsonvalue.c
 *		The lenient readers of list items' fields, on values from either
 *		parser (core/jsonvalue.h).
 */
#include "postgres.h"

#include <errno.h>

#include "core/jsonvalue.h"

char *
jv_text(const JsonValue *v)
{
	if (v->kind == JV_STRING)
		return memchr(v->str, '\0', v->len) != NULL ? NULL : pnstrdup(v->str, v->len);
	if (v->kind == JV_INT)
		return psprintf("%lld", (long long) v->ival);
	return NULL;
}

bool
jv_int64(const JsonValue *v, int64 *out)
{
	char	   *s;
	char	   *end;
	long long	val;

	if (v->kind == JV_INT)
	{
		*out = v->ival;
		return true;
	}
	if (v->kind != JV_STRING || memchr(v->str, '\0', v->len) != NULL)
		return false;
	s = pnstrdup(v->str, v->len);
	errno = 0;
	val = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return false;
	*out = (int64) val;
	return true;
}

bool
jv_int32(const JsonValue *v, int32 *out)
{
	int64		val;

	if (!jv_int64(v, &val) || val < PG_INT32_MIN || val > PG_INT32_MAX)
		return false;
	*out = (int32) val;
	return true;
}
