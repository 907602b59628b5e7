-- status_decode: status list answers are decoded as a stream, building no
-- tree (json_status.c), and by json-c only when the stream cannot tell
-- (here forced by a "\u0000" member at the root, which PostgreSQL's lexer
-- refuses). Each answer below goes through both, and both give the same
-- rows: the same fields read by the same rules, odd values included.
\! test/simctl reset
\! test/simctl config query_rate=0
ALTER SYSTEM SET sms_api.query_rate_limit = 0;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);

CREATE TEMP TABLE decoded (path text, n bigint, item text);
-- the rows of the stream's decode, then whether json-c's are the same
\set stream 'INSERT INTO decoded SELECT ''stream'', row_number() OVER (), s::text FROM sms_api.sms_status_list() s'
\set jsonc 'INSERT INTO decoded SELECT ''json-c'', row_number() OVER (), s::text FROM sms_api.sms_status_list() s'
\set compare 'SELECT item FROM decoded WHERE path = ''stream'' ORDER BY n; SELECT count(*) FILTER (WHERE path = ''stream'') AS stream_rows, count(*) FILTER (WHERE path = ''json-c'') AS jsonc_rows, (SELECT count(*) FROM ((SELECT n, item FROM decoded WHERE path = ''stream'' EXCEPT SELECT n, item FROM decoded WHERE path = ''json-c'') UNION ALL (SELECT n, item FROM decoded WHERE path = ''json-c'' EXCEPT SELECT n, item FROM decoded WHERE path = ''stream'')) d) = 0 AS same FROM decoded; TRUNCATE decoded;'

-- a repeated member: the last one counts, a null one too
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000001", "sentStatusCode": 1, "sentStatusCode": 2, "carrierName": "TIM", "carrierName": null, "destination": "5511900000001"}]}'
:stream;
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"x": "\u0000", "smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000001", "sentStatusCode": 1, "sentStatusCode": 2, "carrierName": "TIM", "carrierName": null, "destination": "5511900000001"}]}'
:jsonc;
:compare

-- containers, booleans and numbers that are not integers count as absent;
-- members after a nested value are still read; unknown members are ignored
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"total": 1, "meta": {"a": [1, {"b": null}]}, "smsStatuses": [{"carrierName": {"a": [1, {"id": "not this one"}]}, "extraInfo": [1, 2], "destination": true, "sentStatusCode": 2.0, "deliveredStatusCode": 1e2, "campaignId": false, "unknown": {"sentStatus": "no"}, "id": "D0000000-0000-4000-8000-00000000000A", "sentStatus": "after"}]}'
:stream;
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"x": "\u0000", "total": 1, "meta": {"a": [1, {"b": null}]}, "smsStatuses": [{"carrierName": {"a": [1, {"id": "not this one"}]}, "extraInfo": [1, 2], "destination": true, "sentStatusCode": 2.0, "deliveredStatusCode": 1e2, "campaignId": false, "unknown": {"sentStatus": "no"}, "id": "D0000000-0000-4000-8000-00000000000A", "sentStatus": "after"}]}'
:jsonc;
:compare

-- integers: as strings of digits too; int32 and int64 bounds; past int64
-- absent; an integer as text where text is expected
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000002", "carrierId": "42", "sentStatusCode": -7, "deliveredStatusCode": 2147483648, "campaignId": 9223372036854775807, "carrierName": 12345, "extraInfo": -0}, {"id": "d0000000-0000-4000-8000-000000000003", "carrierId": " 43", "sentStatusCode": "2x", "campaignId": 9223372036854775808, "deliveredStatusCode": -2147483648}, {"id": "d0000000-0000-4000-8000-000000000004", "campaignId": 123456789012345678901234567890, "carrierId": "-9"}]}'
:stream;
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"x": "\u0000", "smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000002", "carrierId": "42", "sentStatusCode": -7, "deliveredStatusCode": 2147483648, "campaignId": 9223372036854775807, "carrierName": 12345, "extraInfo": -0}, {"id": "d0000000-0000-4000-8000-000000000003", "carrierId": " 43", "sentStatusCode": "2x", "campaignId": 9223372036854775808, "deliveredStatusCode": -2147483648}, {"id": "d0000000-0000-4000-8000-000000000004", "campaignId": 123456789012345678901234567890, "carrierId": "-9"}]}'
:jsonc;
:compare

-- escapes, accents and a surrogate pair; a "\u0000" inside a member makes
-- that member absent (json-c reads it; the stream hands it over)
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000005", "carrierName": "T\u00edM \"q\" \\ \/", "destination": "ação", "extraInfo": "\ud83d\ude00 tab\there"}]}'
:stream;
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"x": "\u0000", "smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000005", "carrierName": "T\u00edM \"q\" \\ \/", "destination": "ação", "extraInfo": "\ud83d\ude00 tab\there"}]}'
:jsonc;
:compare
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000006", "carrierName": "a\u0000b", "sentStatus": "kept"}]}'
SELECT id, carrier_name, sent_status FROM sms_api.sms_status_list();

