-- settings: each setting's context and range; a call with base_url,
-- username or the token empty or unreadable fails at once (55000) naming
-- the setting, before any request.
\! test/simctl reset

SELECT name, CASE WHEN name IN ('sms_api.base_url', 'sms_api.token_file', 'sms_api.reach_base_url',
                                 'sms_api.reach_api_secret_file', 'sms_api.reach_short_name',
                                 'sms_api.directcall_base_url', 'sms_api.directcall_client_secret_file')
                  THEN '(set by the test driver)' ELSE setting END AS setting, unit, context, vartype, min_val, max_val, boot_val
  FROM pg_settings WHERE name LIKE 'sms\_api.%' ORDER BY name;

-- the secrets are not in pg_settings at all, even for a superuser
SELECT count(*) AS secrets_in_pg_settings FROM pg_settings
 WHERE name IN ('sms_api.username', 'sms_api.token');

-- ranges
SET sms_api.timeout_ms = 0;
\echo :LAST_ERROR_SQLSTATE
SET sms_api.max_retries = 11;
\echo :LAST_ERROR_SQLSTATE
SET sms_api.max_response_bytes = '512kB';
\echo :LAST_ERROR_SQLSTATE
SET sms_api.base_url = 'ftp://example.com';
\echo :LAST_ERROR_SQLSTATE
SET sms_api.unknown_setting = 1;
\echo :LAST_ERROR_SQLSTATE

-- missing settings
BEGIN;
SET LOCAL sms_api.base_url = '';
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
ROLLBACK;
BEGIN;
SET LOCAL sms_api.username = '';
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
ROLLBACK;

-- the token file: missing, empty, readable by others, then right again
\getenv test_root TEST_ROOT
\set token_path :test_root '/token'
\set missing_path :test_root '/no-such-token'
ALTER SYSTEM SET sms_api.token_file = :'missing_path';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', 'x')$$, :'test_root');
\set empty_path :test_root '/empty-token'
\setenv EMPTY_PATH :empty_path
\! : > "$EMPTY_PATH" && chmod 600 "$EMPTY_PATH" && chown postgres "$EMPTY_PATH" 2>/dev/null; true
ALTER SYSTEM SET sms_api.token_file = :'empty_path';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', 'x')$$, :'test_root');
\! echo "open-token" > "$EMPTY_PATH" && chmod 644 "$EMPTY_PATH"
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', 'x')$$, :'test_root');
-- owned by another OS user and readable by all: refused too, whoever owns it
\! chown nobody "$EMPTY_PATH" 2>/dev/null; true
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', 'x')$$, :'test_root');
\! chown postgres "$EMPTY_PATH" 2>/dev/null; true
-- no token at all
ALTER SYSTEM SET sms_api.token_file = '';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
ALTER SYSTEM RESET sms_api.token_file;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
\! rm -f "$EMPTY_PATH"

-- none of the calls above reached the API; the next one does
\! test/simctl requests --count
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'x');

-- a non-superuser cannot change the superuser settings
SET ROLE app_sender;
SET sms_api.base_url = 'http://127.0.0.1:1';
\echo :LAST_ERROR_SQLSTATE
SET sms_api.ca_file = '/tmp/ca.pem';
\echo :LAST_ERROR_SQLSTATE
SET sms_api.max_response_bytes = '2MB';
\echo :LAST_ERROR_SQLSTATE
SET sms_api.send_rate_limit = 0;
\echo :LAST_ERROR_SQLSTATE
-- but may tune its own timeouts and retries
SET sms_api.timeout_ms = 5000;
SET sms_api.max_retries = 0;
RESET ROLE;
RESET ALL;
