-- faults: the cells of README's fault table that no other suite shows.
-- Each case starts with a "-- fault: <fault> / <path>" line that README
-- names (test/faults_table.py checks that every named line exists). A
-- synchronous call shows the SQLSTATE it raised; an outbox row, where it
-- stands after the fault and after the API is back; a poll, what
-- worker_status says and that the statuses still arrive.
\getenv sim_https SIM_HTTPS
\getenv reach_url REACH_URL
\getenv directcall_url DIRECTCALL_URL
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
ALTER SYSTEM SET sms_api.reach_rate_limit = 0;
ALTER SYSTEM SET sms_api.directcall_rate_limit = 0;
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf(), pg_sleep(0.3);
DELETE FROM sms_api.outbox;
-- the SQLSTATE a statement raised, or ok
CREATE FUNCTION fault_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
CREATE FUNCTION send1() RETURNS text LANGUAGE sql AS
  $$SELECT fault_try($q$SELECT * FROM sms_api.sms_send('5511900000001', 'x')$q$)$$;
CREATE FUNCTION bulk3() RETURNS text LANGUAGE sql AS
  $$SELECT fault_try($q$SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511988800001', '5511988800002', '5511988800003'], 'x')$q$)$$;
CREATE FUNCTION reach1() RETURNS text LANGUAGE sql AS
  $$SELECT fault_try($q$SELECT * FROM sms_api.reach_send('50235148163', 'x')$q$)$$;
CREATE FUNCTION dc1() RETURNS text LANGUAGE sql AS
  $$SELECT fault_try($q$SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x')$q$)$$;
-- an outbox row by its text: state, attempts, the SQLSTATE its last error starts with
CREATE FUNCTION row_is(t text) RETURNS text LANGUAGE sql AS
  $$SELECT state || ' ' || attempts || ' ' || coalesce(substr(last_error, 1, 5), '-')
      FROM sms_api.outbox WHERE message_text = t$$;
CREATE FUNCTION retried(t text) RETURNS boolean LANGUAGE sql AS
  $$SELECT state = 'queued' AND last_error IS NOT NULL FROM sms_api.outbox WHERE message_text = t$$;
CREATE FUNCTION sent(t text) RETURNS boolean LANGUAGE sql AS
  $$SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = t$$;

-- API down: nothing listens on the port
SET sms_api.base_url = 'http://127.0.0.1:9';
SET sms_api.reach_base_url = 'http://127.0.0.1:9/api/rest';
SET sms_api.directcall_base_url = 'http://127.0.0.1:9';
-- fault: api down / bulk
SELECT bulk3() AS bulk;
-- fault: api down / reach
SELECT reach1() AS reach;
-- fault: api down / directcall
SELECT dc1() AS directcall;
RESET ALL;
SELECT count(*) AS recorded FROM sms_api.message_status WHERE destination LIKE '55119888000%';
-- fault: api down / outbox
ALTER SYSTEM SET sms_api.base_url = 'http://127.0.0.1:9';
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT sms_api.sms_queue('5511900000004', 'down') > 0 AS queued;
SELECT wait_until($$SELECT retried('down')$$);
SELECT row_is('down');
ALTER SYSTEM RESET sms_api.base_url;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT wait_until($$SELECT sent('down')$$, 20);
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"down"'
-- fault: api down / reach outbox
ALTER SYSTEM SET sms_api.reach_base_url = 'http://127.0.0.1:9/api/rest';
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT sms_api.sms_queue('50235148163', 'reach down', provider => 'reach') > 0 AS queued;
SELECT wait_until($$SELECT retried('reach down')$$);
SELECT row_is('reach down');
ALTER SYSTEM RESET sms_api.reach_base_url;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT wait_until($$SELECT sent('reach down')$$, 20);
-- accepted by the API
\! test/simctl reach-messages --direction MT --fields message | grep -c 'reach down'
-- fault: api down / directcall outbox
ALTER SYSTEM SET sms_api.directcall_base_url = 'http://127.0.0.1:9';
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT sms_api.sms_queue('5541999990002', 'dc down', provider => 'directcall') > 0 AS queued;
SELECT wait_until($$SELECT retried('dc down')$$);
SELECT row_is('dc down');
ALTER SYSTEM RESET sms_api.directcall_base_url;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT wait_until($$SELECT sent('dc down')$$, 20);
-- accepted by the API
\! test/simctl directcall-messages --fields texto | grep -c 'dc down'

-- slow past every timeout: the API acts and never answers
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
SET sms_api.timeout_ms = 300;
-- fault: slow / bulk
\! test/simctl fault hang --seconds 5 --process --path /v1/send-bulk-sms
SELECT bulk3() AS bulk;
-- fault: slow / directcall
\! test/simctl fault hang --seconds 5 --process --path /directcall/sms
SELECT dc1() AS directcall;
RESET sms_api.timeout_ms;
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
-- fault: slow / outbox (the API acted: the row is sent again)
ALTER SYSTEM SET sms_api.timeout_ms = 500;
SELECT pg_reload_conf(), pg_sleep(0.3);
\! test/simctl fault hang --seconds 5 --process --path /v1/send-bulk-sms
SELECT sms_api.sms_queue('5511900000005', 'slow') > 0 AS queued;
SELECT wait_until($$SELECT sent('slow')$$, 20), row_is('slow');
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"slow"'
-- fault: slow / reach outbox
\! test/simctl fault hang --seconds 5 --process --path /reach
SELECT sms_api.sms_queue('50235148163', 'reach slow', provider => 'reach') > 0 AS queued;
SELECT wait_until($$SELECT sent('reach slow')$$, 20), row_is('reach slow');
-- accepted by the API
\! test/simctl reach-messages --direction MT --fields message | grep -c 'reach slow'
-- the reset took the worker's Directcall token: a row first renews it, so that the
-- fault meets a request the API accepts
SELECT sms_api.sms_queue('5541999990007', 'dc warm 1', provider => 'directcall') > 0 AS queued;
SELECT wait_until($$SELECT sent('dc warm 1')$$, 20);
-- fault: slow / directcall outbox (the API acted: the row is sent again)
\! test/simctl fault hang --seconds 5 --process --path /directcall/sms
SELECT sms_api.sms_queue('5541999990005', 'dc slow', provider => 'directcall') > 0 AS queued;
SELECT wait_until($$SELECT sent('dc slow')$$, 20), row_is('dc slow');
-- accepted by the API
\! test/simctl directcall-messages --fields texto | grep -c 'dc slow'
-- fault: slow / poll
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 200;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT now() AS t_case \gset
\! test/simctl fault hang --seconds 5 --path /v1/sms/status/list
SELECT id AS slow_id FROM sms_api.sms_send('5511900000006', 'slow poll') \gset
SELECT wait_until(format($$SELECT last_error LIKE '%%did not answer%%' AND last_error_at >= %L FROM sms_api.worker_status$$, :'t_case'));
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'slow_id'));
ALTER SYSTEM RESET sms_api.timeout_ms;
ALTER SYSTEM RESET sms_api.status_poll_interval_ms;
SELECT pg_reload_conf(), pg_sleep(0.3);

