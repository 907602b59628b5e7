-- routing: a row queued without a provider takes the route of the longest
-- prefix of its destination, resolved at enqueue; when its provider is
-- unavailable (SM003 after its retries, or paused) it moves to the next
-- provider of the route; an unknown outcome (SM002) never moves.
\! test/simctl reset
\! test/simctl config reach_rate=0 query_rate=0
ALTER SYSTEM SET sms_api.directcall_rate_limit = 0;
ALTER SYSTEM SET sms_api.reach_rate_limit = 0;
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
ALTER SYSTEM SET sms_api.max_retries = 1;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
DELETE FROM sms_api.outbox;
CREATE FUNCTION routed_settled() RETURNS boolean LANGUAGE sql AS
  $$SELECT NOT EXISTS (SELECT FROM sms_api.outbox WHERE state IN ('queued', 'sending'))$$;

-- a route is refused when written if a provider is unknown, not configured, twice, or none
INSERT INTO sms_api.route VALUES ('55', '{sinch,carrier-pigeon}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO sms_api.route VALUES ('55', '{}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO sms_api.route VALUES ('55', '{sinch,sinch}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO sms_api.route VALUES ('55', '{sinch,NULL}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO sms_api.route VALUES ('+55', '{sinch}');
\echo :LAST_ERROR_SQLSTATE
SET sms_api.reach_base_url = '';
INSERT INTO sms_api.route VALUES ('502', '{reach}');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.reach_base_url;
-- and readable only by those it is granted to
SET ROLE outsider;
SELECT * FROM sms_api.route;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- two countries, a city within one, and a default
INSERT INTO sms_api.route VALUES
  ('55', '{sinch,directcall}', 'Brazil'),
  ('5541', '{directcall,sinch}', 'Curitiba'),
  ('502', '{reach}', 'Guatemala'),
  ('', '{sinch}', 'everything else');
BEGIN;
SELECT count(sms_api.sms_queue(d, 'routed'))
  FROM unnest(ARRAY['5511900000001', '+5541999990001', '50235148163', '14155550100']) d;
-- a provider named is kept, and has no route: it never moves
SELECT sms_api.sms_queue('5511900000001', 'named', provider => 'directcall') > 0 AS queued;
SELECT destination, message_text, provider, route_prefix FROM sms_api.outbox ORDER BY id;
ROLLBACK;
-- no prefix matches and no '' route: sms_api.default_provider
DELETE FROM sms_api.route WHERE prefix = '';
BEGIN;
SELECT sms_api.sms_queue('14155550100', 'default') > 0 AS queued;
SELECT provider, route_prefix FROM sms_api.outbox WHERE message_text = 'default';
ROLLBACK;
ALTER SYSTEM SET sms_api.default_provider = 'carrier-pigeon';
\echo :LAST_ERROR_SQLSTATE
-- a change of the table applies to the next row
UPDATE sms_api.route SET providers = '{directcall}' WHERE prefix = '55';
BEGIN;
SELECT sms_api.sms_queue('5511900000001', 'after the change') > 0 AS queued;
SELECT provider, route_prefix FROM sms_api.outbox WHERE message_text = 'after the change';
ROLLBACK;
UPDATE sms_api.route SET providers = '{sinch,directcall}' WHERE prefix = '55';

-- Sinch down: the Brazilian row goes out through Directcall once its
-- retries are spent; the Guatemalan one, through Reach, is untouched
\! test/simctl reset
\! test/simctl fault status --path /v1/send-bulk-sms --status 503 --count 100
SELECT sms_api.sms_queue('5511900000002', 'sinch is down') > 0 AS queued;
SELECT sms_api.sms_queue('50235148163', 'guatemala') > 0 AS queued;
SELECT wait_until('SELECT routed_settled()', 30);
SELECT destination, provider, state, attempts, provider_ref IS NOT NULL AS has_ref, last_error
  FROM sms_api.outbox ORDER BY id;
\! test/simctl requests --fields path,status | grep -v -e status/list -e /directcall | sort | uniq -c

-- an unknown outcome (504: SM002) never moves: the message may have gone out
\! test/simctl reset
\! test/simctl fault status --path /v1/send-bulk-sms --status 504 --count 2
SELECT sms_api.sms_queue('5511900000003', 'unknown outcome') > 0 AS queued;
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'unknown outcome'$$, 30);
SELECT provider, state, attempts, last_error FROM sms_api.outbox WHERE message_text = 'unknown outcome';

-- Sinch paused (its credentials refused): its queued routed rows move at once,
-- a row queued for Sinch by name waits
ALTER SYSTEM SET sms_api.username = 'not-our-user';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
\! test/simctl reset
SELECT sms_api.sms_queue('5511900000004', 'sinch refuses us') > 0 AS queued;
SELECT sms_api.sms_queue('5511900000005', 'for sinch only', provider => 'sinch') > 0 AS queued;
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'sinch refuses us'$$, 30);
SELECT wait_until($$SELECT state LIKE 'paused%' FROM sms_api.worker_status$$);
SELECT message_text, provider, state, attempts,
       CASE WHEN provider = 'directcall' THEN last_error END AS why_moved
  FROM sms_api.outbox WHERE message_text IN ('sinch refuses us', 'for sinch only') ORDER BY id;
-- a routed row queued while Sinch is paused moves at the next claim
SELECT sms_api.sms_queue('5511900000007', 'queued while paused') > 0 AS queued;
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'queued while paused'$$, 30);
SELECT provider, attempts, last_error FROM sms_api.outbox WHERE message_text = 'queued while paused';
-- each provider's state, and its share of the outbox
SELECT provider, configured, state, queued, backing_off_until IS NULL AS not_backing_off,
       requests > 0 AS asked, messages_sent > 0 AS sent, moved_away > 0 AS moved
  FROM sms_api.provider_status ORDER BY provider;
-- new settings: Sinch is back, the waiting row goes, and new rows take Sinch again
ALTER SYSTEM RESET sms_api.username;
SELECT pg_reload_conf();
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'for sinch only'$$, 30);
SELECT sms_api.sms_queue('5511900000006', 'sinch is back') > 0 AS queued;
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'sinch is back'$$, 30);
SELECT provider, attempts, last_error FROM sms_api.outbox WHERE message_text = 'sinch is back';

-- rate limited (429) past queue_max_attempts: moved instead of failed
ALTER SYSTEM SET sms_api.queue_max_attempts = 2;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
\! test/simctl reset
\! test/simctl fault status --path /v1/send-bulk-sms --status 429 --count 100
SELECT sms_api.sms_queue('5511900000008', 'rate limited') > 0 AS queued;
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'rate limited'$$, 30);
SELECT provider, state, attempts, last_error FROM sms_api.outbox WHERE message_text = 'rate limited';
ALTER SYSTEM RESET sms_api.queue_max_attempts;
SELECT pg_reload_conf();
\! test/simctl reset

-- delivery, by provider
SELECT provider, state, count(*) FROM sms_api.delivery GROUP BY 1, 2 ORDER BY 1, 2;

DELETE FROM sms_api.route;
DELETE FROM sms_api.outbox;
ALTER SYSTEM RESET sms_api.directcall_rate_limit;
ALTER SYSTEM RESET sms_api.reach_rate_limit;
ALTER SYSTEM RESET sms_api.query_rate_limit;
ALTER SYSTEM RESET sms_api.max_retries;
SELECT pg_reload_conf();
