-- docs/check_reference.sql: does docs/reference.md have a heading for every public object of rfm?
--
-- Run from the repository root, in a database where rfm is installed:
--   psql -X -d yourdb -f docs/check_reference.sql
-- It prints the public objects (functions, aggregates, types, tables, settings, model options, per-model
-- objects) whose name appears in no heading of docs/reference.md; no rows means complete.
-- Internal objects are skipped: names starting with "_", aggregate support functions, type I/O functions
-- and the functions behind operators (they are listed in the page's last table instead).

\set ref `cat docs/reference.md`

WITH headings AS (
  SELECT line FROM regexp_split_to_table(:'ref', E'\n') AS line WHERE line ~ '^#{2,4} '
),
support AS (
  SELECT unnest(ARRAY[aggtransfn, aggcombinefn, aggserialfn, aggdeserialfn, aggfinalfn])::oid AS oid FROM pg_aggregate
  UNION SELECT unnest(ARRAY[typinput, typoutput, typreceive, typsend])::oid FROM pg_type
  UNION SELECT oprcode::oid FROM pg_operator
  UNION SELECT amproc::oid FROM pg_amproc
),
objects AS (
  SELECT DISTINCT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'function' END AS kind, 'rfm.' || p.proname AS name
    FROM pg_proc p
   WHERE p.pronamespace = 'rfm'::regnamespace AND p.proname !~ '^_'
     AND p.oid NOT IN (SELECT oid FROM support WHERE oid IS NOT NULL)
  UNION
  SELECT 'type', 'rfm.' || t.typname
    FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
   WHERE t.typnamespace = 'rfm'::regnamespace AND t.typname !~ '^_'
     AND (t.typrelid = 0 OR c.relkind = 'c')
  UNION
  -- (a model's Citus change queue rfm.cq_<model> under the one heading of that name)
  SELECT 'table', 'rfm.' || regexp_replace(relname, '^cq_.*', 'cq_<model>') FROM pg_class
   WHERE relnamespace = 'rfm'::regnamespace AND relkind = 'r'
  UNION
  SELECT 'setting', name FROM pg_settings WHERE name LIKE 'rfm.%'
  UNION
  SELECT 'model option', name FROM rfm.model_option
  UNION
  SELECT 'model object', unnest(ARRAY['members', 'labels', 'label_state', 'hist', 'label_totals', 'label_history', 'cutpoints', 'refreshes', 'transitions',
                                      'tier_watch', 'dciu_lifts', 'refresh_totals', 'prospects', 'segment_summary',
                                      'lifecycle_summary', 'value_segment_summary', 'value_segment_history', 'label_counts',
                                      'flow_sankey', 'flow', 'kpi', 'dciu_lift', 'napl_dciu', 'campaign_results', 'campaign_reviews',
                                      'work_candidates', 'work_changed'])
)
SELECT o.kind, o.name AS missing_heading
  FROM objects o
 WHERE NOT EXISTS (SELECT 1 FROM headings h WHERE strpos(h.line, '`' || o.name || '`') > 0
                                              OR strpos(h.line, '`' || o.name || '()`') > 0)
 ORDER BY 1, 2;

-- how many public objects were checked
SELECT count(*) AS public_objects_checked FROM (
  SELECT DISTINCT p.proname FROM pg_proc p
   WHERE p.pronamespace = 'rfm'::regnamespace AND p.proname !~ '^_'
     AND p.oid NOT IN (SELECT unnest(ARRAY[aggtransfn, aggcombinefn, aggserialfn, aggdeserialfn, aggfinalfn])::oid FROM pg_aggregate
                       UNION SELECT unnest(ARRAY[typinput, typoutput, typreceive, typsend])::oid FROM pg_type
                       UNION SELECT oprcode::oid FROM pg_operator UNION SELECT amproc::oid FROM pg_amproc)
  UNION ALL SELECT t.typname FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
   WHERE t.typnamespace = 'rfm'::regnamespace AND t.typname !~ '^_' AND (t.typrelid = 0 OR c.relkind = 'c')
  UNION ALL SELECT relname FROM pg_class WHERE relnamespace = 'rfm'::regnamespace AND relkind = 'r'
  UNION ALL SELECT name FROM pg_settings WHERE name LIKE 'rfm.%'
  UNION ALL SELECT name FROM rfm.model_option
  UNION ALL SELECT unnest(ARRAY['members', 'labels', 'label_state', 'hist', 'label_totals', 'label_history', 'cutpoints', 'refreshes', 'transitions',
                                'tier_watch', 'dciu_lifts', 'refresh_totals', 'prospects', 'segment_summary', 'lifecycle_summary',
                                'value_segment_summary', 'value_segment_history', 'label_counts', 'flow_sankey', 'flow', 'kpi',
                                'dciu_lift', 'napl_dciu', 'campaign_results', 'campaign_reviews'])) o;
