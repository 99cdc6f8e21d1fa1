-- What only a server that preloads rfm has: the launcher and its database
-- setting.  (nopreload checks that neither exists without preloading.)
SHOW shared_preload_libraries;
SHOW rfm.database;
SET rfm.database = 'other';
-- the launcher runs, connected to rfm.database
SELECT backend_type, datname FROM pg_stat_activity WHERE backend_type = 'rfm launcher';
