-- privileges: nothing is executable by PUBLIC; a role with the README's
-- grants can send; a role without them cannot.

-- no function of the extension is executable by PUBLIC
SELECT p.oid::regprocedure AS function
  FROM pg_proc p
 WHERE p.pronamespace = 'sms_api'::regnamespace
   AND (p.proacl IS NULL OR aclcontains(p.proacl, makeaclitem(0, p.proowner, 'EXECUTE', false)));
SELECT count(*) AS public_usage_on_schema
  FROM pg_namespace n, aclexplode(n.nspacl) a
 WHERE n.nspname = 'sms_api' AND a.grantee = 0;

-- a role without grants is refused (42501)
SET ROLE outsider;
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- the application role of the README sends
\! test/simctl reset
SET ROLE app_sender;
SELECT id IS NOT NULL AS sent, destination FROM sms_api.sms_send('5511900000001', 'from the app', 'app-1');
RESET ROLE;
-- its id was recorded although the role cannot write the table itself
SELECT count(*) AS recorded FROM sms_api.message_status WHERE correlation_id = 'app-1';
\! test/simctl requests --count
