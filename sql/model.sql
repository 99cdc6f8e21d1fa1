-- Models: create_model validation, monthly refreshes of CDNOW, KPIs, flow,
-- history reconstruction, incremental = full, failed refreshes.
-- Uses cdnow_master from purchases_cdnow.
SET extra_float_digits = 0;
SET DateStyle = ISO;
SET client_min_messages = warning;
-- errors show their message and hint; the PL/pgSQL line numbers of CONTEXT would change with every edit
\set SHOW_CONTEXT never
CREATE TABLE model_orders AS SELECT member_id, ordered_at, amount FROM cdnow_master;

-- validation: each mistake is a clear error with a hint
SELECT rfm.create_model('Bad Name', 'model_orders');
SELECT rfm.create_model('cdnow', 'model_orders', options => '{"bins": 5, "colour": "red"}');
SELECT rfm.create_model('cdnow', 'model_orders', options => '{"bins": 50}');
-- interval options are interval strings: a bare number (which would be seconds) and a window under a day are refused
SELECT rfm.create_model('cdnow', 'model_orders', options => '{"napl_window": 90}');
SELECT rfm.create_model('cdnow', 'model_orders', options => '{"window": "1 hour"}');
SELECT rfm.create_model('cdnow', 'model_orders', options => '{"scoring": "fixed"}');
SELECT rfm.create_model('cdnow', 'model_orders', member_column => 'customer');
SELECT rfm.create_model('cdnow', 'model_orders', amount_column => 'ordered_at');
SELECT rfm.create_model('cdnow', 'no_such_table');
CREATE VIEW model_orders_view AS SELECT * FROM model_orders;
SELECT rfm.create_model('cdnow', 'model_orders_view');
SELECT rfm.refresh('nope');
-- a role without rights on the source can create no model on it
CREATE ROLE rfm_model_tester;
SET ROLE rfm_model_tester;
SELECT rfm.create_model('cdnow', 'model_orders');
RESET ROLE;
GRANT SELECT ON model_orders TO rfm_model_tester;
SET ROLE rfm_model_tester;
SELECT rfm.create_model('cdnow', 'model_orders');
RESET ROLE;
REVOKE SELECT ON model_orders FROM rfm_model_tester;
DROP ROLE rfm_model_tester;

-- a source without an index led by the member column: a notice with the index to create
SET client_min_messages = notice;
SELECT rfm.create_model('noticed', 'model_orders');
CREATE TABLE indexed_orders (LIKE model_orders);
CREATE INDEX ON indexed_orders (member_id, ordered_at);
SELECT rfm.create_model('indexed', 'indexed_orders');
SET client_min_messages = warning;
SELECT rfm.drop_model('noticed'), rfm.drop_model('indexed');
DROP TABLE indexed_orders;

SELECT rfm.create_model('cdnow', 'model_orders');
SELECT rfm.create_model('cdnow', 'model_orders');
SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') IS NOT NULL AS has_comment
  FROM pg_class c WHERE c.relnamespace = 'rfm_cdnow'::regnamespace AND c.relkind IN ('r', 'm', 'v') ORDER BY 1;
-- its twin, relabelled from scratch every month: marked as after a TRUNCATE of its source (rfm.model.needs_full),
-- so that every state is rebuilt and everyone relabelled
SELECT rfm.create_model('twin', 'model_orders');

-- rfm._recheck, hand-checked: a repeat buyer with a cycle of 10 days, 4 days after its last purchase (E0 until
-- recency 10) is due on 2024-01-21 + 11; an order dated later is due on its day; a one-time buyer without one and a
-- repeat buyer past its last NES stage (S3) never are
SELECT rfm._recheck('{2024-01-01:1:10,2024-01-11:1:10,2024-01-21:1:10}', '2024-01-25', 1, '{1,2,3}', 'mean') AS e0_to_s1,
       rfm._recheck('{2024-01-01:1:10,2024-01-11:1:10,2024-01-21:1:10}', '2024-01-25', 1, '{2,2.5,3}', 'mean') AS e0_to_s1_x2,
       rfm._recheck('{2024-01-01:1:10,2024-03-01:1:5}', '2024-01-15', 1, '{1,2,3}', 'mean') AS next_order,
       rfm._recheck('{2024-01-01:1:10}', '2024-01-15', 1, '{1,2,3}', 'mean') AS one_time,
       rfm._recheck('{2024-01-01:1:10,2024-01-11:1:10}', '2024-03-01', 1, '{1,2,3}', 'mean') AS past_s3;

