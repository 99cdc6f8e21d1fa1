-- rfm.purchases_agg and rfm.purchases_union on hand-checked cases.
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
SET DateStyle = ISO;
CREATE TABLE orders (member_id int, ordered_at date, amount numeric);
INSERT INTO orders VALUES
  -- member 1: two orders on one day, a refund the same day, a later order
  (1, '2024-01-03', 10.50), (1, '2024-01-03', 4.50), (1, '2024-01-03', -2.00), (1, '2024-02-10', 20),
  -- member 2: rows out of order, a refund on a day without orders, a zero-amount order
  (2, '2024-03-01', 5), (2, '2024-01-01', 7), (2, '2024-02-15', -3), (2, '2024-01-01', 0),
  -- member 3: only refunds (no purchase day)
  (3, '2024-01-05', -9.99),
  -- member 4: only NULL rows (ignored, as sum() ignores them)
  (4, NULL, 10), (4, '2024-01-01', NULL),
  -- member 5: NULL rows mixed with a real one
  (5, NULL, 1), (5, '2024-05-05', 12.34), (5, '2024-05-06', NULL);
-- expected: 1 {2024-01-03:2:13, 2024-02-10:1:20}; 2 {2024-01-01:2:7, 2024-02-15:0:-3, 2024-03-01:1:5};
-- 3 {2024-01-05:0:-9.99}; 4 NULL; 5 {2024-05-05:1:12.34}
SELECT member_id, rfm.purchases_agg(ordered_at, amount) FROM orders GROUP BY 1 ORDER BY 1;
-- the four overloads agree
SELECT member_id,
       rfm.purchases_agg(ordered_at, amount)::text = rfm.purchases_agg(ordered_at, amount::float8)::text AS date_float8,
       rfm.purchases_agg(ordered_at, amount)::text = rfm.purchases_agg(ordered_at::timestamptz, amount)::text AS tstz_numeric,
       rfm.purchases_agg(ordered_at, amount)::text = rfm.purchases_agg(ordered_at::timestamptz + interval '23 hours', amount::float8)::text AS tstz_float8
  FROM orders GROUP BY 1 ORDER BY 1;
-- integer amounts and timestamp without time zone resolve to the overloads
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01 23:30'::timestamp, 5), ('2024-01-02'::timestamp, 7)) v(d, a);
-- empty input gives NULL
SELECT rfm.purchases_agg(ordered_at, amount) IS NULL AS empty_is_null FROM orders WHERE false;
-- a history with many days in random order is sorted and merged
SELECT rfm.purchase_days(p, NULL) AS days, rfm.frequency(p, NULL) AS orders, rfm.monetary(p, NULL) AS spend,
       rfm.first_purchase(p, NULL) AS first, rfm.last_purchase(p, NULL) AS last
  FROM (SELECT rfm.purchases_agg(d, 1.0 ORDER BY md5(d::text || k)) p
          FROM generate_series(date '2000-01-01', date '2010-12-31', '1 day') d, generate_series(1, 3) k) s;
-- union of split inputs equals the aggregate over all of them
SELECT (SELECT rfm.purchases_union(p) FROM (
          SELECT rfm.purchases_agg(ordered_at, amount) p FROM orders WHERE member_id = 2 AND ordered_at < '2024-02-01'
          UNION ALL SELECT rfm.purchases_agg(ordered_at, amount) FROM orders WHERE member_id = 2 AND ordered_at >= '2024-02-01'
          UNION ALL SELECT NULL::rfm.purchases) s)::text
     = (SELECT rfm.purchases_agg(ordered_at, amount) FROM orders WHERE member_id = 2)::text AS union_equals_whole;
-- overlapping days are summed by union
SELECT rfm.purchases_union(p) FROM (VALUES ('{2024-01-01:1:5,2024-01-03:1:1}'::rfm.purchases),
                                            ('{2024-01-01:2:5,2024-01-02:0:-1}'), ('{}'), (NULL)) v(p);
SELECT rfm.purchases_union(p) IS NULL AS union_of_nothing FROM (VALUES (NULL::rfm.purchases)) v(p);
-- as a window aggregate: the running history of a member
SELECT ordered_at, rfm.purchases_agg(ordered_at, amount) OVER (ORDER BY ordered_at, amount) AS running
  FROM orders WHERE member_id = 1 ORDER BY ordered_at, amount;
-- timestamptz becomes a day in the session TimeZone: compare with the cast
-- ts::date for every 7 minutes over DST changes in several zones, and for a
-- day that Samoa skipped (2011-12-30), in time order and in random order
CREATE TABLE ts AS
  SELECT g AS t FROM generate_series('2021-03-01 00:00+00'::timestamptz, '2021-11-30', '7 minutes') g
  UNION ALL SELECT g FROM generate_series('2011-12-28 00:00+00'::timestamptz, '2012-01-02', '5 minutes') g
  UNION ALL SELECT g FROM generate_series('1969-12-30 00:00+00'::timestamptz, '1970-01-02', '11 minutes') g;
