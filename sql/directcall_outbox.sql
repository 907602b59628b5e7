-- directcall_outbox: Directcall rows in the shared outbox. sms_queue(provider
-- => 'directcall') validates by Directcall's rules; rows with the same
-- text, options and schedule go out in one request's CSV (up to
-- queue_batch_size); the caller id becomes provider_ref; a paused
-- Directcall holds up only its own rows; the alert trigger works with it.
\! test/simctl reset
ALTER SYSTEM SET sms_api.directcall_rate_limit = 0;
SELECT pg_reload_conf();
DELETE FROM sms_api.outbox;
CREATE FUNCTION directcall_settled() RETURNS boolean LANGUAGE sql AS
  $$SELECT NOT EXISTS (SELECT FROM sms_api.outbox WHERE state IN ('queued', 'sending') AND provider = 'directcall')$$;

-- enqueue: Directcall's rules, and what it cannot carry, refused at once
SELECT sms_api.sms_queue('554199999', 'x', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', repeat('x', 701), provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', flash => true, provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', campaign_alias => 'c', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', NULL, provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', options => '{"audio_id": "1001"}', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', options => '{"kind": "fax"}', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', NULL, options => '{"kind": "texto", "audio_id": "1001"}', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', options => '{"origin": "12"}', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', options => '{"send_from_hour": 24}', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', options => '{"timeWindow": [1]}', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', scheduled_at => 'infinity', provider => 'directcall');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5541999990001', 'x', provider => 'directcall',
                         options => (SELECT jsonb_object_agg('k' || g, 0) FROM generate_series(1, 20000) g));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS outbox_rows FROM sms_api.outbox;

-- a rolled-back transaction sends nothing
BEGIN;
SELECT sms_api.sms_queue('5541999990001', 'never', provider => 'directcall') > 0 AS queued;
ROLLBACK;
SELECT pg_sleep(0.5);
SELECT count(*) AS outbox_rows FROM sms_api.outbox;
\! test/simctl requests --path /directcall --count

-- committed: SMS by default, voice by options; equal rows share a request
BEGIN;
SELECT count(sms_api.sms_queue('55419000000' || lpad(g::text, 2, '0'), 'Falta de energia', 'corr-' || g,
                               provider => 'directcall')) AS sms FROM generate_series(1, 5) g;
SELECT count(sms_api.sms_queue('55419100000' || g, 'Ligue para o plantão',
                               options => '{"kind": "voz"}', provider => 'directcall')) AS voice FROM generate_series(1, 3) g;
SELECT sms_api.sms_queue('5541920000001', NULL, options => '{"audio_id": "1002", "origin": "+5541300000000", "send_from_hour": 8, "send_until_hour": 18}',
                         scheduled_at => '2026-12-24 15:00:00+00', provider => 'directcall') > 0 AS audio;
COMMIT;
SELECT wait_until('SELECT directcall_settled()');
SELECT message_text, options, state, attempts, count(*) AS n, count(DISTINCT provider_ref) AS caller_ids,
       bool_and(provider_ref ~ '^[0-9]{14}$') AS caller_id_kept, bool_and(message_id IS NULL) AS no_uuid
  FROM sms_api.outbox WHERE provider = 'directcall'
 GROUP BY 1, 2, 3, 4 ORDER BY 1 NULLS FIRST;
\! test/simctl directcall-messages --fields origem,destinations,tipo,texto,audio_id,cron,enviar_de,enviar_ate | sort
-- the delivery view: handed over, final, and no carrier status to tell success
SELECT provider, state, sent_status, final, success, count(*)
  FROM sms_api.delivery WHERE provider = 'directcall' GROUP BY 1, 2, 3, 4, 5;
SELECT correlation_id FROM sms_api.delivery WHERE correlation_id = 'corr-3';

-- a refused request (001) is split until the bad row fails alone
\! test/simctl reset
\! test/simctl fault code --code 001 --count 2
SELECT count(sms_api.sms_queue('55419300000' || g, 'split me', provider => 'directcall')) FROM generate_series(1, 2) g;
SELECT wait_until('SELECT directcall_settled()');
SELECT state, attempts, count(*) FROM sms_api.outbox WHERE message_text = 'split me' GROUP BY 1, 2 ORDER BY 1;
SELECT DISTINCT last_error FROM sms_api.outbox WHERE message_text = 'split me' AND state = 'failed';