-- monthly refreshes through 1997-1998; keep what each refresh produced, and what the twin produced
CREATE TABLE produced AS SELECT * FROM rfm_cdnow.labels WHERE false;
CREATE TABLE produced_full AS SELECT * FROM rfm_twin.labels WHERE false;
CREATE FUNCTION refresh_and_keep(d date) RETURNS TABLE (members bigint, rebuilt bigint, changed bigint) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT r.members, r.rebuilt, r.changed FROM rfm.refresh('cdnow', d) r;
  INSERT INTO produced SELECT * FROM rfm_cdnow.labels;
  UPDATE rfm.model SET needs_full = true WHERE name = 'twin';
  PERFORM rfm.refresh('twin', d);
  INSERT INTO produced_full SELECT * FROM rfm_twin.labels;
END $$;
SELECT d::date AS as_of, r.*
  FROM generate_series(date '1997-01-31', date '1998-06-30', interval '1 month') g(d0),
       LATERAL (SELECT (date_trunc('month', g.d0) + interval '1 month - 1 day')::date AS d) dd(d),
       refresh_and_keep(dd.d) r
 ORDER BY 1;
-- each refresh labelled only the members whose labels could change (relabelled), yet its labels, cut points
-- (to the bit), KPIs and flow equal those of relabelling everyone
SELECT r.as_of, r.members, r.relabelled, t.relabelled AS twin_relabelled
  FROM rfm_cdnow.refreshes r JOIN rfm_twin.refreshes t USING (as_of) ORDER BY 1;
SELECT (SELECT count(*) FROM produced) AS labels,
       (SELECT count(*) FROM (SELECT * FROM produced EXCEPT ALL SELECT * FROM produced_full) x) AS only_incremental,
       (SELECT count(*) FROM (SELECT * FROM produced_full EXCEPT ALL SELECT * FROM produced) x) AS only_full,
       (SELECT count(*) FROM (SELECT r.as_of, c.dimension, c.breaks, c.members_per_score
                                FROM rfm_cdnow.cutpoints c JOIN rfm_cdnow.refreshes r USING (refresh_id)
                              EXCEPT ALL
                              SELECT r.as_of, c.dimension, c.breaks, c.members_per_score
                                FROM rfm_twin.cutpoints c JOIN rfm_twin.refreshes r USING (refresh_id)) x) AS cutpoints_differ,
       (SELECT count(*) FROM (SELECT as_of, members, round(revenue::numeric, 6), active_rate, repurchase_rate, churn_rate,
                                     n_to_a_rate, p_to_a_rate, round(top20_revenue_share::numeric, 12), value_reference,
                                     fallback_cycle
                                FROM rfm_cdnow.refreshes
                              EXCEPT ALL
                              SELECT as_of, members, round(revenue::numeric, 6), active_rate, repurchase_rate, churn_rate,
                                     n_to_a_rate, p_to_a_rate, round(top20_revenue_share::numeric, 12), value_reference,
                                     fallback_cycle
                                FROM rfm_twin.refreshes) x) AS refreshes_differ,
       (SELECT count(*) FROM (SELECT r.as_of, t.dimension, t.from_label, t.to_label, t.members, round(t.revenue::numeric, 6)
                                FROM rfm_cdnow.transitions t JOIN rfm_cdnow.refreshes r USING (refresh_id)
                              EXCEPT ALL
                              SELECT r.as_of, t.dimension, t.from_label, t.to_label, t.members, round(t.revenue::numeric, 6)
                                FROM rfm_twin.transitions t JOIN rfm_twin.refreshes r USING (refresh_id)) x) AS transitions_differ;
-- a full refresh that changes nothing writes nothing: every state is rebuilt from the source and compared with
-- the one kept, and none differs
BEGIN;
SELECT members, rebuilt, changed FROM rfm.refresh('twin', '1998-06-30', "full" => true);
SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables WHERE relid = 'rfm_twin.members'::regclass;
SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables WHERE relid = 'rfm_twin.label_state'::regclass;
SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables WHERE relid = 'rfm_twin.label_history'::regclass;
COMMIT;
SELECT as_of, members, round(revenue::numeric, 2) AS revenue, round(active_rate::numeric, 4) AS active,
       round(repurchase_rate::numeric, 4) AS repurchase, round(churn_rate::numeric, 4) AS churn,
       round(n_to_a_rate::numeric, 4) AS n_to_a, round(p_to_a_rate::numeric, 4) AS p_to_a,
       round(top20_revenue_share::numeric, 4) AS top20
  FROM rfm_cdnow.kpi ORDER BY as_of;
