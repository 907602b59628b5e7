-- reach_outbox: Reach rows in the shared outbox. sms_queue(provider =>
-- 'reach') validates by Reach's rules; nothing goes out unless the
-- transaction commits; the worker sends one request per row, merges the
-- answer into reach_message and keeps its message_id as provider_ref;
-- a paused Reach holds up only its own rows; the worker's poll brings
-- replies and status progress.
\! test/simctl reset
\! test/simctl config reach_rate=0 query_rate=0
ALTER SYSTEM SET sms_api.reach_rate_limit = 0;
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf();
DELETE FROM sms_api.outbox;
DELETE FROM sms_api.reach_message;
CREATE FUNCTION reach_settled() RETURNS boolean LANGUAGE sql AS
  $$SELECT NOT EXISTS (SELECT FROM sms_api.outbox WHERE state IN ('queued', 'sending') AND provider = 'reach')$$;

-- enqueue: Reach's rules, and what Reach cannot carry, refused at once
SELECT sms_api.sms_queue('1234567', 'x', provider => 'reach');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('50235148163', repeat('x', 154), provider => 'reach');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('50235148163', 'x', repeat('c', 41), provider => 'reach');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('50235148163', 'x', flash => true, provider => 'reach');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('50235148163', 'x', options => '{"flowId": "f"}', provider => 'reach');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('50235148163', 'x', provider => 'carrier-pigeon');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('50235148163', 'x', provider => 'reach', dedupe_key => '');
\echo :LAST_ERROR_SQLSTATE
-- an 8-digit number is fine for Reach (Sinch wants 10)
BEGIN;
SELECT sms_api.sms_queue('50212345', 'short number', provider => 'reach') > 0 AS queued;
ROLLBACK;

-- a rolled-back transaction sends nothing
BEGIN;
SELECT sms_api.sms_queue('50235148163', 'never', provider => 'reach') > 0 AS queued;
ROLLBACK;
SELECT pg_sleep(0.5);
SELECT count(*) AS outbox_rows FROM sms_api.outbox;
\! test/simctl requests --path /reach --count

-- committed: sent, one request per row (several in flight: in any order), correlation_id as id
SELECT sms_api.sms_queue('50235148163', 'reach ' || g, 'corr-' || g, provider => 'reach') > 0 AS queued
  FROM generate_series(1, 3) g;
SELECT wait_until('SELECT reach_settled()');
SELECT o.correlation_id, o.state, o.attempts, o.provider, o.message_id IS NULL AS no_uuid,
       r.message_id IS NOT NULL AS merged, r.id, r.status
  FROM sms_api.outbox o LEFT JOIN sms_api.reach_message r ON r.message_id = o.provider_ref
 WHERE o.provider = 'reach' ORDER BY o.id;
\! test/simctl requests --path /reach --fields method,path,auth,body | sort

-- the delivery view shows Reach rows with their Reach status
SELECT correlation_id, provider, state, sent_status, final, success
  FROM sms_api.delivery WHERE provider = 'reach' ORDER BY outbox_id;

-- a rejected row fails alone, at one request; the others are sent
\! test/simctl reset
\! test/simctl config reach_rate=0
SELECT sms_api.sms_queue(d, 'batch', provider => 'reach') > 0 AS queued
  FROM unnest(ARRAY['50235140001', '50235141400', '50235140002']) d;
SELECT wait_until('SELECT reach_settled()');
SELECT destination, state, attempts, last_error FROM sms_api.outbox
 WHERE message_text = 'batch' ORDER BY id;

-- 503 twice: queued again after a backoff, then sent; attempts count the requests
\! test/simctl reset
\! test/simctl config reach_rate=0
\! test/simctl fault status --path /reach --status 503 --count 2
SELECT sms_api.sms_queue('50235148163', 'after 503', provider => 'reach') > 0 AS queued;
SELECT wait_until('SELECT reach_settled()', 20);
SELECT state, attempts, last_error IS NULL AS cleared FROM sms_api.outbox WHERE message_text = 'after 503';
\! test/simctl requests --path /reach --fields status

