-- sms_api 0.1.0: send, track and receive SMS through the Sinch (Wavy) LATAM
-- messaging API. Read top to bottom: types, tables, functions, views, grants.

\echo Use "CREATE EXTENSION sms_api" to load this file. \quit

-- Types ----------------------------------------------------------------------

-- What a send returns, one per message.
CREATE TYPE sms_api.send_result AS (
    id             uuid,
    correlation_id text,
    destination    text,
    batch_id       uuid,
    error          text
);
COMMENT ON TYPE sms_api.send_result IS
  'One message handed to the API: its id (NULL when not accepted), correlation id, normalized destination, bulk batch id and the reason it was not accepted';

-- A delivery status as the API reports it.
CREATE TYPE sms_api.status AS (
    id                    uuid,
    correlation_id        text,
    carrier_id            int,
    carrier_name          text,
    destination           text,
    sent_status_code      int,
    sent_status           text,
    sent_at               timestamptz,
    delivered_status_code int,
    delivered_status      text,
    delivered_at          timestamptz,
    campaign_id           bigint,
    extra_info            text
);
COMMENT ON TYPE sms_api.status IS
  'A message''s two status stages: sent (handed to the carrier) and delivered (reached the handset)';

-- A reply (MO: mobile originated), with the message it answers when known.
CREATE TYPE sms_api.mo AS (
    id                uuid,
    sub_account       text,
    campaign_alias    text,
    carrier_id        int,
    carrier_name      text,
    source            text,
    short_code        text,
    message_text      text,
    received_at       timestamptz,
    mt_id             uuid,
    mt_correlation_id text,
    mt_username       text,
    mt_email          text
);
COMMENT ON TYPE sms_api.mo IS
  'A reply (MO) and the message (MT) it answers, when the API knows it';

-- Tables ---------------------------------------------------------------------

