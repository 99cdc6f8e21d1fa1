-- Every RFM and lifecycle label of rfm (SPEC sections 2-3) on a real retail log, UCI Online Retail
-- (2010-12-01 .. 2011-07-31, ../shared/data/uci-online-retail), against an independent implementation
-- of the SPEC definitions in plain SQL over the raw invoice rows (no rfm type, no rfm function).
-- Both sides must give the same labels for every customer at two as_of dates (EXCEPT ALL both ways: 0, 0).
SET extra_float_digits = 0;
SET DateStyle = ISO;
CREATE SCHEMA classify_uci;
SET search_path = classify_uci, public;
\getenv rfm_shared RFM_SHARED_DATA
\set uci :rfm_shared '/uci-online-retail/by-day'

-- Load the 193 daily files (CSV with a header line, quoted descriptions with commas and "",
-- CustomerID written as a float such as 17850.0 or empty, InvoiceDate 'YYYY-MM-DD HH:MM:SS' in shop time).
CREATE TABLE uci_dir (dir text);
INSERT INTO uci_dir VALUES (:'uci');
CREATE TABLE uci_line (
  invoice_no   text,
  stock_code   text,
  description  text,
  quantity     integer,
  invoice_date timestamp without time zone,
  unit_price   numeric,
  customer_id  numeric,
  country      text);
DO $$
DECLARE
  d text := (SELECT dir FROM uci_dir);
  f text;
BEGIN
  FOR f IN SELECT name FROM pg_ls_dir(d) AS name WHERE name LIKE '%.csv' ORDER BY name LOOP
    EXECUTE format('COPY uci_line FROM %L WITH (FORMAT csv, HEADER)', d || '/' || f);
  END LOOP;
END $$;
-- README 2c / PROVENANCE: 193 files, 285,421 rows, 204,391 with a CustomerID, 3,193 customers,
-- 14,722 invoices, 37 countries, sum of quantity x unit price 5,079,250.87 (4,302,739.73 with a CustomerID)
SELECT count(*) AS files, min(name) AS first_file, max(name) AS last_file
  FROM pg_ls_dir((SELECT dir FROM uci_dir)) AS name WHERE name LIKE '%.csv';
SELECT count(*) AS rows, count(customer_id) AS rows_with_id, count(DISTINCT customer_id) AS customers,
       count(DISTINCT invoice_no) AS invoices, count(DISTINCT country) AS countries,
       round(sum(quantity * unit_price), 2) AS sum_qp,
       round(sum(quantity * unit_price) FILTER (WHERE customer_id IS NOT NULL), 2) AS sum_qp_with_id,
       min(invoice_date) AS first_line, max(invoice_date) AS last_line
  FROM uci_line;
-- ids are whole numbers; an invoice has one customer (or none) and one day
SELECT count(*) FILTER (WHERE customer_id <> trunc(customer_id)) AS fractional_ids FROM uci_line;
SELECT count(*) FILTER (WHERE customers > 1) AS invoices_with_two_customers,
       count(*) FILTER (WHERE customers = 1 AND with_null) AS invoices_partly_anonymous,
       count(*) FILTER (WHERE days > 1) AS invoices_over_two_days
  FROM (SELECT invoice_no, count(DISTINCT customer_id) AS customers, bool_or(customer_id IS NULL) AS with_null,
               count(DISTINCT invoice_date::date) AS days
          FROM uci_line GROUP BY invoice_no) s;

-- One order per invoice of an identified customer: amount = sum of quantity x unit price (numeric),
-- day = the invoice's date (shop time). Cancellation invoices ('C...') have negative amounts: refunds.
CREATE TABLE uci_order AS
  SELECT customer_id::integer AS member_id, invoice_no, invoice_date::date AS day,
         sum(quantity * unit_price) AS amount
    FROM uci_line
   WHERE customer_id IS NOT NULL
   GROUP BY customer_id, invoice_no, invoice_date::date;
SELECT left(invoice_no, 1) = 'C' AS cancellation, sign(amount) AS sign, count(*) AS invoices,
       count(DISTINCT member_id) AS customers, sum(amount) AS amount
  FROM uci_order GROUP BY 1, 2 ORDER BY 1, 2;