-- a refused signature pauses Reach only: its row waits, a Sinch row goes out
\! test/simctl reset
\! test/simctl config reach_rate=0 query_rate=0
ALTER SYSTEM SET sms_api.reach_api_secret = 'not-the-secret';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT sms_api.sms_queue('50235148163', 'held', provider => 'reach') > 0 AS queued;
SELECT sms_api.sms_queue('5511900000001', 'sinch goes on') > 0 AS queued;
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'sinch goes on'$$);
SELECT wait_until($$SELECT last_error LIKE '28000%' FROM sms_api.outbox WHERE message_text = 'held'$$);
SELECT wait_until($$SELECT state LIKE 'paused%Reach%' FROM sms_api.worker_status$$);
SELECT pg_sleep(0.5);
SELECT state, attempts, last_error FROM sms_api.outbox WHERE message_text = 'held';
\! test/simctl requests --path /reach --count
-- new settings resume it
ALTER SYSTEM RESET sms_api.reach_api_secret;
SELECT pg_reload_conf();
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'held'$$);
SELECT state, attempts, last_error IS NULL AS cleared FROM sms_api.outbox WHERE message_text = 'held';

-- an unreadable secret file pauses Reach alone too, at no request
\! test/simctl reset
\! test/simctl config reach_rate=0 query_rate=0
SELECT setting AS secret_file FROM pg_settings WHERE name = 'sms_api.reach_api_secret_file' \gset
ALTER SYSTEM SET sms_api.reach_api_secret_file = '/nonexistent/reach_secret';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT sms_api.sms_queue('50235148163', 'no secret', provider => 'reach') > 0 AS queued;
SELECT sms_api.sms_queue('5511900000001', 'sinch still goes') > 0 AS queued;
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'sinch still goes'$$);
SELECT wait_until($$SELECT last_error LIKE '55000%' FROM sms_api.outbox WHERE message_text = 'no secret'$$);
SELECT state, attempts, last_error FROM sms_api.outbox WHERE message_text = 'no secret';
\! test/simctl requests --path /reach --count
ALTER SYSTEM SET sms_api.reach_api_secret_file = :'secret_file';
SELECT pg_reload_conf();
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'no secret'$$);

-- the alert trigger's third argument is the provider
CREATE TABLE reach_alerts (id serial, phone text, body text);
CREATE TRIGGER reach_alert AFTER INSERT ON reach_alerts FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('phone', 'Alerta: {body}', 'reach');
\! test/simctl reset
\! test/simctl config reach_rate=0
INSERT INTO reach_alerts (phone, body) VALUES ('50235148163', 'tanque bajo');
SELECT wait_until('SELECT reach_settled()');
SELECT provider, state, message_text FROM sms_api.outbox WHERE message_text LIKE 'Alerta:%';
\! test/simctl requests --path /reach --fields body
CREATE TRIGGER bad_alert AFTER INSERT ON reach_alerts FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('phone', 'x', 'nobody');
INSERT INTO reach_alerts (phone, body) VALUES ('50235148163', 'never');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE reach_alerts;

-- the worker's poll lists recent messages: replies and progress arrive by themselves
\! test/simctl reset
\! test/simctl config reach_rate=0 reach_sent_delay_ms=200
SELECT sms_api.sms_queue('50235148163', 'watch me', provider => 'reach') > 0 AS queued;
SELECT wait_until('SELECT reach_settled()');
\! test/simctl reach-mo --msisdn 50235148163 --text 'Sí, gracias'
ALTER SYSTEM SET sms_api.reach_poll_interval_ms = 200;
SELECT pg_reload_conf();
SELECT wait_until($$SELECT count(*) = 1 FROM sms_api.reach_message WHERE direction = 'MO' AND message = 'Sí, gracias'$$);
SELECT wait_until($$SELECT r.status = 'SENT' FROM sms_api.outbox o JOIN sms_api.reach_message r ON r.message_id = o.provider_ref WHERE o.message_text = 'watch me'$$);
SELECT sent_status, final, success FROM sms_api.delivery WHERE provider = 'reach' AND outbox_id =
  (SELECT id FROM sms_api.outbox WHERE message_text = 'watch me');
ALTER SYSTEM RESET sms_api.reach_poll_interval_ms;
ALTER SYSTEM RESET sms_api.reach_rate_limit;
ALTER SYSTEM RESET sms_api.query_rate_limit;
SELECT pg_reload_conf();
