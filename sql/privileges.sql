-- Privileges: what PUBLIC may do, SECURITY DEFINER, and a second role against another role's model.
SET client_min_messages = warning;

-- SECURITY DEFINER only where justified (docs/security.md), each pinning its search_path: the change-capture
-- trigger function, the drop of a dropped model's capture triggers, and rfm._progress (it runs the internal
-- rfm.report_progress, which PUBLIC may not, with a fixed prefix)
SELECT p.oid::regprocedure AS security_definer, p.proconfig FROM pg_proc p
 WHERE p.pronamespace = 'rfm'::regnamespace AND p.prosecdef ORDER BY p.oid::regprocedure::text COLLATE "C";
-- SQL and PL/pgSQL functions pin their search_path, except those that must stay inlinable (a SET clause
-- stops the planner from inlining a SQL function); those qualify every name
SELECT p.oid::regprocedure AS no_search_path, l.lanname
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'rfm'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
   AND NOT coalesce(p.proconfig::text LIKE '%search_path%', false)
 ORDER BY p.oid::regprocedure::text;
-- tables PUBLIC may write are protected by row-level security; the others are read-only for PUBLIC
SELECT c.oid::regclass AS public_table, c.relrowsecurity AS row_security,
       array_to_string(ARRAY(SELECT privilege_type FROM aclexplode(c.relacl) a
                              WHERE a.grantee = 0 ORDER BY 1), ',') AS public_privileges
  FROM pg_class c
 WHERE c.relnamespace = 'rfm'::regnamespace AND c.relkind IN ('r', 'p')
   AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0)
 ORDER BY c.oid::regclass::text;
-- the columns PUBLIC may write, of those tables (row security checks every row written: src/model/model_last.sql)
SELECT c.oid::regclass AS public_table, a.privilege_type, string_agg(att.attname, ', ' ORDER BY att.attnum) AS columns
  FROM pg_class c JOIN pg_attribute att ON att.attrelid = c.oid, aclexplode(att.attacl) a
 WHERE c.relnamespace = 'rfm'::regnamespace AND a.grantee = 0
 GROUP BY 1, 2 ORDER BY c.oid::regclass::text COLLATE "C", a.privilege_type;
SELECT count(*) AS writable_by_public_without_rls FROM pg_class c
 WHERE c.relnamespace = 'rfm'::regnamespace AND c.relkind = 'r' AND NOT c.relrowsecurity
   AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0 AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'));
-- functions PUBLIC may not run
SELECT p.oid::regprocedure AS not_for_public FROM pg_proc p
 WHERE p.pronamespace = 'rfm'::regnamespace AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY p.oid::regprocedure::text;

-- two roles: ann owns a model, bob may read the same orders but not ann's model
CREATE ROLE rfm_ann;
CREATE ROLE rfm_bob;
GRANT CREATE ON DATABASE :"DBNAME" TO rfm_ann, rfm_bob;
CREATE TABLE priv_orders (member_id int, ordered_at date, amount numeric);
INSERT INTO priv_orders SELECT i % 20, date '2024-01-01' + i, 10 + i % 7 FROM generate_series(1, 200) i;
GRANT SELECT, TRIGGER ON priv_orders TO rfm_ann;
GRANT SELECT ON priv_orders TO rfm_bob;
SET ROLE rfm_ann;
SELECT rfm.create_model('ann', 'priv_orders');
SELECT members FROM rfm.refresh('ann', '2024-07-31');
RESET ROLE;
-- the schema and everything in it belong to ann; no function of ann's fires for the writers of the orders: the
-- capture triggers call rfm's own (docs/security.md)
SELECT nspowner::regrole AS schema_owner FROM pg_namespace WHERE nspname = 'rfm_ann';
SELECT count(*) AS objects_not_owned_by_ann FROM pg_class
 WHERE relnamespace = 'rfm_ann'::regnamespace AND relowner <> 'rfm_ann'::regrole;
SELECT count(*) AS functions_of_ann FROM pg_proc p WHERE p.pronamespace = 'rfm_ann'::regnamespace;
SELECT t.tgname, t.tgfoid::regprocedure AS function FROM pg_trigger t WHERE t.tgrelid = 'priv_orders'::regclass ORDER BY 1;

\set VERBOSITY terse
SET ROLE rfm_bob;
-- no text of one's own shown as a refresh's progress; what rfm.refresh reports always names the refresh
SELECT rfm.report_progress('rfm.refresh(ann): forged');
SELECT rfm._progress('ann', 'a message');
SELECT count(*) FROM rfm_ann.labels;
SELECT count(*) AS models_bob_sees FROM rfm.model;
SELECT rfm.refresh('ann', '2024-08-31');
SELECT * FROM rfm.migration('ann', '2024-07-31', '2024-08-31');
SELECT rfm.drop_model('ann');
-- nor rfm's functions that make and drop a model's capture with rfm's rights: they check the session's login
-- role (current_user is rfm's in them), which SET ROLE from a superuser's session would not change
SET SESSION AUTHORIZATION rfm_bob;
SELECT rfm._capture_distributed('ann');
SELECT rfm._drop_capture('ann');
RESET SESSION AUTHORIZATION;
SET ROLE rfm_bob;
SELECT rfm.schedule('ann', '@daily');
UPDATE rfm.model SET needs_full = true WHERE name = 'ann';
DELETE FROM rfm.model WHERE name = 'ann';
INSERT INTO rfm.model (name, source, member_column, time_column, amount_column, owner)
  VALUES ('ann2', 'priv_orders', 'member_id', 'ordered_at', 'amount', 'rfm_ann');
-- bob's own model on the same orders needs TRIGGER on them, which bob lacks
SELECT rfm.create_model('bob', 'priv_orders');
-- writing orders does not need any right on ann's model (the trigger function runs as ann)
RESET ROLE;
GRANT INSERT ON priv_orders TO rfm_bob;
SET ROLE rfm_bob;
INSERT INTO priv_orders VALUES (3, '2024-08-01', 99);
RESET ROLE;
\set VERBOSITY default
SELECT count(*) AS change_rows FROM rfm.change_queue WHERE model = 'ann';
SELECT needs_full, options FROM rfm.model WHERE name = 'ann';

-- ann drops her model, triggers on the orders she does not own included
SET ROLE rfm_ann;
SELECT rfm.drop_model('ann');
RESET ROLE;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'priv_orders'::regclass AND NOT tgisinternal;
DROP TABLE priv_orders;
REVOKE CREATE ON DATABASE :"DBNAME" FROM rfm_ann, rfm_bob;
DROP ROLE rfm_ann;
DROP ROLE rfm_bob;
