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

#include "fmgr.h"
#include "miscadmin.h"

#include "deferred.h"
#include "guc.h"
#include "outbox.h"
#include "shmem.h"
#include "store.h"
#include "worker.h"
#include "sms_api.h"

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
	if (preloaded)
	{
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
}