-- 429 storm, with and without Retry-After
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
-- fault: 429 retry-after / bulk (waited for, then sent)
\! test/simctl fault status --status 429 --retry-after 1 --count 1 --path /v1/send-bulk-sms
SELECT clock_timestamp() AS t0 \gset
SELECT bulk3() AS bulk, clock_timestamp() - :'t0'::timestamptz >= interval '1 second' AS waited;
-- fault: 429 / bulk (every attempt refused: 53400)
\! test/simctl fault status --status 429 --count 3 --path /v1/send-bulk-sms
SELECT bulk3() AS bulk;
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
-- fault: 429 retry-after / reach
\! test/simctl fault status --path /reach --status 429 --retry-after 1 --count 1 --body '{"code": 42900, "error": "Too Many Requests"}'
SELECT reach1() AS reach;
-- fault: 429 / directcall
\! test/simctl fault status --path /directcall/sms --status 429 --count 3
SELECT dc1() AS directcall;
-- fault: 429 retry-after / directcall
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
\! test/simctl fault status --path /directcall/sms --status 429 --retry-after 1 --count 1
SELECT dc1() AS directcall;
-- fault: 429 retry-after / outbox (the row waits at least the Retry-After)
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
\! test/simctl fault status --status 429 --retry-after 3 --count 1 --path /v1/send-bulk-sms
SELECT sms_api.sms_queue('5511900000007', 'told to wait') > 0 AS queued;
SELECT wait_until($$SELECT retried('told to wait')$$);
SELECT row_is('told to wait'), next_attempt_at - now() > interval '2 s' AS waits
  FROM sms_api.outbox WHERE message_text = 'told to wait';
