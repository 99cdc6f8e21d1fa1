-- rfm.intent_agg and rfm.intent_union: hand-checked aggregation, NULL rows, bad
-- input, forced parallel plans equal to serial ones, calibration and lift.
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
CREATE SCHEMA intent_agg;
SET search_path = intent_agg, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
-- events of one hour are counted per kind, whatever the order of the rows; NULL rows are ignored
SELECT rfm.intent_agg(e, t)
  FROM (VALUES ('view', '2024-01-01 10:05+00'::timestamptz), ('cart_add', '2024-01-01 10:30+00'),
               ('view', '2024-01-01 10:59:59.999999+00'), ('view', '2024-01-01 09:00+00'),
               ('purchase', '2024-01-01 11:00+00'), ('view', '2024-01-01 10:00+00'),
               (NULL, '2024-01-01 12:00+00'), ('search', NULL),
               ('view', '2023-12-31 23:59:59+00'), ('checkout', '2024-01-01 10:01+00')) v(e, t);
-- the hour is UTC: the session time zone does not change the value
SET TimeZone = 'Asia/Taipei';
SELECT rfm.intent_agg('view', '2024-01-01 08:30+08') AS taipei;
SET TimeZone = 'UTC';
-- no rows, or only NULL rows: NULL (as sum)
SELECT rfm.intent_agg(e, t) IS NULL AS no_rows FROM (SELECT 'view'::text, now() WHERE false) v(e, t);
SELECT rfm.intent_agg(e, t) IS NULL AS null_rows FROM (VALUES (NULL::text, now()), ('view', NULL)) v(e, t);
-- future times are kept (the score ignores them until as_of reaches them); far years are refused
SELECT rfm.intent_agg('view', '2999-06-01 12:00+00');
-- out-of-order rows and many hours: the same value as sorted input
CREATE TABLE ev (member int, event text, ts timestamptz);
INSERT INTO ev
  SELECT g % 97, (ARRAY['view', 'view', 'view', 'search', 'favorite', 'cart_add', 'cart_remove', 'checkout', 'purchase'])[1 + (g * 7) % 9],
         '2024-01-01 00:00+00'::timestamptz + ((g * 7919) % 500) * interval '17 minutes'
    FROM generate_series(1, 60000) g;
ANALYZE ev;
CREATE TABLE ev_sorted AS
  SELECT member, rfm.intent_agg(event, ts ORDER BY ts) AS i FROM ev GROUP BY member;
CREATE TABLE ev_plain AS
  SELECT member, rfm.intent_agg(event, ts) AS i FROM ev GROUP BY member;
-- an independent count: per member, kind and hour
CREATE TABLE ev_oracle AS
  SELECT member, event, date_trunc('hour', ts) AS hour, count(*) AS n FROM ev GROUP BY 1, 2, 3;
SELECT count(*) AS members,
       count(*) FILTER (WHERE s.i OPERATOR(rfm.=) p.i) AS same_as_sorted
  FROM ev_sorted s JOIN ev_plain p USING (member);
-- the text form lists exactly the oracle's (kind, hour, count) rows
CREATE TABLE ev_entries AS
  SELECT member, split_part(x, ':', 1) AS event,
         replace(split_part(x, ':', 2), 'Z', ':00+00')::timestamptz AS hour, split_part(x, ':', 3)::bigint AS n
    FROM ev_plain, unnest(string_to_array(trim(both '{}' from i::text), ',')) x;
SELECT (SELECT count(*) FROM (SELECT * FROM ev_entries EXCEPT ALL SELECT * FROM ev_oracle) a) AS missing_in_oracle,
       (SELECT count(*) FROM (SELECT * FROM ev_oracle EXCEPT ALL SELECT * FROM ev_entries) b) AS missing_in_intent,
       (SELECT count(*) FROM ev_oracle) AS entries;
-- the score against a plain-SQL oracle of its definition, for every member at 3 times
CREATE INDEX ON ev_oracle (member, event);
CREATE TABLE ev_weight (event text, w float8);
INSERT INTO ev_weight VALUES ('view', 1), ('search', 2), ('favorite', 3), ('cart_add', 5), ('cart_remove', 0.5), ('checkout', 8);
CREATE TABLE ev_check AS
  SELECT p.member, t, rfm.intent_score(p.i, t) AS score,
         coalesce((SELECT sum(o.n * w.w * power(2::float8, -extract(epoch FROM t - (o.hour + interval '1 hour'))::float8 / (3 * 86400)))
                     FROM ev_oracle o JOIN ev_weight w USING (event)
                    WHERE o.member = p.member AND o.hour + interval '1 hour' <= t
                      AND o.hour + interval '1 hour' > t - interval '14 days'
                      AND o.hour > coalesce((SELECT max(q.hour) FROM ev_oracle q
                                              WHERE q.member = p.member AND q.event = 'purchase'
                                                AND q.hour + interval '1 hour' <= t), '-infinity')), 0) AS oracle
    FROM ev_plain p, unnest(ARRAY['2024-01-03 12:30+00', '2024-01-05 00:00+00', '2024-01-10 00:00+00']::timestamptz[]) t;