CREATE TABLE uci_member AS
  SELECT member_id, rfm.purchases_agg(day, amount) AS p FROM uci_order GROUP BY member_id;
SELECT count(*) AS members, sum(rfm.purchase_days(p, NULL)) AS purchase_days,
       sum(rfm.frequency(p, NULL)) AS orders, round(sum(rfm.monetary(p, NULL))::numeric, 2) AS net_spend
  FROM uci_member;

CREATE TABLE as_of_date (as_of date PRIMARY KEY);
INSERT INTO as_of_date VALUES ('2011-03-31'), ('2011-06-30');
-- NES variants: cycle kind and multipliers
CREATE TABLE nes_variant (variant text PRIMARY KEY, cycle text, multipliers float8[]);
INSERT INTO nes_variant VALUES
  ('mean_123', 'mean', '{1,2,3}'), ('mean_2253', 'mean', '{2,2.5,3}'),
  ('median_123', 'median', '{1,2,3}'), ('median_2253', 'median', '{2,2.5,3}');

---------------------------------------------------------------------------------------------------
-- A. The labels from rfm: members with a purchase day on or before as_of, scored among themselves.
---------------------------------------------------------------------------------------------------
CREATE TABLE ext_base AS
  SELECT a.as_of, m.member_id, m.p,
         rfm.recency(m.p, a.as_of) AS recency, rfm.frequency(m.p, a.as_of) AS frequency,
         rfm.monetary(m.p, a.as_of) AS monetary, rfm.purchase_days(m.p, a.as_of) AS days,
         rfm.first_purchase(m.p, a.as_of) AS first_day, rfm.last_purchase(m.p, a.as_of) AS last_day
    FROM as_of_date a CROSS JOIN uci_member m
   WHERE rfm.recency(m.p, a.as_of) IS NOT NULL;
CREATE TABLE ext_model AS
  SELECT as_of, count(*) AS members,
         rfm.breaks(recency, 5) AS r_breaks, rfm.breaks(frequency, 5) AS f_breaks,
         rfm.breaks(monetary, 5) AS m_breaks,
         avg(recency) AS mean_recency, avg(frequency) AS mean_frequency, avg(monetary) AS mean_monetary,
         -- default fallback cycle: the median of the repeat buyers' mean cycles
         percentile_cont(0.5) WITHIN GROUP (ORDER BY (last_day - first_day)::float8 / (days - 1))
           FILTER (WHERE days >= 2) AS fallback_cycle
    FROM ext_base GROUP BY as_of;
CREATE TABLE ext_label AS
  SELECT e.as_of, e.member_id, e.recency, e.frequency, round(e.monetary::numeric, 6) AS monetary,
         s.r, s.f, s.m,
         rfm.segment(s.r, s.f, s.m) AS rfm10, rfm.segment(s.r, s.f, s.m, 'rfm11') AS rfm11,
         rfm.value_segment(e.recency < x.mean_recency, e.frequency >= x.mean_frequency,
                           e.monetary >= x.mean_monetary) AS value_segment,
         rfm.napl(e.p, e.as_of)::text AS napl,
         rfm.nes(e.p, e.as_of, x.fallback_cycle)::text AS nes_mean_123,
         rfm.nes(e.p, e.as_of, x.fallback_cycle, '{2,2.5,3}')::text AS nes_mean_2253,
         rfm.nes(e.p, e.as_of, x.fallback_cycle, '{1,2,3}', 'median')::text AS nes_median_123,
         rfm.nes(e.p, e.as_of, x.fallback_cycle, '{2,2.5,3}', 'median')::text AS nes_median_2253
    FROM ext_base e JOIN ext_model x USING (as_of),
         LATERAL (SELECT rfm.score(e.recency, x.r_breaks, true) AS r, rfm.score(e.frequency, x.f_breaks) AS f,
                         rfm.score(e.monetary, x.m_breaks) AS m) s;

---------------------------------------------------------------------------------------------------
-- B. The same labels in plain SQL from the invoices, following the SPEC's words.
---------------------------------------------------------------------------------------------------
-- purchase days: days with at least one order (an invoice of amount >= 0) on or before as_of
CREATE TABLE ora_day AS
  SELECT a.as_of, o.member_id, o.day
    FROM as_of_date a JOIN uci_order o ON o.day <= a.as_of
   WHERE o.amount >= 0
   GROUP BY a.as_of, o.member_id, o.day;
