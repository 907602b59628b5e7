-- optout: a reply whose whole text is a keyword (trimmed, trailing . ! ?,
-- case and accents aside) opts its sender out or, for rows a reply added,
-- back in; it acts once, when first stored, whatever the provider or path
-- (ingest, list, search, the worker's polls). An opted-out destination is
-- never sent to: single sends raise SM005, bulk sends return its row with
-- error set, outbox rows fail at no request; queueing never fails for it.
\! test/simctl reset
\! test/simctl config reach_rate=0 query_rate=0
ALTER SYSTEM SET sms_api.reach_rate_limit = 0;
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf();
DELETE FROM sms_api.outbox;
DELETE FROM sms_api.opt_out;

-- a Sinch reply through the webhook, received now (or at ms)
CREATE FUNCTION mo(sender text, body text, id uuid DEFAULT gen_random_uuid(), ms bigint DEFAULT NULL)
RETURNS int LANGUAGE sql AS $$
  SELECT sms_api.ingest(jsonb_build_object('id', id, 'source', sender, 'messageText', body,
    'receivedAt', coalesce(ms, (extract(epoch FROM now()) * 1000)::bigint)))
$$;
CREATE FUNCTION settled() RETURNS boolean LANGUAGE sql AS
  $$SELECT NOT EXISTS (SELECT FROM sms_api.outbox WHERE state IN ('queued', 'sending'))$$;

-- the table: numbers as sends store them, a reply's or a manual row; pg_dump keeps it
SELECT try($$INSERT INTO sms_api.opt_out (destination) VALUES ('+5511900000001')$$);
SELECT try($$INSERT INTO sms_api.opt_out (destination, source) VALUES ('5511900000001', 'web')$$);
SELECT c.oid = ANY (e.extconfig) AS dumped
  FROM pg_extension e, pg_class c WHERE e.extname = 'sms_api' AND c.oid = 'sms_api.opt_out'::regclass;
SELECT count(*) AS public_grants FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = 'sms_api.opt_out'::regclass AND a.grantee = 0;

-- keywords in each form: whole text, trimmed, trailing . ! ?, no case or accents
SELECT mo('5511900000101', '  stop ');
SELECT mo('5511900000102', 'Parar');
SELECT mo('5511900000103', 'BAJA.');
SELECT mo('5511900000104', 'Sáir?');
SELECT mo('5511900000105', E'\u00a1Baja!!');
SELECT mo('+5511900000106', E'unsub\tscribe') AS not_a_keyword, mo('+5511900000106', E'Unsubscribe \n');
SELECT mo('5511900000107', 'SA' || U&'\0301' || 'IR ?');
SELECT mo('5511900000108', '¿Cancelar?'), mo('5511900000114', 'Cancelar ¿') AS not_a_keyword;
SELECT mo('5511900000109', 'stop please'), mo('5511900000110', 'STOP,'), mo('5511900000111', 'S.T.O.P'),
       mo('5511900000112', ''), mo('5511900000113', 'please stop');
SELECT destination, keyword, provider, source, opted_out_at IS NOT NULL AS dated
  FROM sms_api.opt_out ORDER BY destination;

-- every provider's single send raises SM005 before any request
\! test/simctl mark
SELECT * FROM sms_api.sms_send('5511900000101', 'hello');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('+5511900000102', 'hello');
\echo :LAST_ERROR_SQLSTATE
SELECT message_id FROM sms_api.reach_send('5511900000103', 'hola');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001', '5511900000104'], 'oi', kind => 'texto');
\echo :LAST_ERROR_SQLSTATE
SELECT try($$SELECT sms_api.sms_send('5511900000105', 'hello')$$);
\! test/simctl requests --since-mark --count

-- bulk: the opted-out rows come back with error set, the rest are sent
SELECT count(*) AS recorded_before FROM sms_api.message_status
 WHERE destination IN ('5511900000101', '5511900000102', '5511900000103') \gset
\! test/simctl mark
SELECT destination, id IS NOT NULL AS sent, error
  FROM sms_api.sms_send_bulk(ARRAY['5511900000201', '5511900000101', '5511900000202', '5511900000102'], 'news');
\! test/simctl requests --since-mark --count
\! test/simctl messages --fields destination
SELECT destination, id IS NOT NULL AS sent, error
  FROM sms_api.sms_send_bulk_json('[{"destination": "5511900000103", "messageText": "a"},
                                    {"destination": "5511900000203", "messageText": "b"}]');
SELECT count(*) - :recorded_before AS recorded FROM sms_api.message_status
 WHERE destination IN ('5511900000101', '5511900000102', '5511900000103');
-- all of them opted out: no request at all
\! test/simctl mark
SELECT destination, error FROM sms_api.sms_send_bulk(ARRAY['5511900000104', '5511900000105'], 'news');
\! test/simctl requests --since-mark --count

-- the outbox: queueing and the trigger accept the rows; the drain fails
-- them at no request, whatever the provider, and sends the rest
\! test/simctl mark
CREATE TABLE alerts (phone text, body text);
CREATE TRIGGER alert AFTER INSERT ON alerts FOR EACH ROW
  EXECUTE FUNCTION sms_api.sms_alert_trigger('phone', '{body}');
BEGIN;
SELECT sms_api.sms_queue('5511900000101', 'queued sinch') > 0 AS queued;
SELECT sms_api.sms_queue('5511900000102', 'queued reach', provider => 'reach') > 0 AS queued;
SELECT sms_api.sms_queue('5511900000103', 'queued directcall', provider => 'directcall') > 0 AS queued;
INSERT INTO alerts VALUES ('5511900000104', 'queued by trigger');
SELECT sms_api.sms_queue('5511900000204', 'queued and sent') > 0 AS queued;
COMMIT;
SELECT wait_until('SELECT settled()');
SELECT destination, provider, state, attempts, last_error
  FROM sms_api.outbox ORDER BY destination;
\! test/simctl requests --since-mark --fields path,body | grep -c '55119000001' | sed 's/^/requests naming an opted-out number: /'
\! test/simctl messages --fields destination | grep -c 5511900000204 | sed 's/^/sent: /'
DROP TABLE alerts;

-- opt-in: a reply START removes what a reply added; a manual row stays
INSERT INTO sms_api.opt_out (destination, keyword) VALUES ('5511900000301', 'by phone');
SELECT mo('5511900000301', 'Voltar'), mo('5511900000101', 'start!'), mo('5511900000199', 'ALTA');
SELECT destination, keyword, source FROM sms_api.opt_out
 WHERE destination IN ('5511900000301', '5511900000101', '5511900000199') ORDER BY destination;
-- a manual row for a number that then replies STOP stays manual
SELECT mo('5511900000301', 'STOP');
SELECT destination, keyword, source FROM sms_api.opt_out WHERE destination = '5511900000301';

-- a reply acts once, when first stored: stored again it changes nothing
-- (received an instant later each time, so the merge does store it again)
SELECT mo('5511900000401', 'STOP', '11111111-0000-4000-8000-000000000401', 1700000000000) AS first;
DELETE FROM sms_api.opt_out WHERE destination = '5511900000401';
SELECT mo('5511900000401', 'STOP', '11111111-0000-4000-8000-000000000401', 1700000000500) AS again;
SELECT mo('5511900000401', 'Stop!', '11111111-0000-4000-8000-000000000401', 1700000000900) AS again_changed;
SELECT count(*) AS opted_again FROM sms_api.opt_out WHERE destination = '5511900000401';
-- within one batch the sender's last keyword counts
SELECT sms_api.ingest(jsonb_build_array(
  jsonb_build_object('id', gen_random_uuid(), 'source', '5511900000402', 'messageText', 'START', 'receivedAt', 1700000002000),
  jsonb_build_object('id', gen_random_uuid(), 'source', '5511900000402', 'messageText', 'STOP', 'receivedAt', 1700000001000),
  jsonb_build_object('id', gen_random_uuid(), 'source', '5511900000403', 'messageText', 'START', 'receivedAt', 1700000001000),
  jsonb_build_object('id', gen_random_uuid(), 'source', '5511900000403', 'messageText', 'STOP', 'receivedAt', 1700000002000)));
SELECT destination, keyword, opted_out_at FROM sms_api.opt_out
 WHERE destination IN ('5511900000402', '5511900000403') ORDER BY destination;

-- replies through every path: Sinch list, search and the worker's poll,
-- Reach's listing and its poll (Directcall has no replies)
\! test/simctl mo --source 5511900000501 --text 'Pare.'
SELECT count(*) AS listed FROM sms_api.sms_mo_list();
\! test/simctl mo --source 5511900000502 --text 'BAJA'
SELECT count(*) > 0 AS found FROM sms_api.sms_mo_search();
ALTER SYSTEM SET sms_api.mo_poll_interval_ms = 200;
SELECT pg_reload_conf();
\! test/simctl mo --source 5511900000503 --text 'Alto!'
SELECT wait_until($$SELECT count(*) = 1 FROM sms_api.opt_out WHERE destination = '5511900000503'$$);
ALTER SYSTEM RESET sms_api.mo_poll_interval_ms;
SELECT pg_reload_conf();
\! test/simctl reach-mo --msisdn 50235140001 --text 'Baja'
SELECT count(*) AS listed FROM sms_api.reach_messages(now() - interval '1 hour', now() + interval '1 hour', 'MO');
\! test/simctl reach-mo --msisdn 50235140002 --text ' stop '
\! test/simctl reach-mo --msisdn 50235140003 --text 'no quiero'
ALTER SYSTEM SET sms_api.reach_poll_interval_ms = 200;
SELECT pg_reload_conf();
SELECT wait_until($$SELECT count(*) = 1 FROM sms_api.opt_out WHERE destination = '50235140002'$$);
ALTER SYSTEM RESET sms_api.reach_poll_interval_ms;
SELECT pg_reload_conf();
-- Reach's own MTs are no replies, whatever their text
SELECT direction, message FROM sms_api.reach_send('50235140004', 'STOP');
SELECT destination, keyword, provider, source FROM sms_api.opt_out
 WHERE destination IN ('5511900000501', '5511900000502', '5511900000503',
                       '50235140001', '50235140002', '50235140003', '50235140004')
 ORDER BY destination;
-- listed again (reconciliation): nothing changes
DELETE FROM sms_api.opt_out WHERE destination IN ('5511900000502', '50235140001');
SELECT count(*) > 0 AS found FROM sms_api.sms_mo_search();
SELECT count(*) > 0 AS listed FROM sms_api.reach_messages(now() - interval '1 hour', now() + interval '1 hour', 'MO');
SELECT count(*) AS back FROM sms_api.opt_out WHERE destination IN ('5511900000502', '50235140001');

-- the keyword settings: junk refused, a new list used after a reload
ALTER SYSTEM SET sms_api.opt_out_keywords = 'STOP,,BAJA';
ALTER SYSTEM SET sms_api.opt_out_keywords = 'STOP!';
ALTER SYSTEM SET sms_api.opt_in_keywords = 'START, start';
ALTER SYSTEM SET sms_api.opt_in_keywords = 'Sí, Sim';
ALTER SYSTEM SET sms_api.opt_out_keywords = 'Fim, Não quero, Voilà';
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SHOW sms_api.opt_out_keywords;
SELECT mo('5511900000601', 'FIM'), mo('5511900000602', 'nao QUERO.'), mo('5511900000603', 'STOP'),
       mo('5511900000604', 'voila!');
SELECT mo('5511900000602', 'si');
SELECT destination, keyword FROM sms_api.opt_out WHERE destination LIKE '55119000006%' ORDER BY destination;
ALTER SYSTEM RESET sms_api.opt_out_keywords;
ALTER SYSTEM RESET sms_api.opt_in_keywords;
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SHOW sms_api.opt_out_keywords;
SHOW sms_api.opt_in_keywords;

-- opt_out_enforce: only a superuser turns it off; off, nothing is checked
SET ROLE app_sender;
SET sms_api.opt_out_enforce = off;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET sms_api.opt_out_enforce = off;
\! test/simctl mark
SELECT destination FROM sms_api.sms_send('5511900000102', 'enforce off');
SELECT destination, error FROM sms_api.sms_send_bulk(ARRAY['5511900000103'], 'enforce off');
\! test/simctl requests --since-mark --count
RESET sms_api.opt_out_enforce;
ALTER SYSTEM SET sms_api.opt_out_enforce = off;
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT sms_api.sms_queue('5511900000104', 'drained with enforce off') > 0 AS queued;
SELECT wait_until('SELECT settled()');
SELECT state FROM sms_api.outbox WHERE message_text = 'drained with enforce off';
ALTER SYSTEM RESET sms_api.opt_out_enforce;
ALTER SYSTEM RESET sms_api.reach_rate_limit;
ALTER SYSTEM RESET sms_api.query_rate_limit;
SELECT pg_reload_conf();
DELETE FROM sms_api.outbox;
DELETE FROM sms_api.opt_out;
DROP FUNCTION mo(text, text, uuid, bigint);
DROP FUNCTION settled();
