-- rfm.purchases on the real CDNOW data (shipped in data/cdnow).
SET extra_float_digits = 0;
\getenv abs_srcdir PG_ABS_SRCDIR
\set master_file :abs_srcdir '/data/cdnow/CDNOW_master.txt'
\set sample_file :abs_srcdir '/data/cdnow/CDNOW_sample.txt'
\set summary_file :abs_srcdir '/data/cdnow/cdnow_customers_summary_with_transactions.csv'
CREATE TABLE cdnow_lines (line text);
COPY cdnow_lines FROM :'master_file';
-- master: customer id, YYYYMMDD, CDs, dollars (whitespace separated, one header line)
CREATE TABLE cdnow_master AS
  SELECT f[1]::int AS member_id, to_date(f[2], 'YYYYMMDD') AS ordered_at, f[3]::int AS cds, f[4]::numeric AS amount
    FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') f FROM cdnow_lines) s
   WHERE f[1] <> 'customer_id';
TRUNCATE cdnow_lines;
COPY cdnow_lines FROM :'sample_file';
-- sample: master id, sample id (1..2357), YYYYMMDD, CDs, dollars
CREATE TABLE cdnow_sample AS
  SELECT f[2]::int AS member_id, to_date(f[3], 'YYYYMMDD') AS ordered_at, f[4]::int AS cds, f[5]::numeric AS amount
    FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') f FROM cdnow_lines) s;
CREATE TABLE cdnow_summary (id int, x int, t_x numeric, t numeric, zbar numeric);
COPY cdnow_summary FROM :'summary_file' WITH (FORMAT csv, HEADER);
SELECT count(*) AS rows, sum(amount) AS dollars FROM cdnow_master;
SELECT count(*) AS rows, sum(amount) AS dollars FROM cdnow_sample;

-- master: 23,570 members, 67,591 purchase days, 69,659 orders, net spend 2,500,315.63
CREATE TABLE cdnow_master_p AS
  SELECT member_id, rfm.purchases_agg(ordered_at, amount) AS p FROM cdnow_master GROUP BY member_id;
SELECT count(*) AS members, sum(rfm.purchase_days(p, NULL)) AS purchase_days,
       sum(rfm.frequency(p, NULL)) AS orders, round(sum(rfm.monetary(p, NULL))::numeric, 2) AS net_spend
  FROM cdnow_master_p;
-- spend is exact: every member's net spend is the double nearest to the numeric
-- sum of its orders (summing doubles left float noise such as 91.72999999999999
-- in 3,659 members), and the whole table's net spend is 2500315.63 to the bit
SELECT count(*) AS members,
       count(*) FILTER (WHERE rfm.monetary(m.p, NULL) <> o.spend::float8) AS not_nearest_double,
       count(*) FILTER (WHERE rfm.monetary(m.p, NULL)::numeric <> o.spend) AS differ_from_numeric
  FROM cdnow_master_p m JOIN (SELECT member_id, sum(amount) AS spend FROM cdnow_master GROUP BY 1) o USING (member_id);
SELECT float8send(rfm.monetary(rfm.purchases_union(p), NULL)) = float8send(2500315.63) AS union_net_spend_exact,
       (SELECT float8send(rfm.monetary(rfm.purchases_agg(ordered_at, amount), NULL)) = float8send(2500315.63)
          FROM cdnow_master) AS one_history_exact
  FROM cdnow_master_p;
-- the same through purchase_days per member against plain SQL
SELECT count(*) AS members_whose_days_differ
  FROM cdnow_master_p m
  JOIN (SELECT member_id, count(DISTINCT ordered_at) n FROM cdnow_master GROUP BY 1) d USING (member_id)
 WHERE rfm.purchase_days(m.p, NULL) <> d.n;

-- sample: rfm.btyd at 1997-09-30 equals lifetimes' summary for every customer
-- (x exactly; t_x, t and monetary within the CSV's 2-decimal rounding: half a cent,
-- plus 1e-9 for the halves such as 22.345 that the CSV rounded up)
CREATE TABLE cdnow_btyd AS
  SELECT member_id, (rfm.btyd(rfm.purchases_agg(ordered_at, amount), '1997-09-30')).*
    FROM cdnow_sample GROUP BY member_id;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE b.x = s.x) AS x_equal,
       count(*) FILTER (WHERE abs(b.t_x - s.t_x) <= 0.005 + 1e-9) AS t_x_equal,
       count(*) FILTER (WHERE abs(b.t - s.t) <= 0.005 + 1e-9) AS t_equal,
       count(*) FILTER (WHERE abs(b.monetary - s.zbar) <= 0.005 + 1e-9) AS monetary_equal
  FROM cdnow_btyd b FULL JOIN cdnow_summary s ON s.id = b.member_id;
-- the published aggregates of the calibration period: 2,457 repeat transactions,
-- 1,411 zero-repeaters, 946 repeaters whose mean spend averages 35.078
SELECT sum(x) AS repeat_transactions, count(*) FILTER (WHERE x = 0) AS zero_repeaters,
       count(*) FILTER (WHERE x > 0) AS repeaters,
       round(avg(monetary) FILTER (WHERE x > 0)::numeric, 3) AS mean_repeat_spend
  FROM cdnow_btyd;
-- holdout: 1,882 repeat transactions (purchase days) from 1997-10-01 to 1998-06-30
SELECT sum(rfm.purchase_days(p, '1998-06-30', '9 months')) AS holdout_transactions
  FROM (SELECT rfm.purchases_agg(ordered_at, amount) p FROM cdnow_sample GROUP BY member_id) s;