-- recency from the last purchase day; frequency = orders; monetary = net spend, refunds included
CREATE TABLE ora_base AS
  SELECT a.as_of, o.member_id,
         a.as_of - max(o.day) FILTER (WHERE o.amount >= 0) AS recency,
         count(*) FILTER (WHERE o.amount >= 0) AS frequency,
         sum(o.amount) AS monetary,
         count(DISTINCT o.day) FILTER (WHERE o.amount >= 0) AS days,
         min(o.day) FILTER (WHERE o.amount >= 0) AS first_day,
         max(o.day) FILTER (WHERE o.amount >= 0) AS last_day
    FROM as_of_date a JOIN uci_order o ON o.day <= a.as_of
   GROUP BY a.as_of, o.member_id
  HAVING count(*) FILTER (WHERE o.amount >= 0) > 0;
-- cut points: the k/5 quantiles, R type 7 = percentile_cont
CREATE TABLE ora_model AS
  SELECT as_of, count(*) AS members,
         percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency) AS r_breaks,
         percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY frequency) AS f_breaks,
         percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY monetary::float8) AS m_breaks,
         avg(recency) AS mean_recency, avg(frequency) AS mean_frequency, avg(monetary) AS mean_monetary,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY (last_day - first_day)::float8 / (days - 1))
           FILTER (WHERE days >= 2) AS fallback_cycle
    FROM ora_base GROUP BY as_of;
-- cycles: mean = (dn - d1) / (n - 1), median = the median of the gaps between consecutive purchase days
CREATE TABLE ora_cycle AS
  SELECT as_of, member_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap
    FROM (SELECT as_of, member_id, day - lag(day) OVER (PARTITION BY as_of, member_id ORDER BY day) AS gap
            FROM ora_day) g
   WHERE gap IS NOT NULL
   GROUP BY as_of, member_id;
-- NES: r <= m1 c -> N (n = 1) or E0; r <= m2 c -> S1; r <= m3 c -> S2; else S3.
-- With the mean cycle, r <= m (dn - d1) / (n - 1) is tested exactly as r (n - 1) <= m (dn - d1).
CREATE TABLE ora_nes AS
  SELECT b.as_of, b.member_id, v.variant,
         CASE WHEN within[1] THEN CASE WHEN b.days = 1 THEN 'N' ELSE 'E0' END
              WHEN within[2] THEN 'S1'
              WHEN within[3] THEN 'S2'
              ELSE 'S3' END AS stage
    FROM ora_base b JOIN ora_model x USING (as_of) CROSS JOIN nes_variant v
    LEFT JOIN ora_cycle c USING (as_of, member_id),
         LATERAL (SELECT array_agg(
                    CASE WHEN b.days = 1 THEN b.recency <= mk * x.fallback_cycle
                         WHEN v.cycle = 'mean'
                           THEN b.recency::numeric * (b.days - 1) <= mk::numeric * (b.last_day - b.first_day)
                         ELSE b.recency <= mk * c.median_gap END ORDER BY k) AS within
                    FROM unnest(v.multipliers) WITH ORDINALITY AS u(mk, k)) w;
