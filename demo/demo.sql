-- The demo of README.md: CDNOW's 23,570 members (shipped in data/cdnow) as
-- rfm sees them.  Run by scripts/demo.sh in a throwaway cluster.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rfm;

\echo '== loading CDNOW (69,659 orders of 23,570 members, 1997-01-01 .. 1998-06-30)'
CREATE TEMP TABLE cdnow_lines (line text);
\copy cdnow_lines FROM 'data/cdnow/CDNOW_master.txt'
CREATE TABLE orders AS
  SELECT f[1]::int AS member_id, to_date(f[2], 'YYYYMMDD') AS ordered_at, f[4]::numeric AS amount
    FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') f FROM cdnow_lines) s
   WHERE f[1] <> 'customer_id';

\echo '== one rfm.purchases state per member'
CREATE TABLE members AS
  SELECT member_id, rfm.purchases_agg(ordered_at, amount) AS purchases FROM orders GROUP BY member_id;
SELECT count(*) AS members,
       sum(rfm.purchase_days(purchases, NULL)) AS purchase_days,
       sum(rfm.frequency(purchases, NULL)) AS orders,
       round(sum(rfm.monetary(purchases, NULL))::numeric, 2) AS net_spend
  FROM members;

\echo '== a member, and what the accessors see at two dates (time travel)'
SELECT member_id, purchases FROM members WHERE member_id = 2357;
SELECT d AS as_of, rfm.recency(purchases, d) AS recency_days, rfm.frequency(purchases, d) AS orders,
       rfm.purchase_days(purchases, d, '3 months') AS days_last_3_months,
       rfm.monetary(purchases, d) AS spend
  FROM members, (VALUES (date '1997-06-30'), (date '1998-06-30')) v(d)
 WHERE member_id = 2357;

\echo '== members by months since their last purchase, as of 1998-06-30'
SELECT CASE WHEN r <= 90 THEN '0-3 months' WHEN r <= 180 THEN '3-6 months'
            WHEN r <= 365 THEN '6-12 months' ELSE '12+ months' END AS since_last_purchase,
       count(*) AS members,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct,
       round(avg(f), 2) AS avg_orders,
       round(sum(m)::numeric, 0) AS net_spend
  FROM (SELECT rfm.recency(purchases, '1998-06-30') r, rfm.frequency(purchases, '1998-06-30') f,
               rfm.monetary(purchases, '1998-06-30') m FROM members) s
 GROUP BY 1 ORDER BY min(r);

\echo '== the repeat-buying (BTYD) summary at 1997-09-30, weeks, for the lifetime-value models'
SELECT count(*) AS members, count(*) FILTER (WHERE (b).x = 0) AS zero_repeaters,
       sum((b).x) AS repeat_transactions,
       round(avg((b).monetary) FILTER (WHERE (b).x > 0)::numeric, 2) AS mean_repeat_spend
  FROM (SELECT rfm.btyd(purchases, '1997-09-30') b FROM members) s;

\echo '== a model: monthly refreshes through 1997-1998 (incremental after the first), with the example tier ladder and lifetime value'
-- incremental refreshes read the touched members' orders again: through this index, not by a scan of orders
CREATE INDEX ON orders (member_id);
SELECT rfm.create_model('cdnow', 'orders', options => '{"tier_policy": "example", "tier_upgrade_gap": 25, "clv": true, "clv_horizon": 52}');
\echo '(one WARNING below is expected: at 1997-02-28 two months of data are too little for a lifetime value fit; that refresh keeps NULL clv columns and the others fit)'
SELECT (date_trunc('month', d) + interval '1 month - 1 day')::date AS as_of, r.members, r.rebuilt, r.changed
  FROM generate_series(date '1997-01-01', date '1998-06-01', interval '1 month') d,
       LATERAL rfm.refresh('cdnow', (date_trunc('month', d) + interval '1 month - 1 day')::date) r;

\echo '== segment summary at 1998-06-30 (rfm10 map, 5 quantile bins)'
SELECT segment_name AS segment, members, round(100 * share_of_members, 1) AS pct_members,
       round(revenue::numeric) AS revenue, round(100 * share_of_revenue::numeric, 1) AS pct_revenue
  FROM rfm_cdnow.segment_summary ORDER BY revenue DESC;

