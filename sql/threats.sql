-- threats: the claims of README's threat model that no other suite shows.
-- Who reads the personal data (texts and numbers), what each grant allows
-- over other roles' messages, where requests may go, and the known limits.
\! test/simctl reset && test/simctl config query_rate=0
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf(), pg_sleep(0.3);
DELETE FROM sms_api.outbox;

-- nothing of the schema is readable or writable by PUBLIC
SELECT c.oid::regclass AS relation, a.privilege_type
  FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
 WHERE c.relnamespace = 'sms_api'::regnamespace AND a.grantee = 0;
-- every SECURITY DEFINER function pins its search_path
SELECT p.oid::regprocedure AS unpinned
  FROM pg_proc p
 WHERE p.pronamespace = 'sms_api'::regnamespace AND p.prosecdef
   AND NOT coalesce(p.proconfig::text LIKE '%search_path=%', false);

-- a role that may send (app_sender: EXECUTE on sms_send) reads none of the
-- tables holding texts and numbers, and cannot change a row of them
SET ROLE app_sender;
SELECT try('SELECT count(*) FROM sms_api.outbox');
SELECT try('SELECT count(*) FROM sms_api.message_status');
SELECT try('SELECT count(*) FROM sms_api.mo_message');
SELECT try('SELECT count(*) FROM sms_api.reach_message');
SELECT try('SELECT count(*) FROM sms_api.delivery');
SELECT try($$UPDATE sms_api.outbox SET destination = '5511900000666'$$);
SELECT try('DELETE FROM sms_api.message_status');
SELECT try('SELECT sms_api.prune(''0 s'')');
SELECT try($$SELECT sms_api.sms_queue('5511900000001', 'not granted')$$);
RESET ROLE;

-- a role that may queue queues; another role's rows stay out of its reach
CREATE ROLE queuer NOLOGIN;
GRANT USAGE ON SCHEMA sms_api TO queuer;
GRANT EXECUTE ON FUNCTION sms_api.sms_queue(text, text, text, text, boolean, timestamptz,
  timestamptz, text, text, jsonb, text, text) TO queuer;
SELECT sms_api.sms_queue('5511900000031', 'queued by the owner', scheduled_at => now() + interval '1 day') > 0 AS queued;
SET ROLE queuer;
SELECT sms_api.sms_queue('5511900000032', 'queued by queuer', scheduled_at => now() + interval '1 day') > 0 AS queued;
SELECT try('SELECT count(*) FROM sms_api.outbox');
SELECT try($$UPDATE sms_api.outbox SET message_text = 'changed' WHERE message_text = 'queued by the owner'$$);
RESET ROLE;
SELECT message_text FROM sms_api.outbox ORDER BY id;

-- an alert trigger sends for whoever writes its table: PostgreSQL checks
-- EXECUTE on a trigger function only when the trigger is created
CREATE TABLE alarm (msg text, phone text);
CREATE TRIGGER alarm_sms AFTER INSERT ON alarm FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('phone', 'Alarm: {msg}');
GRANT INSERT ON alarm TO outsider;
SET ROLE outsider;
SELECT try($$INSERT INTO alarm VALUES ('door open', '5511900000035')$$);
RESET ROLE;
SELECT message_text FROM sms_api.outbox WHERE destination = '5511900000035';
DROP TABLE alarm;

-- SELECT on a table is every role's rows: the grant is the boundary (no row security)
CREATE ROLE analyst NOLOGIN;
GRANT USAGE ON SCHEMA sms_api TO analyst;
GRANT SELECT ON sms_api.outbox TO analyst;
SET ROLE analyst;
SELECT message_text FROM sms_api.outbox ORDER BY id;
RESET ROLE;
SELECT relname, relrowsecurity FROM pg_class
 WHERE relnamespace = 'sms_api'::regnamespace AND relname IN ('outbox', 'message_status', 'mo_message', 'reach_message')
 ORDER BY 1;

-- EXECUTE on sms_status_list() hands its caller the account's statuses,
-- other roles' numbers included
CREATE ROLE status_reader NOLOGIN;
GRANT USAGE ON SCHEMA sms_api TO status_reader;
GRANT EXECUTE ON FUNCTION sms_api.sms_status_list() TO status_reader;
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000033', 'sent by the owner');
SET ROLE status_reader;
SELECT destination FROM sms_api.sms_status_list() WHERE destination = '5511900000033';
RESET ROLE;

-- a text is a JSON string in the request, never JSON: quotes cannot add a field
\! test/simctl reset && test/simctl config query_rate=0
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000034', 'x", "destination": "5511900000666');
\! test/simctl messages --fields destination,messageText

-- only superusers choose where requests (and the credentials with them) go
SET ROLE outsider;
SELECT try($$SET sms_api.base_url = 'http://169.254.169.254'$$);
SELECT try($$SET sms_api.reach_base_url = 'http://169.254.169.254'$$);
SELECT try($$SET sms_api.directcall_base_url = 'http://169.254.169.254'$$);
SELECT try($$SET sms_api.ca_file = '/tmp/mine.pem'$$);
SELECT try($$SET sms_api.max_response_bytes = '1GB'$$);
SELECT try($$SELECT set_config('sms_api.base_url', 'http://169.254.169.254', false)$$);
RESET ROLE;
SET ROLE app_sender;
SELECT try($$ALTER ROLE app_sender SET sms_api.base_url = 'http://169.254.169.254'$$);
-- what a role may set for itself: its own call's timeouts and retries
SELECT try('SET sms_api.timeout_ms = 100');
RESET ROLE;

-- known limit: every role may LISTEN on and NOTIFY the extension's channels,
-- so a notification is a hint to read the tables, never data to trust
SET ROLE outsider;
SELECT try($$NOTIFY sms_api_status, '1000000'$$);
SELECT try('LISTEN sms_api_mo');
UNLISTEN *;
RESET ROLE;

DELETE FROM sms_api.outbox;
DROP OWNED BY queuer, analyst, status_reader;
DROP ROLE queuer, analyst, status_reader;
ALTER SYSTEM RESET sms_api.query_rate_limit;
SELECT pg_reload_conf();
\! test/simctl reset
