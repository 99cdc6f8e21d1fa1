-- Upgrade path: install 1.0 as it shipped, make and refresh a model, update to the current version,
-- and compare the extension's catalog with a fresh install (src/upgrade/README.md). Runs in a database
-- of its own.
SELECT current_database() AS regression_db \gset
CREATE DATABASE rfm_upgrade;
\c rfm_upgrade
SET client_min_messages = warning;
SET DateStyle = ISO;
SET extra_float_digits = 0;

-- everything that makes the extension, one text row per property (only pg_catalog is read)
CREATE VIEW rfm_catalog (kind, object, detail) AS
  SELECT 'function', p.oid::regprocedure::text,
         concat_ws(' | ', p.prokind, p.provolatile, p.proparallel, p.proisstrict, p.prosecdef, p.proleakproof,
                   p.procost, p.prorows, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                   p.proconfig::text, p.probin, md5(p.prosrc), p.proacl::text, obj_description(p.oid, 'pg_proc'))
    FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'rfm')
  UNION ALL
  SELECT 'aggregate', a.aggfnoid::regprocedure::text,
         concat_ws(' | ', a.aggkind, a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn,
                   a.aggfinalextra, a.aggfinalmodify, a.aggtranstype::regtype, a.aggtransspace, a.agginitval,
                   a.aggsortop)
    FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'rfm')
  UNION ALL
  SELECT 'type', t.oid::regtype::text,
         concat_ws(' | ', t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage, t.typcategory, t.typinput,
                   t.typoutput, t.typreceive, t.typsend, t.typanalyze, t.typelem::regtype, t.typacl::text,
                   obj_description(t.oid, 'pg_type'),
                   (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))
    FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'rfm')
  UNION ALL
  SELECT 'relation', c.oid::regclass::text,
         concat_ws(' | ', c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text,
                   obj_description(c.oid, 'pg_class'), CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid) END)
    FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'rfm')
  UNION ALL
  SELECT 'column', a.attrelid::regclass::text || '.' || a.attname,
         concat_ws(' | ', a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                   pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum), a.attacl::text)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'rfm') AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'constraint', n.conrelid::regclass::text || '.' || n.conname, pg_get_constraintdef(n.oid)
    FROM pg_constraint n WHERE n.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'rfm')
  UNION ALL
  SELECT 'policy', pol.polrelid::regclass::text || '.' || pol.polname,
         concat_ws(' | ', pol.polcmd, pol.polpermissive, pol.polroles::text, pg_get_expr(pol.polqual, pol.polrelid),
                   pg_get_expr(pol.polwithcheck, pol.polrelid))
    FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'rfm')
  UNION ALL
  SELECT 'trigger', tg.tgrelid::regclass::text || '.' || tg.tgname, pg_get_triggerdef(tg.oid)
    FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
   WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'rfm') AND NOT tg.tgisinternal
  UNION ALL
  SELECT 'member', pg_describe_object(d.classid, d.objid, d.objsubid), ''
    FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rfm')
  UNION ALL
  SELECT 'dumped', cfg.tab::regclass::text, coalesce(cfg.cond, '')
    FROM pg_extension e, unnest(e.extconfig, e.extcondition) cfg(tab, cond) WHERE e.extname = 'rfm'
  UNION ALL
  SELECT 'schema', n.nspname, concat_ws(' | ', n.nspacl::text, obj_description(n.oid, 'pg_namespace'))
    FROM pg_namespace n WHERE n.nspname = 'rfm';

CREATE EXTENSION rfm VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'rfm';
SELECT target, path FROM pg_extension_update_paths('rfm') WHERE source = '1.0' AND path IS NOT NULL ORDER BY 1;
-- the install scripts: 1.0's and the current version's alone; PostgreSQL makes the others from 1.0 and the updates
SELECT f AS install_script FROM pg_ls_dir((SELECT setting FROM pg_config WHERE name = 'SHAREDIR') || '/extension') f
 WHERE f ~ '^rfm--[0-9.]+\.sql$' ORDER BY 1;

-- a model made by 1.0 (layout 1) and owned by another role: two refreshes
CREATE TABLE orders (member_id int, ordered_at date, amount numeric);
INSERT INTO orders SELECT g % 50, date '2024-01-01' + (g * 7) % 180, (g % 9) * 10 + 5 FROM generate_series(1, 400) g;
CREATE ROLE rfm_upgrade_owner;
GRANT CREATE ON DATABASE rfm_upgrade TO rfm_upgrade_owner;
GRANT SELECT, TRIGGER ON orders TO rfm_upgrade_owner;
SET ROLE rfm_upgrade_owner;
SELECT rfm.create_model('old', 'orders');
RESET ROLE;
SELECT members, changed FROM rfm.refresh('old', '2024-03-31');
SELECT members, changed FROM rfm.refresh('old', '2024-06-30');
CREATE TABLE flow_before AS SELECT * FROM rfm_old.flow;
-- a write not yet refreshed (member 7 touched, nothing changed): captured by 1.0's trigger into rfm_old.changes
UPDATE orders SET amount = amount WHERE member_id = 7;
-- the aggregates of the old catalog run on this library until the update (their transitions keep their symbols:
-- purchases_union's, given the state of 1.0-1.6 by a function of 1.7's, crashed the server)
SELECT (SELECT rfm.purchases_union(p) FROM (SELECT rfm.purchases_agg(ordered_at, amount) p FROM orders GROUP BY member_id) x)::text
       = (SELECT rfm.purchases_agg(ordered_at, amount) FROM orders)::text AS union_of_members_is_all_orders,
       (SELECT rfm.breaks(amount::float8, 4) FROM orders) AS breaks_1_0;

