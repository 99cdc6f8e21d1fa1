-- On a server that does not preload rfm (most servers): the library loads in
-- any session, and everything but the scheduler's launcher is there.  Runs
-- only in make installcheck-nopreload, after the whole suite has passed
-- without preloading.
SHOW shared_preload_libraries;
-- no launcher, and none of its postmaster-only settings
SELECT count(*) AS launchers FROM pg_stat_activity WHERE backend_type = 'rfm launcher';
SHOW rfm.database;
-- the settings of a session are there once the library is loaded
LOAD 'rfm';
SHOW rfm.locale;
SHOW rfm.max_workers;

-- CREATE EXTENSION in a session that has not loaded the library yet (it used
-- to end the session: "cannot create PGC_POSTMASTER variables after startup")
SELECT current_database() AS regress_db \gset
CREATE DATABASE rfm_nopreload;
\c rfm_nopreload
SELECT count(*) AS rfm_loaded FROM pg_settings WHERE name LIKE 'rfm.%';
SET client_min_messages = warning;
CREATE EXTENSION rfm;
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'rfm';
-- a first call of a C function in a fresh session loads the library too
\c rfm_nopreload
SELECT rfm.recency(rfm.purchases_agg(d, a), '2024-01-31')
  FROM (VALUES ('2024-01-01'::date, 10.0::float8), ('2024-01-21', 5)) o(d, a);
-- a model created and refreshed, and run as a job by hand
CREATE TABLE orders (member_id bigint, ordered_at date, amount numeric(12,2));
INSERT INTO orders
  SELECT m, DATE '2024-01-01' + (m * 7 + k * 13) % 120, 10 + (m * k) % 50
    FROM generate_series(1, 40) m, generate_series(1, 1 + m % 4) k;
CREATE INDEX ON orders (member_id);
SET client_min_messages = warning;
-- by an ordinary role, as the scheduler runs only models of ordinary roles
CREATE ROLE rfm_np_owner LOGIN;
GRANT CREATE ON DATABASE rfm_nopreload TO rfm_np_owner;
GRANT SELECT, TRIGGER ON orders TO rfm_np_owner;
SET ROLE rfm_np_owner;
SELECT rfm.create_model('np', 'orders');
SELECT members, rebuilt FROM rfm.refresh('np', '2024-04-30');
SELECT count(*) AS labelled FROM rfm_np.labels;
SELECT rfm.schedule('np', '0 3 * * *') AS np_job \gset
SELECT status, members FROM rfm.run_job(:np_job);
SELECT rfm.drop_model('np');
RESET ROLE;
\c :regress_db
DROP DATABASE rfm_nopreload;
DROP ROLE rfm_np_owner;