CREATE TABLE ora_label AS
  SELECT b.as_of, b.member_id, b.recency, b.frequency::integer AS frequency, round(b.monetary, 6) AS monetary,
         s.r, s.f, s.m,
         (SELECT g.segment FROM rfm.segment_rule g
           WHERE g.map = 'rfm10' AND s.r BETWEEN g.r_min AND g.r_max AND s.f BETWEEN g.f_min AND g.f_max
             AND s.m BETWEEN g.m_min AND g.m_max ORDER BY g.priority LIMIT 1) AS rfm10,
         (SELECT g.segment FROM rfm.segment_rule g
           WHERE g.map = 'rfm11' AND s.r BETWEEN g.r_min AND g.r_max AND s.f BETWEEN g.f_min AND g.f_max
             AND s.m BETWEEN g.m_min AND g.m_max ORDER BY g.priority LIMIT 1) AS rfm11,
         CASE WHEN b.monetary >= x.mean_monetary THEN 'important_' ELSE 'general_' END ||
         CASE WHEN b.recency < x.mean_recency
              THEN CASE WHEN b.frequency >= x.mean_frequency THEN 'value' ELSE 'develop' END
              ELSE CASE WHEN b.frequency >= x.mean_frequency THEN 'retain' ELSE 'winback' END END AS value_segment,
         CASE WHEN b.last_day > (b.as_of - interval '3 months')::date
              THEN CASE WHEN b.days = 1 THEN 'N' ELSE 'A' END
              ELSE CASE WHEN b.days = 1 THEN 'L' ELSE 'P' END END AS napl,
         n.nes_mean_123, n.nes_mean_2253, n.nes_median_123, n.nes_median_2253
    FROM ora_base b JOIN ora_model x USING (as_of),
         LATERAL (SELECT 5 - (SELECT count(*) FROM unnest(x.r_breaks) c WHERE c < b.recency)::integer AS r,
                         1 + (SELECT count(*) FROM unnest(x.f_breaks) c WHERE c < b.frequency)::integer AS f,
                         1 + (SELECT count(*) FROM unnest(x.m_breaks) c WHERE c < b.monetary::float8)::integer AS m) s,
         LATERAL (SELECT max(stage) FILTER (WHERE variant = 'mean_123') AS nes_mean_123,
                         max(stage) FILTER (WHERE variant = 'mean_2253') AS nes_mean_2253,
                         max(stage) FILTER (WHERE variant = 'median_123') AS nes_median_123,
                         max(stage) FILTER (WHERE variant = 'median_2253') AS nes_median_2253
                    FROM ora_nes n WHERE n.as_of = b.as_of AND n.member_id = b.member_id) n;
UPDATE ora_label SET rfm10 = coalesce(rfm10, 'other'), rfm11 = coalesce(rfm11, 'other');

---------------------------------------------------------------------------------------------------
-- C. Comparison: both directions of EXCEPT ALL must be empty.
---------------------------------------------------------------------------------------------------
-- the models: members, cut points (9 decimals), means, fallback cycle
CREATE VIEW ext_model_cmp AS
  SELECT as_of, members,
         (SELECT array_agg(round(c::numeric, 9) ORDER BY k) FROM unnest(r_breaks) WITH ORDINALITY u(c, k)) AS r_breaks,
         (SELECT array_agg(round(c::numeric, 9) ORDER BY k) FROM unnest(f_breaks) WITH ORDINALITY u(c, k)) AS f_breaks,
         (SELECT array_agg(round(c::numeric, 9) ORDER BY k) FROM unnest(m_breaks) WITH ORDINALITY u(c, k)) AS m_breaks,
         round(mean_recency, 6) AS mean_recency, round(mean_frequency, 6) AS mean_frequency,
         round(mean_monetary::numeric, 6) AS mean_monetary, round(fallback_cycle::numeric, 9) AS fallback_cycle
    FROM ext_model;
CREATE VIEW ora_model_cmp AS
  SELECT as_of, members,
         (SELECT array_agg(round(c::numeric, 9) ORDER BY k) FROM unnest(r_breaks) WITH ORDINALITY u(c, k)) AS r_breaks,
         (SELECT array_agg(round(c::numeric, 9) ORDER BY k) FROM unnest(f_breaks) WITH ORDINALITY u(c, k)) AS f_breaks,
         (SELECT array_agg(round(c::numeric, 9) ORDER BY k) FROM unnest(m_breaks) WITH ORDINALITY u(c, k)) AS m_breaks,
         round(mean_recency, 6) AS mean_recency, round(mean_frequency, 6) AS mean_frequency,
         round(mean_monetary, 6) AS mean_monetary, round(fallback_cycle::numeric, 9) AS fallback_cycle
    FROM ora_model;
SELECT (SELECT count(*) FROM (TABLE ext_model_cmp EXCEPT ALL TABLE ora_model_cmp) d) AS models_only_in_rfm,
       (SELECT count(*) FROM (TABLE ora_model_cmp EXCEPT ALL TABLE ext_model_cmp) d) AS models_only_in_sql;
