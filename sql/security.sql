-- The security model (docs/security.md), one block per finding of issue 21's audit: no role runs code with
-- another role's rights, reads what it may not, or stops others' work. Roles: sec_alice owns models,
-- sec_mallory owns sources and attacks, sec_app writes orders it does not own; the test runs as a superuser.
SET client_min_messages = warning;
SET DateStyle = ISO;
\set VERBOSITY terse
CREATE ROLE sec_alice LOGIN;
CREATE ROLE sec_mallory LOGIN;
CREATE ROLE sec_app LOGIN;
GRANT CREATE ON DATABASE :"DBNAME" TO sec_alice, sec_mallory;
-- alice's secret, and a table in which any code records whose rights it ran with
CREATE TABLE sec_secret (x text);
INSERT INTO sec_secret VALUES ('the secret');
ALTER TABLE sec_secret OWNER TO sec_alice;
CREATE SCHEMA mallory AUTHORIZATION sec_mallory;
SET ROLE sec_mallory;
GRANT USAGE ON SCHEMA mallory TO PUBLIC;
CREATE TABLE mallory.loot (who name, what text);
GRANT INSERT ON mallory.loot TO PUBLIC;
-- code that notes the role it runs as and what that role can read of alice's secret
CREATE FUNCTION mallory.spy() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    INSERT INTO mallory.loot SELECT current_user, min(x) FROM public.sec_secret;
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO mallory.loot VALUES (current_user, NULL);
  END;
  RETURN true;
END $$;
-- mallory's orders, readable by alice, who may put triggers on them
CREATE TABLE mallory.orders (member_id bigint, ordered_at date, amount numeric);
INSERT INTO mallory.orders SELECT 1 + i % 3, date '2024-01-01' + i, 10 + i FROM generate_series(1, 30) i;
CREATE INDEX ON mallory.orders (member_id);
GRANT SELECT, TRIGGER ON mallory.orders TO sec_alice;
GRANT SELECT, INSERT, UPDATE, DELETE ON mallory.orders TO sec_app;
CREATE TABLE mallory.orders_su (LIKE mallory.orders);
INSERT INTO mallory.orders_su SELECT * FROM mallory.orders;
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.create_model('sec_a', 'mallory.orders');
SELECT members FROM rfm.refresh('sec_a', '2024-02-15');
RESET ROLE;
-- a superuser's model on mallory's other table
SELECT rfm.create_model('sec_su', 'mallory.orders_su');
SELECT members FROM rfm.refresh('sec_su', '2024-02-15');

-- F1: the source's owner changes the member column to a type of their own with an implicit cast to bigint
-- whose function is theirs; writes to the source, and refreshes, must not run it with anyone else's rights
SET ROLE sec_mallory;
CREATE TYPE mallory.e AS ENUM ('1', '2', '3');
CREATE FUNCTION mallory.e2b(x mallory.e) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mallory.spy();
  RETURN x::text::bigint;
