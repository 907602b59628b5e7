-- errors: every way the API can fail maps to the contract's SQLSTATE, with
-- the HTTP status and the API's errorMessage in DETAIL; retries happen only
-- where the API surely did not act (429, 503, failure to connect).
\! test/simctl reset

-- auth failure: 401 with the documented body (28000), never retried
BEGIN;
SET LOCAL sms_api.username = 'someone-else';
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
ROLLBACK;
\! test/simctl requests --count

-- 503 twice, then success: retried
\! test/simctl reset
\! test/simctl fault status --status 503 --count 2
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'retried');
\! test/simctl requests --fields path,status

-- 503 three times: retries exhausted (SM003), three attempts in all
\! test/simctl reset
\! test/simctl fault status --status 503 --count 3 --body '{"errorCode": 503, "errorMessage": "Service Unavailable"}'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count

-- max_retries = 0: no retry at all
\! test/simctl reset
\! test/simctl fault status --status 503 --count 1
SET sms_api.max_retries = 0;
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.max_retries;
\! test/simctl requests --count

-- 429 with Retry-After: honoured, then success
\! test/simctl reset
\! test/simctl fault status --status 429 --retry-after 1 --count 1 --body '{"errorCode": 429, "errorMessage": "Too Many Requests"}'
SELECT clock_timestamp() AS t0 \gset
SELECT id IS NOT NULL AS sent, clock_timestamp() - :'t0'::timestamptz >= interval '1 second' AS waited
  FROM sms_api.sms_send('5511900000001', 'after 429');

-- 429 every time: 53400 after the allowed retries
\! test/simctl reset
\! test/simctl fault status --status 429 --count 3 --body '{"errorCode": 429, "errorMessage": "Too Many Requests"}'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE

-- a Retry-After beyond sms_api.timeout_ms is not waited for
\! test/simctl reset
\! test/simctl fault status --status 429 --retry-after 60 --count 1
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count

-- the API rejected the request (400, from the simulator's own validation:
-- destinations ending 1400): SM001 with its errorMessage, never retried
\! test/simctl reset
SELECT * FROM sms_api.sms_send('5511900001400', 'rejected');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 404 --body '{"errorCode": 404, "errorMessage": "Not Found"}'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 403 --body '{"errorCode": 403, "errorMessage": "Forbidden"}'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count

-- 500 is unavailable (SM003) and not retried; 502 and 504: outcome unknown (SM002)
\! test/simctl reset
\! test/simctl fault status --status 500
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 502
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 504 --body '<html><body>Gateway Timeout</body></html>' --content-type text/html
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count

-- a redirect is never followed
\! test/simctl fault status --status 302 --body ''
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE

-- the request went out but no answer came: SM002, never retried
-- (on a new connection: see the next case for a reused one)
\c
\! test/simctl reset
\set VERBOSITY terse
\! test/simctl fault drop
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count
-- libcurl itself re-sends once when a reused keep-alive connection closes
-- before the first byte of an answer (how an idle-closed connection looks);
-- README documents this window for duplicates
\! test/simctl reset
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'opens a connection');
\! test/simctl fault drop
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'x');
\! test/simctl requests --count
-- and again on every later call of the session: libcurl counts these
-- re-sends per handle and gives up at the sixth unless the count is reset
\! test/simctl reset
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'opens a connection');
\! for i in 1 2 3 4 5 6 7; do test/simctl fault drop && test/simctl fault delay --ms 0; done
SELECT count(s.id) AS sent FROM generate_series(1, 7) g,
  LATERAL sms_api.sms_send('5511900000001', 'x' || g) s;
\! test/simctl requests --count
\! test/simctl reset
\! test/simctl fault hang --seconds 5
SET sms_api.timeout_ms = 300;
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.timeout_ms;
\set VERBOSITY default
\! test/simctl requests --count

-- answers that are not usable: SM004
\! test/simctl reset
\! test/simctl fault garbage
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault html
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --body '[]'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --body '[{"id": "a"}, {"id": "b"}]'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --body '{"correlationId": "no id"}'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --body '[{"id": 42}]'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --body '[{"id": "not-a-uuid"}]'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --body '[{"id": "9cb87d36-79af-11e5-89f3-1b0591cdf807"}] trailing'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --body '"9cb87d36-79af-11e5-89f3-1b0591cdf807"'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --body '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
-- an uppercase id is still a uuid; the API's correlationId wins over ours
\! test/simctl fault status --status 200 --body '[{"id": "9CB87D36-79AF-11E5-89F3-1B0591CDF807", "correlationId": "theirs"}]'
SELECT * FROM sms_api.sms_send('5511900000001', 'x', 'ours');
-- an answer over max_response_bytes
SET sms_api.max_response_bytes = '1MB';
\! test/simctl fault huge --bytes 2000000
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.max_response_bytes;

-- nothing listens: SM003 after the retries, nothing was sent
\set VERBOSITY terse
SET sms_api.base_url = 'http://127.0.0.1:9';
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.base_url;
\set VERBOSITY default

-- the session keeps working after all of the above
\! test/simctl reset
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'still fine');
RESET ALL;