\x on
SELECT * FROM ext_model_cmp ORDER BY as_of;
\x off
-- the comparison reaches the edges of every rule: customers whose value equals a cut point (same score
-- as the bin below), whose last purchase day is the day before / the first day of the NAPL window, and
-- whose recency equals exactly m x cycle for a multiplier m (still the lower stage)
SELECT b.as_of,
       count(*) FILTER (WHERE b.recency = ANY (x.r_breaks)) AS recency_on_cut,
       count(*) FILTER (WHERE b.frequency = ANY (x.f_breaks)) AS frequency_on_cut,
       count(*) FILTER (WHERE b.last_day = (b.as_of - interval '3 months')::date) AS last_day_before_window,
       count(*) FILTER (WHERE b.last_day = (b.as_of - interval '3 months')::date + 1) AS last_day_first_in_window,
       count(*) FILTER (WHERE b.days >= 2 AND EXISTS (
         SELECT FROM unnest('{1,2,2.5,3}'::numeric[]) mk
          WHERE b.recency * (b.days - 1) = mk * (b.last_day - b.first_day))) AS nes_mean_on_edge,
       count(*) FILTER (WHERE b.days >= 2 AND EXISTS (
         SELECT FROM unnest('{1,2,2.5,3}'::float8[]) mk WHERE b.recency = mk * c.median_gap)) AS nes_median_on_edge,
       count(*) FILTER (WHERE b.days = 1 AND EXISTS (
         SELECT FROM unnest('{1,2,2.5,3}'::float8[]) mk WHERE b.recency = mk * x.fallback_cycle)) AS nes_fallback_on_edge
  FROM ora_base b JOIN ora_model x USING (as_of) LEFT JOIN ora_cycle c USING (as_of, member_id)
 GROUP BY b.as_of ORDER BY b.as_of;
-- refunds: days with refunds and no order (not purchase days, but in monetary), and customers with
-- nothing but refunds by as_of (not scored)
SELECT a.as_of,
       (SELECT count(*) FROM (SELECT member_id, day FROM uci_order WHERE day <= a.as_of GROUP BY 1, 2
                               HAVING bool_and(amount < 0)) d) AS refund_only_days,
       (SELECT count(*) FROM (SELECT member_id FROM uci_order WHERE day <= a.as_of GROUP BY 1
                               HAVING bool_and(amount < 0)) d) AS refund_only_customers,
       (SELECT count(*) FROM uci_member m
         WHERE rfm.recency(m.p, a.as_of) IS NULL
           AND (SELECT min(day) FROM rfm.entries(m.p)) <= a.as_of) AS unscored_in_rfm
  FROM as_of_date a ORDER BY a.as_of;
-- every label of every customer
SELECT (SELECT count(*) FROM ext_label) AS compared,
       (SELECT count(*) FROM ora_label) AS compared_sql,
       (SELECT count(*) FROM (TABLE ext_label EXCEPT ALL TABLE ora_label) d) AS labels_only_in_rfm,
       (SELECT count(*) FROM (TABLE ora_label EXCEPT ALL TABLE ext_label) d) AS labels_only_in_sql;
-- per column, in case a row differs: the number of customers on which each label disagrees
SELECT count(*) FILTER (WHERE e.member_id IS NULL OR o.member_id IS NULL) AS unmatched,
       count(*) FILTER (WHERE e.recency IS DISTINCT FROM o.recency) AS recency,
       count(*) FILTER (WHERE e.frequency IS DISTINCT FROM o.frequency) AS frequency,
       count(*) FILTER (WHERE e.monetary IS DISTINCT FROM o.monetary) AS monetary,
       count(*) FILTER (WHERE (e.r, e.f, e.m) IS DISTINCT FROM (o.r, o.f, o.m)) AS scores,
       count(*) FILTER (WHERE (e.rfm10, e.rfm11) IS DISTINCT FROM (o.rfm10, o.rfm11)) AS segments,
       count(*) FILTER (WHERE e.value_segment IS DISTINCT FROM o.value_segment) AS value_segment,
       count(*) FILTER (WHERE e.napl IS DISTINCT FROM o.napl) AS napl,
       count(*) FILTER (WHERE (e.nes_mean_123, e.nes_mean_2253, e.nes_median_123, e.nes_median_2253)
                          IS DISTINCT FROM (o.nes_mean_123, o.nes_mean_2253, o.nes_median_123, o.nes_median_2253)) AS nes
  FROM ext_label e FULL JOIN ora_label o USING (as_of, member_id);