ALTER EXTENSION rfm UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'rfm';
CREATE TABLE catalog_updated AS SELECT * FROM rfm_catalog;

-- the update moved its change capture to rfm's trigger function and queue (its own function and changes
-- table are gone, the pending changes queued)
SELECT t.tgname, t.tgfoid::regprocedure AS function FROM pg_trigger t WHERE t.tgrelid = 'orders'::regclass ORDER BY 1;
SELECT count(*) AS functions_left FROM pg_proc WHERE pronamespace = 'rfm_old'::regnamespace;
SELECT to_regclass('rfm_old.changes') AS changes_table;
SELECT model, member_id FROM rfm.change_queue;
-- the model keeps working: its next refresh, by its owner (a superuser is refused), brings it to the new
-- layout and rebuilds the transitions of its past refreshes from the history
SELECT name, layout FROM rfm.model;
SELECT count(*) AS refused FROM rfm.refresh('old', '2024-07-31');
SET ROLE rfm_upgrade_owner;
SELECT members, changed FROM rfm.refresh('old', '2024-07-31');
RESET ROLE;
SELECT name, layout FROM rfm.model;
SELECT r.as_of, t.dimension, sum(t.members) AS members
  FROM rfm_old.transitions t JOIN rfm_old.refreshes r USING (refresh_id) GROUP BY 1, 2 ORDER BY 1, 2;
-- the transitions rebuilt for 2024-06-30 equal the flow view 1.0 showed then
SELECT (SELECT count(*) FROM flow_before) AS flow_rows_1_0,
       (SELECT count(*) FROM (SELECT dimension, from_label, to_label, members, share_of_from, round(revenue::numeric, 6) FROM flow_before
                              EXCEPT ALL
                              SELECT t.dimension, t.from_label, t.to_label, t.members,
                                     round(t.members / sum(t.members) OVER (PARTITION BY t.dimension, t.from_label), 4),
                                     round(t.revenue::numeric, 6)
                                FROM rfm_old.transitions t JOIN rfm_old.refreshes r USING (refresh_id)
                               WHERE r.as_of = '2024-06-30') x) AS differ;
SELECT count(*) > 0 AS flow_shown FROM rfm_old.flow;
SELECT pg_get_userbyid(c.relowner) AS owner, c.relname
  FROM pg_class c WHERE c.relnamespace = 'rfm_old'::regnamespace AND c.relname IN ('transitions', 'tier_watch', 'flow') ORDER BY 2;
SELECT count(*) AS objects_not_owned_by_the_owner FROM pg_class c
 WHERE c.relnamespace = 'rfm_old'::regnamespace AND c.relowner <> 'rfm_upgrade_owner'::regrole;
SET ROLE rfm_upgrade_owner;
SELECT rfm.drop_model('old');
RESET ROLE;
REVOKE ALL ON orders FROM rfm_upgrade_owner;
REVOKE ALL ON DATABASE rfm_upgrade FROM rfm_upgrade_owner;

-- a fresh install of the current version has the same catalog
DROP EXTENSION rfm;
CREATE EXTENSION rfm;
CREATE TABLE catalog_fresh AS SELECT * FROM rfm_catalog;
SELECT (SELECT count(*) FROM catalog_fresh) > 300 AS catalog_read, (SELECT count(DISTINCT kind) FROM catalog_fresh) AS kinds;
SELECT 'only after update' AS "where", * FROM (TABLE catalog_updated EXCEPT ALL TABLE catalog_fresh) x
UNION ALL
SELECT 'only in fresh install', * FROM (TABLE catalog_fresh EXCEPT ALL TABLE catalog_updated) y
ORDER BY 2, 3, 1;


-- a model made by 1.1 (layout 2): its first refresh after the update moves its labels to label_state and
-- rebuilds it; later refreshes relabel only what can have changed
\getenv abs_srcdir PG_ABS_SRCDIR
\set model_part :abs_srcdir '/sql/upgrade_model.part'
\set from_version 1.1
\i :model_part
-- a model made by 1.2 (layout 3, as now): the update replaces the functions that refresh it
\set from_version 1.2
\i :model_part
-- a model made by 1.3: the update replaces the functions that refresh it (a full refresh now compares the rebuilt
-- states with those kept)
\set from_version 1.3
\i :model_part
-- a model made by 1.4: the update replaces the functions that refresh it
\set from_version 1.4
\i :model_part
-- a model made by 1.5: the update replaces drop_model and the events option's lookup (PostgreSQL 16+)
\set from_version 1.5
\i :model_part
-- a model made by 1.6: the update moves its change capture to rfm's own trigger function and queue
\set from_version 1.6
\i :model_part

\c :regression_db
DROP DATABASE rfm_upgrade;
DROP ROLE rfm_upgrade_owner;