SELECT t AS as_of, count(*) AS members, count(*) FILTER (WHERE abs(score - oracle) <= 1e-9 * greatest(1, oracle)) AS equal,
       count(*) FILTER (WHERE score > 0) AS positive
  FROM ev_check GROUP BY t ORDER BY t;
-- bad input: unknown names list the accepted ones; infinite and out-of-range times
SELECT rfm.intent_agg(e, now()) FROM (VALUES ('view'), ('pv')) v(e);
SELECT rfm.intent_agg('View', now());
SELECT rfm.intent_agg('', now());
SELECT rfm.intent_agg('view', 'infinity');
SELECT rfm.intent_agg('view', '-infinity');
SELECT rfm.intent_agg('view', '10000-01-01 00:00+00');
SELECT rfm.intent_agg('view', '0044-03-15 12:00+00 BC');
-- merging cannot overflow silently
SELECT rfm.intent_union(i) FROM (VALUES ('{view:2024-01-01T00Z:2147483647}'::rfm.intent), ('{view:2024-01-01T00Z:1}')) v(i);
-- union: shards aggregated separately, then merged, equal one aggregate
CREATE TABLE ev_shards AS
  SELECT member, g % 3 AS shard, rfm.intent_agg(event, ts) AS i
    FROM (SELECT *, row_number() OVER () AS g FROM ev) s GROUP BY member, shard;
SELECT count(*) AS members, count(*) FILTER (WHERE u.i OPERATOR(rfm.=) p.i) AS same
  FROM (SELECT member, rfm.intent_union(i) AS i FROM ev_shards GROUP BY member) u FULL JOIN ev_plain p USING (member);
