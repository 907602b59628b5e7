/*
 * datum.c
 *		Array Datums for set-based statements.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

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

/*
 * Built in place, each string copied once: a text Datum per string, then
 * construct_md_array() copying each again, cost a page of statuses more
 * than the rest of building its parameters.
 */
Datum
datum_text_array(char *const *strings, int n)
{
	int		   *lens = palloc(Max(n, 1) * sizeof(int));
	Size		nbytes = 0;
	bool		has_nulls = false;
	Size		header;
	Size		total;
	ArrayType  *a;
	char	   *p;
	bits8	   *bitmap;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	for (int i = 0; i < n; i++)
	{
		if (strings[i] == NULL)
		{
			has_nulls = true;
			continue;
		}
		lens[i] = strlen(strings[i]);
		nbytes += INTALIGN(VARHDRSZ + (Size) lens[i]);
	}
	header = has_nulls ? (Size) ARR_OVERHEAD_WITHNULLS(1, n) : (Size) ARR_OVERHEAD_NONULLS(1);
	total = header + nbytes;
	if (!AllocSizeIsValid(total))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("array size exceeds the maximum allowed (%d)", (int) MaxAllocSize)));
	/* zeroed: the null bitmap and the alignment padding */
	a = (ArrayType *) palloc0(total);
	SET_VARSIZE(a, total);
	a->ndim = 1;
	a->dataoffset = has_nulls ? (int32) header : 0;
	a->elemtype = TEXTOID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	/* ARR_DATA_PTR() would do, but trips -Wsign-compare */
	p = (char *) a + header;
	bitmap = has_nulls ? ARR_NULLBITMAP(a) : NULL;
	for (int i = 0; i < n; i++)
	{
		if (strings[i] == NULL)
			continue;
		if (bitmap != NULL)
			bitmap[i / 8] |= 1 << (i % 8);
		SET_VARSIZE(p, VARHDRSZ + lens[i]);
		memcpy(VARDATA(p), strings[i], lens[i]);
		p += INTALIGN(VARHDRSZ + lens[i]);
	}
	pfree(lens);
	return PointerGetDatum(a);
}