SELECT wait_until($$SELECT sent('told to wait')$$, 20);
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"told to wait"'
-- fault: 429 retry-after / poll
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 200;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT rate_limited AS rl0 FROM sms_api.worker_status \gset
SELECT now() AS t_case \gset
\! test/simctl fault status --status 429 --retry-after 1 --count 2 --path /v1/sms/status/list
SELECT id AS rl_id FROM sms_api.sms_send('5511900000008', 'poll 429') \gset
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'rl_id'));
-- the counter is published a moment after the page that follows the 429s
SELECT wait_until(format($$SELECT rate_limited > %s FROM sms_api.worker_status$$, :rl0)) AS counted;
SELECT last_error LIKE '%429%' AS said FROM sms_api.worker_status;
ALTER SYSTEM RESET sms_api.status_poll_interval_ms;
SELECT pg_reload_conf(), pg_sleep(0.3);

-- 5xx burst
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
-- fault: 5xx / directcall (503 on the send: retried, then SM003)
\! test/simctl fault status --path /directcall/sms --status 503 --count 3
SELECT dc1() AS directcall;
\! test/simctl requests --path /directcall/sms --count
-- fault: 5xx / directcall outbox
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
\! test/simctl fault status --path /directcall/sms --status 503 --count 2
SELECT sms_api.sms_queue('5541999990003', 'dc 503', provider => 'directcall') > 0 AS queued;
SELECT wait_until($$SELECT sent('dc 503')$$, 20), row_is('dc 503');
-- accepted by the API
\! test/simctl directcall-messages --fields texto | grep -c 'dc 503'

-- truncated bodies: a 2xx whose JSON stops midway (SM004)
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
-- fault: truncated / sync
\! test/simctl fault status --status 200 --path /v1/send-sms --body '[{"id": "9cb87d36-79af-11e5'
SELECT send1() AS sync;
-- fault: truncated / bulk
\! test/simctl fault status --status 200 --path /v1/send-bulk-sms --body '{"id": "ce528d70-013b-11e7-98f2-e27c463c8809", "messages": [{"id": "ce52'
SELECT bulk3() AS bulk;
-- fault: truncated / reach
\! test/simctl fault status --status 200 --path /reach --body '{"message_id": "0123456789ab'
SELECT reach1() AS reach;
-- fault: truncated / directcall
\! test/simctl fault status --status 200 --path /directcall/sms --body '{"api": "sms", "status": "ok", "cod'
SELECT dc1() AS directcall;
-- fault: truncated / outbox (an unusable answer to a 2xx: retried, the API acted, so twice)
\! test/simctl fault status --status 200 --process --path /v1/send-bulk-sms --body '{"id": "ce528d70-013b-11e7-98f2-e27c463c8809", "messages": [{"id": "ce52'
SELECT sms_api.sms_queue('5511900000009', 'cut short') > 0 AS queued;
SELECT wait_until($$SELECT sent('cut short')$$, 20), row_is('cut short');
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"cut short"'
-- fault: truncated / poll
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 200;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT now() AS t_case \gset
\! test/simctl fault status --status 200 --path /v1/sms/status/list --body '{"smsStatuses": [{"id": "1111'
SELECT id AS cut_id FROM sms_api.sms_send('5511900000010', 'poll cut') \gset
SELECT wait_until(format($$SELECT last_error LIKE '%%answered something unusable%%' AND last_error_at >= %L FROM sms_api.worker_status$$, :'t_case'));
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'cut_id'));

-- oversized bodies: over max_response_bytes (SM004)
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
SET sms_api.max_response_bytes = '1MB';
-- fault: oversized / bulk
\! test/simctl fault huge --bytes 2000000 --path /v1/send-bulk-sms
SELECT bulk3() AS bulk;
-- fault: oversized / reach
\! test/simctl fault huge --bytes 2000000 --path /reach
SELECT reach1() AS reach;
-- fault: oversized / directcall
\! test/simctl fault huge --bytes 2000000 --path /directcall/sms
SELECT dc1() AS directcall;
RESET sms_api.max_response_bytes;
-- fault: oversized / poll
ALTER SYSTEM SET sms_api.max_response_bytes = '1MB';
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT now() AS t_case \gset
\! test/simctl fault huge --bytes 2000000 --path /v1/sms/status/list
SELECT id AS huge_id FROM sms_api.sms_send('5511900000011', 'poll huge') \gset
SELECT wait_until(format($$SELECT last_error LIKE '%%answer is too large%%' AND last_error_at >= %L FROM sms_api.worker_status$$, :'t_case'));
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'huge_id'));
-- fault: oversized / outbox
\! test/simctl fault huge --bytes 2000000 --path /v1/send-bulk-sms
SELECT sms_api.sms_queue('5511900000012', 'too big an answer') > 0 AS queued;
SELECT wait_until($$SELECT sent('too big an answer')$$, 20), row_is('too big an answer');
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"too big an answer"'
ALTER SYSTEM RESET sms_api.max_response_bytes;
SELECT pg_reload_conf(), pg_sleep(0.3);

