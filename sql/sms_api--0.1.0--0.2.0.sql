-- sms_api 0.1.0 -> 0.2.0. Also the last part of a fresh 0.2.0 install
-- (see sql/schema.sql), so every statement here works in both.

\echo Use "ALTER EXTENSION sms_api UPDATE" to load this file. \quit

-- Nothing below may resolve a name through schema sms_api, which is on the
-- script's search_path during an update and may hold what this checks for.
SET search_path = pg_catalog, pg_temp;

-- The schema ------------------------------------------------------------------

-- 0.1.0 let PostgreSQL create schema sms_api for it, or adopt one that
-- already existed: a role with CREATE on the database could have made the
-- schema and put functions in it that the extension's statements would
-- then run. Refuse to go on if the schema holds anything that is not the
-- extension's, belongs to a role that is not a superuser, or lets another
-- role create in it; then make the schema a member of the extension, as a
-- fresh 0.2.0 install has it.
DO $$
DECLARE
  nsp oid := pg_catalog.to_regnamespace('sms_api');
  ext oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'sms_api');
  foreign_object text;
BEGIN
  SELECT pg_catalog.string_agg(o.what, ', ') INTO foreign_object
    FROM (SELECT 'function ' || p.oid::pg_catalog.regprocedure::text AS what,
                 'pg_catalog.pg_proc'::pg_catalog.regclass AS cls, p.oid
            FROM pg_catalog.pg_proc p WHERE p.pronamespace = nsp
          UNION ALL
          SELECT 'operator ' || o.oid::pg_catalog.regoperator::text,
                 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid
            FROM pg_catalog.pg_operator o WHERE o.oprnamespace = nsp
          UNION ALL
          SELECT 'relation ' || c.oid::pg_catalog.regclass::text,
                 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid
            FROM pg_catalog.pg_class c
           WHERE c.relnamespace = nsp AND c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S')
          UNION ALL
          SELECT 'type ' || t.oid::pg_catalog.regtype::text,
                 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid
            FROM pg_catalog.pg_type t
           WHERE t.typnamespace = nsp AND t.typelem = 0::pg_catalog.oid
             -- base types, domains, enums, ranges, and composite types of their own
             AND (t.typrelid = 0::pg_catalog.oid
                  OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')) AS o
   WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.classid = o.cls::pg_catalog.oid AND d.objid = o.oid
                        AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                        AND d.refobjid = ext AND d.deptype = 'e');
  IF foreign_object IS NOT NULL THEN
    RAISE EXCEPTION 'schema sms_api holds objects that are not part of the extension: %', foreign_object
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Someone created them in the extension''s schema; they would run with the extension''s rights. Move or drop them, then update again.';
  END IF;
  IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_namespace n
            JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner WHERE n.oid = nsp) THEN
    RAISE EXCEPTION 'schema sms_api is owned by a role that is not a superuser'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'That role could create objects the extension would run. Check the schema, then ALTER SCHEMA sms_api OWNER TO a superuser and update again.';
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
              WHERE n.oid = nsp AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner) THEN
    RAISE EXCEPTION 'schema sms_api lets roles other than its owner create objects in it'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'They could create objects the extension would run. Check the schema, REVOKE CREATE ON SCHEMA sms_api FROM those roles, and update again.';
  END IF;
  IF (SELECT e.extnamespace FROM pg_catalog.pg_extension e WHERE e.oid = ext) = nsp THEN
    -- the extension was listed in its own schema; 0.2.0 lists it in
    -- pg_catalog (sms_api.control) and owns the schema instead
    UPDATE pg_catalog.pg_extension SET extnamespace = 'pg_catalog'::pg_catalog.regnamespace
     WHERE oid = ext;
    DELETE FROM pg_catalog.pg_depend
     WHERE classid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND objid = ext
       AND refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND refobjid = nsp;
    EXECUTE 'ALTER EXTENSION sms_api ADD SCHEMA sms_api';
    COMMENT ON SCHEMA sms_api IS 'sms_api: send, track and receive SMS';
  END IF;
END $$;

-- Backups ---------------------------------------------------------------------

