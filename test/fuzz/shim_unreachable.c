/*
 * shim_unreachable.c
 *		Server functions that the files under test call only from their
 *		SQL-facing halves (fcinfo arguments, jsonb walks), which no target
 *		reaches: they exist so those files link whole, and abort if ever
 *		called, so a target cannot silently test a stand-in.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "shim.h"

#define UNREACHABLE() shim_fail("%s is not part of the fuzz shim", __func__)

char *
text_to_cstring(const text *t)
{
	UNREACHABLE();
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	UNREACHABLE();
}

struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	UNREACHABLE();
}

Size
toast_raw_datum_size(Datum value)
{
	UNREACHABLE();
}

char *
JsonbToCString(StringInfo out, JsonbContainer *in, int estimated_len)
{
	UNREACHABLE();
}

JsonbIterator *
JsonbIteratorInit(JsonbContainer *container)
{
	UNREACHABLE();
}

JsonbIteratorToken
JsonbIteratorNext(JsonbIterator **it, JsonbValue *val, bool skipNested)
{
	UNREACHABLE();
}

Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	UNREACHABLE();
}

Datum
numeric_out(PG_FUNCTION_ARGS)
{
	UNREACHABLE();
}
