-- tls: https is verified against the system CAs plus sms_api.ca_file; a
-- server whose certificate no trusted CA signed is refused (SM003).
\getenv sim_https SIM_HTTPS
\getenv sim_ca SIM_CA
\getenv other_ca SIM_OTHER_CA
\! test/simctl reset
SET sms_api.base_url = :'sim_https';
-- libcurl's details name files and timings: show the message only
\set VERBOSITY terse

-- the test CA is not a system CA: refused, and nothing was sent
SELECT * FROM sms_api.sms_send('5511900000001', 'no CA');
\echo :LAST_ERROR_SQLSTATE
\! test/simctl requests --count

-- an unrelated CA: still refused
SET sms_api.ca_file = :'other_ca';
SELECT * FROM sms_api.sms_send('5511900000001', 'wrong CA');
\echo :LAST_ERROR_SQLSTATE

-- the simulator's CA: verified and sent
SET sms_api.ca_file = :'sim_ca';
SELECT id IS NOT NULL AS sent, destination FROM sms_api.sms_send('5511900000001', 'over TLS');
\! test/simctl requests --count

-- the certificate names 127.0.0.1 and localhost: the host name verifies too
SELECT replace(:'sim_https', '127.0.0.1', 'localhost') AS by_name \gset
SET sms_api.base_url = :'by_name';
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'by name');

-- the kept connection does not outlive the setting: without the CA, refused again
RESET sms_api.ca_file;
SELECT * FROM sms_api.sms_send('5511900000001', 'CA reset');
\echo :LAST_ERROR_SQLSTATE
SET sms_api.ca_file = :'sim_ca';
SELECT id IS NOT NULL AS sent FROM sms_api.sms_send('5511900000001', 'CA again');

-- a ca_file that does not exist
SET sms_api.base_url = :'sim_https';
SET sms_api.ca_file = '/nonexistent/ca.pem';
SELECT * FROM sms_api.sms_send('5511900000001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET ALL;