CREATE FUNCTION tz_mismatches(zone text, random_order boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  PERFORM set_config('TimeZone', zone, true);
  SELECT count(*) INTO n FROM (
    (SELECT t::date FROM ts
     EXCEPT ALL
     SELECT e.day FROM (SELECT CASE WHEN random_order THEN rfm.purchases_agg(t, 1::numeric ORDER BY md5(t::text))
                                    ELSE rfm.purchases_agg(t, 1::numeric ORDER BY t) END p FROM ts) s,
                       rfm.entries(s.p) e, generate_series(1, e.orders))
    UNION ALL
    (SELECT e.day FROM (SELECT rfm.purchases_agg(t, 1::numeric) p FROM ts) s, rfm.entries(s.p) e, generate_series(1, e.orders)
     EXCEPT ALL
     SELECT t::date FROM ts)) x;
  RETURN n;
END $$;
SELECT z AS zone, tz_mismatches(z, false) AS in_order, tz_mismatches(z, true) AS random_order
  FROM unnest(ARRAY['UTC', 'America/New_York', 'Asia/Taipei', 'Australia/Lord_Howe', 'Asia/Kathmandu',
                    'Pacific/Apia', 'America/St_Johns', 'Europe/Dublin']) z;
SELECT count(*) AS timestamps FROM ts;
-- numeric amounts are converted exactly, as round(amount, 4) (half away from
-- zero), from numeric's digits without a cast: the text of each one-row history
-- is the rounded amount without trailing zeros; a negative amount is a refund
-- (no order) even when it rounds to 0
SELECT setseed(0.25);
CREATE TABLE nums AS
  SELECT i::int AS i, round(((random() - 0.5) * 10 ^ (i % 15))::numeric, (i / 16) % 9) AS x
    FROM generate_series(1, 100000) i
  UNION ALL SELECT 100000 + i::int, x FROM unnest(ARRAY[0, -0.0, 0.01, 1e14, -1e14, 99999999999999.9999, 0.1, 0.3,
                    1e-20, 12345678901234.5678, 90071992547409.93, 0.000000000000000000000000001,
                    12345678901234567890e-10, 0.00005, -0.00005, 0.000049999999999999, -0.00004, 1.23455,
                    -1.23445, 99999999999999.99995, 9999.99995, 0.99995, 12.3456789012345678901234567890]::numeric[])
                    WITH ORDINALITY u(x, i);
SELECT count(*) AS values,
       count(*) FILTER (WHERE p::text IS DISTINCT FROM
                        format('{%s:%s:%s}', to_char(date '2000-01-01' + i, 'YYYY-MM-DD'),
                               CASE WHEN x < 0 THEN 0 ELSE 1 END, trim_scale(round(x, 4)))) AS differ_from_round
  FROM (SELECT i, x, rfm.purchases_agg(date '2000-01-01' + i, x) p FROM nums GROUP BY i, x) s;
-- float8 amounts are rounded to 4 decimals: amount * 10000 to the nearest
-- integer, half away from zero, so the binary noise of a double goes (beyond
-- 2^53 units, about 9e11, a double has no 4 exact decimals left: the last one shows)
SELECT rfm.purchases_agg(d, a) AS float8_amounts
  FROM (VALUES ('2024-01-01'::date, 0.1::float8 + 0.2), ('2024-01-02', 91.72999999999999), ('2024-01-03', 0.00005),
               ('2024-01-04', -0.00005), ('2024-01-05', 1.00005), ('2024-01-06', 2.675), ('2024-01-07', 1e-300),
               ('2024-01-08', -0.00004), ('2024-01-09', 99999999999999.98)) v(d, a);
-- oracle: for 3,000 members with up to 400 rows over few days, in random order
-- (duplicate days, refunds, out-of-order arrival: every compaction path), the
-- entries equal plain SQL's GROUP BY member, day
SELECT setseed(0.5);
CREATE TABLE rnd AS
  SELECT m AS member_id, date '2024-01-01' + (random() * (m % 97))::int AS d,
         round(((random() - 0.2) * 100)::numeric, 2) AS amount
    FROM generate_series(1, 3000) m, generate_series(1, 1 + (m * 7919) % 400) k;
CREATE TABLE rnd_rfm AS
  SELECT member_id, e.* FROM (
    SELECT member_id, rfm.purchases_agg(d, amount ORDER BY md5(d::text || amount::text)) p FROM rnd GROUP BY 1) s,
    rfm.entries(s.p) e;
CREATE TABLE rnd_sql AS
  SELECT member_id, d AS day, count(*) FILTER (WHERE amount >= 0)::int AS orders, sum(amount)::float8 AS spend
    FROM rnd GROUP BY 1, 2;
SELECT (SELECT count(*) FROM rnd) AS rows, (SELECT count(*) FROM rnd_sql) AS member_days,
       (SELECT count(*) FROM (SELECT member_id, day, orders, round(spend::numeric, 6) FROM rnd_rfm
                              EXCEPT ALL
                              SELECT member_id, day, orders, round(spend::numeric, 6) FROM rnd_sql) x) AS only_rfm,
       (SELECT count(*) FROM (SELECT member_id, day, orders, round(spend::numeric, 6) FROM rnd_sql
                              EXCEPT ALL
                              SELECT member_id, day, orders, round(spend::numeric, 6) FROM rnd_rfm) x) AS only_sql;
