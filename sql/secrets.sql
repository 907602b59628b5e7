-- secrets: sms_api.username and sms_api.token cannot be read by any route
-- but the server's own files, and cannot be stored where every role reads.
ALTER SYSTEM SET sms_api.token = 'tok-7f3a9c-should-never-be-shown';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);

-- a superuser sees the mask
SHOW sms_api.token;
SHOW sms_api.username;
SELECT current_setting('sms_api.token');
-- absent from pg_settings and SHOW ALL, so reset_val and boot_val too
SELECT count(*) FROM pg_settings WHERE name IN ('sms_api.token', 'sms_api.username');
SELECT count(*) FROM pg_show_all_settings() s WHERE s.name IN ('sms_api.token', 'sms_api.username');

-- a member of pg_read_all_settings sees only the mask
SET ROLE settings_reader;
SHOW sms_api.token;
SELECT current_setting('sms_api.username');
SELECT count(*) FROM pg_settings WHERE name LIKE 'sms_api.%' AND (setting LIKE '%tok-7f3a9c%' OR reset_val LIKE '%tok-7f3a9c%');
RESET ROLE;

-- a role that may send cannot read them at all
SET ROLE app_sender;
SHOW sms_api.token;
\echo :LAST_ERROR_SQLSTATE
SELECT current_setting('sms_api.token');
\echo :LAST_ERROR_SQLSTATE
SELECT current_setting('sms_api.token', true);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pg_settings WHERE name LIKE 'sms_api.%' AND (setting LIKE '%tok-7f3a9c%' OR reset_val LIKE '%tok-7f3a9c%');
-- nor set them
SET sms_api.token = 'x';
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('sms_api.username', 'x', false);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- not even a superuser may store them where every role can read them
-- (pg_db_role_setting, pg_proc.proconfig); the error does not repeat the value
ALTER ROLE app_sender SET sms_api.token = 'tok-role-level-secret';
\echo :LAST_ERROR_SQLSTATE
ALTER DATABASE regression SET sms_api.username = 'user-db-level-secret';
\echo :LAST_ERROR_SQLSTATE
ALTER ROLE app_sender IN DATABASE regression SET sms_api.token = 'tok-role-db-secret';
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION leak() RETURNS int LANGUAGE sql SET sms_api.token = 'tok-function-secret' AS 'SELECT 1';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS stored FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%sms_api%';

-- a wrong token is refused by the API (28000) and the error does not show it
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
DO $$
DECLARE m text; d text; h text;
BEGIN
  PERFORM * FROM sms_api.sms_send('5511900000001', 'x');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RAISE NOTICE 'sqlstate %, token shown: %', SQLSTATE, concat(m, d, h) LIKE '%tok-7f3a9c%';
END $$;

-- back to the token file
ALTER SYSTEM RESET sms_api.token;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'x');

-- an API that echoes the request in its error: neither the username nor
-- any part of the token shows, not even where the 500-character cut falls
\! test/simctl fault status --status 400 --count 1 --body "{\"errorMessage\": \"user demo, $(printf 'a%.0s' $(seq 1 485))$(cat "$TEST_ROOT/token") was refused\"}"
\set token `cat "$TEST_ROOT/token"`
SELECT set_config('test.token', :'token', false) IS NOT NULL AS token_known;
DO $$
DECLARE d text; tok text := current_setting('test.token');
BEGIN
  PERFORM * FROM sms_api.sms_send('5511900000001', 'x');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RAISE NOTICE 'sqlstate %, cut: %, token start shown: %, username shown: %', SQLSTATE,
    d LIKE '%...', position(left(tok, 4) in d) > 0, d LIKE '%demo%';
END $$;

-- an error message holding NUL characters is read whole and blanked, not cut at the NUL
\! test/simctl fault status --status 400 --count 1 --body '{"errorMessage": "\u0000\u0000 after two NULs"}'
DO $$
DECLARE d text;
BEGIN
  PERFORM * FROM sms_api.sms_send('5511900000001', 'x');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RAISE NOTICE 'sqlstate %, detail: %', SQLSTATE, d;
END $$;
