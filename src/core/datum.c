/*
 * datum.c
 *		Array Datums for set-based statements.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "core/datum.h"

Datum
datum_array(Oid elemtype, Datum *values, bool *nulls, int n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval, typalign));
}

Datum
datum_text_array(char *const *strings, int n)
{
	Datum	   *values = palloc(Max(n, 1) * sizeof(Datum));
	bool	   *nulls = palloc(Max(n, 1) * sizeof(bool));

	for (int i = 0; i < n; i++)
	{
		nulls[i] = strings[i] == NULL;
		values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(strings[i]);
	}
	return datum_array(TEXTOID, values, nulls, n);
}