-- times: epoch milliseconds as numbers or digits, else the ISO member;
-- out of range absent
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000007", "sentAt": "1700000000000", "deliveredDate": "2024-06-01T12:00:00.250+01:00"}, {"id": "d0000000-0000-4000-8000-000000000008", "sentAt": -1, "sentDate": "2024-06-01T12:00:00Z", "deliveredAt": 253402300800000, "deliveredDate": 5}, {"id": "d0000000-0000-4000-8000-000000000009", "sentStatusAt": 1700000000000, "sentAt": 1.5}]}'
:stream;
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"x": "\u0000", "smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000007", "sentAt": "1700000000000", "deliveredDate": "2024-06-01T12:00:00.250+01:00"}, {"id": "d0000000-0000-4000-8000-000000000008", "sentAt": -1, "sentDate": "2024-06-01T12:00:00Z", "deliveredAt": 253402300800000, "deliveredDate": 5}, {"id": "d0000000-0000-4000-8000-000000000009", "sentStatusAt": 1700000000000, "sentAt": 1.5}]}'
:jsonc;
:compare

-- items without a usable id, and items that are not objects, are skipped
-- and counted; one id twice in a page comes back twice
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [7, "x", null, [], [{"id": "d0000000-0000-4000-8000-00000000000b"}], {"id": "d0000000-0000-4000-8000-00000000000"}, {"id": 5}, {"id": "d0000000-0000-4000-8000-00000000000b", "sentStatusCode": 2}, {"id": "d0000000-0000-4000-8000-00000000000b", "sentStatusCode": 3}]}'
:stream;
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"x": "\u0000", "smsStatuses": [7, "x", null, [], [{"id": "d0000000-0000-4000-8000-00000000000b"}], {"id": "d0000000-0000-4000-8000-00000000000"}, {"id": 5}, {"id": "d0000000-0000-4000-8000-00000000000b", "sentStatusCode": 2}, {"id": "d0000000-0000-4000-8000-00000000000b", "sentStatusCode": 3}]}'
:jsonc;
:compare

-- the envelope's member twice: the last one counts, also when null
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-00000000000c"}], "smsStatuses": [{"id": "d0000000-0000-4000-8000-00000000000d"}]}'
SELECT id FROM sms_api.sms_status_list();
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-00000000000c"}], "smsStatuses": null}'
SELECT count(*) FROM sms_api.sms_status_list();
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-00000000000c"}], "smsStatuses": "x"}'
SELECT count(*) FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE

-- a lone surrogate, which PostgreSQL's lexer refuses, is json-c's to read
-- (as it always was)
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000010", "extraInfo": "\ud83d", "sentStatus": "lone"}]}'
SELECT id, extra_info, sent_status FROM sms_api.sms_status_list();

-- nesting: 20 levels inside a member (past the stream's limit, within
-- json-c's) is read by json-c; 40 levels is refused
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-00000000000e", "extraInfo": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]], "sentStatus": "deep"}]}'
SELECT id, extra_info, sent_status FROM sms_api.sms_status_list();
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-00000000000f", "extraInfo": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}'
SELECT count(*) FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE

-- not JSON: a trailing comma, something after the value, leading zeros,
-- nothing at all
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000010"},]}'
SELECT count(*) FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": []} x'
SELECT count(*) FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-000000000010", "carrierId": 01}]}'
SELECT count(*) FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --status 200 --path /v1/sms/status --body ' '
SELECT count(*) FROM sms_api.sms_status_list();
\echo :LAST_ERROR_SQLSTATE

-- a page of new ids and known ones: the plain INSERT gives way to the merge
TRUNCATE sms_api.message_status;
INSERT INTO sms_api.message_status (id, sent_status_code) VALUES ('d0000000-0000-4000-8000-0000000000f2', 1);
\! test/simctl fault status --status 200 --path /v1/sms/status --body '{"smsStatuses": [{"id": "d0000000-0000-4000-8000-0000000000f1", "sentStatusCode": 2}, {"id": "d0000000-0000-4000-8000-0000000000f2", "sentStatusCode": 2}, {"id": "d0000000-0000-4000-8000-0000000000f3", "sentStatusCode": 2}]}'
SELECT count(*) FROM sms_api.sms_status_list();
SELECT id, sent_status_code FROM sms_api.message_status ORDER BY id;

TRUNCATE sms_api.message_status;
ALTER SYSTEM RESET sms_api.query_rate_limit;
SELECT pg_reload_conf();
