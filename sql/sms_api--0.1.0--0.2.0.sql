-- sms_api 0.1.0 -> 0.2.0. Also the last part of a fresh 0.2.0 install
-- (see sql/schema.sql), so every statement here works in both.

\echo Use "ALTER EXTENSION sms_api UPDATE" to load this file. \quit

-- Nothing below may resolve a name through schema sms_api, which is on the
-- script's search_path during an update and may hold what this checks for.
SET search_path = pg_catalog, pg_temp;

-- The schema ------------------------------------------------------------------

-- 0.1.0 let PostgreSQL create schema sms_api for it, or adopt one that
-- already existed: a role with CREATE on the database could have made the
-- schema and put functions in it that the extension's statements would
-- then run. Refuse to go on if the schema holds anything that is not the
-- extension's, belongs to a role that is not a superuser, or lets another
-- role create in it; then make the schema a member of the extension, as a
-- fresh 0.2.0 install has it.
DO $$
DECLARE
  nsp oid := pg_catalog.to_regnamespace('sms_api');
  ext oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'sms_api');
  foreign_object text;
BEGIN
  SELECT pg_catalog.string_agg(o.what, ', ') INTO foreign_object
    FROM (SELECT 'function ' || p.oid::pg_catalog.regprocedure::text AS what,
                 'pg_catalog.pg_proc'::pg_catalog.regclass AS cls, p.oid
            FROM pg_catalog.pg_proc p WHERE p.pronamespace = nsp
          UNION ALL
          SELECT 'operator ' || o.oid::pg_catalog.regoperator::text,
                 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid
            FROM pg_catalog.pg_operator o WHERE o.oprnamespace = nsp
          UNION ALL
          SELECT 'relation ' || c.oid::pg_catalog.regclass::text,
                 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid
            FROM pg_catalog.pg_class c
           WHERE c.relnamespace = nsp AND c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S')
          UNION ALL
          SELECT 'type ' || t.oid::pg_catalog.regtype::text,
                 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid
            FROM pg_catalog.pg_type t
           WHERE t.typnamespace = nsp AND t.typelem = 0::pg_catalog.oid
             -- base types, domains, enums, ranges, and composite types of their own
             AND (t.typrelid = 0::pg_catalog.oid
                  OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')) AS o
   WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.classid = o.cls::pg_catalog.oid AND d.objid = o.oid
                        AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                        AND d.refobjid = ext AND d.deptype = 'e');
  IF foreign_object IS NOT NULL THEN
    RAISE EXCEPTION 'schema sms_api holds objects that are not part of the extension: %', foreign_object
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Someone created them in the extension''s schema; they would run with the extension''s rights. Move or drop them, then update again.';
  END IF;
  IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_namespace n
            JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner WHERE n.oid = nsp) THEN
    RAISE EXCEPTION 'schema sms_api is owned by a role that is not a superuser'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'That role could create objects the extension would run. Check the schema, then ALTER SCHEMA sms_api OWNER TO a superuser and update again.';
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
              WHERE n.oid = nsp AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner) THEN
    RAISE EXCEPTION 'schema sms_api lets roles other than its owner create objects in it'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'They could create objects the extension would run. Check the schema, REVOKE CREATE ON SCHEMA sms_api FROM those roles, and update again.';
  END IF;
  IF (SELECT e.extnamespace FROM pg_catalog.pg_extension e WHERE e.oid = ext) = nsp THEN
    -- the extension was listed in its own schema; 0.2.0 lists it in
    -- pg_catalog (sms_api.control) and owns the schema instead
    UPDATE pg_catalog.pg_extension SET extnamespace = 'pg_catalog'::pg_catalog.regnamespace
     WHERE oid = ext;
    DELETE FROM pg_catalog.pg_depend
     WHERE classid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND objid = ext
       AND refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND refobjid = nsp;
    EXECUTE 'ALTER EXTENSION sms_api ADD SCHEMA sms_api';
    COMMENT ON SCHEMA sms_api IS 'sms_api: send, track and receive SMS';
  END IF;
END $$;

-- Backups ---------------------------------------------------------------------

-- pg_dump leaves an extension's tables out unless they are marked: these
-- hold the queue, the delivery history and the replies. status_code is
-- reference data the script itself fills, so it is not dumped.
SELECT pg_catalog.pg_extension_config_dump('sms_api.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('sms_api.outbox_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sms_api.message_status', '');
SELECT pg_catalog.pg_extension_config_dump('sms_api.mo_message', '');
