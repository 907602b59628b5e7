-- validation: every rule of the contract is enforced before any request,
-- with its SQLSTATE; the simulator must see no request at all.
\! test/simctl reset

-- destination: NULL (22004), not 10-15 digits after an optional + (22023)
SELECT * FROM sms_api.sms_send(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('551190000', 'nine digits');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000000000', 'sixteen digits');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('55 11 90000-0000', 'separators');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('++5511900000000', 'two plus signs');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('', 'empty');
\echo :LAST_ERROR_SQLSTATE

-- message_text: NULL without a template (22004), empty (22023), too long (22001)
SELECT * FROM sms_api.sms_send('5511900000001', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', repeat('é', 1281));
\echo :LAST_ERROR_SQLSTATE

-- correlation_id over 64, extra_info over 255 characters (22001)
SELECT * FROM sms_api.sms_send('5511900000001', 'x', repeat('c', 65));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', extra_info => repeat('x', 256));
\echo :LAST_ERROR_SQLSTATE

-- timestamps must be finite
SELECT * FROM sms_api.sms_send('5511900000001', 'x', scheduled_at => 'infinity');
\echo :LAST_ERROR_SQLSTATE

-- options: not an object, unknown key, a key that duplicates a typed argument
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '[1]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => 'null');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"timezone": "UTC"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"flashSMS": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"messageText": "y"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"correlationId": "y"}');
\echo :LAST_ERROR_SQLSTATE

-- options: values of the wrong JSON type
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"timeZone": 3}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"expiresInMinutes": "30"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"expiresInMinutes": 1.5}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"expiresInMinutes": 0}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"timeWindow": 12}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"timeWindow": [12, 24]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"timeWindow": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"scheduledDate": "2030-01-28 02:30"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"expiresDate": "2030-13-28T02:30:43"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"flowId": "f", "params": ["a"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"flowId": "f", "params": {"a": {"b": 1}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"templateId": "7"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => '{"params": {"a": "b"}}');
\echo :LAST_ERROR_SQLSTATE

-- the two mutually exclusive families
SELECT * FROM sms_api.sms_send('5511900000001', 'x', expires_at => now() + interval '1 day',
                               options => '{"expiresInMinutes": 30}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x',
                               options => '{"expiresInMinutes": 30, "expiresDate": "2030-01-28T02:30:43"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x', scheduled_at => now() + interval '1 day',
                               options => '{"delayedInMinutes": 30}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_send('5511900000001', 'x',
                               options => '{"delayedInMinutes": 30, "scheduledDate": "2030-01-28T02:30:43"}');
\echo :LAST_ERROR_SQLSTATE

-- flashSMS also accepts "true"/"false" where the API's examples use strings;
-- here it is a typed argument, so the JSON form only appears in bulk messages.
-- None of the calls above reached the API:
\! test/simctl requests --count

-- every text that goes into a request has a limit: the API's, or ours
-- where it documents none (255 for names, 64 for a zone, 64 kB of options)
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', 'x', sub_account => repeat(E'\x01', 256))$$);
SELECT try($$SELECT * FROM sms_api.sms_queue('5511900000003', 'x', sub_account => repeat('s', 1000000))$$);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', 'x', campaign_alias => repeat('c', 256))$$);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', 'x', options => jsonb_build_object('timeZone', repeat('z', 65)))$$);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', NULL, options => jsonb_build_object('flowId', repeat('f', 256)))$$);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', NULL, options => jsonb_build_object('templateName', 't', 'params', jsonb_build_object('p', repeat('v', 1281))))$$);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', NULL, options => jsonb_build_object('templateName', 't', 'params', (SELECT jsonb_object_agg('p' || g, g) FROM generate_series(1, 257) g)))$$);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', NULL, options => jsonb_build_object('templateName', 't', 'params', jsonb_build_object(repeat('k', 256), 'v')))$$);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', NULL, options => jsonb_build_object('templateName', 't', 'params', (SELECT jsonb_object_agg('p' || g, repeat('v', 1000)) FROM generate_series(1, 100) g)))$$);
SELECT try($$SELECT * FROM sms_api.sms_send_bulk_json(jsonb_build_array(jsonb_build_object('destination', '5511900000001', 'messageText', 'x', 'subAccount', repeat('s', 256))))$$);
-- integer params that JSON would change on the way are refused
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', NULL, options => '{"templateName": "t", "params": {"n": 18446744073709551616}}')$$);
SELECT try($$SELECT * FROM sms_api.sms_send('5511900000001', NULL, options => '{"templateName": "t", "params": {"n": -9223372036854775809}}')$$);
-- still fine: the largest int64, a decimal, a string of digits
\! test/simctl reset
SELECT error IS NULL AS sent FROM sms_api.sms_send('5511900000001', NULL,
  options => '{"templateName": "t", "params": {"a": 9223372036854775807, "b": 1.5, "c": "18446744073709551616"}}');
\! test/simctl requests --fields body --last 1
-- what the status and reply queries send is bounded too
SELECT try($$SELECT * FROM sms_api.sms_status(correlation_ids => ARRAY[repeat('c', 65)])$$);
SELECT try($$SELECT * FROM sms_api.sms_mo_list(repeat('s', 256))$$);
SELECT try($$SELECT * FROM sms_api.sms_mo_search(sub_account => repeat('s', 256))$$);
