/*
 * shim_unreachable.c
 *		What the files under test call only from the parts no target
 *		reaches (fcinfo arguments, jsonb walks, the transport, waits,
 *		limiters, credentials): these exist so those files link whole, and
 *		abort if ever called, so a target cannot silently test a stand-in.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "core/guc.h"
#include "core/ratelimit.h"
#include "http/http.h"
#include "miscadmin.h"
#include "providers/directcall/directcall.h"
#include "providers/reach/reach.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
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

void
http_perform_many(const HttpRequest *reqs, HttpResult *res, int n, HttpDone done, void *arg)
{
	UNREACHABLE();
}

void
http_add_header(HttpRequest *req, const char *name, const char *value)
{
	UNREACHABLE();
}

volatile sig_atomic_t InterruptPending = false;
struct Latch *MyLatch = NULL;

void
ProcessInterrupts(void)
{
	UNREACHABLE();
}

int
WaitLatch(Latch *latch, int wakeEvents, long timeout, uint32 wait_event_info)
{
	UNREACHABLE();
}

void
ResetLatch(Latch *latch)
{
	UNREACHABLE();
}

TimestampTz
GetCurrentTimestamp(void)
{
	UNREACHABLE();
}

pg_time_t
timestamptz_to_time_t(TimestampTz t)
{
	UNREACHABLE();
}

void
settings_require_credentials(void)
{
	UNREACHABLE();
}

const char *
settings_token(void)
{
	UNREACHABLE();
}

const char *
reach_api_key(void)
{
	UNREACHABLE();
}

const char *
reach_api_secret(void)
{
	UNREACHABLE();
}

void
reach_require_settings(void)
{
	UNREACHABLE();
}

char *
reach_http_date(pg_time_t t)
{
	UNREACHABLE();
}

char *
reach_signature(const char *key, const char *secret, const char *date,
				const char *sorted_query, const char *body, size_t body_len)
{
	UNREACHABLE();
}

void
directcall_require_settings(void)
{
	UNREACHABLE();
}

bool
directcall_authorize(const ApiTarget *t, HttpResult *res, ApiError *err)
{
	UNREACHABLE();
}

bool
directcall_renew(const ApiTarget *t, const HttpRequest *req, const HttpResult *res)
{
	UNREACHABLE();
}

const char *
directcall_token(uint64 *generation)
{
	UNREACHABLE();
}

void
ratelimit_acquire(int limiter, int rate)
{
	UNREACHABLE();
}

char *
reach_query(ReachParam *params, int n)
{
	UNREACHABLE();
}

uint64
reach_store(const ReachMessage *msgs, int n)
{
	UNREACHABLE();
}

TimestampTz
ratelimit_book(int limiter, int rate, bool first)
{
	UNREACHABLE();
}
