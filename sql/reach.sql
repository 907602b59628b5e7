-- reach: the Reach functions against the simulator. Every request signed;
-- validation before any request; answers merged into reach_message; the
-- listing pages to the end; refusals mapped onto our SQLSTATEs.
\! test/simctl reset
\! test/simctl config reach_rate=0
ALTER SYSTEM SET sms_api.reach_rate_limit = 0;
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);

-- the secrets are not in pg_settings, and are masked for SHOW
SELECT count(*) AS secrets_in_pg_settings FROM pg_settings
 WHERE name IN ('sms_api.reach_api_key', 'sms_api.reach_api_secret');
SHOW sms_api.reach_api_key;

-- a send: one signed POST, the Message merged and returned
SELECT message_id ~ '^[0-9a-f]{24}$' AS has_id, id, short_code, country, msisdn, direction,
       status, message, total_recipients, sent_from, sent_count, error_count, total_monitors,
       is_scheduled, is_billable, created_on IS NOT NULL AS dated, created_by, type,
       updated_at IS NOT NULL AS stored
  FROM sms_api.reach_send('+50235148163', 'hola', 'order-1');
SELECT msisdn, id, status, message FROM sms_api.reach_message;
\! test/simctl requests --path /reach --fields method,path,auth,body

-- created_on is read in sms_api.reach_time_zone (the operator's local time)
\! test/simctl reset
\! test/simctl config reach_rate=0 reach_utc_offset_minutes=-360
SET sms_api.reach_time_zone = 'America/Guatemala';
SELECT abs(extract(epoch FROM created_on - now())) < 120 AS created_now
  FROM sms_api.reach_send('50235148163', 'zone');
RESET sms_api.reach_time_zone;

-- validation, before any request
\! test/simctl reset
SELECT * FROM sms_api.reach_send(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send('1234567', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send('5023514816312345', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send('502 3514 8163', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send('50235148163', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send('50235148163', '');
\echo :LAST_ERROR_SQLSTATE
-- 160 less "SIMCO: " is 153
SELECT * FROM sms_api.reach_send('50235148163', repeat('á', 154));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send('50235148163', 'x', repeat('i', 41));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send_to_tags(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send_to_tags('{}', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send_to_tags('{home,""}', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_send_to_tags('{home,NULL}', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_messages(now() - interval '1 hour', now(), 'IN');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_messages(NULL, now());
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_messages(now(), now() - interval '1 hour');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.reach_messages(now() - interval '1 hour', now(), msisdn => 'abc');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count
-- the longest message that fits goes out
SELECT status, length(message) FROM sms_api.reach_send('50235148163', repeat('á', 153));

-- a tag send: PENDING without message_id, returned but not stored
\! test/simctl reset
\! test/simctl config reach_rate=0
SELECT message_id IS NULL AS no_id, status, type, updated_at IS NULL AS not_stored
  FROM sms_api.reach_send_to_tags(ARRAY['home'], 'to the group', 'grp-1');
SELECT count(*) AS stored FROM sms_api.reach_message WHERE message = 'to the group';
\! test/simctl requests --path /reach --fields path,body

-- a refused key or signature: 28000, never retried; both 401 and 403
\! test/simctl reset
\! test/simctl config reach_rate=0
SET sms_api.reach_api_key = 'not-our-key';
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.reach_api_key;
SET sms_api.reach_api_secret = 'not-our-secret';
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl config reach_auth_status=403
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.reach_api_secret;
\! test/simctl requests --count

-- rate limited (code 42900, with 429 or with 403): retried, then 53400
\! test/simctl reset
\! test/simctl config reach_rate=0
\! test/simctl fault status --path /reach --status 429 --count 3 --body '{"code": 42900, "error": "Ha excedido el límite de solicitudes"}'
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count
\! test/simctl reset
\! test/simctl config reach_rate=0
\! test/simctl fault status --path /reach --status 403 --count 1 --body '{"code": 42900, "error": "Ha excedido el límite de solicitudes"}'
SELECT status FROM sms_api.reach_send('50235148163', 'after one 42900');
\! test/simctl requests --fields status

-- the quota used up (40301): SM001, not retried
\! test/simctl reset
\! test/simctl config reach_rate=0 reach_quota=0
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count

-- a validation refusal by the API (the simulator's 1400 rule): SM001 with its code
\! test/simctl reset
\! test/simctl config reach_rate=0
SELECT * FROM sms_api.reach_send('50235141400', 'x');
\echo :LAST_ERROR_SQLSTATE

-- a repeated id within the spam period is refused by the API
SELECT status FROM sms_api.reach_send('50235148163', 'first', 'same-id');
SELECT * FROM sms_api.reach_send('50235148163', 'second', 'same-id');
\echo :LAST_ERROR_SQLSTATE

-- unavailable (503 three times): SM003 after the retries; no answer: SM002
\! test/simctl reset
\! test/simctl config reach_rate=0
\! test/simctl fault status --path /reach --status 503 --count 3
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault hang --path /reach --seconds 5 --process
SET sms_api.timeout_ms = 300;
\set VERBOSITY terse
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
RESET sms_api.timeout_ms;

-- malformed answers: SM004, and nothing stored
\! test/simctl reset
\! test/simctl config reach_rate=0
\! test/simctl fault garbage --path /reach
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --path /reach --status 200 --body '"a string"'
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --path /reach/api/rest/messages --status 200 --body '{"not": "an array"}'
SELECT * FROM sms_api.reach_messages(now() - interval '1 hour', now());
\echo :LAST_ERROR_SQLSTATE
-- odd fields are absent, not fatal; booleans as 0/1 and sent_from as an array are read
\! test/simctl fault status --path /reach --status 200 --body '{"message_id": "0123456789abcdef01234567", "status": "WAITING_UPLOAD", "is_billable": 1, "is_scheduled": "0", "sent_count": "two", "sent_from": ["50235148163"], "created_on": "not a date", "type": 2}'
SELECT message_id, status, is_billable, is_scheduled, sent_count, sent_from, created_on, type
  FROM sms_api.reach_send('50235148163', 'x');

-- an error body under a 200 is the refusal it says it is; no message_id is no send
\! test/simctl fault status --path /reach --status 200 --body '{"code": 40301, "error": "Ha excedido el número de mensajes contratado"}'
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault status --path /reach --status 200 --body '{"status": "READY"}'
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
-- a listing that answers the same full page again (start ignored) stops: SM004
\! python3 -c 'import json, os; open(os.environ["TEST_ROOT"] + "/reach_page.json", "w").write(json.dumps([{"message_id": "%024x" % i, "direction": "MO", "message": "same"} for i in range(200)]))'
\! sh -c 'test/simctl fault status --path /reach/api/rest/messages --status 200 --count 2 --body-file "$TEST_ROOT/reach_page.json"'
SELECT count(*) FROM sms_api.reach_messages('2021-07-11 17:00:00+00', '2021-07-11 18:00:00+00');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM sms_api.reach_message;

-- the listing: every page (limit 200, start), in order, merged
\! test/simctl reset
\! test/simctl config reach_rate=0
\! python3 -c 'import json, os, urllib.request; urllib.request.urlopen(urllib.request.Request(os.environ["SIM_URL"] + "/_sim/reach/mo", data=json.dumps([{"msisdn": "5023514%04d" % i, "message": "reply %d" % i, "created_on": "2021-07-11 17:%02d:%02d" % (i // 60, i % 60)} for i in range(450)]).encode(), headers={"Content-Type": "application/json"})).read()'
SELECT count(*) AS listed, count(DISTINCT message_id) AS distinct_ids,
       bool_and(direction = 'MO') AS all_mo, bool_and(updated_at IS NOT NULL) AS stored
  FROM sms_api.reach_messages('2021-07-11 17:00:00+00', '2021-07-11 18:00:00+00');
SELECT count(*) AS in_table FROM sms_api.reach_message WHERE direction = 'MO';
\! test/simctl requests --path /reach --fields method,path,query,auth
-- an empty window: one request, no rows
\! test/simctl mark
SELECT count(*) AS listed FROM sms_api.reach_messages('2020-01-01', '2020-01-02', 'MT');
\! test/simctl requests --since-mark --fields query
-- a filter by msisdn and direction
SELECT msisdn, message, created_on FROM sms_api.reach_messages('2021-07-11 17:00:00+00', '2021-07-11 18:00:00+00',
                                                               'MO', '+50235140007');

-- a later answer replaces the earlier values; NULL never overwrites
\! test/simctl reset
\! test/simctl config reach_rate=0 reach_sent_delay_ms=100
SELECT message_id AS progress_id, status FROM sms_api.reach_send('50235148163', 'progress') \gset
SELECT :'status' AS status_when_sent;
SELECT pg_sleep(0.3);
SELECT count(*) FROM sms_api.reach_messages(now() - interval '1 hour', now() + interval '1 minute', 'MT');
SELECT status, sent_count, message FROM sms_api.reach_message WHERE message_id = :'progress_id';

-- a read-only transaction refuses before the network
\! test/simctl reset
BEGIN READ ONLY;
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
\! test/simctl requests --count

-- not configured: 55000 naming the setting
BEGIN;
SET LOCAL sms_api.reach_base_url = '';
SELECT * FROM sms_api.reach_send('50235148163', 'x');
ROLLBACK;

-- nobody but superusers may call them until granted
SET ROLE outsider;
SELECT * FROM sms_api.reach_send('50235148163', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM sms_api.reach_message;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- a database whose encoding cannot hold what Reach sends: '?' instead, no error
CREATE DATABASE reach_latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
\c reach_latin1
CREATE EXTENSION sms_api;
\! test/simctl reset
\! test/simctl fault status --path /reach --status 200 --body '{"message_id": "0123456789abcdef01234568", "message": "ok 🙂 and ñ", "status": "READY"}'
SELECT message, convert_to(message, 'LATIN1') FROM sms_api.reach_send('50235148163', 'x');
SELECT message FROM sms_api.reach_message;
\c regression
DROP DATABASE reach_latin1;

ALTER SYSTEM RESET sms_api.reach_rate_limit;
SELECT pg_reload_conf();
