/*
 * route.c
 *		Routing at enqueue: a row queued without a provider takes the first
 *		provider of the longest prefix of sms_api.route that its destination
 *		starts with (else sms_api.default_provider), and keeps the prefix:
 *		failover follows that route's list as it is then. The table
 *		is read once into each backend and kept until it changes: its
 *		statement trigger sends a relcache invalidation, which reaches every
 *		backend at the writer's commit. The table is read as its owner, so a
 *		role that may queue needs no grant on it. Its row trigger refuses a
 *		provider that is unknown or not configured.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "core/guc.h"
#include "core/provider.h"
#include "core/route.h"
#include "core/sms_api.h"

PG_FUNCTION_INFO_V1(sms_route_check);

typedef struct Route
{
	char	   *prefix;
	int			len;
	char	   *first;			/* its first provider */
} Route;

static MemoryContext route_cxt = NULL;
static Route *routes = NULL;	/* longest prefix first */
static int	nroutes = 0;
static bool routes_valid = false;

static void
route_invalidate(Datum arg, Oid relid)
{
	/* any relation: the route table's OID may have changed with it */
	routes_valid = false;
}

void
route_init(void)
{
	CacheRegisterRelcacheCallback(route_invalidate, (Datum) 0);
}

static Oid
route_relid(void)
{
	Oid			relid = get_relname_relid("route", get_namespace_oid("sms_api", false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("table sms_api.route does not exist"),
				 errhint("Run ALTER EXTENSION sms_api UPDATE.")));
	return relid;
}

static Oid
owner_of(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

static void
read_routes(void)
{
	MemoryContext old;

	if (SPI_execute("SELECT prefix, providers FROM sms_api.route "
					"ORDER BY pg_catalog.length(prefix) DESC", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read sms_api.route");
	old = MemoryContextSwitchTo(route_cxt);
	nroutes = (int) SPI_processed;
	routes = palloc0(Max(nroutes, 1) * sizeof(Route));
	for (int i = 0; i < nroutes; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		ArrayType  *arr = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 2, &isnull));
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		routes[i].prefix = SPI_getvalue(tup, desc, 1);
		routes[i].len = (int) strlen(routes[i].prefix);
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		routes[i].first = (n > 0 && !nulls[0]) ? TextDatumGetCString(elems[0]) : NULL;
	}
	MemoryContextSwitchTo(old);
}

/* Read the table into route_cxt, as its owner. */
static void
load_routes(void)
{
	Oid			save_user;
	int			save_sec;

	if (route_cxt == NULL)
		route_cxt = AllocSetContextCreate(TopMemoryContext, "sms_api routes",
										  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(route_cxt);
	routes = NULL;
	nroutes = 0;
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(owner_of(route_relid()),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		SPI_connect();
		read_routes();
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
	routes_valid = true;
}

const char *
route_for(const char *destination, size_t len, const char **prefix)
{
	const char *digits = (len > 0 && destination[0] == '+') ? destination + 1 : destination;
	size_t		ndigits = (digits == destination) ? len : len - 1;

	if (!routes_valid)
		load_routes();
	for (int i = 0; i < nroutes; i++)
		if ((size_t) routes[i].len <= ndigits && routes[i].first != NULL &&
			memcmp(digits, routes[i].prefix, routes[i].len) == 0)
		{
			*prefix = routes[i].prefix;
			return routes[i].first;
		}
	*prefix = NULL;
	return sms_api_default_provider;
}

/* A route's providers: each known and configured, none twice, none NULL. */
static void
check_providers(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a route's providers are a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a route needs at least one provider")));
	for (int i = 0; i < n; i++)
	{
		char	   *name;
		const Provider *p;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("providers[%d] of a route must not be NULL", i + 1)));
		name = TextDatumGetCString(elems[i]);
		if ((p = provider_by_name(name)) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown provider \"%s\" in a route", name),
					 errdetail("The providers are %s.", providers_list())));
		if (!p->configured())
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("provider \"%s\" is not configured", name),
					 errhint("Set its sms_api.%s_* settings (see README) before routing to it.", name)));
		for (int j = 0; j < i; j++)
			if (!nulls[j] && strcmp(TextDatumGetCString(elems[j]), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("provider \"%s\" is twice in a route", name)));
	}
}

/*
 * The route table's triggers: each written row is checked; each statement
 * that changed it invalidates every backend's copy.
 */
Datum
sms_route_check(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sms_api.route_check() must be called as a trigger")));
	if (TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
	{
		CacheInvalidateRelcache(td->tg_relation);
		return PointerGetDatum(NULL);
	}
	{
		HeapTuple	tup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
		TupleDesc	desc = RelationGetDescr(td->tg_relation);
		bool		isnull;
		Datum		d = heap_getattr(tup, SPI_fnumber(desc, "providers"), desc, &isnull);

		if (!isnull)
			check_providers(DatumGetArrayTypeP(d));
		return PointerGetDatum(tup);
	}
}
