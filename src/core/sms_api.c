/*
 * sms_api.c
 *		Module entry point: settings, and the check that the library was
 *		preloaded.
 *
 * Preloading is required: until the library is loaded, PostgreSQL treats
 * sms_api.* settings from postgresql.conf as unprotected placeholders that
 * any role can SHOW.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "fmgr.h"
#include "miscadmin.h"

#include "core/databases.h"
#include "core/deferred.h"
#include "core/guc.h"
#include "core/outbox.h"
#include "core/route.h"
#include "core/shmem.h"
#include "providers/sinch/store.h"
#include "core/worker.h"
#include "core/sms_api.h"
#include "core/version.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static bool preloaded = false;

void
_PG_init(void)
{
	preloaded = process_shared_preload_libraries_in_progress;
	settings_define(preloaded);
	deferred_init();
	store_init();
	outbox_init();
	route_init();
	if (preloaded)
	{
		databases_require_valid();
		shmem_install_hooks();
		worker_register();
	}
}

void
sms_api_require_preload(void)
{
	if (!preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sms_api must be loaded via shared_preload_libraries"),
				 errhint("Add sms_api to shared_preload_libraries in postgresql.conf and restart the server.")));
	sms_api_require_extension_version();
}

void
sms_api_require_writable(const char *function)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot call %s on a standby", function),
				 errdetail("A standby cannot record what the call would send or receive, so nothing was sent."),
				 errhint("Call it on the primary; a pooler that sends reads to replicas must route it there.")));
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot call %s in a read-only transaction", function),
				 errdetail("The call records what it sends or receives, so nothing was sent."),
				 errhint("Call it in a read-write transaction.")));
}