---------------------------------------------------------------------------------------------------
-- D. Distributions (from rfm's labels), so that the expected output pins real numbers.
---------------------------------------------------------------------------------------------------
SELECT as_of, count(*) AS members, sum(frequency) AS orders, round(sum(monetary), 2) AS net_spend,
       count(*) FILTER (WHERE monetary < 0) AS negative_spend
  FROM ext_label GROUP BY as_of ORDER BY as_of;
-- scores: members per score
SELECT as_of, score,
       count(*) FILTER (WHERE r = score) AS r, count(*) FILTER (WHERE f = score) AS f,
       count(*) FILTER (WHERE m = score) AS m
  FROM ext_label CROSS JOIN generate_series(1, 5) AS score
 GROUP BY as_of, score ORDER BY as_of, score;
SELECT as_of, rfm10, count(*) AS members FROM ext_label GROUP BY as_of, rfm10 ORDER BY as_of, rfm10;
SELECT as_of, rfm11, count(*) AS members FROM ext_label GROUP BY as_of, rfm11 ORDER BY as_of, rfm11;
SELECT as_of, value_segment, count(*) AS members, round(sum(monetary), 2) AS net_spend
  FROM ext_label GROUP BY as_of, value_segment ORDER BY as_of, value_segment;
SELECT as_of, napl, count(*) AS members FROM ext_label GROUP BY as_of, napl ORDER BY as_of, napl;
SELECT as_of, stage,
       count(*) FILTER (WHERE nes_mean_123 = stage) AS mean_123,
       count(*) FILTER (WHERE nes_mean_2253 = stage) AS mean_2253,
       count(*) FILTER (WHERE nes_median_123 = stage) AS median_123,
       count(*) FILTER (WHERE nes_median_2253 = stage) AS median_2253
  FROM ext_label CROSS JOIN unnest(ARRAY['N', 'E0', 'S1', 'S2', 'S3']) WITH ORDINALITY AS s(stage, k)
 GROUP BY as_of, stage, k ORDER BY as_of, k;
-- the five biggest spenders at 2011-06-30, all labels
SELECT member_id, recency, frequency, monetary, r, f, m, rfm10, rfm11, value_segment, napl,
       nes_mean_123, nes_mean_2253, nes_median_123, nes_median_2253
  FROM ext_label WHERE as_of = '2011-06-30' ORDER BY monetary DESC, member_id LIMIT 5;

---------------------------------------------------------------------------------------------------
-- E. The 8-segment value table of a model (rfm_uci.value_segment_summary) at 2011-06-30, in zh-TW, against
--    the plain-SQL labels of part B (from the raw invoice lines): the same members and revenue per segment.
---------------------------------------------------------------------------------------------------
SET client_min_messages = warning;
SELECT rfm.create_model('uci', 'uci_order', 'member_id', 'day', 'amount');
SELECT members FROM rfm.refresh('uci', '2011-06-30');
SET rfm.locale = 'zh-TW';
SELECT sort_order, value_segment_name, members, share_of_members, revenue, share_of_revenue
  FROM rfm_uci.value_segment_summary ORDER BY sort_order;
RESET rfm.locale;
SELECT (SELECT count(*) FROM rfm_uci.value_segment_summary) AS segment_rows,
       count(*) FILTER (WHERE s.members IS DISTINCT FROM o.members) AS members_differ,
       count(*) FILTER (WHERE s.revenue IS DISTINCT FROM o.revenue) AS revenue_differ,
       sum(o.members) AS plain_sql_members, sum(o.revenue) AS plain_sql_revenue
  FROM rfm_uci.value_segment_summary s
  FULL JOIN (SELECT value_segment, count(*) AS members, round(sum(monetary), 2) AS revenue
               FROM ora_label WHERE as_of = '2011-06-30' GROUP BY value_segment) o USING (value_segment);
SELECT rfm.drop_model('uci');
RESET client_min_messages;
