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

\echo '== RFM segments (rfm10 map, 5 quantile bins) and NAPL stages as of 1998-06-30'
CREATE TEMP TABLE scored AS
  SELECT member_id, rfm.recency(purchases, '1998-06-30') AS r, rfm.frequency(purchases, '1998-06-30') AS f,
         rfm.monetary(purchases, '1998-06-30') AS m, rfm.napl(purchases, '1998-06-30') AS napl
    FROM members;
CREATE TEMP TABLE cuts AS
  SELECT rfm.breaks(r, 5) AS rb, rfm.breaks(f, 5) AS fb, rfm.breaks(m, 5) AS mb FROM scored;
SELECT 'recency' AS score_of, rb AS cut_points FROM cuts
UNION ALL SELECT 'frequency', fb FROM cuts UNION ALL SELECT 'monetary', mb FROM cuts;
SELECT rfm.label_name('segment', segment) AS segment, count(*) AS members,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, round(sum(m)::numeric, 0) AS net_spend
  FROM (SELECT s.*, rfm.segment(rfm.score(r, rb, true), rfm.score(f, fb), rfm.score(m, mb)) AS segment
          FROM scored s, cuts) x
 GROUP BY segment ORDER BY sum(m) DESC;
SET rfm.locale = 'zh-TW';
SELECT napl, rfm.label_name('napl', napl::text) AS 名稱, count(*) AS members
  FROM scored GROUP BY napl ORDER BY napl;
RESET rfm.locale;
