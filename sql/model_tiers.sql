-- Models with tiers: the tier_policy option, the tier label, its history and flow, tier_watch.
-- Uses cdnow_master from purchases_cdnow and the built-in ladder "example" (docs/tiers.md).
SET extra_float_digits = 0;
SET DateStyle = ISO;
SET client_min_messages = warning;
-- errors show their message and hint; the PL/pgSQL line numbers of CONTEXT would change with every edit
\set SHOW_CONTEXT never
CREATE TABLE model_tier_orders AS SELECT member_id, ordered_at, amount FROM cdnow_master;

-- an unknown policy is refused at creation (its hint lists the policies there are: docs/tiers.md)
\set VERBOSITY terse
SELECT rfm.create_model('tiers', 'model_tier_orders', options => '{"tier_policy": "gold_club"}');
SELECT rfm.create_model('tiers', 'model_tier_orders', options => '{"tier_policy": 7}');
\set VERBOSITY default
SELECT rfm.create_model('tiers', 'model_tier_orders', options => '{"tier_policy": "example", "tier_upgrade_gap": 25, "tier_risk_horizon": "3 months"}');

-- quarterly refreshes through 1997-1998
SELECT q::date AS as_of, r.members, r.rebuilt
  FROM generate_series(date '1997-03-31', date '1998-12-31', interval '3 months') g(q0),
       LATERAL (SELECT (date_trunc('month', g.q0) + interval '1 month - 1 day')::date) d(q),
       rfm.refresh('tiers', d.q) r
 ORDER BY 1;

-- tier counts per quarter from the history: docs/tiers.md has the same table from rfm.tier directly
SELECT r.as_of, h.tier, count(*) AS members
  FROM rfm_tiers.refreshes r, rfm._labels_at('tiers', r.as_of) h
 GROUP BY 1, 2 ORDER BY 1, min(CASE h.tier WHEN 'base' THEN 1 WHEN 'silver' THEN 2 WHEN 'gold' THEN 3 ELSE 4 END);

-- the labels equal rfm.tier on every member (oracle: the function on the states)
SELECT count(*) AS labelled,
       count(*) FILTER (WHERE l.tier IS DISTINCT FROM rfm.tier(m.purchases, '1998-12-31', 'example')) AS differ
  FROM rfm_tiers.labels l JOIN rfm_tiers.members m USING (member_id);

-- the tier flow of every refresh equals rfm.migration between it and the refresh before
WITH pairs AS (SELECT refresh_id, lag(as_of) OVER (ORDER BY as_of) AS from_date, as_of AS to_date FROM rfm_tiers.refreshes),
     oracle AS (SELECT p.refresh_id, mg.from_label, mg.to_label, mg.members, round(mg.revenue::numeric, 2) AS revenue
                  FROM pairs p, rfm.migration('tiers', p.from_date, p.to_date, 'tier') mg WHERE p.from_date IS NOT NULL),
     recorded AS (SELECT t.refresh_id, t.from_label, t.to_label, t.members, round(t.revenue::numeric, 2)
                    FROM rfm_tiers.transitions t JOIN pairs p USING (refresh_id)
                   WHERE t.dimension = 'tier' AND p.from_date IS NOT NULL)
SELECT (SELECT count(*) FROM oracle) AS oracle_rows,
       (SELECT count(*) FROM (TABLE oracle EXCEPT ALL TABLE recorded) x) AS only_oracle,
       (SELECT count(*) FROM (TABLE recorded EXCEPT ALL TABLE oracle) x) AS only_recorded;
SELECT from_label, to_label, members, share_of_from FROM rfm_tiers.flow WHERE dimension = 'tier' ORDER BY 1, 2;

-- tier_watch: exactly the members rfm.tier_watch lists at the last refresh
SELECT watch, count(*) AS members FROM rfm_tiers.tier_watch GROUP BY 1 ORDER BY 1;
SELECT count(*) AS differ FROM (
  (SELECT member_id, watch, tier, spend_to_upgrade FROM rfm_tiers.tier_watch
   EXCEPT ALL
   SELECT member_id, rfm.tier_watch(s, '1998-12-31', 25, '3 months'), s.tier, round(s.spend_to_upgrade::numeric, 2)
     FROM rfm_tiers.members, rfm.tier_status(purchases, '1998-12-31', 'example') s
    WHERE rfm.tier_watch(s, '1998-12-31', 25, '3 months') IS NOT NULL)
  UNION ALL
  (SELECT member_id, rfm.tier_watch(s, '1998-12-31', 25, '3 months'), s.tier, round(s.spend_to_upgrade::numeric, 2)
     FROM rfm_tiers.members, rfm.tier_status(purchases, '1998-12-31', 'example') s
    WHERE rfm.tier_watch(s, '1998-12-31', 25, '3 months') IS NOT NULL
   EXCEPT ALL
   SELECT member_id, watch, tier, spend_to_upgrade FROM rfm_tiers.tier_watch)) x;

-- incremental = full with tiers: inserts, refunds, updates and deletes, then the same day incrementally and in full
SELECT setseed(0.7);
INSERT INTO model_tier_orders SELECT (random() * 23000)::int + 1, date '1998-12-01' + (random() * 30)::int,
                                     round((random() * 400)::numeric, 2)
  FROM generate_series(1, 300);
INSERT INTO model_tier_orders SELECT member_id, '1998-12-20', -50 FROM model_tier_orders WHERE member_id % 211 = 5 GROUP BY 1;
UPDATE model_tier_orders SET amount = amount * 3 WHERE member_id % 173 = 2;
DELETE FROM model_tier_orders WHERE member_id % 157 = 9;
SELECT members, rebuilt > 0 AS rebuilt_some FROM rfm.refresh('tiers', '1998-12-31');
CREATE TABLE tiers_incremental AS SELECT member_id, tier, segment, napl, nes FROM rfm_tiers.labels;
CREATE TABLE tiers_watch_incremental AS SELECT * FROM rfm_tiers.tier_watch;
SELECT members FROM rfm.refresh('tiers', '1998-12-31', "full" => true);
SELECT (SELECT count(*) FROM (TABLE tiers_incremental EXCEPT ALL SELECT member_id, tier, segment, napl, nes FROM rfm_tiers.labels) x) AS only_incremental,
       (SELECT count(*) FROM (SELECT member_id, tier, segment, napl, nes FROM rfm_tiers.labels EXCEPT ALL TABLE tiers_incremental) x) AS only_full,
       (SELECT count(*) FROM (TABLE tiers_watch_incremental EXCEPT ALL TABLE rfm_tiers.tier_watch) x)
     + (SELECT count(*) FROM (TABLE rfm_tiers.tier_watch EXCEPT ALL TABLE tiers_watch_incremental) x) AS watch_differs;
DROP TABLE tiers_incremental, tiers_watch_incremental;

-- a model without a tier policy has no tier label and no tier flow
SELECT rfm.create_model('notiers', 'model_tier_orders');
SELECT members FROM rfm.refresh('notiers', '1997-06-30');
SELECT count(*) FILTER (WHERE tier IS NOT NULL) AS tiered FROM rfm_notiers.labels;
SELECT count(*) AS tier_flow_rows FROM rfm_notiers.transitions WHERE dimension = 'tier';
SELECT rfm.drop_model('notiers'), rfm.drop_model('tiers');
DROP TABLE model_tier_orders;
