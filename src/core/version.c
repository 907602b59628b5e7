/*
 * version.c
 *		The extension's version in this database against the library's
 *		(SMS_API_VERSION, from the Makefile).
 *
 * After the package is upgraded, a database still at 0.1.0 has the new
 * library but the old tables: the library's statements (an outbox with a
 * provider column, the 0.2.0 sms_queue) would fail there with errors that
 * do not say why. So the SQL functions refuse, and the worker waits,
 * until ALTER EXTENSION sms_api UPDATE (as Citus does).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "core/compat.h"
#include "core/sms_api.h"
#include "core/version.h"

char *
extension_version(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("sms_api"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, Anum_pg_extension_extversion,
										 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = text_to_cstring(DatumGetTextPP(value));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

void
sms_api_require_extension_version(void)
{
	/* a catalog scan per call would cost sms_queue in a trigger */
	static LocalTransactionId checked_in = InvalidLocalTransactionId;
	char	   *version;

	if (checked_in == sms_api_local_xid())
		return;
	version = extension_version();
	if (version != NULL && strcmp(version, SMS_API_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"sms_api\" is at version %s in this database, but the loaded library is version %s",
						version, SMS_API_VERSION),
				 errdetail("The library's functions and worker use the tables and functions of version %s.",
						   SMS_API_VERSION),
				 errhint("Run ALTER EXTENSION sms_api UPDATE in this database.")));
	checked_in = sms_api_local_xid();
}