END $$;
CREATE CAST (mallory.e AS bigint) WITH FUNCTION mallory.e2b(mallory.e) AS IMPLICIT;
ALTER TABLE mallory.orders ALTER COLUMN member_id TYPE mallory.e USING member_id::text::mallory.e;
ALTER TABLE mallory.orders_su ALTER COLUMN member_id TYPE mallory.e USING member_id::text::mallory.e;
INSERT INTO mallory.orders VALUES ('3', '2024-02-01', 10);
INSERT INTO mallory.orders_su VALUES ('3', '2024-02-01', 10);
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.refresh('sec_a', '2024-02-16');
RESET ROLE;
SELECT rfm.refresh('sec_su', '2024-02-16');
-- the type is refused, and the model is marked for a full rebuild
SELECT name, needs_full FROM rfm.model WHERE name LIKE 'sec_%' ORDER BY name;
-- nobody but mallory ran mallory's code
SELECT who, what FROM mallory.loot WHERE who <> 'sec_mallory';
TRUNCATE mallory.loot;
-- the column back to a built-in type: the next refresh rebuilds the model
SET ROLE sec_mallory;
ALTER TABLE mallory.orders ALTER COLUMN member_id TYPE bigint USING member_id::text::bigint;
ALTER TABLE mallory.orders_su ALTER COLUMN member_id TYPE bigint USING member_id::text::bigint;
RESET ROLE;
SET ROLE sec_alice;
SELECT members, rebuilt FROM rfm.refresh('sec_a', '2024-02-16');
RESET ROLE;
-- F1 with a row security policy calling mallory's code: a refresh reads the source with row security off,
-- which is an error for a role that policies apply to (and no policy is evaluated for a superuser)
SET ROLE sec_mallory;
ALTER TABLE mallory.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE mallory.orders_su ENABLE ROW LEVEL SECURITY;
CREATE POLICY spy ON mallory.orders USING (mallory.spy());
CREATE POLICY spy ON mallory.orders_su USING (mallory.spy());
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.refresh('sec_a', '2024-02-17');
RESET ROLE;
SELECT members FROM rfm.refresh('sec_su', '2024-02-17');
SELECT who, what FROM mallory.loot WHERE who <> 'sec_mallory';
SET ROLE sec_mallory;
ALTER TABLE mallory.orders DISABLE ROW LEVEL SECURITY;
RESET ROLE;

-- F9: the code that fires for the source's writers is not the model owner's to change
SELECT p.oid::regprocedure AS capture_function, p.proowner::regrole AS owner, p.prosecdef, p.proconfig
  FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE t.tgrelid IN ('mallory.orders'::regclass, 'mallory.orders_su'::regclass)
 GROUP BY 1, 2, 3, 4;
SELECT count(*) AS functions_in_alices_schema FROM pg_proc WHERE pronamespace = 'rfm_sec_a'::regnamespace;
SET ROLE sec_alice;
CREATE OR REPLACE FUNCTION rfm._capture_changes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
-- a writer of the source needs no right on the model, and writes as itself
SET ROLE sec_app;
INSERT INTO mallory.orders VALUES (4, '2024-02-17', 7);
UPDATE mallory.orders SET amount = amount + 1 WHERE member_id = 2 AND ordered_at = '2024-01-05';
RESET ROLE;
SET ROLE sec_alice;
SELECT members, rebuilt FROM rfm.refresh('sec_a', '2024-02-17');
RESET ROLE;

-- F3: a refresh, a job run or a drop acts only as the model's owner; a superuser is refused with a hint
SET ROLE sec_alice;
CREATE FUNCTION rfm_sec_a.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mallory.spy();
  RETURN NULL;
END $$;
CREATE TRIGGER escalate AFTER INSERT ON rfm_sec_a.refreshes FOR EACH STATEMENT EXECUTE FUNCTION rfm_sec_a.escalate();
RESET ROLE;
SELECT rfm.refresh('sec_a', '2024-02-18');
SELECT rfm.drop_model('sec_a');
-- as the owner, with SET ROLE: the owner's trigger runs as the owner
SET ROLE sec_alice;
SELECT members FROM rfm.refresh('sec_a', '2024-02-18');
RESET ROLE;
SELECT who, what FROM mallory.loot WHERE who <> 'sec_mallory' GROUP BY 1, 2;
TRUNCATE mallory.loot;
-- nobody writes the catalog of models but rfm's functions: pointing a model at a table its owner cannot
-- read, or at absurd options, is refused
SET ROLE sec_alice;
UPDATE rfm.model SET source = 'sec_secret'::regclass, needs_full = true WHERE name = 'sec_a';
UPDATE rfm.model SET owner = 'sec_mallory' WHERE name = 'sec_a';
INSERT INTO rfm.model (name, source, member_column, time_column, amount_column) VALUES ('x', 'mallory.loot', 'who', 'what', 'what');
INSERT INTO rfm.model (name, source, member_column, time_column, amount_column, owner) VALUES ('x', 'mallory.orders', 'member_id', 'ordered_at', 'amount', 'sec_mallory');
-- a model's row goes with its schema (rfm.drop_model), not alone
DELETE FROM rfm.model WHERE name = 'sec_a';
RESET ROLE;
SET ROLE sec_mallory;
UPDATE rfm.model SET needs_full = true WHERE name = 'sec_a';
DELETE FROM rfm.model WHERE name = 'sec_a';
RESET ROLE;
SET ROLE sec_alice;
SELECT count(*) AS alices_models FROM rfm.model;
-- F13: options are changed with rfm.alter_model, checked as rfm.create_model checks them; so is a direct UPDATE
UPDATE rfm.model SET options = '{"bins": 300000}' WHERE name = 'sec_a';
SELECT rfm.alter_model('sec_a', '{"bins": 300000}');
SELECT rfm.alter_model('sec_a', '{"bogus": 1}');
SELECT rfm.alter_model('sec_a', '{"bins": 10}');
SELECT options, needs_full FROM rfm.model WHERE name = 'sec_a';
SELECT members FROM rfm.refresh('sec_a', '2024-02-18');
RESET ROLE;
SET ROLE sec_mallory;
SELECT rfm.alter_model('sec_a', '{"bins": 5}');
RESET ROLE;