-- revenue per period (for a revenue-by-month chart; kpi.revenue is the window's): the net spend of the orders
-- dated in (period_start, as_of], from the orders themselves
SELECT count(*) AS periods, count(*) FILTER (WHERE k.period_revenue IS DISTINCT FROM o.spend) AS differ,
       sum(k.period_revenue) AS period_revenue_total
  FROM rfm_cdnow.kpi k
  LEFT JOIN LATERAL (SELECT sum(amount) AS spend FROM model_orders
                      WHERE ordered_at::date > k.period_start AND ordered_at::date <= k.as_of) o ON true
 WHERE k.period_start IS NOT NULL;
SELECT as_of, period_start, period_revenue, pg_typeof(period_revenue) AS money_type, pg_typeof(active_rate) AS rate_type
  FROM rfm_cdnow.kpi ORDER BY as_of LIMIT 2;
-- the BI objects are plain views, which information_schema lists (BI tools browse it), each column commented
SELECT t.table_name, t.table_type,
       (SELECT count(*) FROM information_schema.columns c WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name) AS columns,
       (SELECT count(*) FROM information_schema.columns c
         WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name
           AND coalesce(col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position::int), '') = '') AS uncommented
  FROM information_schema.tables t
 WHERE t.table_schema = 'rfm_cdnow' AND t.table_type = 'VIEW' ORDER BY t.table_name COLLATE "C";
-- plain-SQL check of two KPIs at 1998-06-30: members with a purchase and the top-20 % revenue share
SELECT count(*) AS members,
       round((sum(s) FILTER (WHERE rn <= ceil(0.2 * n)) / sum(s))::numeric, 4) AS top20
  FROM (SELECT sum(amount) s, row_number() OVER (ORDER BY sum(amount) DESC) rn, count(*) OVER () n
          FROM model_orders GROUP BY member_id) t;
SELECT segment, segment_name, members, share_of_members, round(revenue::numeric, 2) AS revenue,
       round(share_of_revenue::numeric, 6) AS share_of_revenue, round(avg_recency, 4) AS avg_recency,
       round(avg_frequency, 4) AS avg_frequency, round(avg_monetary::numeric, 4) AS avg_monetary
  FROM rfm_cdnow.segment_summary ORDER BY members DESC LIMIT 3;
SELECT napl, sum(members) AS members FROM rfm_cdnow.lifecycle_summary GROUP BY napl ORDER BY array_position('{N,A,P,L}', napl);
-- the 8-segment value table: its rows in the source material's order, display names in the reader's locale (as
-- rfm.label spells it, whatever the spelling set), members and revenue equal to a GROUP BY over the labels
SET rfm.locale = 'zh_tw';
SHOW rfm.locale;
SELECT as_of, sort_order, value_segment, value_segment_name, members, share_of_members, revenue, share_of_revenue
  FROM rfm_cdnow.value_segment_summary ORDER BY sort_order;
SELECT (SELECT count(*) FROM (SELECT value_segment, members, revenue FROM rfm_cdnow.value_segment_summary WHERE members > 0
                              EXCEPT ALL
                              SELECT value_segment, count(*), round(sum(monetary::numeric), 2) FROM rfm_cdnow.labels GROUP BY 1) x) AS differ,
       (SELECT count(*) FROM rfm_cdnow.labels) AS labelled,
       sum(members) AS members, sum(share_of_members) AS shares
  FROM rfm_cdnow.value_segment_summary;
-- chart-ready: the NAPL flow into the last refresh for a Sankey chart (dates, names in the reader's locale, node
-- names that differ by side), and members per NAPL stage at every refresh (the last equal to label_totals)
SELECT from_date, to_date, from_name, to_name, source_node, target_node, members, revenue
  FROM rfm_cdnow.flow_sankey WHERE dimension = 'napl' AND to_date = '1998-06-30' ORDER BY from_label, to_label;
SELECT as_of, label, label_name, members FROM rfm_cdnow.label_counts
 WHERE dimension = 'napl' AND as_of >= '1998-05-31' ORDER BY as_of, label;
SELECT count(*) AS differ
  FROM (SELECT label, members FROM rfm_cdnow.label_counts WHERE dimension = 'napl' AND as_of = '1998-06-30'
        EXCEPT ALL
        SELECT napl::text, sum(members)::bigint FROM rfm_cdnow.label_totals GROUP BY napl) x;
RESET rfm.locale;
SELECT value_segment_name FROM rfm_cdnow.value_segment_summary WHERE sort_order = 1;
-- one display name per stage across kinds (docs/labels.md): no name of a built-in code is another's, per locale
SELECT locale, name, string_agg(kind || ':' || code, ', ' ORDER BY kind, code) AS codes
  FROM rfm.label WHERE builtin GROUP BY locale, name HAVING count(*) > 1;
SELECT kind, code, name FROM rfm.label WHERE builtin AND locale = 'zh-TW' AND kind IN ('napl', 'nes')
 ORDER BY kind, array_position('{N,A,P,L,E0,S1,S2,S3}', code);
