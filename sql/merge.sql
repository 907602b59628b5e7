-- merge: what the list and search functions receive is merged into
-- message_status by the contract's rule, in one statement per answer: a
-- stage never goes back, the newer event wins within a stage, NULL never
-- overwrites a known value; rows that would not change are not touched.
\! test/simctl reset
\! test/simctl config query_rate=0
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);

CREATE FUNCTION show_status() RETURNS TABLE (sent int, sent_at timestamptz, delivered int,
                                             delivered_at timestamptz, carrier text, extra text)
LANGUAGE sql AS $$
  SELECT sent_status_code, sent_at, delivered_status_code, delivered_at, carrier_name, extra_info
    FROM sms_api.message_status WHERE id = '11111111-2222-3333-4444-555555555555'
$$;

-- a sent status, then its delivery report
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "11111111-2222-3333-4444-555555555555", "sentStatusCode": 2, "sentStatus": "SENT_SUCCESS", "sentAt": 1700000000000, "carrierName": "TIM", "extraInfo": "first"}]}'
SELECT count(*) FROM sms_api.sms_status_list();
SELECT * FROM show_status();
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "11111111-2222-3333-4444-555555555555", "sentStatusCode": 2, "sentStatus": "SENT_SUCCESS", "sentAt": 1700000000000, "deliveredStatusCode": 4, "deliveredStatus": "DELIVERED_SUCCESS", "deliveredAt": 1700000060000}]}'
SELECT count(*) FROM sms_api.sms_status_list();
SELECT * FROM show_status();

-- a sent-only status arriving late does not take the delivery back, and
-- its NULLs (carrier, extra info) do not overwrite what is known
SELECT updated_at AS before FROM sms_api.message_status WHERE id = '11111111-2222-3333-4444-555555555555' \gset
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "11111111-2222-3333-4444-555555555555", "sentStatusCode": 2, "sentStatus": "SENT_SUCCESS", "sentAt": 1700000000000, "carrierName": null}]}'
SELECT count(*) FROM sms_api.sms_status_list();
SELECT * FROM show_status();
-- nothing changed, so the row was not touched
SELECT updated_at = :'before' AS untouched FROM sms_api.message_status WHERE id = '11111111-2222-3333-4444-555555555555';

-- within a stage the newer event wins, an older one does not
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "11111111-2222-3333-4444-555555555555", "deliveredStatusCode": 104, "deliveredStatus": "NOT_DELIVERED", "deliveredAt": 1700000120000}]}'
SELECT count(*) FROM sms_api.sms_status_list();
SELECT * FROM show_status();
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "11111111-2222-3333-4444-555555555555", "deliveredStatusCode": 4, "deliveredStatus": "DELIVERED_SUCCESS", "deliveredAt": 1700000090000}]}'
SELECT count(*) FROM sms_api.sms_status_list();
SELECT * FROM show_status();
-- an event without a time does not replace one with a time
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "11111111-2222-3333-4444-555555555555", "sentStatusCode": 101, "sentStatus": "EXPIRED"}]}'
SELECT count(*) FROM sms_api.sms_status_list();
SELECT * FROM show_status();

-- the same id twice in one answer: the most advanced event is kept
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "22222222-2222-3333-4444-555555555555", "sentStatusCode": 2, "sentAt": 1700000000000, "deliveredStatusCode": 4, "deliveredAt": 1700000060000}, {"id": "22222222-2222-3333-4444-555555555555", "sentStatusCode": 2, "sentAt": 1700000000000}]}'
SELECT count(*) AS rows_returned FROM sms_api.sms_status_list();
SELECT sent_status_code, delivered_status_code FROM sms_api.message_status
 WHERE id = '22222222-2222-3333-4444-555555555555';

-- a rolled-back call leaves nothing behind
BEGIN;
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "33333333-2222-3333-4444-555555555555", "sentStatusCode": 2}]}'
SELECT count(*) FROM sms_api.sms_status_list();
ROLLBACK;
SELECT count(*) AS after_rollback FROM sms_api.message_status
 WHERE id = '33333333-2222-3333-4444-555555555555';

DROP FUNCTION show_status();
ALTER SYSTEM RESET sms_api.query_rate_limit;
SELECT pg_reload_conf();