-- F4, F12: the scheduler's tables are written through a few columns, for one's own rows only; run ids are not
-- chosen by callers; a role may lock its own job's row (FOR UPDATE), which the launcher then skips (SKIP LOCKED)
SET ROLE sec_alice;
SELECT rfm.schedule('sec_a', '@daily') > 0 AS scheduled;
INSERT INTO rfm.job_run (run_id, model, owner) VALUES (1000000, 'sec_a', 'sec_alice');
INSERT INTO rfm.job_run (model, owner, status) VALUES ('sec_a', 'sec_alice', 'running');
UPDATE rfm.job_run SET status = 'running';
SELECT count(*) AS own_jobs_locked FROM (SELECT job_id FROM rfm.job FOR UPDATE) j;
UPDATE rfm.job SET owner = 'sec_mallory';
UPDATE rfm.job SET job_id = 99;
UPDATE rfm.job SET active = false;
SELECT model, active FROM rfm.job;
UPDATE rfm.job SET active = true;
SELECT (rfm.run_job(job_id)).status FROM rfm.job;
SELECT model, owner, status FROM rfm.job_run;
RESET ROLE;
-- a superuser runs a job as its owner (SET ROLE), not as itself
SELECT (rfm.run_job(job_id)).status FROM rfm.job WHERE model = 'sec_a';
-- the scheduler refuses models owned by superusers
SELECT rfm.schedule('sec_su', '@daily');

-- F2: the owner of a model drops it, triggers on a source of another role's included
SET ROLE sec_alice;
SELECT rfm.drop_model('sec_a');
RESET ROLE;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'mallory.orders'::regclass;

-- F7: the source's member column widened (integer to bigint, then to text): writers keep writing, the model
-- follows at its next refresh
SET ROLE sec_mallory;
CREATE TABLE mallory.orders_int (member_id integer, ordered_at date, amount numeric);
INSERT INTO mallory.orders_int SELECT 1 + i % 5, date '2024-01-01' + i, 10 FROM generate_series(1, 40) i;
GRANT SELECT, TRIGGER ON mallory.orders_int TO sec_alice;
GRANT INSERT ON mallory.orders_int TO sec_app;
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.create_model('sec_w', 'mallory.orders_int');
SELECT members FROM rfm.refresh('sec_w', '2024-02-15');
RESET ROLE;
SET ROLE sec_mallory;
ALTER TABLE mallory.orders_int ALTER COLUMN member_id TYPE bigint;
RESET ROLE;
SET ROLE sec_app;
INSERT INTO mallory.orders_int VALUES (3000000000, '2024-02-10', 5);
RESET ROLE;
SET ROLE sec_alice;
SELECT members, rebuilt FROM rfm.refresh('sec_w', '2024-02-15');
GRANT SELECT ON rfm_sec_w.labels TO sec_app;
SELECT rfm.alter_member_type('sec_w');
SELECT members, rebuilt FROM rfm.refresh('sec_w', '2024-02-15');
SELECT member_id, frequency FROM rfm_sec_w.labels WHERE member_id = 3000000000;
-- the view was made again as it was: its comments and grants
SELECT obj_description('rfm_sec_w.labels'::regclass, 'pg_class') IS NOT NULL AS commented,
       has_table_privilege('sec_app', 'rfm_sec_w.labels', 'SELECT') AS app_may_read;
