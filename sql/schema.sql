-- sms_api 0.2.0, a fresh install: sql/schema.sql, then the 0.1.0 script,
-- then the 0.1.0 -> 0.2.0 update, concatenated by the Makefile, so that an
-- updated database and a fresh one run the same statements.

\echo Use "CREATE EXTENSION sms_api" to load this file. \quit

-- The extension's own schema: CREATE SCHEMA fails if it exists already, so
-- no role can prepare objects in it beforehand, and it is a member of the
-- extension, so DROP EXTENSION removes it.
CREATE SCHEMA sms_api;
COMMENT ON SCHEMA sms_api IS 'sms_api: send, track and receive SMS';