-- a locale or a kind rfm.label does not know is an error listing those it knows
SET rfm.locale = 'klingon';
SELECT value_segment_name FROM rfm_cdnow.value_segment_summary WHERE sort_order = 1;
RESET rfm.locale;
SELECT rfm.label_name('segmnt', 'champions');
SELECT rfm.label_name('segment', '(none)') AS unknown_code_is_its_own_name;
SELECT dimension, from_label, to_label, members, share_of_from, round(revenue::numeric, 2) AS revenue
  FROM rfm_cdnow.flow WHERE dimension IN ('napl', 'value_segment') ORDER BY 1, 2, 3;
-- the transitions recorded by every refresh of a model (or by its last one: last_only) equal rfm.migration
-- between it and the refresh before (members exactly, revenue to a cent), for the four dimensions. (Once orders
-- of the past are changed, only the last one can: rfm.migration computes the spend from the orders as they are.)
CREATE FUNCTION transitions_vs_migration(model_name text, last_only boolean DEFAULT false)
  RETURNS TABLE (oracle_rows bigint, only_oracle bigint, only_recorded bigint) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    WITH pairs AS (SELECT * FROM (SELECT refresh_id, lag(as_of) OVER (ORDER BY as_of) AS from_date, as_of AS to_date
                                    FROM %1$I.refreshes) r
                    WHERE NOT $2 OR r.to_date = (SELECT max(as_of) FROM %1$I.refreshes)),
         oracle AS (SELECT p.refresh_id, d.dimension, mg.from_label, mg.to_label, mg.members, round(mg.revenue::numeric, 2) AS revenue
                      FROM pairs p, unnest(ARRAY['segment', 'value_segment', 'napl', 'nes']) d(dimension),
                           rfm.migration($1, p.from_date, p.to_date, d.dimension) mg
                     WHERE p.from_date IS NOT NULL),
         recorded AS (SELECT t.refresh_id, t.dimension, t.from_label, t.to_label, t.members, round(t.revenue::numeric, 2)
                        FROM %1$I.transitions t JOIN pairs p USING (refresh_id)
                       WHERE p.from_date IS NOT NULL AND t.dimension IN ('segment', 'value_segment', 'napl', 'nes'))
    SELECT (SELECT count(*) FROM oracle), (SELECT count(*) FROM (TABLE oracle EXCEPT ALL TABLE recorded) x),
           (SELECT count(*) FROM (TABLE recorded EXCEPT ALL TABLE oracle) x)$q$, 'rfm_' || model_name)
    USING model_name, last_only;
END $$;
-- the flow view shows the last ones
SELECT t.*, (SELECT count(*) FROM rfm_cdnow.flow) = (SELECT count(*) FROM rfm_cdnow.transitions
                                                      WHERE refresh_id = (SELECT max(refresh_id) FROM rfm_cdnow.refreshes)) AS flow_is_last
  FROM transitions_vs_migration('cdnow') t;
SELECT c.dimension, c.breaks, c.members_per_score
  FROM rfm_cdnow.cutpoints c JOIN rfm_cdnow.refreshes r USING (refresh_id) WHERE r.as_of = '1998-06-30' ORDER BY 1;
SELECT * FROM rfm.migration('cdnow', '1997-12-31', '1998-06-30', 'nes');
SELECT * FROM rfm.migration('cdnow', '1997-12-31', '1998-06-30', 'colour');
SELECT * FROM rfm.migration('cdnow', '1998-06-30', '1997-12-31');
-- after the last refresh nothing is known yet: an error, not the last refresh's labels again
SELECT * FROM rfm.migration('cdnow', '1998-06-30', (SELECT max(as_of) + 1 FROM rfm_cdnow.refreshes));

-- history: the labels reconstructed at every refresh date equal what that refresh produced
SELECT (SELECT count(*) FROM produced) AS produced_rows,
       (SELECT count(*) FROM (
          SELECT member_id::text, r_score, f_score, m_score, segment, value_segment, napl, nes FROM produced p
          EXCEPT ALL
          SELECT h.member_id, h.r_score, h.f_score, h.m_score, h.segment, h.value_segment, h.napl::text, h.nes::text
            FROM (SELECT DISTINCT as_of FROM produced) a, rfm._labels_at('cdnow', a.as_of) h) x) AS only_produced,
       (SELECT count(*) FROM (
          SELECT h.member_id, h.r_score, h.f_score, h.m_score, h.segment, h.value_segment, h.napl::text, h.nes::text
            FROM (SELECT DISTINCT as_of FROM produced) a, rfm._labels_at('cdnow', a.as_of) h
          EXCEPT ALL
          SELECT member_id::text, r_score, f_score, m_score, segment, value_segment, napl, nes FROM produced p) x) AS only_history;

