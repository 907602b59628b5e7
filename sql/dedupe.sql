-- dedupe: sms_queue(..., dedupe_key) returns the id of the outbox row that
-- already has the key, in any state, until that row is pruned; a key seen
-- twice in one statement or transaction is one row; a rolled-back row frees
-- its key; NULL means no key; an empty key or one over 200 characters is
-- refused. (Two sessions racing on one key: test/driver_dedupe.py.)
\! test/simctl reset
DELETE FROM sms_api.outbox;
-- rows the worker leaves alone: sent and failed are final, the others not due
CREATE FUNCTION hand_row(key text, st text) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO sms_api.outbox (destination, message_text, state, next_attempt_at, dedupe_key)
  VALUES ('5511900000001', 'by hand ' || st, st,
          CASE WHEN st IN ('sent', 'failed') THEN NULL ELSE 'infinity'::timestamptz END, key)
  RETURNING id $$;

-- the key is checked with the other arguments, before anything is queued
SELECT sms_api.sms_queue('5511900000001', 'x', dedupe_key => '');
\echo :LAST_ERROR_SQLSTATE
SELECT sms_api.sms_queue('5511900000001', 'x', dedupe_key => repeat('k', 201));
\echo :LAST_ERROR_SQLSTATE
-- the limit is in characters, not bytes
BEGIN;
SELECT sms_api.sms_queue('5511900000001', 'x', dedupe_key => repeat('k', 200)) > 0 AS two_hundred_ok;
SELECT sms_api.sms_queue('5511900000001', 'x', dedupe_key => repeat('ç', 200)) > 0 AS two_hundred_multibyte_ok;
ROLLBACK;
-- an invalid message with a known key is still an error, not the old id
SELECT hand_row('bad-args', 'sent') > 0 AS made;
SELECT sms_api.sms_queue('123', 'x', dedupe_key => 'bad-args');
\echo :LAST_ERROR_SQLSTATE

-- an existing row in each state: its id comes back and nothing is queued
SELECT st, hand_row('state-' || st, st) AS id INTO TEMP hand FROM unnest('{queued,sending,sent,failed}'::text[]) st;
SELECT h.st, sms_api.sms_queue('5511900000002', 'again', dedupe_key => 'state-' || h.st) = h.id AS same_id
  FROM hand h ORDER BY h.st;
SELECT count(*) AS rows_per_key FROM sms_api.outbox WHERE dedupe_key LIKE 'state-%';
-- whatever the other arguments say: the key names the message
SELECT sms_api.sms_queue('50235148163', 'other text', provider => 'reach', dedupe_key => 'state-queued')
       = (SELECT id FROM hand WHERE st = 'queued') AS same_id_other_provider;

-- NULL is no key: every call queues
BEGIN;
SELECT count(DISTINCT sms_api.sms_queue('5511900000001', 'x', dedupe_key => NULL)) AS ids
  FROM generate_series(1, 3);
ROLLBACK;

-- one key twice in one statement, and in a later statement of the transaction
BEGIN;
SELECT count(DISTINCT sms_api.sms_queue('5511900000001', 'x', dedupe_key => 'twice')) AS ids
  FROM generate_series(1, 5);
SELECT sms_api.sms_queue('5511900000001', 'x', dedupe_key => 'twice')
       = (SELECT id FROM sms_api.outbox WHERE dedupe_key = 'twice') AS same_id_next_statement;
SELECT count(*) AS rows FROM sms_api.outbox WHERE dedupe_key = 'twice';
ROLLBACK;
-- the rolled-back transaction left the key free
SELECT count(*) AS rows FROM sms_api.outbox WHERE dedupe_key = 'twice';

-- many keys, each five times, across many writes of buffered rows in one statement
BEGIN;
SELECT count(*) AS calls, count(DISTINCT id) AS ids
  FROM (SELECT sms_api.sms_queue('5511900000001', 'bulk', dedupe_key => 'bulk-' || (g % 300)) AS id
          FROM generate_series(1, 1500) g) q;
SELECT count(*) AS rows, count(DISTINCT dedupe_key) AS keys FROM sms_api.outbox WHERE dedupe_key LIKE 'bulk-%';
-- every call for a key got that key's row
SELECT count(*) AS mismatched
  FROM (SELECT 'bulk-' || (g % 300) AS k,
               sms_api.sms_queue('5511900000001', 'bulk', dedupe_key => 'bulk-' || (g % 300)) AS id
          FROM generate_series(1, 600) g) q
  JOIN sms_api.outbox o ON o.dedupe_key = q.k
 WHERE o.id <> q.id;