-- pg_dump leaves an extension's tables out unless they are marked: these
-- hold the queue, the delivery history and the replies. status_code is
-- reference data the script itself fills, so it is not dumped.
SELECT pg_catalog.pg_extension_config_dump('sms_api.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('sms_api.outbox_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sms_api.message_status', '');
SELECT pg_catalog.pg_extension_config_dump('sms_api.mo_message', '');

-- Providers -------------------------------------------------------------------

-- Each outbox row goes through one provider; provider_ref is that provider's
-- own id for the message (Sinch's id as text, Reach's message_id).
-- dedupe_key is for idempotent queueing (see Idempotency). A row inserted
-- without a provider goes through Sinch, as every row did in 0.1.0.
ALTER TABLE sms_api.outbox
    ADD COLUMN provider text NOT NULL DEFAULT 'sinch',
    ADD COLUMN provider_ref text,
    ADD COLUMN dedupe_key text;
UPDATE sms_api.outbox SET provider_ref = message_id::text WHERE message_id IS NOT NULL;
-- the drain claims each provider's due rows on its own
DROP INDEX sms_api.outbox_due;
CREATE INDEX outbox_due ON sms_api.outbox (provider, next_attempt_at, id)
    WHERE next_attempt_at IS NOT NULL;

-- sms_queue gains provider and dedupe_key. A new signature is a new
-- function: the grants on the old one are carried over.
DO $$
DECLARE
  old_fn oid := 'sms_api.sms_queue(text, text, text, text, boolean, timestamptz, timestamptz, text, text, jsonb)'::pg_catalog.regprocedure;
  grants text[];
  g text;
BEGIN
  SELECT pg_catalog.array_agg(pg_catalog.format('GRANT EXECUTE ON FUNCTION sms_api.sms_queue(text, text, text, text, boolean, timestamptz, timestamptz, text, text, jsonb, text, text) TO %s%s',
                                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END,
                                CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END))
    INTO grants
    FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
   WHERE p.oid = old_fn AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner;
  EXECUTE 'DROP FUNCTION sms_api.sms_queue(text, text, text, text, boolean, timestamptz, timestamptz, text, text, jsonb)';
  EXECUTE $f$
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
    options        jsonb       DEFAULT NULL,
    provider       text        DEFAULT NULL,
    dedupe_key     text        DEFAULT NULL
) RETURNS bigint
AS 'MODULE_PATHNAME', 'sms_queue'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp
$f$;
  EXECUTE 'REVOKE ALL ON FUNCTION sms_api.sms_queue(text, text, text, text, boolean, timestamptz, timestamptz, text, text, jsonb, text, text) FROM PUBLIC';
  IF grants IS NOT NULL THEN
    FOREACH g IN ARRAY grants LOOP
      EXECUTE g;
    END LOOP;
  END IF;
END $$;
COMMENT ON FUNCTION sms_api.sms_queue(text, text, text, text, boolean, timestamptz, timestamptz, text, text, jsonb, text, text) IS
  'Queue one SMS in sms_api.outbox (through provider, default sinch); the worker sends it once the transaction commits. Returns the outbox id';
COMMENT ON FUNCTION sms_api.sms_alert_trigger() IS
  'FOR EACH ROW trigger: (destination column, template with {column} placeholders[, provider]) queues an SMS through sms_queue';

-- Reach -----------------------------------------------------------------------

-- Every Reach Message object received (answers and listings), by message_id.
CREATE TABLE sms_api.reach_message (
    message_id       text PRIMARY KEY,
    id               text,
    short_code       text,
    country          text,
    msisdn           text,
    direction        text,
    status           text,
    message          text,
    total_recipients int,
    sent_from        text,
    sent_count       int,
    error_count      int,
    total_monitors   int,
    is_scheduled     boolean,
    is_billable      boolean,
    created_on       timestamptz,
    created_by       text,
    type             int,
    updated_at       timestamptz
);
CREATE INDEX reach_message_created_on ON sms_api.reach_message (created_on);
COMMENT ON TABLE sms_api.reach_message IS
  'Reach messages (MT and MO) as the API last reported them; updated_at is when the row was last merged';
REVOKE ALL ON sms_api.reach_message FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('sms_api.reach_message', '');

