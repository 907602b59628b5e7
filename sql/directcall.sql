-- directcall: sms_api.directcall_send() against the simulator. One
-- multipart POST /sms/send per call, the numbers in a CSV file part, the
-- access token requested once and shared; validation before any request;
-- every return code mapped onto our SQLSTATEs, even under HTTP 200.
\! test/simctl reset
ALTER SYSTEM SET sms_api.directcall_rate_limit = 0;
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
\set mp3 `python3 -c "import sys; sys.stdout.write(open('test/fixtures/directcall/tone.mp3', 'rb').read().hex())"`

-- the client id and secret are secrets: not in pg_settings, masked, refused per role
SELECT count(*) AS secrets_in_pg_settings FROM pg_settings
 WHERE name IN ('sms_api.directcall_client_id', 'sms_api.directcall_client_secret');
SHOW sms_api.directcall_client_id;
ALTER ROLE app_sender SET sms_api.directcall_client_secret = 'nope';
\echo :LAST_ERROR_SQLSTATE
SHOW sms_api.directcall_time_zone;
SHOW sms_api.directcall_token_lifetime;

-- a voice call by text-to-speech to two numbers: one token request, one send
SELECT status, code, message ~ '^001 - Mensagem enviada' AS documented_msg,
       caller_id ~ '^[0-9]{14}$' AS has_caller_id,
       message LIKE '%' || caller_id AS msg_names_it
  FROM sms_api.directcall_send(ARRAY['5541999990001', '+5541999990002'], 'Olá, aqui é o plantão');
\! test/simctl requests --path /directcall --fields method,path,auth,content_type,body | sed "s/$DIRECTCALL_CLIENT_ID/<client id>/"
\! test/simctl directcall-messages --fields origem,destinations,tipo,texto

-- the token is reused: the next call is one request
SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], 'segunda chamada');
\! test/simctl requests --path /directcall --fields path

-- an SMS campaign, scheduled (cron in America/Sao_Paulo) within an hour window
\! test/simctl reset
SELECT code FROM sms_api.directcall_send(
  ARRAY['5541999990001', '5541999990002', '5541999990003'], 'Promoção de Natal',
  kind => 'texto', origin => '+5541300000000', scheduled_at => '2026-12-24 12:30:00+00',
  send_from_hour => 8, send_until_hour => 20);
\! test/simctl requests --path /directcall --fields body | sed "s/$DIRECTCALL_CLIENT_ID/<client id>/"
\! test/simctl directcall-messages --fields origem,destinations,tipo,cron,enviar_de,enviar_ate
SET sms_api.directcall_time_zone = 'UTC';
SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], 'utc', scheduled_at => '2026-12-24 12:30:00+00');
RESET sms_api.directcall_time_zone;
\! test/simctl directcall-messages --fields cron

-- a voice call from an MP3 file, and from a registered audio
\! test/simctl reset
SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], audio => decode(:'mp3', 'hex'));
SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], audio_id => '1001');
\! test/simctl requests --path /directcall/sms --fields body
\! test/simctl directcall-messages --fields tipo,audio,audio_id
-- exactly 4 MiB is accepted
SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'],
  audio => '\xfffb9064'::bytea || decode(repeat('00', 4194300), 'hex'));

-- validation, before any request
\! test/simctl reset
SELECT * FROM sms_api.directcall_send(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001', NULL], 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send('{}', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['554199999'], 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001', '55 41 99999 0002'], 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x', audio_id => '1001');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], repeat('ç', 701));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], audio => '\x00010203');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'],
  audio => '\xfffb9064'::bytea || decode(repeat('00', 4194301), 'hex'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], audio_id => '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x', kind => 'fax');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x', kind => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], audio_id => '1001', kind => 'texto');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x', send_from_hour => 24);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x', send_until_hour => -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x', origin => '4130600300x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x', scheduled_at => 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], audio => '\xfffb'::bytea || decode(repeat('00', 5000000), 'hex'));
\echo :LAST_ERROR_SQLSTATE
SET sms_api.directcall_origin = '';
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.directcall_origin;
SET sms_api.directcall_origin = '12345';
\echo :LAST_ERROR_SQLSTATE
BEGIN READ ONLY;
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
\! test/simctl requests --count
-- the longest text that fits goes out
SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], repeat('ç', 700));

-- every documented return code, under HTTP 200, on our SQLSTATE table
CREATE FUNCTION code_sqlstate(code text, http int DEFAULT 200) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  state text;
  msg text;
BEGIN
  PERFORM sms_api.directcall_send(ARRAY['5541999990001'], 'code ' || code);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
  RETURN state || ' ' || msg;
END $$;
\! test/simctl reset
\! for c in 001 002 003 004 008 009 010 011 100 101 102 200 201; do test/simctl fault code --code $c >/dev/null; done
SELECT c, code_sqlstate(c) FROM unnest(ARRAY['001', '002', '003', '004', '008', '009', '010', '011',
                                            '100', '101', '102', '200', '201']) c;
