-- Scores, segments, value segments, NAPL and NES on hand-checked cases,
-- one table per rule boundary.
SET extra_float_digits = 0;
SET DateStyle = ISO;

-- rfm.breaks = the k/bins quantiles with linear interpolation (R type 7):
-- 1..10 in 5 bins: h = 9k/5 -> 2.8, 4.6, 6.4, 8.2; bit-identical to percentile_cont
SELECT rfm.breaks(v, 5) AS breaks,
       rfm.breaks(v, 5) = percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY v) AS same_as_percentile_cont
  FROM generate_series(1, 10) v;
-- NULLs are ignored; no values gives NULL; one value gives it as every cut point; bins = 1 gives no cut point
SELECT rfm.breaks(v, 4) FROM (VALUES (3.0), (NULL), (1.0), (2.0)) t(v);
SELECT rfm.breaks(v, 5) IS NULL AS no_values FROM (VALUES (NULL::float8)) t(v);
SELECT rfm.breaks(v, 3) FROM (VALUES (7.0)) t(v);
SELECT rfm.breaks(v, 1) FROM (VALUES (7.0), (8.0)) t(v);

-- rfm.score: 1 + cut points strictly below; a value on a cut point goes to the lower bin
SELECT v, rfm.score(v, '{2.8,4.6,6.4,8.2}') AS score, rfm.score(v, '{2.8,4.6,6.4,8.2}', true) AS descending
  FROM (VALUES (-1.0), (2.8), (2.80001), (4.6), (6.4), (8.2), (8.3), (1e9)) t(v);
-- ties and collapsed bins: 7 of 10 values are 1, so three cut points coincide;
-- equal values share a score and scores 2 and 3 are never given
CREATE TABLE tied (v float8);
INSERT INTO tied VALUES (1), (1), (1), (1), (1), (1), (1), (2), (5), (9);
SELECT rfm.breaks(v, 5) AS breaks FROM tied;
SELECT * FROM rfm.bins((SELECT rfm.breaks(v, 5) FROM tied));
SELECT rfm.score(v, b) AS score, count(*) AS members
  FROM tied, (SELECT rfm.breaks(v, 5) b FROM tied) s GROUP BY 1 ORDER BY 1;
SELECT * FROM rfm.bins('{10,20}', true);
-- invalid breaks and values
SELECT rfm.score(1, '{3,2}');
SELECT rfm.score(1, '{1,NULL}');
SELECT rfm.score('NaN', '{1,2}');
SELECT rfm.breaks(v, 0) FROM (VALUES (1.0)) t(v);
SELECT rfm.breaks(v, 5) FROM (VALUES (1.0), ('Infinity')) t(v);

-- rfm.breaks in a forced parallel plan equals the serial result
CREATE TABLE many AS SELECT (g * 7919) % 10007 / 3.0 AS v FROM generate_series(1, 100000) g;
CREATE TABLE serial_breaks AS SELECT rfm.breaks(v, 5) AS b FROM many;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
CREATE FUNCTION plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP plan := plan || line || E'\n'; END LOOP;
  RETURN plan;
END $$;
SELECT plan_text('SELECT rfm.breaks(v, 5) FROM many') ~ 'Partial Aggregate' AS partial_plan;
SELECT (SELECT rfm.breaks(v, 5) FROM many) = b AS parallel_equals_serial, b FROM serial_breaks;
RESET max_parallel_workers_per_gather;