CREATE FUNCTION sms_api.reach_send(msisdn text, message text, id text DEFAULT NULL)
RETURNS sms_api.reach_message
AS 'MODULE_PATHNAME', 'reach_send'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.reach_send(text, text, text) IS
  'Send one SMS through Reach (POST /messages/send_to_contact); the answer is merged into reach_message and returned';

CREATE FUNCTION sms_api.reach_send_to_tags(tags text[], message text, id text DEFAULT NULL)
RETURNS sms_api.reach_message
AS 'MODULE_PATHNAME', 'reach_send_to_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.reach_send_to_tags(text[], text, text) IS
  'Send one SMS to the contacts of Reach tags (POST /messages/send); returned, and stored once it has a message_id';

CREATE FUNCTION sms_api.reach_messages(start_at timestamptz, end_at timestamptz,
                                       direction text DEFAULT 'ALL', msisdn text DEFAULT NULL,
                                       tag text DEFAULT NULL)
RETURNS SETOF sms_api.reach_message
AS 'MODULE_PATHNAME', 'reach_messages'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.reach_messages(timestamptz, timestamptz, text, text, text) IS
  'Reach messages created in [start_at, end_at] (GET /messages, every page, in order), merged into reach_message';
REVOKE ALL ON FUNCTION sms_api.reach_send(text, text, text),
                       sms_api.reach_send_to_tags(text[], text, text),
                       sms_api.reach_messages(timestamptz, timestamptz, text, text, text) FROM PUBLIC;

-- Directcall (Brazil): voice calls and SMS to many numbers in one request.
CREATE TYPE sms_api.directcall_result AS (
    status    text,
    code      text,
    message   text,
    caller_id text
);

CREATE FUNCTION sms_api.directcall_send(
    destinations    text[],
    message_text    text        DEFAULT NULL,
    audio           bytea       DEFAULT NULL,
    audio_id        text        DEFAULT NULL,
    kind            text        DEFAULT 'voz',
    origin          text        DEFAULT NULL,
    scheduled_at    timestamptz DEFAULT NULL,
    send_from_hour  int         DEFAULT NULL,
    send_until_hour int         DEFAULT NULL)
RETURNS sms_api.directcall_result
AS 'MODULE_PATHNAME', 'directcall_send'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.directcall_send(text[], text, bytea, text, text, text, timestamptz, int, int) IS
  'A Directcall voice call (text-to-speech, an MP3 or a registered audio) or SMS to many numbers (POST /sms/send, multipart)';
REVOKE ALL ON FUNCTION sms_api.directcall_send(text[], text, bytea, text, text, text, timestamptz, int, int) FROM PUBLIC;

-- The delivery view, for every provider: Reach rows show their Reach status
-- (SENT: handed to the operator, final; ERROR: final, failed). Directcall
-- reports no delivery: a sent row is final, its success unknown (NULL).
CREATE OR REPLACE VIEW sms_api.delivery AS
SELECT o.id             AS outbox_id,
       o.message_id,
       o.destination,
       o.correlation_id,
       o.state,
       o.created_at     AS queued_at,
       o.sent_at        AS handed_at,
       CASE WHEN o.provider = 'reach' THEN r.status ELSE s.sent_status END AS sent_status,
       CASE WHEN o.provider = 'reach' THEN r.created_on ELSE s.sent_at END AS sent_at,
       s.delivered_status,
       s.delivered_at,
       CASE
         WHEN o.state = 'failed' THEN true
         WHEN o.provider = 'reach' THEN coalesce(r.status IN ('SENT', 'ERROR'), false)
         WHEN o.provider = 'directcall' THEN o.state = 'sent'
         WHEN dc.code IS NOT NULL THEN dc.final
         WHEN sc.code IS NOT NULL THEN sc.final OR s.sent_at < pg_catalog.now() - interval '3 days'
         ELSE false
       END              AS final,
       CASE
         WHEN o.state = 'failed' THEN false
         WHEN o.provider = 'reach' THEN CASE r.status WHEN 'SENT' THEN true WHEN 'ERROR' THEN false END
         WHEN o.provider = 'directcall' THEN NULL
         WHEN dc.code IS NOT NULL THEN dc.success
         WHEN sc.code IS NOT NULL THEN sc.success
       END              AS success,
       o.provider
  FROM sms_api.outbox o
  LEFT JOIN sms_api.message_status s ON o.provider = 'sinch' AND s.id = o.message_id
  LEFT JOIN sms_api.status_code sc ON sc.code = s.sent_status_code
  LEFT JOIN sms_api.status_code dc ON dc.code = s.delivered_status_code
  LEFT JOIN sms_api.reach_message r ON o.provider = 'reach' AND r.message_id = o.provider_ref;