-- One row per message id: every id the extension sent, and every status it received.
CREATE TABLE sms_api.message_status (
    id                    uuid PRIMARY KEY,
    correlation_id        text,
    carrier_id            int,
    carrier_name          text,
    destination           text,
    sent_status_code      int,
    sent_status           text,
    sent_at               timestamptz,
    delivered_status_code int,
    delivered_status      text,
    delivered_at          timestamptz,
    campaign_id           bigint,
    extra_info            text,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
-- lookups by your own id; most answers of a bulk without one leave it NULL
CREATE INDEX ON sms_api.message_status (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX ON sms_api.message_status (updated_at);
COMMENT ON TABLE sms_api.message_status IS
  'One row per message id; statuses merged so that a stage never goes back, the newer event wins within a stage, and NULL never overwrites a known value';

-- One row per reply (MO).
CREATE TABLE sms_api.mo_message (
    id                uuid PRIMARY KEY,
    sub_account       text,
    campaign_alias    text,
    carrier_id        int,
    carrier_name      text,
    source            text,
    short_code        text,
    message_text      text,
    received_at       timestamptz,
    mt_id             uuid,
    mt_correlation_id text,
    mt_username       text,
    mt_email          text,
    stored_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON sms_api.mo_message (received_at);
CREATE INDEX ON sms_api.mo_message (stored_at);
COMMENT ON TABLE sms_api.mo_message IS 'One row per reply (MO) received, deduplicated by id';

-- The API's status codes.
CREATE TABLE sms_api.status_code (
    code        int PRIMARY KEY,
    stage       text NOT NULL CHECK (stage IN ('sent', 'delivered')),
    name        text NOT NULL UNIQUE,
    description text NOT NULL,
    final       boolean NOT NULL,
    success     boolean NOT NULL
);
COMMENT ON TABLE sms_api.status_code IS
  'Every sent and delivered status code of the API; final = no further status will come, success = handed over (2) or delivered (4)';
INSERT INTO sms_api.status_code VALUES
    (2,   'sent',      'SENT_SUCCESS',                      'Handed to the carrier; this is what is billed. A delivery report may follow (never for Oi and Sercomtel).', false, true),
    (101, 'sent',      'EXPIRED',                           'Expired before it could be delivered.', true, false),
    (102, 'sent',      'CARRIER_COMMUNICATION_ERROR',       'Error communicating with the carrier.', true, false),
    (103, 'sent',      'REJECTED_BY_CARRIER',               'The carrier rejected the message.', true, false),
    (201, 'sent',      'NO_CREDIT',                         'The account''s or sub-account''s message limit was reached, or prepaid credit ran out.', true, false),
    (202, 'sent',      'INVALID_DESTINATION_NUMBER',        'The destination is not a valid mobile number.', true, false),
    (203, 'sent',      'BLACKLISTED',                       'The destination is on the company''s block list.', true, false),
    (204, 'sent',      'DESTINATION_BLOCKED_BY_OPTOUT',     'The destination opted out of this sub-account.', true, false),
    (205, 'sent',      'DESTINATION_MESSAGE_LIMIT_REACHED', 'The carrier''s per-company limit for this number was reached.', true, false),
    (207, 'sent',      'INVALID_MESSAGE_TEXT',              'The carrier rejected the text (profanity, brand names).', true, false),
    (301, 'sent',      'INTERNAL_ERROR',                    'Error inside the messaging platform.', true, false),
    (4,   'delivered', 'DELIVERED_SUCCESS',                 'Reached the handset.', true, true),
    (104, 'delivered', 'NOT_DELIVERED',                     'The carrier accepted it but could not deliver it (handset off for about 24 hours, 8 on Vivo, or an inactive number).', true, false);

-- Messages queued by sms_queue(), sent by the worker after commit.
--
-- The worker claims a row ('sending', attempts + 1) before it sends it and
-- records the outcome after. No index covers state or attempts and the pages
-- are only half filled, so the claim is a HOT update (no index entries) on
-- the row's own page: the outbox is written three times per message, and
-- this keeps the middle write cheap.
CREATE TABLE sms_api.outbox (
    id              bigserial PRIMARY KEY,
    destination     text NOT NULL,
    message_text    text,
    correlation_id  text,
    extra_info      text,
    flash           boolean,
    scheduled_at    timestamptz,
    expires_at      timestamptz,
    campaign_alias  text,
    sub_account     text,
    options         jsonb,
    -- queued | sending | sent | failed; only the extension writes this table,
    -- so no CHECK (it is re-planned for every inserted row)
    state           text NOT NULL DEFAULT 'queued',
    attempts        int NOT NULL DEFAULT 0,
    -- NULL once the row is sent or failed: there is no next attempt
    next_attempt_at timestamptz DEFAULT now(),
    last_error      text,
    message_id      uuid,
    batch_id        uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
) WITH (fillfactor = 50);
-- what the worker claims next (queued rows, and the few in flight)
CREATE INDEX outbox_due ON sms_api.outbox (next_attempt_at, id)
    WHERE next_attempt_at IS NOT NULL;
-- what prune() deletes: sent rows by when they were sent, failed ones by
-- when they were queued
CREATE INDEX outbox_done ON sms_api.outbox ((coalesce(sent_at, created_at)))
    WHERE next_attempt_at IS NULL;
-- from a status to its outbox row
CREATE INDEX outbox_message_id ON sms_api.outbox (message_id) WHERE message_id IS NOT NULL;
COMMENT ON TABLE sms_api.outbox IS
  'Messages queued with sms_queue(): queued -> sending -> sent, or failed after queue_max_attempts or a rejection by the API';

-- Functions ------------------------------------------------------------------

-- Send one message now (POST /v1/send-sms).
CREATE FUNCTION sms_api.sms_send(
    destination    text,
    message_text   text,
    correlation_id text        DEFAULT NULL,
    extra_info     text        DEFAULT NULL,
    flash          boolean     DEFAULT NULL,
    scheduled_at   timestamptz DEFAULT NULL,
    expires_at     timestamptz DEFAULT NULL,
    campaign_alias text        DEFAULT NULL,
    sub_account    text        DEFAULT NULL,
    options        jsonb       DEFAULT NULL
) RETURNS sms_api.send_result
AS 'MODULE_PATHNAME', 'sms_send'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_send(text, text, text, text, boolean, timestamptz, timestamptz, text, text, jsonb) IS
  'Send one SMS now through POST /v1/send-sms; call it in FROM: SELECT * FROM sms_api.sms_send(...)';

-- Send to many now (POST /v1/send-bulk-sms, at most 1000 messages per request).
CREATE FUNCTION sms_api.sms_send_bulk(
    destinations    text[],
    message_text    text,
    correlation_ids text[]      DEFAULT NULL,
    extra_info      text        DEFAULT NULL,
    flash           boolean     DEFAULT NULL,
    scheduled_at    timestamptz DEFAULT NULL,
    expires_at      timestamptz DEFAULT NULL,
    campaign_alias  text        DEFAULT NULL,
    sub_account     text        DEFAULT NULL,
    options         jsonb       DEFAULT NULL
) RETURNS SETOF sms_api.send_result
AS 'MODULE_PATHNAME', 'sms_send_bulk'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_send_bulk(text[], text, text[], text, boolean, timestamptz, timestamptz, text, text, jsonb) IS
  'Send one text to many destinations now, in requests of at most 1000; one row per destination, in input order';

-- Send many messages in the API's own JSON shape.
CREATE FUNCTION sms_api.sms_send_bulk_json(
    messages jsonb,
    defaults jsonb DEFAULT NULL,
    options  jsonb DEFAULT NULL
) RETURNS SETOF sms_api.send_result
AS 'MODULE_PATHNAME', 'sms_send_bulk_json'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_send_bulk_json(jsonb, jsonb, jsonb) IS
  'Send a JSON array of messages in the API''s shape; defaults become defaultValues, options the root-level fields';

-- Look statuses up by id and/or correlation id (POST /v1/sms/status/search).
CREATE FUNCTION sms_api.sms_status(ids uuid[] DEFAULT NULL, correlation_ids text[] DEFAULT NULL)
RETURNS SETOF sms_api.status
AS 'MODULE_PATHNAME', 'sms_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_status(uuid[], text[]) IS
  'Statuses of the last 3 days by message id and/or correlation id; merged into message_status';

-- Statuses not yet handed out (GET /v1/sms/status/list); consumes them.
CREATE FUNCTION sms_api.sms_status_list()
RETURNS SETOF sms_api.status
AS 'MODULE_PATHNAME', 'sms_status_list'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_status_list() IS
  'Statuses not handed out before (the API forgets them once returned); merged into message_status. Best left to the worker';

-- Replies in a period (GET /v1/sms/receive/search).
CREATE FUNCTION sms_api.sms_mo_search(start_at timestamptz DEFAULT NULL,
                                      end_at timestamptz DEFAULT NULL,
                                      sub_account text DEFAULT NULL)
RETURNS SETOF sms_api.mo
AS 'MODULE_PATHNAME', 'sms_mo_search'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_mo_search(timestamptz, timestamptz, text) IS
  'Replies (MO) received in a period (default: the last 5 days); merged into mo_message';

-- Replies not yet handed out (GET /v1/sms/receive/list); consumes them.
CREATE FUNCTION sms_api.sms_mo_list(sub_account text DEFAULT NULL)
RETURNS SETOF sms_api.mo
AS 'MODULE_PATHNAME', 'sms_mo_list'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_mo_list(text) IS
  'Replies (MO) not handed out before (the API forgets them once returned); merged into mo_message. Best left to the worker';

-- Send on commit: validate now, queue in the caller's transaction.
CREATE FUNCTION sms_api.sms_queue(
    destination    text,
    message_text   text,
    correlation_id text        DEFAULT NULL,
    extra_info     text        DEFAULT NULL,
    flash          boolean     DEFAULT NULL,
    scheduled_at   timestamptz DEFAULT NULL,
    expires_at     timestamptz DEFAULT NULL,
    campaign_alias text        DEFAULT NULL,
    sub_account    text        DEFAULT NULL,
    options        jsonb       DEFAULT NULL
) RETURNS bigint
AS 'MODULE_PATHNAME', 'sms_queue'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_queue(text, text, text, text, boolean, timestamptz, timestamptz, text, text, jsonb) IS
  'Queue one SMS in sms_api.outbox; the worker sends it once the transaction commits. Returns the outbox id';

-- Row trigger: queue an SMS to a column's number with a {column} template.
CREATE FUNCTION sms_api.sms_alert_trigger()
RETURNS trigger
AS 'MODULE_PATHNAME', 'sms_alert_trigger'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_alert_trigger() IS
  'FOR EACH ROW trigger: (destination column, template with {column} placeholders) queues an SMS through sms_queue';

-- Delete sent and failed outbox rows older than this (sent_at, else created_at).
CREATE FUNCTION sms_api.prune(older_than interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sms_prune'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.prune(interval) IS
  'Delete sent and failed outbox rows sent (failed: queued) longer ago than older_than (default sms_api.outbox_retention); returns rows deleted';

-- Webhook bodies: sent callbacks, delivery reports, MOs, or arrays of them.
-- One unnamed parameter, so PostgREST can pass a raw request body.
CREATE FUNCTION sms_api.ingest(jsonb)
RETURNS int
AS 'MODULE_PATHNAME', 'sms_ingest'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.ingest(jsonb) IS
  'Merge a webhook body (sent-status callback, delivery report, MO, or an array of them) into the tables; returns rows merged';

-- Nudge the worker: poll (and drain the outbox) now.
CREATE FUNCTION sms_api.wake()
RETURNS void
AS 'MODULE_PATHNAME', 'sms_wake'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION sms_api.wake() IS 'Ask the worker to do its work now instead of at its next interval';

-- The worker's live state, read by the worker_status view.
CREATE FUNCTION sms_api.worker_status_row(
    OUT pid int, OUT state text, OUT started_at timestamptz,
    OUT last_poll_at timestamptz, OUT last_drain_at timestamptz,
    OUT requests bigint, OUT messages_sent bigint, OUT statuses_merged bigint,
    OUT mos_merged bigint, OUT retries bigint, OUT rate_limited bigint,
    OUT last_error text, OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sms_worker_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION sms_api.worker_status_row() IS 'The row behind sms_api.worker_status';

-- Views ----------------------------------------------------------------------

-- The worker: one row while it runs, none otherwise.
CREATE VIEW sms_api.worker_status AS SELECT * FROM sms_api.worker_status_row();
COMMENT ON VIEW sms_api.worker_status IS
  'The background worker''s state and counters since server start; empty when no worker runs';

-- One row per outbox row, with what the carrier said about it.
CREATE VIEW sms_api.delivery AS
SELECT o.id             AS outbox_id,
       o.message_id,
       o.destination,
       o.correlation_id,
       o.state,
       o.created_at     AS queued_at,
       o.sent_at        AS handed_at,
       s.sent_status,
       s.sent_at,
       s.delivered_status,
       s.delivered_at,
       CASE
         WHEN o.state = 'failed' THEN true
         WHEN dc.code IS NOT NULL THEN dc.final
         WHEN sc.code IS NOT NULL THEN sc.final OR s.sent_at < now() - interval '3 days'
         ELSE false
       END              AS final,
       CASE
         WHEN o.state = 'failed' THEN false
         WHEN dc.code IS NOT NULL THEN dc.success
         WHEN sc.code IS NOT NULL THEN sc.success
       END              AS success
  FROM sms_api.outbox o
  LEFT JOIN sms_api.message_status s ON s.id = o.message_id
  LEFT JOIN sms_api.status_code sc ON sc.code = s.sent_status_code
  LEFT JOIN sms_api.status_code dc ON dc.code = s.delivered_status_code;
COMMENT ON VIEW sms_api.delivery IS
  'Each queued message and its fate: final = nothing more will happen (a SENT_SUCCESS without delivery report counts as final after 3 days), success = handed over or delivered';

-- Grants ---------------------------------------------------------------------

-- Nothing is executable or readable by PUBLIC; README shows the GRANTs.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sms_api FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA sms_api FROM PUBLIC;
-- (views included: ALL TABLES covers them)
