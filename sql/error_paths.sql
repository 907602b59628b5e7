-- error_paths: the rows of README's error tables no other suite reaches
-- (test/error_table.py lists each row and the suite that reaches it).
\! test/simctl reset

-- Sinch refusing the credentials (401): 28000, never retried
SET sms_api.username = 'someone-else';
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.username;
\! test/simctl requests --count
\! test/simctl reset

-- a host name that does not resolve (.invalid never does): SM003, nothing sent
\set VERBOSITY terse
SET sms_api.base_url = 'http://sms-api-test.invalid';
SET sms_api.max_retries = 0;
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.max_retries;
RESET sms_api.base_url;
\set VERBOSITY default
\! test/simctl requests --count

-- Reach answering 404 (a wrong base URL): SM001, not retried
\! test/simctl config reach_rate=0
ALTER SYSTEM SET sms_api.reach_rate_limit = 0;
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
\! test/simctl fault status --path /reach --status 404 --body '{"code": 40400, "error": "Not Found"}'
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count
ALTER SYSTEM RESET sms_api.reach_rate_limit;
SELECT pg_reload_conf();
\! test/simctl reset
