-- setup: the extension installs into schema sms_api, not relocatable, and
-- the roles the later suites use exist.
CREATE EXTENSION sms_api;
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'sms_api';

-- an application role with exactly the README's grants, and one without any
CREATE ROLE app_sender LOGIN;
CREATE ROLE outsider LOGIN;
CREATE ROLE settings_reader LOGIN IN ROLE pg_read_all_settings;
GRANT USAGE ON SCHEMA sms_api TO app_sender;
GRANT EXECUTE ON FUNCTION sms_api.sms_send(text, text, text, text, boolean,
  timestamptz, timestamptz, text, text, jsonb) TO app_sender;

-- try(sql, root): run sql and show its SQLSTATE, message and hint, with the
-- test's temporary directory replaced, for errors that name files
CREATE FUNCTION try(q text, root text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE st text; m text; h text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, h = PG_EXCEPTION_HINT;
  RETURN st || ': ' || replace(m, coalesce(root, '-'), '$ROOT') || coalesce(' HINT: ' || nullif(h, ''), '');
END $$;