\echo '== 八大價值客群 (the 8-segment value table) at 1998-06-30, in zh-TW: the view value_segment_summary'
SET rfm.locale = 'zh-TW';
SELECT sort_order AS "#", value_segment_name AS 客群, members AS 人數, round(100 * share_of_members, 1) AS 人數佔比,
       revenue AS 營收, round(100 * share_of_revenue, 1) AS 營收佔比
  FROM rfm_cdnow.value_segment_summary ORDER BY sort_order;
RESET rfm.locale;

\echo '== cut points of the last refresh (collapsed frequency bins show as 0 members)'
SELECT c.dimension, c.breaks, c.members_per_score
  FROM rfm_cdnow.cutpoints c JOIN rfm_cdnow.refreshes r USING (refresh_id)
 WHERE r.as_of = '1998-06-30' ORDER BY 1;

\echo '== KPIs per refresh (revenue: the window''s; revenue_in_period: orders since the refresh before)'
SELECT as_of, members, round(revenue) AS revenue, round(period_revenue) AS revenue_in_period, round(100 * active_rate, 1) AS active_pct,
       round(100 * repurchase_rate::numeric, 1) AS repurchase_pct, round(100 * churn_rate::numeric, 1) AS churn_pct,
       round(100 * p_to_a_rate::numeric, 1) AS wake_up_pct, round(100 * top20_revenue_share::numeric, 1) AS top20_pct
  FROM rfm_cdnow.kpi ORDER BY as_of;

\echo '== flow: NAPL from 1998-05-31 to 1998-06-30, in zh-TW: the view flow_sankey (nodes a Sankey chart can draw)'
SET rfm.locale = 'zh-TW';
SELECT source_node AS 從, target_node AS 到, members AS 人數, revenue AS 期間營收
  FROM rfm_cdnow.flow_sankey WHERE dimension = 'napl' AND to_date = '1998-06-30' ORDER BY from_label, to_label;
RESET rfm.locale;

\echo '== flow: segments from 1997-12-31 to 1998-06-30 (rfm.migration, any two dates), largest moves'
SELECT from_label, to_label, members, share_of_from, round(revenue::numeric) AS revenue
  FROM rfm.migration('cdnow', '1997-12-31', '1998-06-30', 'segment')
 WHERE from_label <> to_label ORDER BY members DESC LIMIT 12;

\echo '== tiers (example ladder: base, silver 100, gold 250, platinum 500 in a rolling year): flow into 1998-06-30'
SELECT from_label, to_label, members, share_of_from
  FROM rfm_cdnow.flow WHERE dimension = 'tier' AND from_label <> to_label ORDER BY members DESC;
\echo '== the lists marketers work from: members at risk of a downgrade soon, or close to the next tier'
SELECT watch, tier, next_tier, count(*) AS members, round(avg(spend_to_keep)::numeric, 2) AS avg_spend_to_keep,
       round(avg(spend_to_upgrade)::numeric, 2) AS avg_spend_to_upgrade
  FROM rfm_cdnow.tier_watch GROUP BY 1, 2, 3 ORDER BY 1, 2;

\echo '== lifetime value at 1998-06-30: the BG/NBD and Gamma-Gamma fits of the refresh (weeks), and the 10 most valuable members'
SELECT round((bgnbd).r::numeric, 3) AS r, round((bgnbd).alpha::numeric, 3) AS alpha, round((bgnbd).a::numeric, 3) AS a,
       round((bgnbd).b::numeric, 3) AS b, (bgnbd).converged, round((gamma_gamma).p::numeric, 2) AS p,
       round((gamma_gamma).q::numeric, 2) AS q, round((gamma_gamma).v::numeric, 2) AS v
  FROM rfm_cdnow.refreshes WHERE as_of = '1998-06-30';
SELECT member_id, segment, napl, tier, round(p_alive::numeric, 3) AS p_alive,
       round(expected_purchases::numeric, 2) AS expected_purchases_52w, round(clv::numeric, 2) AS clv_52w
  FROM rfm_cdnow.labels ORDER BY clv DESC NULLS LAST LIMIT 10;