-- what the last refresh of a model read from hist and label_totals, checked against the labels themselves:
-- quantile cut points against rfm.breaks, value references against the mean or median (percentile_cont), the
-- NES fallback cycle against the median gap, label_totals against the labels counted again, the transitions
-- against rfm.migration from the refresh before (the flow is label_totals and the last transitions corrected
-- by the rows that differ)
CREATE FUNCTION oracle(model_name text)
  RETURNS TABLE (breaks_differ bigint, references_differ bigint, fallback_differs boolean, totals_differ bigint,
                 transitions_differ bigint)
  LANGUAGE plpgsql AS $$
DECLARE
  s text := 'rfm_' || model_name;
  opt jsonb := (SELECT m.options FROM rfm.model m WHERE m.name = model_name);
  last record;
BEGIN
  EXECUTE format('SELECT refresh_id, value_reference, fallback_cycle FROM %I.refreshes
                   ORDER BY as_of DESC, refresh_id DESC LIMIT 1', s) INTO last;
  RETURN QUERY EXECUTE format($q$
    WITH own AS (SELECT v.* FROM (SELECT rfm.breaks(recency, 5) AS r, rfm.breaks(frequency, 5) AS f, rfm.breaks(monetary, 5) AS m,
                                         avg(recency)::float8 AS ar, avg(frequency)::float8 AS af, avg(monetary::numeric)::float8 AS am,
                                         percentile_cont(0.5) WITHIN GROUP (ORDER BY recency) AS mr,
                                         percentile_cont(0.5) WITHIN GROUP (ORDER BY frequency) AS mf,
                                         percentile_cont(0.5) WITHIN GROUP (ORDER BY monetary) AS mm
                                    FROM %1$I.labels) v),
         totals AS (SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, count(*) AS members,
                           sum(last_day - DATE '2000-01-01') AS sum_day, sum(frequency) AS sum_frequency,
                           sum(monetary::numeric) AS sum_monetary
                      FROM %1$I.label_state WHERE last_day IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9)
    SELECT CASE WHEN $4 THEN (SELECT count(*) FROM %1$I.cutpoints c, own
                               WHERE c.refresh_id = $1
                                 AND c.breaks IS DISTINCT FROM CASE c.dimension WHEN 'recency' THEN own.r
                                                                  WHEN 'frequency' THEN own.f ELSE own.m END) END,
           (SELECT count(*) FROM own, jsonb_each_text($2) e(k, v)
             WHERE e.v::float8 IS DISTINCT FROM CASE WHEN $5 THEN CASE e.k WHEN 'recency' THEN own.mr WHEN 'frequency' THEN own.mf ELSE own.mm END
                                                     ELSE CASE e.k WHEN 'recency' THEN own.ar WHEN 'frequency' THEN own.af ELSE own.am END END),
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) FROM %1$I.label_state WHERE last_day IS NOT NULL AND gap IS NOT NULL)
             IS DISTINCT FROM $6,
           (SELECT count(*) FROM (SELECT * FROM %1$I.label_totals EXCEPT ALL TABLE totals) x)
           + (SELECT count(*) FROM (TABLE totals EXCEPT ALL SELECT * FROM %1$I.label_totals) x),
           (SELECT t.only_oracle + t.only_recorded FROM transitions_vs_migration($3, true) t)$q$, s)
    USING last.refresh_id, last.value_reference, model_name,
          coalesce(opt ->> 'scoring', 'quantile') = 'quantile', opt ->> 'value_reference' = 'median', last.fallback_cycle;
END $$;
SELECT * FROM oracle('cdnow');
SELECT * FROM oracle('twin');

-- refresh model inc and its twin full (with full => true: every state rebuilt from the source, those that differ
-- from the states kept relabelled as the touched ones) as of d: how many members inc labelled, and the
-- differences between their labels, flows and refresh rows (value references, fallback cycle, KPIs); and the
-- differences between inc's labels and those of a model made now with the twin's options, whose first refresh
-- labels everyone from scratch
CREATE FUNCTION compare_models(inc text, twin text, d date)
  RETURNS TABLE (as_of date, members bigint, relabelled bigint, only_incremental bigint, only_full bigint,
                 flow_differs bigint, refresh_differs bigint, not_from_scratch bigint)
  LANGUAGE plpgsql AS $$
DECLARE
  m rfm.model;