\! test/simctl requests --path /directcall/sms --count
-- the HINTs of a balance and a billing refusal
\! test/simctl fault code --code 201
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x');
\! test/simctl fault code --code 100
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x');
-- a refused parameter names the field its msg names
\! test/simctl fault status --path /directcall/sms --status 200 --body '{"api": "sms", "modulo": "enviar", "status": "erro", "codigo": "001", "msg": "001 - Parâmetro inválido: origem"}'
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x');
\! test/simctl config directcall_audio_ids='[]'
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], audio_id => '1001');
\! test/simctl reset

-- 002 and 008 may have reached some numbers: SM002, never retried
\! test/simctl reset
\! test/simctl fault code --code 008 --count 3
SELECT code_sqlstate('008');
\! test/simctl requests --path /directcall/sms --count
\! test/simctl reset
-- 005 and 007 (Directcall could not reach its own servers): retried, then SM003
\! test/simctl fault code --code 005 --count 3
SELECT code_sqlstate('005');
\! test/simctl requests --path /directcall/sms --count
\! test/simctl reset
\! test/simctl fault code --code 007 --count 1
SELECT code_sqlstate('007');
\! test/simctl requests --path /directcall/sms --fields status
-- a code under another HTTP status is read by its code first
\! test/simctl reset
\! test/simctl fault code --code 201 --status 500
SELECT code_sqlstate('201 under 500');
\! test/simctl config directcall_error_status=400
\! test/simctl fault code --code 001
SELECT code_sqlstate('001 under 400');
-- a 2xx that is not a Directcall answer at all
\! test/simctl reset
\! test/simctl fault status --path /directcall/sms --status 200 --body '{"api": "sms"}'
SELECT code_sqlstate('no codigo');
\! test/simctl fault status --path /directcall/sms --status 200 --body '{"status": "ok", "codigo": "000"}'
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'a 000 without callerid is a send');
\! test/simctl fault garbage --path /directcall/sms
SELECT code_sqlstate('garbage');

-- a token refused (006) is renewed once and the send repeated; twice is 28000
\! test/simctl reset
\! test/simctl fault code --code 006 --count 1
SELECT code_sqlstate('006 once');
\! test/simctl requests --path /directcall --fields path,status
\! test/simctl reset
\! test/simctl fault code --code 006 --count 2
SELECT code_sqlstate('006 twice');
\! test/simctl requests --path /directcall --fields path,status
-- a token the API forgot (revoked) is renewed the same way
\! test/simctl reset
SELECT code_sqlstate('a token the simulator forgot');
\! test/simctl requests --path /directcall --fields path,status

-- a token that expires: renewed before the stated expires_in ...
\! test/simctl reset
\! test/simctl config directcall_token_ttl_s=2
SELECT code_sqlstate('fresh token');
SELECT pg_sleep(2.2);
SELECT code_sqlstate('after expires_in');
\! test/simctl requests --path /directcall --fields path,status
-- ... and when the answer states none, after sms_api.directcall_token_lifetime ...
\! test/simctl reset
\! test/simctl config directcall_token_ttl_s=2 directcall_token_expiry_field=none
ALTER SYSTEM SET sms_api.directcall_token_lifetime = 1;
SELECT pg_reload_conf();
-- past the previous token's 2 s, so this block starts without one however
-- slowly the machine ran the lines above
SELECT pg_sleep(2.2);
SELECT code_sqlstate('lifetime 1 s');
SELECT pg_sleep(1.1);
SELECT code_sqlstate('after the lifetime');
\! test/simctl requests --path /directcall --fields path,status
-- ... or at once when the API refuses it first (it expired there after 2 s)
ALTER SYSTEM RESET sms_api.directcall_token_lifetime;
SELECT pg_reload_conf();
SELECT pg_sleep(1.1);
\! test/simctl reset
\! test/simctl config directcall_token_ttl_s=2 directcall_token_expiry_field=none
SELECT code_sqlstate('a token for an hour');
SELECT pg_sleep(2.2);
SELECT code_sqlstate('expired at the API');
\! test/simctl requests --path /directcall --fields path,status

-- wrong client secret: 28000 from the token endpoint, whether it says 401 or 200
\! test/simctl reset
SET sms_api.directcall_client_secret = 'not-our-secret';
\! test/simctl directcall-revoke
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl config directcall_auth_status=200
SELECT code_sqlstate('refused under 200');
RESET sms_api.directcall_client_secret;
\! test/simctl requests --path /directcall --fields path,status
-- the token endpoint down: SM003, and no message sent
\! test/simctl reset
\! test/simctl directcall-revoke
\! test/simctl fault status --path /directcall/request_token --status 503 --count 3 --body 'Service Unavailable'
SELECT code_sqlstate('token endpoint down');
\! test/simctl requests --path /directcall --fields path,status

-- no secret reaches an error: an API that echoes the client id is scrubbed
\! test/simctl reset
\! test/simctl fault status --path /directcall/sms --status 200 --body "{\"codigo\": \"001\", \"msg\": \"001 - client_id $DIRECTCALL_CLIENT_ID: origem\"}"
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x');

DROP FUNCTION code_sqlstate(text, int);
ALTER SYSTEM RESET sms_api.directcall_rate_limit;
SELECT pg_reload_conf();