-- non-JSON bodies
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
-- fault: non-json / bulk
\! test/simctl fault garbage --path /v1/send-bulk-sms
SELECT bulk3() AS bulk;
-- fault: non-json / outbox (nothing accepted: sent once, later)
\! test/simctl fault html --status 200 --path /v1/send-bulk-sms
SELECT sms_api.sms_queue('5511900000013', 'html answer') > 0 AS queued;
SELECT wait_until($$SELECT sent('html answer')$$, 20), row_is('html answer');
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"html answer"'
-- fault: non-json / poll
SELECT now() AS t_case \gset
\! test/simctl fault garbage --path /v1/sms/status/list
SELECT id AS garbage_id FROM sms_api.sms_send('5511900000014', 'poll garbage') \gset
SELECT wait_until(format($$SELECT last_error LIKE '%%answered something unusable%%' AND last_error_at >= %L FROM sms_api.worker_status$$, :'t_case'));
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'garbage_id'));

-- dropped connection, before the API acted and after it
\c
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
\set VERBOSITY terse
-- fault: drop before / bulk
\! test/simctl fault drop --path /v1/send-bulk-sms
SELECT bulk3() AS bulk;
\c
-- fault: drop after / bulk
\! test/simctl fault drop --process --path /v1/send-bulk-sms
SELECT bulk3() AS bulk;
\c
-- fault: drop after / sync
\! test/simctl fault drop --process --path /v1/send-sms
SELECT send1() AS sync;
\c
-- fault: drop before / reach
\! test/simctl fault drop --path /reach
SELECT reach1() AS reach;
\c
-- fault: drop after / reach
\! test/simctl fault drop --process --path /reach
SELECT reach1() AS reach;
\c
-- fault: drop before / directcall
\! test/simctl fault drop --path /directcall/sms
SELECT dc1() AS directcall;
\c
-- fault: drop after / directcall
\! test/simctl fault drop --process --path /directcall/sms
SELECT dc1() AS directcall;
\set VERBOSITY default
-- fault: drop before / outbox (the API did not act: sent once)
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
\! test/simctl fault drop --path /v1/send-bulk-sms
SELECT sms_api.sms_queue('5511900000015', 'dropped early') > 0 AS queued;
SELECT wait_until($$SELECT sent('dropped early')$$, 20), row_is('dropped early');
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"dropped early"'
-- fault: drop after / outbox (the API acted: sent twice)
\! test/simctl fault drop --process --path /v1/send-bulk-sms
SELECT sms_api.sms_queue('5511900000016', 'dropped late') > 0 AS queued;
SELECT wait_until($$SELECT sent('dropped late')$$, 20), row_is('dropped late');
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"dropped late"'
-- fault: drop after / reach outbox
\! test/simctl fault drop --process --path /reach
SELECT sms_api.sms_queue('50235148163', 'reach dropped late', provider => 'reach') > 0 AS queued;
SELECT wait_until($$SELECT sent('reach dropped late')$$, 20), row_is('reach dropped late');
-- accepted by the API
\! test/simctl reach-messages --direction MT --fields message | grep -c 'reach dropped late'
-- the reset took the worker's Directcall token: a row first renews it, so that the
-- fault meets a request the API accepts
SELECT sms_api.sms_queue('5541999990008', 'dc warm 2', provider => 'directcall') > 0 AS queued;
SELECT wait_until($$SELECT sent('dc warm 2')$$, 20);
-- fault: drop after / directcall outbox
\! test/simctl fault drop --process --path /directcall/sms
SELECT sms_api.sms_queue('5541999990004', 'dc dropped late', provider => 'directcall') > 0 AS queued;
SELECT wait_until($$SELECT sent('dc dropped late')$$, 20), row_is('dc dropped late');
-- accepted by the API
\! test/simctl directcall-messages --fields texto | grep -c 'dc dropped late'
-- fault: drop after / poll (the page is gone from the list: reconciliation brings it back)
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 200;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT now() AS t_case \gset
\! test/simctl fault drop --process --path /v1/sms/status/list
SELECT id AS drop_id FROM sms_api.sms_send('5511900000017', 'poll dropped') \gset
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'drop_id'), 20);
\! test/simctl requests --path /v1/sms/status/search --count | sed 's/^[1-9][0-9]*$/searched/'
-- fault: drop before / poll (nothing handed out: the next poll gets it)
\! test/simctl fault drop --path /v1/sms/status/list
SELECT id AS early_id FROM sms_api.sms_send('5511900000020', 'poll dropped early') \gset
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'early_id'), 20);
ALTER SYSTEM RESET sms_api.status_poll_interval_ms;
SELECT pg_reload_conf(), pg_sleep(0.3);

