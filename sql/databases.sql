-- databases: sms_api.database is a list of up to 16 databases, a worker
-- each. Its check hook refuses an empty list or item, a name listed twice,
-- a name too long and more than 16 names (ALTER SYSTEM checks a value
-- without applying it: a postmaster setting changes only at restart);
-- worker_status names the database of each worker, pg_stat_activity too.

-- refused, each with its reason
ALTER SYSTEM SET sms_api.database = '';
ALTER SYSTEM SET sms_api.database = '  ';
ALTER SYSTEM SET sms_api.database = 'app,,billing';
ALTER SYSTEM SET sms_api.database = 'app, ';
ALTER SYSTEM SET sms_api.database = ',app';
ALTER SYSTEM SET sms_api.database = 'app, billing, app';
ALTER SYSTEM SET sms_api.database = 'App, app, APP, billing, app';
SELECT format('ALTER SYSTEM SET sms_api.database = %L', repeat('x', 64)) \gexec
SELECT format('ALTER SYSTEM SET sms_api.database = %L', string_agg('db' || g, ', '))
  FROM generate_series(1, 17) g \gexec
-- nothing refused reached the file
SELECT count(*) AS written FROM pg_file_settings
 WHERE name = 'sms_api.database' AND sourcefile LIKE '%postgresql.auto.conf';

-- accepted: 16 names (of 63 bytes at most, case kept), blanks trimmed, and
-- a list given as several values; taken out again at once
SELECT format('ALTER SYSTEM SET sms_api.database = %L', string_agg('db' || g, ', '))
  FROM generate_series(1, 16) g \gexec
SELECT array_length(string_to_array(setting, ','), 1) AS names FROM pg_file_settings
 WHERE name = 'sms_api.database' AND sourcefile LIKE '%postgresql.auto.conf';
SELECT format('ALTER SYSTEM SET sms_api.database = %L', 'App, app, ' || repeat('x', 63)) \gexec
SELECT setting FROM pg_file_settings
 WHERE name = 'sms_api.database' AND sourcefile LIKE '%postgresql.auto.conf';
ALTER SYSTEM SET sms_api.database = regression, "Billing";
SELECT setting FROM pg_file_settings
 WHERE name = 'sms_api.database' AND sourcefile LIKE '%postgresql.auto.conf';
ALTER SYSTEM RESET sms_api.database;
SELECT count(*) AS written FROM pg_file_settings
 WHERE name = 'sms_api.database' AND sourcefile LIKE '%postgresql.auto.conf';

-- a session cannot change it
SET sms_api.database = 'regression, other';
SHOW sms_api.database;

-- this database's worker, in worker_status and in pg_stat_activity
SELECT wait_until($$SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sms_api worker'$$);
SELECT w.database, w.pid = a.pid AS same_pid, a.datname, a.application_name
  FROM sms_api.worker_status w
  JOIN pg_stat_activity a ON a.backend_type = 'sms_api worker';