-- an insufficient balance (201) is the account's: the rows are retried, then sent
\! test/simctl reset
\! test/simctl fault code --code 201 --count 1
SELECT sms_api.sms_queue('5541940000001', 'after topping up', provider => 'directcall') > 0 AS queued;
SELECT wait_until('SELECT directcall_settled()', 20);
SELECT state, attempts, last_error IS NULL AS cleared FROM sms_api.outbox WHERE message_text = 'after topping up';
\! test/simctl requests --path /directcall/sms --fields status

-- a token the API revoked mid-run: renewed once, the request repeated, no attempt lost
\! test/simctl directcall-revoke
\! test/simctl reset
SELECT sms_api.sms_queue('5541950000001', 'after revoke', provider => 'directcall') > 0 AS queued;
SELECT wait_until('SELECT directcall_settled()');
SELECT state, attempts FROM sms_api.outbox WHERE message_text = 'after revoke';
\! test/simctl requests --path /directcall --fields path,status

-- a token endpoint that refuses without saying why: not the rows' fault, no attempt
-- spent; they are sent once it answers again
\! test/simctl reset
\! test/simctl fault status --path /directcall/request_token --status 400 --body 'Bad Request' --count 1000
SELECT sms_api.sms_queue('5541960000009', 'no token yet', provider => 'directcall') > 0 AS queued;
SELECT wait_until($$SELECT last_error LIKE 'SM001%token endpoint%' FROM sms_api.outbox WHERE message_text = 'no token yet'$$);
SELECT state, attempts FROM sms_api.outbox WHERE message_text = 'no token yet';
\! test/simctl reset
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'no token yet'$$, 20);
SELECT state, attempts FROM sms_api.outbox WHERE message_text = 'no token yet';
\! test/simctl requests --path /directcall/sms --count

-- a refused client secret pauses Directcall only: its row waits, a Sinch row goes out
\! test/simctl reset
SELECT setting AS secret_file FROM pg_settings WHERE name = 'sms_api.directcall_client_secret_file' \gset
ALTER SYSTEM SET sms_api.directcall_client_secret = 'not-the-secret';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT sms_api.sms_queue('5541960000001', 'held', provider => 'directcall') > 0 AS queued;
SELECT sms_api.sms_queue('5511900000001', 'sinch goes on') > 0 AS queued;
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'sinch goes on'$$);
SELECT wait_until($$SELECT last_error LIKE '28000%' FROM sms_api.outbox WHERE message_text = 'held'$$);
SELECT wait_until($$SELECT state = 'paused: check the sms_api.directcall_* settings' FROM sms_api.worker_status$$);
SELECT state, attempts, last_error FROM sms_api.outbox WHERE message_text = 'held';
-- new settings resume it
ALTER SYSTEM RESET sms_api.directcall_client_secret;
SELECT pg_reload_conf();
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'held'$$);
SELECT state, attempts, last_error IS NULL AS cleared FROM sms_api.outbox WHERE message_text = 'held';

-- no caller number anywhere: 55000, Directcall pauses at no request
\! test/simctl reset
ALTER SYSTEM SET sms_api.directcall_origin = '';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT sms_api.sms_queue('5541970000001', 'no origin', provider => 'directcall') > 0 AS queued;
SELECT wait_until($$SELECT last_error LIKE '55000%' FROM sms_api.outbox WHERE message_text = 'no origin'$$);
SELECT state, last_error FROM sms_api.outbox WHERE message_text = 'no origin';
\! test/simctl requests --path /directcall --count
ALTER SYSTEM RESET sms_api.directcall_origin;
SELECT pg_reload_conf();
SELECT wait_until($$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'no origin'$$);

-- the alert trigger: an SMS, and a voice call to the on-call engineer (fourth argument: options)
CREATE TABLE incidents (id serial, on_call text, summary text);
CREATE TRIGGER page_sms AFTER INSERT ON incidents FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('on_call', 'Incidente: {summary}', 'directcall');
CREATE TRIGGER page_voice AFTER INSERT ON incidents FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('on_call', 'Atenção. Incidente: {summary}', 'directcall', '{"kind": "voz"}');
\! test/simctl reset
INSERT INTO incidents (on_call, summary) VALUES ('+5541999998888', 'banco fora do ar');
SELECT wait_until('SELECT directcall_settled()');
SELECT provider, state, message_text, options FROM sms_api.outbox WHERE message_text LIKE '%Incidente:%' ORDER BY id;
\! test/simctl directcall-messages --fields destinations,tipo,texto | sort
CREATE TRIGGER bad_options AFTER INSERT ON incidents FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('on_call', 'x', 'directcall', '{"kind": "fax"}');
INSERT INTO incidents (on_call, summary) VALUES ('5541999998888', 'never');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE incidents;

ALTER SYSTEM RESET sms_api.directcall_rate_limit;
SELECT pg_reload_conf();
