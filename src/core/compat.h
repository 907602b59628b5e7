/*
 * compat.h
 *		What differs between the PostgreSQL versions we build against
 *		(15 to 18), in one place; README.md lists every guarded use.
 */
#ifndef SMS_API_COMPAT_H
#define SMS_API_COMPAT_H

#include "storage/proc.h"

/* 17 moved the backend's local transaction id into MyProc->vxid. */
#if PG_VERSION_NUM >= 170000
#define sms_api_local_xid() (MyProc->vxid.lxid)
#else
#define sms_api_local_xid() (MyProc->lxid)
#endif

/* 17 replaced PGPROC.pgprocno by MyProcNumber. */
#if PG_VERSION_NUM >= 170000
#define sms_api_procno() ((int) MyProcNumber)
#else
#define sms_api_procno() (MyProc->pgprocno)
#endif

#endif							/* SMS_API_COMPAT_H */
