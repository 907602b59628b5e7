-- sms_api 0.1.0: send, track and receive SMS through the Sinch (Wavy) LATAM
-- messaging API. Read top to bottom: types, tables, functions, views, grants.

\echo Use "CREATE EXTENSION sms_api" to load this file. \quit

-- Types ----------------------------------------------------------------------

-- What a send returns, one per message.
CREATE TYPE sms_api.send_result AS (
    id             uuid,
    correlation_id text,
    destination    text,
    batch_id       uuid,
    error          text
);
COMMENT ON TYPE sms_api.send_result IS
  'One message handed to the API: its id (NULL when not accepted), correlation id, normalized destination, bulk batch id and the reason it was not accepted';

-- Functions ------------------------------------------------------------------

-- Send one message now (POST /v1/send-sms).
CREATE FUNCTION sms_api.sms_send(
    destination    text,
    message_text   text,
    correlation_id text        DEFAULT NULL,
    extra_info     text        DEFAULT NULL,
    flash          boolean     DEFAULT NULL,
    scheduled_at   timestamptz DEFAULT NULL,
    expires_at     timestamptz DEFAULT NULL,
    campaign_alias text        DEFAULT NULL,
    sub_account    text        DEFAULT NULL,
    options        jsonb       DEFAULT NULL
) RETURNS sms_api.send_result
AS 'MODULE_PATHNAME', 'sms_send'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, sms_api, pg_temp;
COMMENT ON FUNCTION sms_api.sms_send(text, text, text, text, boolean, timestamptz, timestamptz, text, text, jsonb) IS
  'Send one SMS now through POST /v1/send-sms; call it in FROM: SELECT * FROM sms_api.sms_send(...)';

-- Grants ---------------------------------------------------------------------

-- Nothing is executable or readable by PUBLIC; README shows the GRANTs.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sms_api FROM PUBLIC;
