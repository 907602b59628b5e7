-- outbox: sms_queue() validates at enqueue time and sends nothing unless
-- the transaction commits; the worker, woken at commit, packs rows into
-- bulk requests, retries with backoff, splits a rejected batch to find the
-- bad message, pauses on 401; triggers queue alerts; delivery joins it all.
\! test/simctl reset
\! test/simctl config query_rate=0
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf();
CREATE FUNCTION outbox_settled() RETURNS boolean LANGUAGE sql AS
  $$SELECT NOT EXISTS (SELECT FROM sms_api.outbox WHERE state IN ('queued', 'sending'))$$;

-- validation happens in the caller's statement
SELECT sms_api.sms_queue(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('123', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5511900000001', repeat('x', 1281));
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5511900000001', 'x', options => '{"bogus": 1}');
\echo :LAST_ERROR_SQLSTATE

-- a rolled-back transaction sends nothing
BEGIN;
SELECT sms_api.sms_queue('5511900000001', 'never') > 0 AS queued;
ROLLBACK;
SELECT pg_sleep(0.5);
SELECT count(*) AS outbox_rows FROM sms_api.outbox;
\! test/simctl requests --count

-- rows are in the outbox once the queuing statement finishes; a rolled-back
-- savepoint or exception block takes its rows along
BEGIN;
SELECT sms_api.sms_queue('5511900000021', 'kept', 'sp-1') AS kept_id \gset
SAVEPOINT s;
SELECT sms_api.sms_queue('5511900000022', 'dropped', 'sp-2') > 0 AS queued;
ROLLBACK TO SAVEPOINT s;
SELECT id = :kept_id AS same_id, correlation_id, state FROM sms_api.outbox WHERE correlation_id LIKE 'sp-%';
COMMIT;
DO $$ BEGIN
  PERFORM sms_api.sms_queue('5511900000023', 'kept', 'ex-1');
  BEGIN
    PERFORM sms_api.sms_queue('5511900000024', 'dropped', 'ex-2');
    RAISE EXCEPTION 'undo';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
END $$;
SELECT wait_until('SELECT outbox_settled()');
SELECT correlation_id, state FROM sms_api.outbox WHERE correlation_id ~ '^(sp|ex)-' ORDER BY 1;
\! test/simctl reset
DELETE FROM sms_api.outbox;

-- committed: sent by the worker, rows sharing root-level fields in one request
BEGIN;
SELECT sms_api.sms_queue('+5511900000001', 'one', 'q-1') AS first_id \gset
SELECT sms_api.sms_queue('5511900000002', 'two', 'q-2', extra_info => 'x', flash => true) > 0;
SELECT sms_api.sms_queue('5511900000003', 'three', 'q-3', campaign_alias => 'promo',
                         options => '{"timeZone": "America/Sao_Paulo", "expiresInMinutes": 30}') > 0;
COMMIT;
SELECT wait_until('SELECT outbox_settled()');
SELECT id - :first_id AS n, destination, correlation_id, state, attempts, message_id IS NOT NULL AS has_id,
       batch_id IS NOT NULL AS has_batch, sent_at IS NOT NULL AS has_sent_at, last_error
  FROM sms_api.outbox ORDER BY id;
\! test/simctl requests --path /v1/send-bulk-sms --fields body | sort
-- every accepted id is in message_status
SELECT count(*) AS known FROM sms_api.outbox o JOIN sms_api.message_status s ON s.id = o.message_id;

-- a 503: retried after about a second, then sent
\! test/simctl reset
\! test/simctl fault status --status 503 --path /v1/send-bulk-sms --body '{"errorCode": 503, "errorMessage": "Service Unavailable"}'
SELECT sms_api.sms_queue('5511900000004', 'retry me', 'q-4') AS retry_id \gset
SELECT wait_until(format('SELECT attempts = 1 AND state = ''queued'' FROM sms_api.outbox WHERE id = %s', :retry_id));
SELECT state, attempts, last_error, next_attempt_at - now() BETWEEN interval '0.2 s' AND interval '1.3 s' AS backoff_about_1s
  FROM sms_api.outbox WHERE id = :retry_id;
SELECT wait_until(format('SELECT state = ''sent'' FROM sms_api.outbox WHERE id = %s', :retry_id));
SELECT state, attempts, last_error, next_attempt_at IS NULL AS no_next_attempt
  FROM sms_api.outbox WHERE id = :retry_id;

-- after queue_max_attempts the row is failed
ALTER SYSTEM SET sms_api.queue_max_attempts = 2;
SELECT pg_reload_conf();
\! test/simctl fault status --status 503 --count 5 --path /v1/send-bulk-sms
SELECT sms_api.sms_queue('5511900000005', 'give up', 'q-5') AS giveup_id \gset
SELECT wait_until(format('SELECT state = ''failed'' FROM sms_api.outbox WHERE id = %s', :giveup_id));
SELECT state, attempts, last_error, next_attempt_at IS NULL AS no_next_attempt
  FROM sms_api.outbox WHERE id = :giveup_id;
ALTER SYSTEM RESET sms_api.queue_max_attempts;
SELECT pg_reload_conf();

-- a permanent failure (the API rejects the message) fails at once
\! test/simctl reset
SELECT sms_api.sms_queue('5511900001400', 'rejected', 'q-6') AS rejected_id \gset
SELECT wait_until(format('SELECT state = ''failed'' FROM sms_api.outbox WHERE id = %s', :rejected_id));
SELECT state, attempts, last_error, next_attempt_at IS NULL AS no_next_attempt
  FROM sms_api.outbox WHERE id = :rejected_id;

-- one bad message among ten: the batch is split until it is alone; the
-- nine others are sent
\! test/simctl reset
SELECT count(sms_api.sms_queue(d, 'ten', 'ten-' || g))
  FROM (SELECT g, CASE WHEN g = 7 THEN '5511900001400' ELSE '5561' || lpad(g::text, 6, '0') || '000' END AS d
          FROM generate_series(1, 10) g) s;
SELECT wait_until('SELECT outbox_settled()');
SELECT state, count(*), max(attempts) AS attempts, min(last_error) AS error
  FROM sms_api.outbox WHERE correlation_id LIKE 'ten-%' GROUP BY state ORDER BY state;
\! test/simctl messages --count
\! test/simctl requests --path /v1/send-bulk-sms --fields status | sort | uniq -c | sed 's/^ *//'

-- 401: the account is wrong, not the message: draining pauses without
-- spending attempts, worker_status says why, and new settings resume it
\! test/simctl reset
ALTER SYSTEM SET sms_api.username = 'nobody';
SELECT pg_reload_conf();
-- (a reload reaches the worker a moment later)
SELECT pg_sleep(0.5);
SELECT sms_api.sms_queue('5511900000008', 'paused', 'q-8') AS paused_id \gset
SELECT wait_until($$SELECT state LIKE 'paused%' FROM sms_api.worker_status$$);
SELECT state, last_error FROM sms_api.worker_status;
SELECT pg_sleep(0.5);
SELECT state, attempts, last_error LIKE '28000%' AS auth_error FROM sms_api.outbox WHERE id = :paused_id;
\! test/simctl requests --path /v1/send-bulk-sms --count
ALTER SYSTEM RESET sms_api.username;
SELECT pg_reload_conf();
SELECT wait_until(format('SELECT state = ''sent'' FROM sms_api.outbox WHERE id = %s', :paused_id));
SELECT state, attempts FROM sms_api.outbox WHERE id = :paused_id;

-- 10,000 rows from one INSERT ... SELECT go out in at most 10 bulk requests
\! test/simctl reset
CREATE TABLE customers AS
  SELECT g AS id, '5571' || lpad(g::text, 6, '0') || '000' AS phone FROM generate_series(1, 10000) g;
SELECT count(sms_api.sms_queue(phone, 'Your order shipped', 'bulk-' || id)) FROM customers;
SELECT wait_until('SELECT outbox_settled()', 60);
SELECT state, count(*) FROM sms_api.outbox WHERE correlation_id LIKE 'bulk-%' GROUP BY state;
\! test/simctl requests --path /v1/send-bulk-sms --count | awk '{ print ($1 <= 10) ? "at most 10 requests" : $1 " requests" }'
SELECT messages_sent >= 10000 AS counted, last_drain_at IS NOT NULL AS drained FROM sms_api.worker_status;
-- the worker reports its table statistics (autovacuum goes by them), and
-- its claims ('sending') are HOT updates: no index mentions state
SELECT wait_until($$SELECT n_tup_upd >= 20000 AND n_tup_hot_upd >= 9000 FROM pg_stat_user_tables
                    WHERE relid = 'sms_api.outbox'::regclass$$) AS stats_reported_claims_hot;

-- the trigger: {column} from NEW (OLD on DELETE), NULL as empty, {{ }} literal
\! test/simctl reset
CREATE TABLE stock (sku text, qty int, note text, manager_phone text);
INSERT INTO stock VALUES ('A-1', 10, NULL, '5511900000009'),
                         ('B-{2}', 10, E'it''s "quoted" {sku}', '+5511900000009');
CREATE TRIGGER low_stock AFTER UPDATE ON stock FOR EACH ROW WHEN (NEW.qty < 5)
  EXECUTE FUNCTION sms_api.sms_alert_trigger('manager_phone', 'Stock of {sku} is {qty} {{note: {note}}}');
UPDATE stock SET qty = 3;
SELECT destination, message_text FROM sms_api.outbox WHERE message_text LIKE 'Stock of%' ORDER BY id;
CREATE TRIGGER gone AFTER DELETE ON stock FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('manager_phone', 'Removed {sku}');
DELETE FROM stock WHERE sku = 'A-1';
SELECT message_text FROM sms_api.outbox WHERE message_text LIKE 'Removed%';
-- a BEFORE trigger hands the row back unchanged
CREATE TRIGGER before_insert BEFORE INSERT ON stock FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('manager_phone', 'New {sku}');
INSERT INTO stock VALUES ('C-3', 1, NULL, '5511900000009') RETURNING *;
-- errors name what is wrong, and fail the statement
CREATE TRIGGER bad_column AFTER UPDATE ON stock FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('manager_phone', 'Stock of {nope}');
UPDATE stock SET qty = 2 WHERE sku = 'C-3';
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER bad_column ON stock;
CREATE TRIGGER bad_brace AFTER UPDATE ON stock FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('manager_phone', 'Stock of {sku');
UPDATE stock SET qty = 2 WHERE sku = 'C-3';
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER bad_brace ON stock;
CREATE TRIGGER bad_dest AFTER UPDATE ON stock FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('phone', 'x');
UPDATE stock SET qty = 2 WHERE sku = 'C-3';
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER bad_dest ON stock;
-- a long note makes the text too long: the update fails, nothing is queued
UPDATE stock SET note = repeat('n', 1300), qty = 1 WHERE sku = 'C-3';
\echo :LAST_ERROR_SQLSTATE
-- a huge one is refused the same way, reading only what the limit needs:
-- a few blocks of its TOAST, not the 10 MB (1253 blocks)
ALTER TABLE stock ALTER COLUMN note SET STORAGE EXTERNAL;
UPDATE stock SET note = repeat('n', 10000000), qty = 10 WHERE sku = 'C-3';
DO $$
DECLARE
  toast oid := (SELECT reltoastrelid FROM pg_class WHERE oid = 'stock'::regclass);
  before bigint := pg_stat_get_xact_blocks_fetched(toast);
BEGIN
  UPDATE stock SET qty = 1 WHERE sku = 'C-3';
  RAISE NOTICE 'not refused';
EXCEPTION WHEN string_data_right_truncation THEN
  RAISE NOTICE 'refused (22001), fewer than 10 TOAST blocks read: %',
    pg_stat_get_xact_blocks_fetched(toast) - before < 10;
END $$;
UPDATE stock SET note = 'n' WHERE sku = 'C-3';
SELECT count(*) AS queued_long FROM sms_api.outbox WHERE length(message_text) > 1280;
-- a value of another type too large to render is refused unread
CREATE TABLE big_doc (doc jsonb, phone text);
CREATE TRIGGER doc_alert AFTER INSERT ON big_doc FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('phone', 'Doc {doc}');
INSERT INTO big_doc SELECT jsonb_build_object('k', repeat('v', 2000000)), '5511900000001';
\echo :LAST_ERROR_SQLSTATE
DROP TABLE big_doc;
-- a NULL destination fails the statement (22004)
UPDATE stock SET manager_phone = NULL, qty = 0 WHERE sku = 'C-3';
\echo :LAST_ERROR_SQLSTATE
DROP TABLE stock;

-- the delivery view: each outbox row with the carrier's word on it
SELECT wait_until('SELECT outbox_settled()');
\! test/simctl reset
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 100;
SELECT pg_reload_conf();
SELECT count(sms_api.sms_queue(d, 'view', c)) FROM (VALUES
  ('5511900000010', 'v-delivered'), ('5511900001104', 'v-not-delivered'),
  ('5511900001202', 'v-invalid'), ('5511900001999', 'v-oi-no-dlr'), ('5511900001400', 'v-rejected')) AS v(d, c);
SELECT wait_until($$SELECT count(*) = 4 FROM sms_api.delivery WHERE correlation_id LIKE 'v-%' AND sent_status IS NOT NULL$$);
SELECT wait_until($$SELECT count(*) = 2 FROM sms_api.delivery WHERE correlation_id LIKE 'v-%' AND delivered_status IS NOT NULL$$);
SELECT correlation_id, state, queued_at IS NOT NULL AS queued, handed_at IS NOT NULL AS handed,
       message_id IS NOT NULL AS has_id, sent_status, sent_at IS NOT NULL AS has_sent_at,
       delivered_status, final, success
  FROM sms_api.delivery WHERE correlation_id LIKE 'v-%' ORDER BY correlation_id;
ALTER SYSTEM RESET sms_api.status_poll_interval_ms;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);

-- retention: prune() deletes rows sent (failed ones: queued) longer ago
-- than the interval, never a row still to send
UPDATE sms_api.outbox SET created_at = now() - interval '3 hours', sent_at = now() - interval '2 hours'
 WHERE id = :retry_id;
UPDATE sms_api.outbox SET created_at = now() - interval '2 hours' WHERE id = :giveup_id;
BEGIN;
-- queued long ago but sent just now: kept
UPDATE sms_api.outbox SET created_at = now() - interval '3 hours' WHERE correlation_id = 'ten-1';
-- a failed row given another attempt by hand: kept
UPDATE sms_api.outbox SET created_at = now() - interval '2 hours', state = 'queued',
       next_attempt_at = now() + interval '1 day' WHERE id = :rejected_id;
SELECT sms_api.prune('1 hour') AS pruned_two;
SELECT correlation_id, state FROM sms_api.outbox WHERE created_at < now() - interval '1 hour' ORDER BY 1;
ROLLBACK;
SELECT sms_api.prune() AS pruned_at_default;
SELECT sms_api.prune('0 seconds') > 10000 AS pruned_all;
SELECT count(*) AS left_after_prune FROM sms_api.outbox;
SET sms_api.outbox_retention = '7 days';
\echo :LAST_ERROR_SQLSTATE
ALTER SYSTEM SET sms_api.outbox_retention = 'soon';
\echo :LAST_ERROR_SQLSTATE

-- another database: the worker does not serve it (55000)
CREATE DATABASE sms_other;
\c sms_other
CREATE EXTENSION sms_api;
SELECT sms_api.sms_queue('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\c regression
DROP DATABASE sms_other;

DROP TABLE customers;
DROP FUNCTION outbox_settled();
ALTER SYSTEM RESET sms_api.query_rate_limit;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
