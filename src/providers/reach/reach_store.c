/*
 * reach_store.c
 *		Merging Reach Message objects into sms_api.reach_message: one
 *		statement per answer or page, keyed by message_id. A later answer
 *		replaces the earlier values, but NULL (a field the answer left out)
 *		never overwrites one; a message without message_id (a tag send
 *		still pending) is not stored.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "core/datum.h"
#include "core/optout.h"
#include "providers/reach/reach.h"

#define NCOLS 18

static const char *const merge_sql =
"INSERT INTO sms_api.reach_message AS t (message_id, id, short_code, country, msisdn, "
"direction, status, message, total_recipients, sent_from, sent_count, error_count, "
"total_monitors, is_scheduled, is_billable, created_on, created_by, type, updated_at) "
"SELECT DISTINCT ON (u.message_id) u.message_id, u.id, u.short_code, u.country, u.msisdn, "
"u.direction, u.status, u.message, u.total_recipients, u.sent_from, u.sent_count, "
"u.error_count, u.total_monitors, u.is_scheduled, u.is_billable, u.created_on, "
"u.created_by, u.type, pg_catalog.now() "
"FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]), "
"pg_catalog.unnest($3::text[]), pg_catalog.unnest($4::text[]), "
"pg_catalog.unnest($5::text[]), pg_catalog.unnest($6::text[]), "
"pg_catalog.unnest($7::text[]), pg_catalog.unnest($8::text[]), "
"pg_catalog.unnest($9::int4[]), pg_catalog.unnest($10::text[]), "
"pg_catalog.unnest($11::int4[]), pg_catalog.unnest($12::int4[]), "
"pg_catalog.unnest($13::int4[]), pg_catalog.unnest($14::bool[]), "
"pg_catalog.unnest($15::bool[]), pg_catalog.unnest($16::timestamptz[]), "
"pg_catalog.unnest($17::text[]), pg_catalog.unnest($18::int4[])) "
"WITH ORDINALITY AS u(message_id, id, short_code, country, msisdn, direction, status, "
"message, total_recipients, sent_from, sent_count, error_count, total_monitors, "
"is_scheduled, is_billable, created_on, created_by, type, ord) "
"ORDER BY u.message_id, u.ord DESC "
"ON CONFLICT (message_id) DO UPDATE SET "
"id = coalesce(EXCLUDED.id, t.id), "
"short_code = coalesce(EXCLUDED.short_code, t.short_code), "
"country = coalesce(EXCLUDED.country, t.country), "
"msisdn = coalesce(EXCLUDED.msisdn, t.msisdn), "
"direction = coalesce(EXCLUDED.direction, t.direction), "
"status = coalesce(EXCLUDED.status, t.status), "
"message = coalesce(EXCLUDED.message, t.message), "
"total_recipients = coalesce(EXCLUDED.total_recipients, t.total_recipients), "
"sent_from = coalesce(EXCLUDED.sent_from, t.sent_from), "
"sent_count = coalesce(EXCLUDED.sent_count, t.sent_count), "
"error_count = coalesce(EXCLUDED.error_count, t.error_count), "
"total_monitors = coalesce(EXCLUDED.total_monitors, t.total_monitors), "
"is_scheduled = coalesce(EXCLUDED.is_scheduled, t.is_scheduled), "
"is_billable = coalesce(EXCLUDED.is_billable, t.is_billable), "
"created_on = coalesce(EXCLUDED.created_on, t.created_on), "
"created_by = coalesce(EXCLUDED.created_by, t.created_by), "
"type = coalesce(EXCLUDED.type, t.type), "
"updated_at = EXCLUDED.updated_at"
/* the replies first stored here may opt their senders out or in */
OPTOUT_RETURNING("t", "CASE WHEN t.direction = 'MO' THEN t.msisdn END", "message", "created_on");

static SPIPlanPtr merge_plan = NULL;

typedef struct Columns
{
	Datum	   *values[NCOLS];
	bool	   *nulls[NCOLS];
} Columns;

static void
set_text(Columns *c, int col, int i, char *s)
{
	c->nulls[col][i] = s == NULL;
	c->values[col][i] = s ? CStringGetTextDatum(s) : (Datum) 0;
}

static void
set_int(Columns *c, int col, int i, bool has, int32 v)
{
	c->nulls[col][i] = !has;
	c->values[col][i] = Int32GetDatum(v);
}

static void
set_bool(Columns *c, int col, int i, int v)
{
	c->nulls[col][i] = v < 0;
	c->values[col][i] = BoolGetDatum(v == 1);
}

uint64
reach_store(const ReachMessage *msgs, int n)
{
	static const Oid elem[NCOLS] = {
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		INT4OID, TEXTOID, INT4OID, INT4OID, INT4OID, BOOLOID, BOOLOID,
		TIMESTAMPTZOID, TEXTOID, INT4OID
	};
	Columns		c;
	Datum		params[NCOLS];
	int			k = 0;
	uint64		merged;

	for (int col = 0; col < NCOLS; col++)
	{
		c.values[col] = palloc(Max(n, 1) * sizeof(Datum));
		c.nulls[col] = palloc(Max(n, 1) * sizeof(bool));
	}
	for (int i = 0; i < n; i++)
	{
		const ReachMessage *m = &msgs[i];

		if (m->message_id == NULL)
			continue;
		set_text(&c, 0, k, m->message_id);
		set_text(&c, 1, k, m->id);
		set_text(&c, 2, k, m->short_code);
		set_text(&c, 3, k, m->country);
		set_text(&c, 4, k, m->msisdn);
		set_text(&c, 5, k, m->direction);
		set_text(&c, 6, k, m->status);
		set_text(&c, 7, k, m->message);
		set_int(&c, 8, k, m->has_total_recipients, m->total_recipients);
		set_text(&c, 9, k, m->sent_from);
		set_int(&c, 10, k, m->has_sent_count, m->sent_count);
		set_int(&c, 11, k, m->has_error_count, m->error_count);
		set_int(&c, 12, k, m->has_total_monitors, m->total_monitors);
		set_bool(&c, 13, k, m->is_scheduled);
		set_bool(&c, 14, k, m->is_billable);
		c.nulls[15][k] = !m->has_created_on;
		c.values[15][k] = TimestampTzGetDatum(m->created_on);
		set_text(&c, 16, k, m->created_by);
		set_int(&c, 17, k, m->has_type, m->type);
		k++;
	}
	if (k == 0)
		return 0;

	for (int col = 0; col < NCOLS; col++)
		params[col] = datum_array(elem[col], c.values[col], c.nulls[col], k);

	SPI_connect();
	if (merge_plan == NULL)
	{
		Oid			types[NCOLS];

		for (int col = 0; col < NCOLS; col++)
			types[col] = get_array_type(elem[col]);
		merge_plan = SPI_prepare(merge_sql, NCOLS, types);
		if (merge_plan == NULL || SPI_keepplan(merge_plan) != 0)
			elog(ERROR, "could not prepare the reach_message merge: %s",
				 SPI_result_code_string(SPI_result));
	}
	if (SPI_execute_plan(merge_plan, params, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not merge into sms_api.reach_message");
	merged = SPI_processed;
	optout_from_replies("reach", SPI_tuptable, merged);
	SPI_finish();
	return merged;
}
