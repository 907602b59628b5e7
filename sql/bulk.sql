-- bulk: sms_send_bulk() and sms_send_bulk_json() send any number of
-- messages in requests of at most 1000, one row per message in input order,
-- every message validated first; once anything was accepted, a failed
-- request's messages come back with id NULL and error set.
\! test/simctl reset

-- an empty array returns no rows and makes no request
SELECT count(*) FROM sms_api.sms_send_bulk('{}', 'x');
\! test/simctl requests --count

-- every message is validated before the first request
SELECT * FROM sms_api.sms_send_bulk(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001', NULL], 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001', '123'], 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001', '5511900000002'], 'x', ARRAY['only-one']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001'], 'x', ARRAY[repeat('c', 65)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk(ARRAY[['5511900000001'], ['5511900000002']], 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001'], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001'], 'x', options => '{"flashSMS": true}');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count

-- three messages: rows in input order, one batch, shared fields in
-- defaultValues, root-level ones at the root
CREATE TEMP TABLE three AS SELECT * FROM sms_api.sms_send_bulk(ARRAY['+5511900000003', '5511900000001', '5511900000002'],
                             'Hello all', ARRAY['c-3', NULL, 'c-2'],
                             extra_info => 'x', flash => true,
                             scheduled_at => '2030-01-01 00:00:00+00',
                             campaign_alias => 'promo',
                             options => '{"timeZone": "America/Sao_Paulo", "timeWindow": [9], "expiresInMinutes": 60}')
  WITH ORDINALITY;
SELECT ordinality, destination, correlation_id, id IS NOT NULL AS accepted, error FROM three;
SELECT count(DISTINCT batch_id) AS batches, count(DISTINCT id) AS ids FROM three;
\! test/simctl requests --fields path,body

-- duplicate destinations are two messages
\! test/simctl reset
SELECT count(*) AS rows, count(DISTINCT id) AS ids
  FROM sms_api.sms_send_bulk(ARRAY['5511900000001', '5511900000001'], 'twice');

-- exactly 1000: one request; 1001: two; 2500: three (1000, 1000, 500)
\! test/simctl reset
SELECT count(*) AS rows, count(id) AS accepted, count(DISTINCT batch_id) AS batches
  FROM sms_api.sms_send_bulk(array(SELECT '5521' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 1000) g), 'x');
\! test/simctl requests --count
\! test/simctl reset
SELECT count(*) AS rows, count(id) AS accepted, count(DISTINCT batch_id) AS batches
  FROM sms_api.sms_send_bulk(array(SELECT '5521' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 1001) g), 'x');
\! test/simctl requests --count
\! test/simctl reset
CREATE TEMP TABLE r2500 AS SELECT * FROM sms_api.sms_send_bulk(
  array(SELECT '5521' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 2500) g), 'x')
  WITH ORDINALITY AS r(id, correlation_id, destination, batch_id, error, ord);
SELECT count(*) AS rows, count(id) AS accepted, count(DISTINCT batch_id) AS batches,
       bool_and(destination = '5521' || lpad(ord::text, 6, '0') || '000') AS in_input_order
  FROM r2500;
\! test/simctl requests --fields path,status
\! test/simctl messages --count

-- every accepted id is recorded in message_status
SELECT count(*) AS recorded FROM r2500 JOIN sms_api.message_status s USING (id)
 WHERE s.destination = r2500.destination AND s.sent_status IS NULL;

-- LIMIT 1 still sends every message (materialize mode)
\! test/simctl reset
SELECT destination FROM sms_api.sms_send_bulk(array(SELECT '5521' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 1500) g), 'x') LIMIT 1;
\! test/simctl messages --count

-- a failure in the second of three requests: its 1000 messages come back
-- with id NULL and the reason; the others are sent; one WARNING
\! test/simctl reset
\! test/simctl fault delay --ms 1 --path /v1/send-bulk-sms
\! test/simctl fault status --status 400 --path /v1/send-bulk-sms --body '{"errorCode": 400, "errorMessage": "messages[7].destination: Invalid destination"}'
SELECT (ord - 1) / 1000 + 1 AS request, count(*) AS rows, count(id) AS accepted,
       min(error) AS error
  FROM sms_api.sms_send_bulk(array(SELECT '5521' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 2500) g), 'x')
       WITH ORDINALITY AS r(id, correlation_id, destination, batch_id, error, ord)
 GROUP BY 1 ORDER BY 1;

-- the first request failing raises the error itself
\! test/simctl reset
\! test/simctl fault status --status 503 --count 3 --path /v1/send-bulk-sms
SELECT count(*) FROM sms_api.sms_send_bulk(array(SELECT '5521' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 1500) g), 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count

-- the API rejecting a message fails its request (SM001 when it is the first)
\! test/simctl reset
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001', '5511900001400'], 'x');
\echo :LAST_ERROR_SQLSTATE