BEGIN
  PERFORM rfm.refresh(inc, d);
  PERFORM rfm.refresh(twin, d, "full" => true);
  SELECT * INTO m FROM rfm.model WHERE name = twin;
  PERFORM set_config('client_min_messages', 'warning', true);
  PERFORM rfm.create_model('scratch', m.source, m.member_column, m.time_column, m.amount_column, m.options);
  PERFORM rfm.refresh('scratch', d);
  RETURN QUERY EXECUTE format($q$
    SELECT $1, r.members, r.relabelled,
           (SELECT count(*) FROM (SELECT * FROM %1$I.labels EXCEPT ALL SELECT * FROM %2$I.labels) x),
           (SELECT count(*) FROM (SELECT * FROM %2$I.labels EXCEPT ALL SELECT * FROM %1$I.labels) x),
           (SELECT count(*) FROM (SELECT f.dimension, f.from_label, f.to_label, f.members, round(f.revenue::numeric, 6) FROM %1$I.flow f
                                  EXCEPT ALL
                                  SELECT f.dimension, f.from_label, f.to_label, f.members, round(f.revenue::numeric, 6) FROM %2$I.flow f) x),
           (SELECT count(*) FROM (SELECT a.value_reference, a.fallback_cycle, a.members, a.active_rate, a.churn_rate
                                    FROM %1$I.refreshes a WHERE a.as_of = $1
                                  EXCEPT ALL
                                  SELECT b.value_reference, b.fallback_cycle, b.members, b.active_rate, b.churn_rate
                                    FROM %2$I.refreshes b WHERE b.as_of = $1) x),
           (SELECT count(*) FROM (SELECT * FROM %1$I.labels EXCEPT ALL SELECT * FROM rfm_scratch.labels) x)
           + (SELECT count(*) FROM (SELECT * FROM rfm_scratch.labels EXCEPT ALL SELECT * FROM %1$I.labels) x)
      FROM %1$I.refreshes r WHERE r.as_of = $1$q$, 'rfm_' || inc, 'rfm_' || twin)
    USING d;
  PERFORM rfm.drop_model('scratch');
END $$;

-- incremental = full: random inserts, updates (amounts, days, member ids) and deletes
SELECT setseed(0.42);
INSERT INTO model_orders SELECT (random() * 30000)::int, date '1998-05-01' + (random() * 60)::int, round((random() * 80)::numeric, 2)
  FROM generate_series(1, 500);
UPDATE model_orders SET amount = amount + 1 WHERE member_id % 97 = 3;
UPDATE model_orders SET ordered_at = ordered_at - 3 WHERE member_id % 89 = 5 AND ordered_at > '1997-06-01';
UPDATE model_orders SET member_id = member_id + 100000 WHERE member_id % 83 = 7;
DELETE FROM model_orders WHERE member_id % 79 = 11;
INSERT INTO model_orders VALUES (424242, '1998-06-15', -20), (424242, '1998-06-20', 35);
SELECT (SELECT count(DISTINCT member_id) FROM rfm.change_queue WHERE model = 'cdnow') > 1000 AS changes_captured;
SELECT members, rebuilt, changed > 0 AS some_changed FROM rfm.refresh('cdnow', '1998-06-30');
CREATE TABLE incremental AS SELECT * FROM rfm_cdnow.labels;
-- the same day again (nothing new), beside the twin (which sees the changes now): same labels, same flow
SELECT * FROM compare_models('cdnow', 'twin', '1998-06-30');
SELECT members, rebuilt FROM rfm.refresh('cdnow', '1998-06-30', "full" => true);
SELECT (SELECT count(*) FROM incremental) AS members,
       (SELECT count(*) FROM (SELECT member_id, as_of, recency, frequency, round(monetary::numeric, 6), r_score, f_score, m_score,
                                     segment, value_segment, napl, nes FROM incremental
                              EXCEPT ALL
                              SELECT member_id, as_of, recency, frequency, round(monetary::numeric, 6), r_score, f_score, m_score,
                                     segment, value_segment, napl, nes FROM rfm_cdnow.labels) x) AS only_incremental,
       (SELECT count(*) FROM (SELECT member_id, as_of, recency, frequency, round(monetary::numeric, 6), r_score, f_score, m_score,
                                     segment, value_segment, napl, nes FROM rfm_cdnow.labels
                              EXCEPT ALL
                              SELECT member_id, as_of, recency, frequency, round(monetary::numeric, 6), r_score, f_score, m_score,
                                     segment, value_segment, napl, nes FROM incremental) x) AS only_full;
-- the states equal plain aggregation of the source
SELECT count(*) AS members_whose_state_differs
  FROM rfm_cdnow.members m FULL JOIN (SELECT member_id, count(*) FILTER (WHERE amount >= 0) AS orders, sum(amount) AS spend
                                         FROM model_orders GROUP BY member_id) o USING (member_id)
 WHERE rfm.frequency(m.purchases, NULL) IS DISTINCT FROM o.orders::int
    OR abs(rfm.monetary(m.purchases, NULL) - o.spend) > 1e-6;

-- the next month: more changes, an order dated after the refresh (a member without labels yet, labelled when
-- its day comes); the incremental refreshes equal the twin's full ones
INSERT INTO model_orders SELECT (random() * 30000)::int, date '1998-07-01' + (random() * 30)::int, round((random() * 80)::numeric, 2)
  FROM generate_series(1, 300);