-- rfm.segment: the lowest matching priority wins, no match is 'other'
INSERT INTO rfm.segment_rule (map, segment, priority, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
  ('test', 'top', 1, 5, 5, 5, 5, 5, 5),
  ('test', 'recent', 2, 4, 5, 1, 5, 1, 5),
  ('test', 'overlaps_top', 3, 5, 5, 5, 5, 1, 5),
  ('test', 'big_scores', 4, 6, 9, 6, 9, 6, 9);
SELECT r, f, m, rfm.segment(r, f, m, 'test')
  FROM (VALUES (5, 5, 5), (5, 5, 4), (4, 1, 1), (3, 5, 5), (7, 7, 7), (0, 0, 0)) t(r, f, m);
SELECT rfm.segment(5, 5, 5, 'no_such_map');
SELECT rfm.builtin FROM rfm.segment_rule rfm WHERE map = 'test' LIMIT 1;

-- rfm.value_segment: all 8 combinations
SELECT recent, frequent, high_spend, rfm.value_segment(recent, frequent, high_spend)
  FROM (VALUES (true), (false)) a(recent), (VALUES (true), (false)) b(frequent), (VALUES (true), (false)) c(high_spend)
 ORDER BY 4;

-- NAPL at 2024-03-31 with the default '3 months' window (2024-01-01 .. 2024-03-31)
SELECT name, rfm.napl(p::rfm.purchases, '2024-03-31') AS napl
  FROM (VALUES
    ('one day, first day of the window',           '{2024-01-01:1:10}'),
    ('one day, the day before the window',         '{2023-12-31:1:10}'),
    ('two days, both in the window',               '{2024-02-01:1:10,2024-03-01:1:10}'),
    ('two days, last one in the window',           '{2023-06-01:1:10,2024-01-01:1:10}'),
    ('two days, both before the window',           '{2023-06-01:1:10,2023-12-31:1:10}'),
    ('two orders on one day: one purchase day',    '{2024-03-01:2:10}'),
    ('a refund-only day is not a purchase day',    '{2023-06-01:1:10,2024-03-01:0:-5}'),
    ('purchase after as_of is invisible',          '{2023-06-01:1:10,2024-04-01:1:10}'),
    ('nothing by as_of: NULL',                     '{2024-04-01:1:10}')) t(name, p);
SELECT rfm.napl('{2024-03-01:1:10,2024-03-20:1:10}', '2024-03-31', '10 days') AS short_window,
       rfm.napl('{2024-03-01:1:10}', '2024-03-31', '0 days') AS no_window;

-- NES: member with days 01-01, 02-01, 03-03 (mean cycle 31 days, gaps 31 and 31)
SELECT as_of, rfm.nes(p, as_of, 30) AS nes, rfm.nes(p, as_of, 30, '{2,2.5,3}') AS preset_2_25_3
  FROM (SELECT '{2024-01-01:1:10,2024-02-01:1:10,2024-03-03:1:5}'::rfm.purchases p) s,
       unnest(ARRAY['2024-03-03', '2024-04-03', '2024-04-04', '2024-05-04', '2024-05-05', '2024-06-03',
                    '2024-06-04', '2024-06-05']::date[]) as_of;
-- one purchase day: N while within the fallback cycle, then S1..S3 against it
SELECT as_of, rfm.nes('{2024-01-01:1:10}', as_of, 30) AS nes
  FROM unnest(ARRAY['2024-01-31', '2024-02-01', '2024-03-01', '2024-03-02', '2024-03-31', '2024-04-01']::date[]) as_of;
-- median vs mean cycle: gaps 2, 2, 50 -> mean 18, median 2
SELECT rfm.nes(p, '2024-03-01', 30) AS mean_cycle, rfm.nes(p, '2024-03-01', 30, '{1,2,3}', 'median') AS median_cycle,
       rfm.nes_explain(p, '2024-03-01', 30) AS mean_explained,
       rfm.nes_explain(p, '2024-03-01', 30, '{1,2,3}', 'median') AS median_explained
  FROM (SELECT '{2024-01-01:1:1,2024-01-03:1:1,2024-01-05:1:1,2024-02-24:1:1}'::rfm.purchases p) s;
SELECT rfm.nes_explain('{2024-01-01:1:10,2024-01-15:0:-3,2024-02-01:1:10,2024-03-03:1:5}', '2024-05-16', 30);
SELECT rfm.nes_explain('{2024-01-01:1:10}', '2024-02-15', 30);
SELECT rfm.nes('{2024-04-01:1:10}', '2024-03-31', 30) IS NULL AS nothing_by_as_of;
-- bad arguments
SELECT rfm.nes('{2024-01-01:1:10}', '2024-03-31', 30, '{1,2}');
SELECT rfm.nes('{2024-01-01:1:10}', '2024-03-31', 30, '{3,2,1}');
SELECT rfm.nes('{2024-01-01:1:10}', '2024-03-31', 0);
SELECT rfm.nes('{2024-01-01:1:10}', '2024-03-31', 30, '{1,2,3}', 'mode');
SELECT rfm.napl('{2024-01-01:1:10}', 'infinity');