-- no key's lock outlives the statement that wrote its row
SELECT count(*) AS key_locks_held FROM pg_locks
 WHERE locktype = 'advisory' AND objsubid = 21325 AND pid = pg_backend_pid();
ROLLBACK;

-- a rolled-back savepoint drops its row and frees its key; the kept row keeps its own
BEGIN;
SELECT sms_api.sms_queue('5511900000001', 'kept', dedupe_key => 'sp-kept') AS kept_id \gset
SAVEPOINT s;
SELECT sms_api.sms_queue('5511900000001', 'dropped', dedupe_key => 'sp-dropped') AS dropped_id \gset
SELECT sms_api.sms_queue('5511900000001', 'dropped', dedupe_key => 'sp-kept') = :kept_id AS kept_seen_in_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT sms_api.sms_queue('5511900000001', 'kept again', dedupe_key => 'sp-kept') = :kept_id AS kept_same_id;
SELECT sms_api.sms_queue('5511900000001', 'second try', dedupe_key => 'sp-dropped') <> :dropped_id AS dropped_key_new_id;
SELECT count(*) AS key_locks_held FROM pg_locks
 WHERE locktype = 'advisory' AND objsubid = 21325 AND pid = pg_backend_pid();
-- a savepoint rolled back after its rows were written: the key is free too
SAVEPOINT w;
SELECT sms_api.sms_queue('5511900000001', 'written', dedupe_key => 'sp-written') AS written_id \gset
ROLLBACK TO SAVEPOINT w;
SELECT sms_api.sms_queue('5511900000001', 'written again', dedupe_key => 'sp-written') <> :written_id AS written_key_new_id;
SELECT message_text, dedupe_key FROM sms_api.outbox WHERE dedupe_key LIKE 'sp-%' ORDER BY id;
ROLLBACK;

-- the same in PL/pgSQL: an exception block that fails takes its row along
DO $$
DECLARE a bigint; b bigint;
BEGIN
  BEGIN
    a := sms_api.sms_queue('5511900000001', 'x', dedupe_key => 'plpgsql');
    RAISE EXCEPTION 'undo';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  b := sms_api.sms_queue('5511900000001', 'x', dedupe_key => 'plpgsql');
  RAISE NOTICE 'new id after the failed block: %', a <> b;
  RAISE EXCEPTION 'rolled back';
EXCEPTION WHEN raise_exception THEN NULL;
END $$;

-- a pruned row frees its key
UPDATE sms_api.outbox SET sent_at = now() - interval '30 days' WHERE dedupe_key = 'state-sent';
SELECT sms_api.prune(interval '7 days') >= 1 AS pruned;
BEGIN;
SELECT sms_api.sms_queue('5511900000002', 'after prune', dedupe_key => 'state-sent')
       <> (SELECT id FROM hand WHERE st = 'sent') AS new_id_after_prune;
SELECT state, message_text FROM sms_api.outbox WHERE dedupe_key = 'state-sent';
ROLLBACK;

-- a key written by hand twice is refused by the index
INSERT INTO sms_api.outbox (destination, message_text, state, next_attempt_at, dedupe_key)
VALUES ('5511900000001', 'dup', 'sent', NULL, 'state-failed');
\echo :LAST_ERROR_SQLSTATE

-- a role with only EXECUTE on sms_queue (no right on the outbox) queues with keys
CREATE ROLE dedupe_app;
GRANT USAGE ON SCHEMA sms_api TO dedupe_app;
GRANT EXECUTE ON FUNCTION sms_api.sms_queue(text, text, text, text, boolean, timestamptz,
  timestamptz, text, text, jsonb, text, text) TO dedupe_app;
SELECT id AS queued_id FROM hand WHERE st = 'queued' \gset
SET ROLE dedupe_app;
BEGIN;
SELECT sms_api.sms_queue('5511900000001', 'x', dedupe_key => 'state-queued') = :queued_id AS same_id,
       sms_api.sms_queue('5511900000001', 'x', dedupe_key => 'role-1')
     = sms_api.sms_queue('5511900000001', 'y', dedupe_key => 'role-1') AS same_id_as_app;
ROLLBACK;
RESET ROLE;
REVOKE ALL ON FUNCTION sms_api.sms_queue(text, text, text, text, boolean, timestamptz,
  timestamptz, text, text, jsonb, text, text) FROM dedupe_app;
REVOKE ALL ON SCHEMA sms_api FROM dedupe_app;
DROP ROLE dedupe_app;

-- nothing of this reached the API
SELECT pg_sleep(0.3);
\! test/simctl requests | wc -l
DELETE FROM sms_api.outbox;
DROP TABLE hand;
DROP FUNCTION hand_row(text, text);
