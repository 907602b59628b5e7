-- send: sms_send() maps every argument to the API's field names and units
-- (epoch milliseconds), sends the auth headers, and returns the API's id.
\! test/simctl reset

-- the simplest call; the leading + is stripped
SELECT id IS NOT NULL AS has_id, correlation_id, destination, batch_id, error
  FROM sms_api.sms_send('+5511900000001', 'Hello');
\! test/simctl requests --last 1 --fields method,path,auth,content_type,body

-- every typed argument, and options merged at the root of the object
SELECT correlation_id, destination
  FROM sms_api.sms_send('5511900000002', 'All fields', 'order-2', 'extra',
                        true, '2030-01-01 00:00:00+00', '2030-01-02 12:00:00.123+00',
                        'promo', 'sub-1',
                        '{"timeZone": "America/Sao_Paulo", "timeWindow": [9, 18]}');
\! test/simctl requests --last 1 --fields body

-- named arguments, flash false, and text the API must receive intact
SELECT correlation_id FROM sms_api.sms_send(
  destination => '5511900000003', message_text => E'A combinação foi perfeita :)\nlinha 2 "aspas" \\ €',
  correlation_id => 'ção-3', flash => false);
\! test/simctl requests --last 1 --fields body

-- each options key of the contract reaches the API unchanged
SELECT destination FROM sms_api.sms_send('5511900000004', 'Options',
  options => '{"expiresInMinutes": 30, "delayedInMinutes": 5, "params": {"name": "Ana"}, "flowId": "14f8142d-e731-4971-8220-5a76a12c413f"}');
\! test/simctl requests --last 1 --fields body
SELECT destination FROM sms_api.sms_send('5511900000005', 'Dates',
  options => '{"expiresDate": "2030-01-28T02:30:43", "scheduledDate": "2030-01-27T02:30:43", "timeZone": "America/Sao_Paulo"}');
\! test/simctl requests --last 1 --fields body

-- a template supplies the text: message_text may be NULL
SELECT destination FROM sms_api.sms_send('5511900000006', NULL,
  options => '{"templateId": 0, "templateName": "name", "params": {"p": 1}}');
\! test/simctl requests --last 1 --fields body

-- options keys whose value is JSON null are not sent
SELECT destination FROM sms_api.sms_send('5511900000007', 'Nulls',
  options => '{"timeZone": null}');
\! test/simctl requests --last 1 --fields body

-- texts exactly at the documented limits are accepted
SELECT length(correlation_id) AS correlation_len, destination
  FROM sms_api.sms_send('551190000000008', repeat('é', 1280), repeat('c', 64), repeat('x', 255));

-- older API versions answer a bare object instead of an array of one
\! test/simctl config single_shape=object
SELECT id IS NOT NULL AS has_id, correlation_id
  FROM sms_api.sms_send('5511900000009', 'Bare object', 'bare-9');
\! test/simctl config single_shape=array

-- the returned id is the one the simulator accepted and stored
SELECT id AS sent_id FROM sms_api.sms_send('5511900000010', 'Match') \gset
\setenv SENT_ID :sent_id
\! test/simctl messages --fields id | grep -c "$SENT_ID"

-- the id is in message_status once the calling statement finishes, in the
-- caller's transaction (written with the statement's other sends at once)
BEGIN;
SELECT id AS txn_id FROM sms_api.sms_send('5511900000011', 'In a transaction', 'txn-1') \gset
SELECT correlation_id, destination, sent_status FROM sms_api.message_status WHERE id = :'txn_id';
ROLLBACK;
SELECT count(*) AS after_rollback FROM sms_api.message_status WHERE id = :'txn_id';
-- many sends in one statement, and sends from PL/pgSQL
SELECT count(*) AS sent FROM generate_series(1, 25) g,
       LATERAL sms_api.sms_send('55119000001' || lpad(g::text, 2, '0'), 'Many', 'many-' || g) s;
DO $$ BEGIN PERFORM sms_api.sms_send('5511900000099', 'From PL/pgSQL', 'plpgsql-1'); END $$;
SELECT count(*) FILTER (WHERE correlation_id LIKE 'many-%') AS many,
       count(*) FILTER (WHERE correlation_id = 'plpgsql-1') AS plpgsql
  FROM sms_api.message_status;

-- function properties from the contract
SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict, p.prosecdef, p.proconfig,
       pg_get_function_result(p.oid) AS result
  FROM pg_proc p WHERE p.pronamespace = 'sms_api'::regnamespace ORDER BY 1;