RESET ROLE;
SET ROLE sec_mallory;
ALTER TABLE mallory.orders_int ALTER COLUMN member_id TYPE text;
RESET ROLE;
SET ROLE sec_app;
INSERT INTO mallory.orders_int VALUES ('vip-1', '2024-02-11', 5);
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.alter_member_type('sec_w');
SELECT members, rebuilt FROM rfm.refresh('sec_w', '2024-02-15');
SELECT member_id, frequency FROM rfm_sec_w.labels WHERE member_id IN ('vip-1', '3000000000') ORDER BY 1;

-- F10: member ids the owner may not see are not handed to it: SELECT revoked, the refresh is refused
RESET ROLE;
SET ROLE sec_mallory;
REVOKE SELECT ON mallory.orders_int FROM sec_alice;
RESET ROLE;
SET ROLE sec_app;
INSERT INTO mallory.orders_int VALUES ('hidden-1', '2024-02-12', 5);
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.refresh('sec_w', '2024-02-16');
SELECT count(*) AS queued_for_alice FROM rfm.change_queue;
RESET ROLE;
SELECT count(*) AS queued FROM rfm.change_queue WHERE model = 'sec_w' AND member_id = 'hidden-1';
SET ROLE sec_alice;
SELECT rfm.drop_model('sec_w');
RESET ROLE;

-- F11: a source with inheritance children is refused (writes to a child would not be captured)
SET ROLE sec_mallory;
CREATE TABLE mallory.orders_child () INHERITS (mallory.orders);
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.create_model('sec_i', 'mallory.orders');
RESET ROLE;
-- a child added after the model was made: its next refresh refuses
SET ROLE sec_mallory;
DROP TABLE mallory.orders_child;
CREATE TABLE mallory.orders_p (LIKE mallory.orders);
INSERT INTO mallory.orders_p SELECT * FROM mallory.orders;
GRANT SELECT, TRIGGER ON mallory.orders_p TO sec_alice;
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.create_model('sec_i', 'mallory.orders_p');
SELECT members FROM rfm.refresh('sec_i', '2024-02-15');
RESET ROLE;
SET ROLE sec_mallory;
CREATE TABLE mallory.orders_p_child () INHERITS (mallory.orders_p);
RESET ROLE;
SET ROLE sec_alice;
SELECT rfm.refresh('sec_i', '2024-02-16');
SELECT rfm.drop_model('sec_i');
RESET ROLE;

-- the capture triggers depend on rfm's function: DROP EXTENSION rfm CASCADE takes them with it (the source stays
-- writable)
SELECT t.tgrelid::regclass AS relation, count(*) AS capture_triggers, bool_and(d.refobjid IS NOT NULL) AS go_with_rfm
  FROM pg_trigger t
  LEFT JOIN pg_depend d ON d.classid = 'pg_trigger'::regclass AND d.objid = t.oid AND d.refclassid = 'pg_proc'::regclass
                       AND d.refobjid = 'rfm._capture_changes()'::regprocedure
 WHERE t.tgfoid = 'rfm._capture_changes()'::regprocedure GROUP BY 1;

SELECT rfm.drop_model('sec_su');
DROP SCHEMA mallory CASCADE;
DROP TABLE sec_secret;
REVOKE CREATE ON DATABASE :"DBNAME" FROM sec_alice, sec_mallory;
DROP ROLE sec_alice;
DROP ROLE sec_mallory;
DROP ROLE sec_app;