-- Routing and failover ------------------------------------------------------

-- A row queued without a provider takes the first provider of the longest
-- prefix its destination starts with ('' matches every number), resolved
-- at enqueue into outbox.route_prefix; the drain moves it along that
-- route's list when its provider is unavailable.
CREATE TABLE sms_api.route (
    prefix    text PRIMARY KEY CHECK (prefix ~ '^[0-9]{0,15}$'),
    providers text[] NOT NULL,
    note      text
);
COMMENT ON TABLE sms_api.route IS
  'Which providers, in order of preference, send to destinations starting with prefix (longest prefix wins)';
REVOKE ALL ON sms_api.route FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('sms_api.route', '');
CREATE FUNCTION sms_api.route_check() RETURNS trigger
AS 'MODULE_PATHNAME', 'sms_route_check'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION sms_api.route_check() IS
  'sms_api.route''s triggers: each provider known and configured; every backend re-reads the table after a change';
REVOKE ALL ON FUNCTION sms_api.route_check() FROM PUBLIC;
CREATE TRIGGER route_check BEFORE INSERT OR UPDATE ON sms_api.route
  FOR EACH ROW EXECUTE FUNCTION sms_api.route_check();
CREATE TRIGGER route_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sms_api.route
  FOR EACH STATEMENT EXECUTE FUNCTION sms_api.route_check();

ALTER TABLE sms_api.outbox ADD COLUMN route_prefix text;
COMMENT ON COLUMN sms_api.outbox.route_prefix IS
  'The sms_api.route prefix the row was routed by when queued without a provider (NULL: queued with one, or by sms_api.default_provider: never moved)';

-- Each provider as the worker sees it, with its share of the outbox.
CREATE FUNCTION sms_api.provider_status_row(
    OUT provider text, OUT configured boolean, OUT state text,
    OUT requests bigint, OUT messages_sent bigint, OUT failed bigint, OUT moved_away bigint,
    OUT last_error text, OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sms_provider_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION sms_api.provider_status_row() IS 'The rows behind sms_api.provider_status';
REVOKE ALL ON FUNCTION sms_api.provider_status_row() FROM PUBLIC;
CREATE VIEW sms_api.provider_status AS
SELECT p.provider, p.configured, p.state,
       q.queued, q.backing_off_until,
       p.requests, p.messages_sent, p.failed, p.moved_away, p.last_error, p.last_error_at
  FROM sms_api.provider_status_row() p
  LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*) AS queued,
           pg_catalog.min(o.next_attempt_at) FILTER (WHERE o.attempts > 0 AND o.next_attempt_at > pg_catalog.now())
             AS backing_off_until
      FROM sms_api.outbox o
     WHERE o.provider = p.provider AND o.state = 'queued' AND o.next_attempt_at IS NOT NULL) q ON true;
COMMENT ON VIEW sms_api.provider_status IS
  'Per provider: configured in this session, ok or paused (and why), rows queued, backing off until when; the worker''s requests, messages sent, failed and moved away since server start';
REVOKE ALL ON sms_api.provider_status FROM PUBLIC;

-- Segments --------------------------------------------------------------------

-- How a text would travel as SMS, by 3GPP TS 23.038: its encoding, code
-- points, units in that encoding and the parts it needs.
CREATE TYPE sms_api.segments AS (encoding text, characters int, units int, segments int);
COMMENT ON TYPE sms_api.segments IS
  'What sms_segments says of a text: GSM-7 or UCS-2, code points, units in that encoding, SMS parts';
CREATE FUNCTION sms_api.sms_segments(message_text text) RETURNS sms_api.segments
AS 'MODULE_PATHNAME', 'sms_segments'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sms_api.sms_segments(text) IS
  'Encoding (GSM-7 or UCS-2, by 3GPP TS 23.038), characters, units and SMS segments of a message text; no I/O';