-- answers that are not usable (SM004): the messages may have gone out
\! test/simctl fault status --status 200 --path /v1/send-bulk-sms --body '{"id": "ce528d70-013b-11e7-98f2-e27c463c8809", "messages": [{"id": "ce528d71-013b-11e7-98f2-e27c463c8809"}]}'
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001', '5511900000002'], 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/send-bulk-sms --body '{"id": "ce528d70-013b-11e7-98f2-e27c463c8809", "messages": [{"id": "ce528d71-013b-11e7-98f2-e27c463c8809"}, {"id": 7}]}'
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001', '5511900000002'], 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/send-bulk-sms --body '[{"id": "ce528d71-013b-11e7-98f2-e27c463c8809"}]'
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001'], 'x');
\echo :LAST_ERROR_SQLSTATE
-- the documented answer: batch id and one id per message, correlation ids echoed or ours
\! test/simctl fault status --status 200 --path /v1/send-bulk-sms --body '{"id": "ce528d70-013b-11e7-98f2-e27c463c8809", "messages": [{"id": "ce528d71-013b-11e7-98f2-e27c463c8809"}, {"id": "ce528d72-013b-11e7-98f2-e27c463c8809", "correlationId": "echoed"}]}'
SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001', '5511900000002'], 'x', ARRAY['ours-1', 'ours-2']);
-- ids the table knows already (a webhook came first) are kept, not duplicated
\! test/simctl fault status --status 200 --path /v1/send-bulk-sms --body '{"id": "ce528d70-013b-11e7-98f2-e27c463c8809", "messages": [{"id": "ce528d71-013b-11e7-98f2-e27c463c8809"}, {"id": "ce528d73-013b-11e7-98f2-e27c463c8809"}]}'
SELECT count(id) FROM sms_api.sms_send_bulk(ARRAY['5511900000001', '5511900000003'], 'x');
SELECT id, correlation_id, destination FROM sms_api.message_status
 WHERE id IN ('ce528d71-013b-11e7-98f2-e27c463c8809', 'ce528d73-013b-11e7-98f2-e27c463c8809') ORDER BY id;

-- sms_send_bulk_json: the seeds' examples, as messages, defaults and options
\! test/simctl reset
SELECT destination, id IS NOT NULL AS accepted FROM sms_api.sms_send_bulk_json(
  '[{"destination": "5519900001111", "messageText": "First message"},
    {"destination": "5519900002222"}, {"destination": "5519900003333"}]',
  '{"messageText": "Default message"}');
SELECT count(*) FROM sms_api.sms_send_bulk_json(
  '[{"destination": "5519900001111", "messageText": "First message"}, {"destination": "5519900002222"}]',
  '{"messageText": "Default message"}',
  '{"timeZone": "America/Sao_Paulo", "scheduledDate": "2030-01-28T02:30:43", "timeWindow": [12, 15, 20]}');
SELECT count(*) FROM sms_api.sms_send_bulk_json(
  '[{"destination": "5519900001111"}, {"destination": "5519900002222"}]',
  '{"messageText": "Default message", "flashSMS": "true"}');
SELECT count(*) FROM sms_api.sms_send_bulk_json(
  '[{"destination": "5519900001111", "params": {"param1": "other_value1", "param2": "other_value2"}},
    {"destination": "5519900002222"}]',
  '{"params": {"param1": "value1", "param2": "value2"}}',
  '{"flowId": "14f8142d-e731-4971-8220-5a76a12c413f"}');
SELECT count(*) FROM sms_api.sms_send_bulk_json(
  '[{"destination": "5519900001111", "params": {"param1": "other_value1"}}, {"destination": "+5519900002222"}]',
  '{"params": {"param1": "value1"}}', '{"templateId": 0, "templateName": "name"}');
\! test/simctl requests --fields body
SELECT correlation_id FROM sms_api.sms_send_bulk_json(
  '[{"destination": "5519900001111", "messageText": "a", "correlationId": "json-1"}]');

-- sms_send_bulk_json validation, before any request
\! test/simctl reset
SELECT * FROM sms_api.sms_send_bulk_json(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('{"destination": "5519900001111"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a"}, null]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a"}, 7]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"messageText": "no destination"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "12", "messageText": "a"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a", "colour": "red"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a", "timeWindow": [9]}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a", "flashSMS": "yes"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a", "correlationId": 5}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json(jsonb_build_array(jsonb_build_object('destination', '5519900001111', 'messageText', repeat('x', 1281))));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a", "expiresAt": 1893456000000}]',
                                         '{"expiresInMinutes": 5}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a"}]', '{"destination": "5519900002222"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a"}]', NULL, '{"messageText": "root"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send_bulk_json('[{"destination": "5519900001111", "messageText": "a"}]', '[]');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count
SELECT count(*) FROM sms_api.sms_send_bulk_json('[]');