-- TLS failure: a certificate no trusted CA signed
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
\set VERBOSITY terse
SET sms_api.base_url = :'sim_https';
-- fault: tls / bulk
SELECT bulk3() AS bulk;
-- fault: tls / reach
SELECT replace(:'reach_url', 'http://', 'https://') AS reach_https \gset
SELECT replace(:'reach_https', split_part(:'reach_url', '/', 3), split_part(:'sim_https', '/', 3)) AS reach_https \gset
SET sms_api.reach_base_url = :'reach_https';
SELECT reach1() AS reach;
-- fault: tls / directcall
SELECT :'sim_https' || '/directcall' AS dc_https \gset
SET sms_api.directcall_base_url = :'dc_https';
SELECT dc1() AS directcall;
RESET ALL;
\set VERBOSITY default
\! test/simctl requests --count
-- fault: tls / outbox
ALTER SYSTEM SET sms_api.base_url = :'sim_https';
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT sms_api.sms_queue('5511900000018', 'untrusted') > 0 AS queued;
SELECT wait_until($$SELECT retried('untrusted')$$);
SELECT row_is('untrusted');
ALTER SYSTEM RESET sms_api.base_url;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT wait_until($$SELECT sent('untrusted')$$, 20);
-- accepted by the API
\! test/simctl messages --fields messageText | grep -c '"untrusted"'
-- fault: tls / poll
SELECT now() AS t_case \gset
ALTER SYSTEM SET sms_api.base_url = :'sim_https';
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 200;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT wait_until(format($$SELECT last_error LIKE '%%could not set up a secure connection%%' AND last_error_at >= %L FROM sms_api.worker_status$$, :'t_case'));
ALTER SYSTEM RESET sms_api.base_url;
ALTER SYSTEM RESET sms_api.status_poll_interval_ms;
SELECT pg_reload_conf(), pg_sleep(0.3);

-- bad credentials
\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
-- fault: credentials / bulk
SET sms_api.username = 'someone-else';
SELECT bulk3() AS bulk;
RESET sms_api.username;
-- fault: credentials / directcall
SET sms_api.directcall_client_secret = 'not-the-secret';
SELECT dc1() AS directcall;
RESET sms_api.directcall_client_secret;
-- fault: credentials / outbox (paused: no attempt spent until a reload fixes it)
ALTER SYSTEM SET sms_api.username = 'someone-else';
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT sms_api.sms_queue('5511900000019', 'wrong account') > 0 AS queued;
-- the pause shows in provider_status a moment before the drain writes the row back
SELECT wait_until($$SELECT state LIKE 'paused%' FROM sms_api.provider_status WHERE provider = 'sinch'$$);
SELECT wait_until($$SELECT retried('wrong account')$$);
SELECT row_is('wrong account');
ALTER SYSTEM RESET sms_api.username;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT wait_until($$SELECT sent('wrong account')$$, 20), row_is('wrong account');
-- fault: credentials / poll
SELECT now() AS t_case \gset
ALTER SYSTEM SET sms_api.username = 'someone-else';
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 200;
SELECT pg_reload_conf(), pg_sleep(0.3);
SELECT wait_until(format($$SELECT last_error LIKE '%%refused the credentials%%' AND last_error_at >= %L FROM sms_api.worker_status$$, :'t_case'));
ALTER SYSTEM RESET sms_api.username;
ALTER SYSTEM RESET sms_api.status_poll_interval_ms;
SELECT pg_reload_conf(), pg_sleep(0.3);

\! test/simctl reset && test/simctl config reach_rate=0 query_rate=0
DELETE FROM sms_api.outbox;
DROP FUNCTION fault_try(text), send1(), bulk3(), reach1(), dc1(), row_is(text), retried(text),
  sent(text);
