-- Bad input to the aggregates: a clear error (SQLSTATE, the bad value, a hint) or
-- the documented rule, never a crash.
SET extra_float_digits = 0;
\set VERBOSITY default
\set SHOW_CONTEXT never
-- NaN and infinite amounts are rejected with 22023, naming the value
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 'NaN'::numeric)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 'Infinity'::float8)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::timestamptz, '-Infinity'::numeric)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::timestamptz, 'NaN'::float8)) v(d, a);
-- huge amounts: at most 1e14 per order (1e15 until spend became exact), in either
-- direction, after rounding to 4 decimals; a numeric beyond is named as it is
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 1e14::numeric), ('2024-01-02', -1e14),
                                            ('2024-01-03', 100000000000000.00004)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 1e14::float8), ('2024-01-02', -1e14)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 1e14::numeric + 1)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, -1e14::numeric - 0.00005)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::timestamptz, 1e14::float8 + 1)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 1.000001e15::numeric)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, -1e300::float8)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 1e400::numeric)) v(d, a);
-- infinite and out-of-range days
SELECT rfm.purchases_agg(d, 1.0) FROM (VALUES ('infinity'::date)) v(d);
SELECT rfm.purchases_agg(d, 1.0) FROM (VALUES ('-infinity'::timestamptz)) v(d);
SELECT rfm.purchases_agg(d, 1.0) FROM (VALUES ('10000-01-01'::date)) v(d);
SELECT rfm.purchases_agg(d, 1.0) FROM (VALUES ('0044-03-15 BC'::date)) v(d);
-- future days are kept; as_of hides them (time travel)
SELECT rfm.frequency(p, '2024-01-01') AS before, rfm.frequency(p, NULL) AS all_history
  FROM (SELECT rfm.purchases_agg(d, 1.0) p FROM (VALUES ('2024-01-01'::date), ('2999-01-01')) v(d)) s;
-- merging cannot overflow silently: orders beyond int32, a day's spend beyond
-- the int64 units (+-922,337,203,685,477.5807), in the aggregate, in the union
-- and in the sums of the accessors (22003, with the range in the hint)
SELECT rfm.purchases_union(p) FROM (VALUES ('{2024-01-01:2147483647:1}'::rfm.purchases), ('{2024-01-01:1:1}')) v(p);
SELECT rfm.purchases_agg(d, a) FROM (SELECT '2024-01-01'::date, 1e14::numeric FROM generate_series(1, 9)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (SELECT '2024-01-01'::date, 1e14::numeric FROM generate_series(1, 10)) v(d, a);
SELECT rfm.purchases_agg(d, a) FROM (SELECT '2024-01-01'::date, -1e14::float8 FROM generate_series(1, 10)) v(d, a);
SELECT rfm.purchases_union(p)
  FROM (VALUES ('{2024-01-01:1:922337203685477.5807}'::rfm.purchases), ('{2024-01-01:1:0.0001}')) v(p);
SELECT rfm.monetary(rfm.purchases_union(p), NULL)
  FROM (VALUES ('{2024-01-01:1:900000000000000}'::rfm.purchases), ('{2024-01-02:1:900000000000000}')) v(p);
SELECT rfm.monetary(rfm.purchases_union(p), NULL)
  FROM (VALUES ('{2024-01-01:1:900000000000000}'::rfm.purchases), ('{2024-01-02:0:-900000000000000}')) v(p);
-- an error inside a parallel worker reaches the client as the same error
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
CREATE TABLE bad_orders AS SELECT g % 100 AS member_id, date '2024-01-01' + g % 30 AS d, (g % 50)::float8 AS a
  FROM generate_series(1, 20000) g;
UPDATE bad_orders SET a = 'NaN' WHERE member_id = 42 AND d = '2024-01-13';
SELECT count(p) FROM (SELECT member_id, rfm.purchases_agg(d, a) p FROM bad_orders GROUP BY 1) s;
UPDATE bad_orders SET a = 1 WHERE a = 'NaN';
SELECT count(p) AS members, sum(rfm.frequency(p, NULL)) AS orders
  FROM (SELECT member_id, rfm.purchases_agg(d, a) p FROM bad_orders GROUP BY 1) s;
