-- status: sms_status() and sms_status_list() return the API's statuses as
-- rows (epoch ms and ISO times as timestamptz, both names of the sent
-- time, campaignId as number or string, absent fields NULL) and merge
-- them into message_status; status queries keep to query_rate_limit.
\! test/simctl reset

-- sends whose destinations choose the outcome (see test/sim/README.md)
SELECT count(*) FROM sms_api.sms_send_bulk(
  ARRAY['5511900000010', '5511900001202', '5511900001104', '5511900001999'], 'x',
  ARRAY['st-ok', 'st-invalid', 'st-undelivered', 'st-oi'], campaign_alias => 'promo');

-- by correlation id: the rows as the API reports them
SELECT correlation_id, carrier_id, carrier_name, destination,
       sent_status_code, sent_status, sent_at IS NOT NULL AS has_sent_at,
       delivered_status_code, delivered_status, delivered_at IS NOT NULL AS has_delivered_at,
       campaign_id IS NOT NULL AS has_campaign, extra_info
  FROM sms_api.sms_status(correlation_ids => ARRAY['st-ok', 'st-invalid', 'st-undelivered', 'st-oi'])
 ORDER BY correlation_id;

-- merged into message_status, joinable with status_code
SELECT s.correlation_id, sc.name, sc.final, sc.success,
       dc.name AS delivered, dc.final AS delivered_final, dc.success AS delivered_success
  FROM sms_api.message_status s
  JOIN sms_api.status_code sc ON sc.code = s.sent_status_code
  LEFT JOIN sms_api.status_code dc ON dc.code = s.delivered_status_code
 WHERE s.correlation_id LIKE 'st-%' ORDER BY 1;

-- by id; unknown ids simply give no row; two queries back to back keep to
-- 1/s without a 429 (the second waits its turn, however fast the first was)
SELECT clock_timestamp() AS t0 \gset
SELECT (SELECT count(*) FROM sms_api.sms_status(
          (SELECT array_agg(id) FROM sms_api.message_status WHERE correlation_id LIKE 'st-%')
          || '00000000-0000-0000-0000-000000000000'::uuid)) AS found,
       (SELECT count(*) FROM sms_api.sms_status(ARRAY['00000000-0000-0000-0000-000000000000']::uuid[])) AS unknown_found;
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.9 seconds' AS waited_its_turn;
\! test/simctl requests --path /v1/sms/status --fields path,status

-- arguments
SELECT * FROM sms_api.sms_status();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_status('{}', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_status(ARRAY[NULL]::uuid[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_status(correlation_ids => ARRAY['a', NULL]);
\echo :LAST_ERROR_SQLSTATE

-- the rest of this file does not need to wait for the 1/s budget
\! test/simctl config query_rate=0
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);

-- the list hands each status change out once
SELECT count(*) > 0 AS got_some FROM sms_api.sms_status_list();
SELECT count(*) AS again FROM sms_api.sms_status_list();

-- a 429 is still retried if it comes
\! test/simctl fault status --status 429 --retry-after 1 --path /v1/sms/status
SELECT count(*) AS after_429 FROM sms_api.sms_status_list();
\! test/simctl requests --path /v1/sms/status --last 2 --fields status

-- the payload shapes the API is known to use
\! test/simctl fault status --status 200 --path /v1/sms/status --body-file test/fixtures/status-shapes.json
SELECT id, correlation_id, carrier_id, carrier_name, sent_status_code, sent_at,
       delivered_status_code, delivered_at, campaign_id, extra_info
  FROM sms_api.sms_status_list();

-- malformed answers: SM004, or a WARNING for items without a usable id
\! test/simctl fault garbage --path /v1/sms/status
SELECT * FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"total": 0}'
SELECT * FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": {"id": "x"}}'
SELECT * FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/sms/status --body '[]'
SELECT * FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": null}'
SELECT count(*) FROM sms_api.sms_status_list();
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"correlationId": "no id"}, {"id": "nope"}, 7, {"id": "8f5af680-973e-11e4-ad43-4ee58e9a13a7", "sentStatusCode": "two", "sentAt": "soon", "carrierId": 99999999999, "campaignId": {"x": 1}}]}'
SELECT id, sent_status_code, sent_at, carrier_id, campaign_id FROM sms_api.sms_status_list();

ALTER SYSTEM RESET sms_api.query_rate_limit;
SELECT pg_reload_conf();