REVOKE ALL ON FUNCTION sms_api.sms_segments(text) FROM PUBLIC;

-- Idempotency -----------------------------------------------------------------

-- One outbox row per dedupe_key, whatever its state, until it is pruned:
-- sms_queue returns that row's id instead of queueing again, and a session
-- racing another on a key waits on this index for the other's outcome.
CREATE UNIQUE INDEX outbox_dedupe_key ON sms_api.outbox (dedupe_key)
    WHERE dedupe_key IS NOT NULL;
COMMENT ON COLUMN sms_api.outbox.dedupe_key IS
  'The key sms_queue was given (at most 200 characters): queueing it again returns this row''s id until the row is pruned';
-- Opt-out ---------------------------------------------------------------------

-- Destinations that are never sent to: added by a reply whose whole text is
-- one of sms_api.opt_out_keywords (source 'reply'), removed by one of
-- sms_api.opt_in_keywords only if a reply added them, or added and removed
-- by hand (source 'manual'). A destination is stored as sends normalise
-- it: digits only, no '+'.
CREATE TABLE sms_api.opt_out (
    destination  text PRIMARY KEY CHECK (destination ~ '^[0-9]{1,15}$'),
    keyword      text,
    provider     text,
    opted_out_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    source       text NOT NULL DEFAULT 'manual' CHECK (source IN ('reply', 'manual'))
);
COMMENT ON TABLE sms_api.opt_out IS
  'Destinations never sent to (SM005 on a send, failed at no request in the outbox): by reply keyword (source reply) or by hand (manual)';
REVOKE ALL ON sms_api.opt_out FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('sms_api.opt_out', '');
-- Many databases --------------------------------------------------------------

-- sms_api.database lists up to 16 databases, a worker each: worker_status
-- gains the database a worker serves and shows every worker of the
-- cluster, whichever database it is read from. The new row type needs a
-- new function and view; the grants on the old ones are carried over.
DO $$
DECLARE
  grants text[];
  g text;
BEGIN
  SELECT pg_catalog.array_agg(pg_catalog.format('GRANT %s ON %s %s TO %s%s', a.privilege_type, o.kind, o.name,
                                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END,
                                CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END))
    INTO grants
    FROM (SELECT 'FUNCTION' AS kind, 'sms_api.worker_status_row()' AS name, p.proacl AS acl, p.proowner AS owner
            FROM pg_catalog.pg_proc p
           WHERE p.oid = 'sms_api.worker_status_row()'::pg_catalog.regprocedure
          UNION ALL
          SELECT 'TABLE', 'sms_api.worker_status', c.relacl, c.relowner
            FROM pg_catalog.pg_class c
           WHERE c.oid = 'sms_api.worker_status'::pg_catalog.regclass) o,
         pg_catalog.aclexplode(o.acl) a
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
   WHERE a.grantee <> o.owner;
  EXECUTE 'DROP VIEW sms_api.worker_status';
  EXECUTE 'DROP FUNCTION sms_api.worker_status_row()';
  EXECUTE $f$
CREATE FUNCTION sms_api.worker_status_row(
    OUT pid int, OUT database name, OUT state text, OUT started_at timestamptz,
    OUT last_poll_at timestamptz, OUT last_drain_at timestamptz,
    OUT requests bigint, OUT messages_sent bigint, OUT statuses_merged bigint,
    OUT mos_merged bigint, OUT retries bigint, OUT rate_limited bigint,
    OUT last_error text, OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sms_worker_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE
$f$;
  EXECUTE 'CREATE VIEW sms_api.worker_status AS SELECT * FROM sms_api.worker_status_row()';
  EXECUTE 'REVOKE ALL ON FUNCTION sms_api.worker_status_row() FROM PUBLIC';
  EXECUTE 'REVOKE ALL ON sms_api.worker_status FROM PUBLIC';
  IF grants IS NOT NULL THEN
    FOREACH g IN ARRAY grants LOOP
      EXECUTE g;
    END LOOP;
  END IF;
END $$;
COMMENT ON FUNCTION sms_api.worker_status_row() IS 'The rows behind sms_api.worker_status';
COMMENT ON VIEW sms_api.worker_status IS
  'Each running background worker of the cluster (one per database of sms_api.database): its database, state and counters since server start';
