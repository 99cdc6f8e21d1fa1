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
SELECT rfm.drop_model('ww');
DROP TABLE ww_orders;
