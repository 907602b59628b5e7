-- ingest: webhook bodies as PostgREST hands them over. A list envelope
-- nested in another is refused (it once overflowed the decoder and took
-- the server down); a webhook secret, when set, is checked against the
-- header PostgREST passes; a token the API echoes never reaches a table.

-- 5000 statuses in an envelope inside an array: all of them merged
SELECT sms_api.ingest(jsonb_build_array(jsonb_build_object('smsStatuses',
  (SELECT jsonb_agg(jsonb_build_object('id', '11111111-0000-0000-0000-' || lpad(g::text, 12, '0'),
                                       'sentStatusCode', 2))
     FROM generate_series(1, 5000) g)))) AS merged;

-- an envelope of 5000 inside an envelope: refused, and the server stays up
SELECT sms_api.ingest(jsonb_build_object('smsStatuses', jsonb_build_array(
  jsonb_build_object('smsStatuses',
    (SELECT jsonb_agg(jsonb_build_object('id', 'cafe0000-0000-0000-0000-' || lpad(g::text, 12, '0'),
                                         'sentStatusCode', 2))
       FROM generate_series(1, 5000) g)))));
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.ingest(jsonb_build_array(jsonb_build_object('messages', jsonb_build_array(
  jsonb_build_object('smsStatuses', '[]'::jsonb)))));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS nested_stored FROM sms_api.message_status WHERE id::text LIKE 'cafe0000-%';
SELECT 'still up' AS server;

-- a webhook secret: callers must present it in X-Sms-Api-Secret, as
-- PostgREST passes headers (request.headers, names lower-case)
CREATE ROLE webhook NOLOGIN;
GRANT USAGE ON SCHEMA sms_api TO webhook;
GRANT EXECUTE ON FUNCTION sms_api.ingest(jsonb) TO webhook;
-- (set for this session; in production postgresql.conf or webhook_secret_file)
SET sms_api.webhook_secret = 'whsec-4b1d-never-shown';
SET ROLE webhook;
SELECT try($$SELECT sms_api.ingest('{"id": "33333333-0000-0000-0000-000000000001", "sentStatusCode": 2}')$$);
SELECT set_config('request.headers', '{"content-type": "application/json", "x-sms-api-secret": "whsec-4b1d-never-shown-not"}', false) IS NOT NULL AS headers_set;
SELECT try($$SELECT sms_api.ingest('{"id": "33333333-0000-0000-0000-000000000001", "sentStatusCode": 2}')$$);
SELECT set_config('request.headers', '{"content-type": "application/json", "x-sms-api-secret": "whsec-4b1d-never-shown"}', false) IS NOT NULL AS headers_set;
SELECT sms_api.ingest('{"id": "33333333-0000-0000-0000-000000000001", "sentStatusCode": 2}') AS merged;
-- the webhook role cannot read the secret
SHOW sms_api.webhook_secret;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
RESET request.headers;
-- nor can anyone see it, and it cannot be stored per role
SHOW sms_api.webhook_secret;
ALTER ROLE webhook SET sms_api.webhook_secret = 'whsec-role-level';
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.webhook_secret;
-- without a secret set, the grant alone decides (README says what that allows)
SET ROLE webhook;
SELECT sms_api.ingest('{"id": "33333333-0000-0000-0000-000000000002", "sentStatusCode": 2}') AS merged;
RESET ROLE;

-- a token echoed back in a status's or a reply's text is never stored
SET sms_api.token = 'tok-echoed-5e2c';
SELECT sms_api.ingest('[{"id": "44444444-0000-0000-0000-000000000001", "sentStatusCode": 2,
  "correlationId": "c-tok-echoed-5e2c", "carrierName": "tok-echoed-5e2c", "extraInfo": "x tok-echoed-5e2c y"},
  {"id": "44444444-0000-0000-0000-000000000002", "source": "5511999990000",
   "messageText": "my token is tok-echoed-5e2c"}]') AS merged;
RESET sms_api.token;
SELECT correlation_id, carrier_name, extra_info FROM sms_api.message_status
 WHERE id = '44444444-0000-0000-0000-000000000001';
SELECT message_text FROM sms_api.mo_message WHERE id = '44444444-0000-0000-0000-000000000002';
-- and so is the real token from sms_api.token_file, in a session that has
-- not called the API (nor read the file) before
\set token `cat "$TEST_ROOT/token"`
SELECT sms_api.ingest(jsonb_build_object('id', '44444444-0000-0000-0000-000000000003',
  'sentStatusCode', 2, 'extraInfo', 'echo ' || :'token')) AS merged;
SELECT extra_info = 'echo ' || repeat('*', length(:'token')) AS token_scrubbed
  FROM sms_api.message_status WHERE id = '44444444-0000-0000-0000-000000000003';

DELETE FROM sms_api.message_status WHERE id::text ~ '^(1111|3333|4444)';
DELETE FROM sms_api.mo_message WHERE id::text ~ '^4444';
DROP OWNED BY webhook;
DROP ROLE webhook;
