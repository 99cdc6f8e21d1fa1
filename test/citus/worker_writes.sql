-- test/citus/worker_writes.sql, run by test/citus/run.sh after the other scripts (psql variables port, wport: the
-- coordinator's and a worker's): writes made by a client connected to a worker (Citus runs the shards of that node
-- in the client's own session, where it hides the shards from pg_class) are queued like those through the
-- coordinator. One output line per check.
SET client_min_messages = warning;
CREATE TABLE ww_orders (member_id bigint, ordered_at date, amount numeric(12,2));
SELECT create_distributed_table('ww_orders', 'member_id');
SELECT rfm.create_model('ww', 'ww_orders') IS NOT NULL AS made;
\connect - - - :wport
SET client_min_messages = warning;
INSERT INTO ww_orders SELECT g, '2024-01-01', 1 FROM generate_series(1, 100) g;
DELETE FROM ww_orders WHERE member_id <= 10;
\connect - - - :port
SET client_min_messages = warning;
SELECT 'citus writes by a client of a worker queued (100 inserted, 10 of them deleted): '
       || CASE WHEN count(DISTINCT member_id) = 100 THEN 'passed' ELSE 'FAILED (' || count(DISTINCT member_id) || ' queued)' END
  FROM rfm.cq_ww;
-- create_model and drop_model set Citus settings for their own steps only: the caller's transaction gets its
-- values back (sequential mode or unsafe triggers left on would change what the caller does next)
BEGIN;
SET LOCAL citus.multi_shard_modify_mode = parallel;
SET LOCAL citus.enable_unsafe_triggers = off;
SET LOCAL citus.enable_ddl_propagation = on;
SELECT rfm.drop_model('ww');
CREATE TEMP TABLE ww_settings ON COMMIT DROP AS
SELECT 'drop_model' AS step, current_setting('citus.multi_shard_modify_mode') AS mode,
       current_setting('citus.enable_unsafe_triggers') AS unsafe, current_setting('citus.enable_ddl_propagation') AS ddl;
SELECT rfm.create_model('ww2', 'ww_orders') IS NOT NULL AS made;
INSERT INTO ww_settings
SELECT 'create_model', current_setting('citus.multi_shard_modify_mode'), current_setting('citus.enable_unsafe_triggers'),
       current_setting('citus.enable_ddl_propagation');
SELECT 'citus create_model and drop_model give the caller its Citus settings back: '
       || CASE WHEN bool_and((mode, unsafe, ddl) = ('parallel', 'off', 'on')) AND count(*) = 2 THEN 'passed'
               ELSE 'FAILED (' || string_agg(step || ': ' || mode || ' ' || unsafe || ' ' || ddl, ', ') || ')' END
  FROM ww_settings;
COMMIT;
SELECT rfm.drop_model('ww2');
DROP TABLE ww_orders;