UPDATE model_orders SET amount = amount - 2 WHERE member_id % 101 = 4;
UPDATE model_orders SET member_id = member_id + 200000 WHERE member_id % 107 = 9;
DELETE FROM model_orders WHERE member_id % 103 = 6;
INSERT INTO model_orders VALUES (525252, '1998-08-15', 40);
SELECT * FROM compare_models('cdnow', 'twin', '1998-07-31');
SELECT * FROM compare_models('cdnow', 'twin', '1998-08-31');
SELECT member_id, recency, frequency, monetary FROM rfm_cdnow.labels WHERE member_id = 525252;
SELECT * FROM oracle('cdnow');
SELECT * FROM oracle('twin');
SELECT rfm.drop_model('twin');

-- the other options a model relabels only some members with: fixed cut points, median references, another NAPL
-- window, NES on the median gap with other multipliers; beside a twin refreshed with full => true
SELECT rfm.create_model(n, 'model_orders', options => '{"scoring": "fixed", "r_breaks": [30, 90, 180, 365], "f_breaks": [1, 2, 4, 8],
                        "m_breaks": [50, 100, 250, 500], "value_reference": "median", "napl_window": "45 days",
                        "nes_cycle": "median", "nes_multipliers": [2, 2.5, 3]}')
  FROM unnest(ARRAY['opt', 'opt_full']) n;
SELECT * FROM compare_models('opt', 'opt_full', '1998-08-31');
INSERT INTO model_orders SELECT (random() * 30000)::int, date '1998-09-01' + (random() * 60)::int, round((random() * 80)::numeric, 2)
  FROM generate_series(1, 200);
SELECT * FROM compare_models('opt', 'opt_full', '1998-09-30');
SELECT * FROM compare_models('opt', 'opt_full', '1998-10-15');
SELECT * FROM compare_models('opt', 'opt_full', '1998-10-15');
SELECT * FROM compare_models('opt', 'opt_full', '1998-12-31');
SELECT * FROM oracle('opt');
SELECT * FROM oracle('opt_full');
-- changes the capture does not see (user triggers disabled, as for a bulk load): an incremental refresh misses
-- them; a full refresh finds the states that differ and labels as a model made now does
ALTER TABLE model_orders DISABLE TRIGGER USER;
UPDATE model_orders SET amount = amount + 25 WHERE member_id % 101 = 13;
ALTER TABLE model_orders ENABLE TRIGGER USER;
SELECT members, rebuilt, changed FROM rfm.refresh('opt', '1998-12-31');
SELECT members, rebuilt, changed FROM rfm.refresh('opt_full', '1998-12-31', "full" => true);
SELECT rfm.create_model('scratch', 'model_orders', options => (SELECT options FROM rfm.model WHERE name = 'opt_full'));
SELECT members, rebuilt FROM rfm.refresh('scratch', '1998-12-31');
SELECT (SELECT count(*) FROM (TABLE rfm_opt.labels EXCEPT ALL TABLE rfm_scratch.labels) x) AS incremental_missed,
       (SELECT count(*) FROM (TABLE rfm_opt_full.labels EXCEPT ALL TABLE rfm_scratch.labels) x) AS only_full,
       (SELECT count(*) FROM (TABLE rfm_scratch.labels EXCEPT ALL TABLE rfm_opt_full.labels) x) AS only_scratch;
SELECT rfm.drop_model('opt'), rfm.drop_model('opt_full'), rfm.drop_model('scratch');

-- TRUNCATE makes the next refresh a full rebuild
TRUNCATE model_orders;
SELECT needs_full FROM rfm.model WHERE name = 'cdnow';
INSERT INTO model_orders SELECT member_id, ordered_at, amount FROM cdnow_master WHERE member_id <= 100;
SELECT members, rebuilt FROM rfm.refresh('cdnow', '1998-06-30');

-- a failed refresh leaves the previous labels and history intact
CREATE TABLE before_labels AS SELECT * FROM rfm_cdnow.labels;
SELECT count(*) AS history_rows FROM rfm_cdnow.label_history \gset
ALTER TABLE model_orders RENAME COLUMN amount TO value;
SELECT rfm.refresh('cdnow', '1998-07-31');
ALTER TABLE model_orders RENAME COLUMN value TO amount;
DROP TABLE model_orders CASCADE;
SELECT rfm.refresh('cdnow', '1998-07-31');
SELECT (SELECT count(*) FROM (TABLE before_labels EXCEPT ALL TABLE rfm_cdnow.labels) x) AS labels_lost,
       (SELECT count(*) FROM rfm_cdnow.label_history) = :history_rows AS history_intact;