SELECT rfm.intent_union(i) IS NULL AS union_of_nulls FROM (VALUES (NULL::rfm.intent)) v(i);
-- forced parallel plans: Partial and Finalize aggregation, and the serial values
CREATE FUNCTION plan_has(query text, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ pattern THEN RETURN true; END IF;
  END LOOP;
  RETURN false;
END $$;
CREATE TABLE ev_serial_all AS SELECT rfm.intent_agg(event, ts) AS i FROM ev;
CREATE TABLE ev_scores AS
  SELECT member, rfm.intent_score(i, '2024-01-05 00:00+00') AS score,
         member % 4 = 0 OR rfm.intent_score(i, '2024-01-05 00:00+00') > 30 AS bought,
         (member % 7)::float8 AS revenue
    FROM ev_plain;
CREATE TABLE ev_serial_cal AS SELECT rfm.dciu_calibrate(score, bought) AS cuts FROM ev_scores;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT plan_has(q, 'Partial (Hash|Group)?Aggregate') AS partial, plan_has(q, 'Finalize') AS finalize,
       plan_has(q, 'Gather') AS gather
  FROM (VALUES ('SELECT member, rfm.intent_agg(event, ts) FROM ev GROUP BY member'),
               ('SELECT rfm.intent_agg(event, ts) FROM ev'),
               ('SELECT rfm.intent_union(i) FROM ev_shards'),
               ('SELECT rfm.dciu_calibrate(score, bought) FROM ev_scores'),
               ('SELECT rfm.dciu_lift_agg(rfm.dciu(score, ''{1,5,20}''), bought, revenue) FROM ev_scores')) v(q);
SELECT count(*) AS members, count(*) FILTER (WHERE q.i OPERATOR(rfm.=) p.i) AS same
  FROM (SELECT member, rfm.intent_agg(event, ts) AS i FROM ev GROUP BY member) q FULL JOIN ev_plain p USING (member);
SELECT s.i OPERATOR(rfm.=) (SELECT rfm.intent_agg(event, ts) FROM ev) AS whole_table_same,
       s.i OPERATOR(rfm.=) (SELECT rfm.intent_union(i) FROM ev_shards) AS union_same
  FROM ev_serial_all s;
SELECT s.cuts = (SELECT rfm.dciu_calibrate(score, bought) FROM ev_scores) AS calibrate_same FROM ev_serial_cal s;
SELECT l.* FROM unnest((SELECT rfm.dciu_lift_agg(rfm.dciu(score, '{1,5,20}'), bought, revenue) FROM ev_scores)) l;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SELECT l.* FROM unnest((SELECT rfm.dciu_lift_agg(rfm.dciu(score, '{1,5,20}'), bought, revenue) FROM ev_scores)) l;
-- an error inside a parallel worker reaches the client as the same error
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT rfm.intent_agg(CASE WHEN member = 50 AND event = 'view' THEN 'page_view' ELSE event END, ts) FROM ev;
RESET ALL;
SET extra_float_digits = 0;
SET search_path = intent_agg, public;
-- calibration, hand-checked: 100 members, scores 1..80 (member = score) and 20 zeros
CREATE TABLE cal (member int, score float8, bought boolean, revenue float8);
INSERT INTO cal
  SELECT g, CASE WHEN g <= 80 THEN g ELSE 0 END,
         g IN (80, 79, 78, 77, 75) OR (g <= 73 AND g % 10 = 0) OR g = 90,
         CASE WHEN g IN (80, 79) THEN 100 ELSE 10 END
    FROM generate_series(1, 100) g;
-- D: at most 2.5 % of 100 members score >= the D cut: 80 and 79 (2 members), cut 79;
-- C: at most 7.5 %: 74..78 (5 more), cut 74; I: the smallest positive score, 1 (73 members); U: the 20 zeros
-- rates: D 2/2, C 3/5, I 7/73, U 1/20: ordered, so these cuts stand
SELECT rfm.dciu_calibrate(score, bought) AS cuts FROM cal;
SELECT l.* FROM unnest((SELECT rfm.dciu_lift_agg(rfm.dciu(c.score, k.cuts), c.bought, c.revenue)
                          FROM cal c, (SELECT rfm.dciu_calibrate(score, bought) AS cuts FROM cal) k)) l;
-- other target shares: D 1 % (member 80), C the next 9 % (71..79)
SELECT rfm.dciu_calibrate(score, bought, 0.01, 0.09) AS cuts FROM cal;
-- rates not ordered with the requested shares: 79 does not buy, so D (80, 79) has 1/2 < C 3/5;
-- the ordered grid candidate closest to 2.5 % + 5 % is D 3 % (78..80: 2/3), C 5 % (73..77: 2/5),
-- I 7/72, U 1/20 -- a NOTICE says so
UPDATE cal SET bought = (member <> 79) AND bought;
SELECT rfm.dciu_calibrate(score, bought) AS cuts FROM cal;
-- no candidate is ordered when members without events buy most: requested cuts, with a NOTICE
UPDATE cal SET bought = true WHERE score = 0;
SELECT rfm.dciu_calibrate(score, bought) AS cuts FROM cal;
-- few distinct scores: missing cuts go above the largest score; none positive: NULL
SELECT rfm.dciu_calibrate(s, b) FROM (VALUES (0::float8, false), (2, true), (2, false), (0, false)) v(s, b);
SELECT rfm.dciu_calibrate(s, b) FROM (VALUES (0::float8, false), (2, true), (3, true)) v(s, b);
SELECT rfm.dciu_calibrate(s, b) FROM (VALUES (0::float8, false), (0, true)) v(s, b);
-- NULL score = no events (0); NULL bought: row ignored
SELECT rfm.dciu_calibrate(s, b) FROM (VALUES (NULL::float8, false), (1, NULL), (1, false), (2, false), (3, true)) v(s, b);
-- bad input
SELECT rfm.dciu_calibrate(s, true) FROM (VALUES (-1::float8)) v(s);
SELECT rfm.dciu_calibrate(s, true) FROM (VALUES ('NaN'::float8)) v(s);
SELECT rfm.dciu_calibrate(1, true, 0.5, 0.5);
SELECT rfm.dciu_calibrate(1, true, 0, 0.05);
SELECT rfm.dciu_lift_agg('D', true, 'Infinity');
-- lift with NULL revenue (0) and a NULL bucket (ignored); no rows: NULL
SELECT l.* FROM unnest((SELECT rfm.dciu_lift_agg(b, bo, r)
                          FROM (VALUES ('D'::rfm.dciu_bucket, true, 10::float8), ('D', false, NULL), ('U', true, 5),
                                       ('C', NULL, NULL), (NULL, true, 100)) v(b, bo, r))) l;
SELECT rfm.dciu_lift_agg(b, true, 1) IS NULL AS no_rows FROM (SELECT 'D'::rfm.dciu_bucket WHERE false) v(b);
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA intent_agg CASCADE;
