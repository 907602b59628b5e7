-- mo: sms_mo_list() and sms_mo_search() return replies as rows and merge
-- them into mo_message, deduplicated by id.
\! test/simctl reset

-- a message, and two replies to it
SELECT id AS mt_id FROM sms_api.sms_send('5511900000001', 'Pizza?', 'order-77') \gset
\setenv MT_ID :mt_id
\! test/simctl mo --source 5516981562820 --text 'Eu quero pizza' --reply-to "$MT_ID"
\! test/simctl mo --source 5519987565020 --text 'Meu hamburguer está chegando?' --short-code 28128 --sub-account Marketing --campaign-alias Promo

-- the list hands each reply out once
SELECT source, short_code, message_text, sub_account, campaign_alias, carrier_id, carrier_name,
       received_at IS NOT NULL AS has_received_at,
       mt_id = :'mt_id'::uuid AS answers_our_mt, mt_correlation_id, mt_username
  FROM sms_api.sms_mo_list() ORDER BY source;
SELECT count(*) AS again FROM sms_api.sms_mo_list();
SELECT source, message_text, mt_correlation_id FROM sms_api.mo_message ORDER BY source;

-- the search finds them again without consuming; mo_message keeps one row each
SELECT count(*) AS found FROM sms_api.sms_mo_search();
SELECT count(*) AS found FROM sms_api.sms_mo_search('2016-09-05 00:00:00+00', now() + interval '1 hour');
SELECT count(*) AS stored FROM sms_api.mo_message;

-- times go out as UTC ISO-8601, sub_account as a query parameter (a fixed
-- period with no MO in it, whether it is still within the API's 5 days or not)
SET TIME ZONE 'America/Sao_Paulo';
SELECT count(*) FROM sms_api.sms_mo_search('2026-11-20 09:00:00', '2026-11-21 09:00:00', 'Marketing & Co');
RESET TIME ZONE;
SELECT count(*) FROM sms_api.sms_mo_list('Marketing');
\! test/simctl requests --path /v1/sms/receive --last 2 --fields path,query

-- arguments
SELECT * FROM sms_api.sms_mo_search(now(), now() - interval '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_mo_search('infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sms_api.sms_mo_list('');
\echo :LAST_ERROR_SQLSTATE

-- malformed answers
\! test/simctl fault status --status 200 --path /v1/sms/receive --body '{"total": 1, "smsStatuses": []}'
SELECT * FROM sms_api.sms_mo_list();
\echo :LAST_ERROR_SQLSTATE
\! test/simctl fault html --path /v1/sms/receive
SELECT * FROM sms_api.sms_mo_list();
\echo :LAST_ERROR_SQLSTATE
-- the documented MO example, with a repeated id and an item without one
\! test/simctl fault status --status 200 --path /v1/sms/receive --body '{"total": 2, "start": "2016-09-04T11:12:41Z", "end": "2016-09-08T11:17:39.113Z", "messages": [{"id": "25950050-7362-11e6-be62-001b7843e7d4", "subAccount": "Marketing", "campaignAlias": "Promo", "carrierId": 1, "carrierName": "VIVO", "source": "5516981562820", "shortCode": "28128", "messageText": "Eu quero pizza", "receivedAt": 1473088405588, "receivedDate": "2016-09-05T12:13:25Z", "mt": {"id": "8be584fd-2554-439b-9ba9-aab507278992", "correlationId": "1876", "username": "iFoodCS", "email": "ops@example.com"}}, {"id": "25950050-7362-11e6-be62-001b7843e7d4", "messageText": "Eu quero pizza"}, {"messageText": "no id"}]}'
SELECT id, sub_account, campaign_alias, carrier_id, carrier_name, source, short_code, message_text,
       received_at, mt_id, mt_correlation_id, mt_username, mt_email
  FROM sms_api.sms_mo_list();
SELECT count(*) AS stored FROM sms_api.mo_message WHERE id = '25950050-7362-11e6-be62-001b7843e7d4';
