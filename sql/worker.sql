-- worker: the background worker runs in sms_api.database, shows in
-- pg_stat_activity, drains statuses and replies into the tables without any
-- call, follows SIGHUP, answers wake(); ingest() merges webhook bodies.
\! test/simctl reset
\! test/simctl config query_rate=0
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf();

-- it runs here, under its own backend_type, and worker_status shows it
SELECT wait_until($$SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sms_api worker'$$);
SELECT datname, application_name FROM pg_stat_activity WHERE backend_type = 'sms_api worker';
SELECT w.pid = a.pid AS same_pid, w.started_at <= now() AS started
  FROM sms_api.worker_status w, pg_stat_activity a WHERE a.backend_type = 'sms_api worker';

-- polling on: a sent message's statuses appear without any call
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 200;
SELECT pg_reload_conf();
SELECT id AS polled_id FROM sms_api.sms_send('5511900000010', 'watch me', 'worker-1') \gset
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'polled_id'));
SELECT correlation_id, sent_status, delivered_status FROM sms_api.message_status WHERE id = :'polled_id';
SELECT wait_until($$SELECT last_poll_at IS NOT NULL AND statuses_merged > 0 AND requests > 0
                    FROM sms_api.worker_status$$) AS counted;

-- a SIGHUP changes the interval: 100 ms polls often, an hour not at all
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 100;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
\! test/simctl mark
SELECT pg_sleep(1);
\! test/simctl requests --since-mark --path /v1/sms/status/list --count | awk '{ print ($1 >= 4) ? "polls often" : "polls rarely: " $1 }'
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 3600000;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
\! test/simctl mark
SELECT pg_sleep(1);
\! test/simctl requests --since-mark --path /v1/sms/status --count

-- wake() polls now, whatever the interval
SELECT id AS woken_id FROM sms_api.sms_send('5511900000012', 'wake up', 'worker-2') \gset
SELECT sms_api.wake();
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'woken_id'), 5);

-- replies: mo_poll_interval_ms drains /v1/sms/receive/list into mo_message
ALTER SYSTEM SET sms_api.mo_poll_interval_ms = 200;
SELECT pg_reload_conf();
\! test/simctl mo --source 5516981562820 --text 'Quero sim'
SELECT wait_until($$SELECT count(*) = 1 FROM sms_api.mo_message WHERE message_text = 'Quero sim'$$);
SELECT wait_until($$SELECT mos_merged >= 1 FROM sms_api.worker_status$$);

-- the API failing: the worker backs off and says why, then recovers
ALTER SYSTEM SET sms_api.mo_poll_interval_ms = 0;
ALTER SYSTEM SET sms_api.status_poll_interval_ms = 200;
SELECT pg_reload_conf();
\! test/simctl fault status --status 503 --count 3 --path /v1/sms/status/list --body '{"errorCode": 503, "errorMessage": "Service Unavailable"}'
SELECT wait_until($$SELECT last_error LIKE '%503%' FROM sms_api.worker_status$$);
SELECT last_error, last_error_at IS NOT NULL AS dated FROM sms_api.worker_status;
SELECT id AS later_id FROM sms_api.sms_send('5511900000014', 'after the outage') \gset
SELECT wait_until(format($$SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = %L$$, :'later_id'));

-- webhooks: every documented payload shape through ingest()
\set cb_sent `cat test/fixtures/callback-sent.json`
SELECT sms_api.ingest(:'cb_sent');
\echo :LAST_ERROR_SQLSTATE
\set cb_sent `sed 's/"extraInfo":"",/"extraInfo":""/' test/fixtures/callback-sent.json`
SELECT sms_api.ingest(:'cb_sent');
\set cb_dlr `cat test/fixtures/callback-dlr.json`
SELECT sms_api.ingest(:'cb_dlr');
\set mo_push `cat test/fixtures/mo.json`
SELECT sms_api.ingest(:'mo_push');
\set mo_list `(echo '{'; cat test/fixtures/mo-list-response.json)`
SELECT sms_api.ingest(:'mo_list');
SELECT id, correlation_id, carrier_name, sent_status_code, sent_at, delivered_status_code,
       delivered_at, campaign_id, extra_info
  FROM sms_api.message_status
 WHERE id IN ('f9c100ff-aed0-4456-898c-e57d754c439c', '8f5af680-973e-11e4-ad43-4ee58e9a13a6')
 ORDER BY id;
SELECT id, source, message_text, received_at, mt_id, mt_correlation_id
  FROM sms_api.mo_message WHERE mt_correlation_id IN ('1876', '1893')
 ORDER BY id;
-- an array of them, a list answer's envelope, and the same again (nothing changes)
SELECT sms_api.ingest('[{"id": "9cb87d36-79af-11e5-89f3-1b0591cdf807", "sentStatusCode": 2, "sentStatus": "SENT_SUCCESS", "sentAt": 1700000000000},
                        {"id": "9cb87d36-79af-11e5-89f3-1b0591cdf808", "deliveredStatusCode": 104, "deliveredStatus": "NOT_DELIVERED"}]');
SELECT sms_api.ingest('{"total": 1, "smsStatuses": [{"id": "9cb87d36-79af-11e5-89f3-1b0591cdf809", "sentStatusCode": 203}]}');
SELECT sms_api.ingest('{"total": 1, "smsStatuses": [{"id": "9cb87d36-79af-11e5-89f3-1b0591cdf809", "sentStatusCode": 203}]}');
-- bodies that are none of these (22023)
SELECT sms_api.ingest('{"hello": "world"}');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.ingest('[{"sentStatusCode": 2}]');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.ingest('"text"');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.ingest('[]');

-- back to quiet
ALTER SYSTEM RESET sms_api.status_poll_interval_ms;
ALTER SYSTEM RESET sms_api.mo_poll_interval_ms;
ALTER SYSTEM RESET sms_api.query_rate_limit;
SELECT pg_reload_conf();
-- (a reload reaches the worker a moment later)
SELECT pg_sleep(0.5);
