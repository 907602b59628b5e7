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

-- wait_until(sql, seconds): poll a boolean query until it holds (true) or
-- the time is up (false), for what the worker does in the background
CREATE FUNCTION wait_until(q text, timeout_s float DEFAULT 15) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE ok boolean; t0 timestamptz := clock_timestamp();
BEGIN
  LOOP
    EXECUTE q INTO ok;
    IF ok THEN RETURN true; END IF;
    IF clock_timestamp() - t0 > make_interval(secs => timeout_s) THEN RETURN false; END IF;
    PERFORM pg_sleep(0.05);
    PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity is cached per transaction
  END LOOP;
END $$;