SELECT rfm.drop_model('cdnow');
SELECT count(*) AS schemas_left FROM pg_namespace WHERE nspname = 'rfm_cdnow';

-- other member id types and options: text ids, ntile scoring (ties broken by member id),
-- fixed breaks, median references, a custom NAPL window
CREATE TABLE shop (customer text, day date, total double precision);
INSERT INTO shop SELECT 'c' || (g % 7), date '2024-01-01' + (g * 13) % 90, g % 5 * 10 FROM generate_series(1, 60) g;
SELECT rfm.create_model('shop_ntile', 'shop', 'customer', 'day', 'total', '{"scoring": "ntile", "bins": 3, "napl_window": "30 days"}');
SELECT rfm.create_model('shop_fixed', 'shop', 'customer', 'day', 'total',
  '{"scoring": "fixed", "r_breaks": [10, 30], "f_breaks": [5, 9], "m_breaks": [100, 200], "bins": 3, "value_reference": "median"}');
SELECT members FROM rfm.refresh('shop_ntile', '2024-03-31');
SELECT members FROM rfm.refresh('shop_fixed', '2024-03-31');
SELECT n.member_id, n.recency, n.frequency, n.monetary, n.r_score AS r_ntile, n.f_score AS f_ntile, n.m_score AS m_ntile,
       f.r_score AS r_fixed, f.f_score AS f_fixed, f.m_score AS m_fixed, f.value_segment, n.napl
  FROM rfm_shop_ntile.labels n JOIN rfm_shop_fixed.labels f USING (member_id) ORDER BY 1;
SELECT value_reference FROM rfm_shop_fixed.refreshes;
SELECT rfm.drop_model('shop_ntile'), rfm.drop_model('shop_fixed');

-- a day's spend is summed exactly (in units of 0.0001), so the order of the terms does not matter (as doubles,
-- 0.1 + 0.2 + 0.3 is 0.6000000000000001, 0.3 + 0.2 + 0.1 is 0.6): the same orders stored in another physical
-- order (another plan) give the same state, to the bit (every refresh also feeds a member's orders to
-- rfm.purchases_agg by time and amount, which mattered while spend was a double)
CREATE TABLE spend_a (member_id int, ordered_at date, amount double precision);
CREATE TABLE spend_b (LIKE spend_a);
INSERT INTO spend_a VALUES (1, '2024-01-02', 0.1), (1, '2024-01-02', 0.2), (1, '2024-01-02', 0.3), (2, '2024-01-05', 1);
INSERT INTO spend_b VALUES (2, '2024-01-05', 1), (1, '2024-01-02', 0.3), (1, '2024-01-02', 0.2), (1, '2024-01-02', 0.1);
SELECT rfm.create_model('spend_a', 'spend_a'), rfm.create_model('spend_b', 'spend_b');
SELECT members FROM rfm.refresh('spend_a', '2024-01-31');
SELECT members FROM rfm.refresh('spend_b', '2024-01-31');
-- a new member's state built by an incremental refresh (as doubles, 0.1 + 0.3 + 0.6 is 1, 0.6 + 0.3 + 0.1 is
-- 0.9999999999999999)
INSERT INTO spend_a VALUES (3, '2024-01-09', 0.1), (3, '2024-01-09', 0.3), (3, '2024-01-09', 0.6);
INSERT INTO spend_b VALUES (3, '2024-01-09', 0.6), (3, '2024-01-09', 0.3), (3, '2024-01-09', 0.1);
SELECT members, rebuilt FROM rfm.refresh('spend_a', '2024-01-31');
SELECT members, rebuilt FROM rfm.refresh('spend_b', '2024-01-31');
-- (float8send: the bits of the double)
SELECT a.member_id, float8send(a.monetary) AS monetary_a, float8send(b.monetary) AS monetary_b,
       float8send(rfm.monetary(ma.purchases, '2024-01-31')) AS state_a, float8send(rfm.monetary(mb.purchases, '2024-01-31')) AS state_b
  FROM rfm_spend_a.labels a JOIN rfm_spend_b.labels b USING (member_id)
  JOIN rfm_spend_a.members ma USING (member_id) JOIN rfm_spend_b.members mb USING (member_id) ORDER BY 1;
-- (the same orders aggregated in their stored order, as a plain GROUP BY does: the same bits too)
SELECT member_id, float8send(rfm.monetary(rfm.purchases_agg(ordered_at, amount), '2024-01-31')) AS scan_a,
       (SELECT float8send(rfm.monetary(rfm.purchases_agg(ordered_at, amount), '2024-01-31')) FROM spend_b b WHERE b.member_id = a.member_id) AS scan_b
  FROM spend_a a GROUP BY 1 ORDER BY 1;
SELECT rfm.drop_model('spend_a'), rfm.drop_model('spend_b');
