-- bench/label_bench.sql: what labelling members costs, compared with the aggregation that built their
-- states.  Needs bench.orders (bench/purchases_agg.sh loads it) and rfm with the label functions.
--
--   PGHOST=/tmp PGPORT=5481 PGUSER=postgres PGDATABASE=postgres psql -X -f bench/label_bench.sql
--   (psql -v runs=5 -v label_members=500000 -v as_of=2024-12-31 -v workers=0 ... to override)
--
-- 1. aggregate   SELECT count(p) FROM (SELECT member_id, rfm.purchases_agg(ordered_at, amount) p
--                FROM bench.orders GROUP BY member_id) s                           (runs times)
-- 2. build       CREATE TABLE bench.members AS <the same aggregate>                (once: the states)
--                + its primary key (once, reported apart)
-- 3. read        the first label_members states by member_id, one cheap accessor   (runs times, baseline)
-- 4. model       breaks of recency/frequency/monetary (5 bins), the three means and the NES fallback
--                cycle over those members                                          (runs times)
-- 5. labels      count over a subquery computing, for each of those members, recency, frequency, monetary,
--                r/f/m scores, rfm10 segment, value segment, NAPL and NES           (runs times)
-- 6. labels_into the same labels written to bench.member_labels                    (once)
-- 7. each label function alone over the same members                              (runs times each)
-- Timings are taken in the server (clock_timestamp() around EXECUTE), serial by default
-- (max_parallel_workers_per_gather = :workers), work_mem 1GB, hash_mem_multiplier 2, jit off, TimeZone UTC.
\set ON_ERROR_STOP on
\if :{?as_of}
\else
  \set as_of 2024-12-31
\endif
\if :{?runs}
\else
  \set runs 3
\endif
\if :{?label_members}
\else
  \set label_members 1000000
\endif
\if :{?workers}
\else
  \set workers 0
\endif
SET work_mem = '1GB';
SET hash_mem_multiplier = 2;
SET jit = off;
SET TimeZone = 'UTC';
SET max_parallel_workers_per_gather = :workers;
SET client_min_messages = warning;
SELECT set_config('label_bench.as_of', :'as_of', false) IS NOT NULL AS as_of_set,
       set_config('label_bench.runs', :'runs', false) IS NOT NULL AS runs_set,
       set_config('label_bench.members', :'label_members', false) IS NOT NULL AS members_set \gset

SELECT version() AS server, (SELECT extversion FROM pg_extension WHERE extname = 'rfm') AS rfm,
       (SELECT count(*) FROM bench.orders) AS order_rows, :'as_of'::date AS as_of,
       :label_members AS label_members, :runs AS runs, current_setting('max_parallel_workers_per_gather') AS workers;

\! echo "rfm.so md5 $(md5sum < $(pg_config --pkglibdir)/rfm.so | cut -c1-32) $(stat -c %y $(pg_config --pkglibdir)/rfm.so); load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
CREATE TEMP TABLE timing (step text, run integer, ms double precision, result numeric);
CREATE FUNCTION pg_temp.timed(step text, sql text, runs integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  r numeric;
BEGIN
  FOR i IN 1..runs LOOP
    t0 := clock_timestamp();
    IF sql ~* '^\s*(CREATE|ALTER|DROP)' THEN
      EXECUTE sql;
      r := NULL;
    ELSE
      EXECUTE sql INTO r;
    END IF;
    INSERT INTO timing VALUES (step, i, extract(epoch FROM clock_timestamp() - t0) * 1000, r);
  END LOOP;
END $$;

-- 1. the aggregation alone (no table written)
SELECT pg_temp.timed('1 aggregate (count only, all members)',
  $q$SELECT count(p) FROM (SELECT member_id, rfm.purchases_agg(ordered_at, amount) AS p
                            FROM bench.orders GROUP BY member_id) s$q$,
  current_setting('label_bench.runs')::int);

-- 2. the states, built once
DROP TABLE IF EXISTS bench.member_labels;
DROP TABLE IF EXISTS bench.members;
SELECT pg_temp.timed('2 build bench.members (CREATE TABLE AS)',
  $q$CREATE TABLE bench.members AS
       SELECT member_id, rfm.purchases_agg(ordered_at, amount) AS p FROM bench.orders GROUP BY member_id$q$, 1);
SELECT pg_temp.timed('2b primary key on bench.members', $q$ALTER TABLE bench.members ADD PRIMARY KEY (member_id)$q$, 1);
VACUUM (ANALYZE) bench.members;
SELECT count(*) AS members, pg_size_pretty(pg_total_relation_size('bench.members')) AS size FROM bench.members;

-- 3. baseline: read the states of the first label_members members
SELECT pg_temp.timed('3 read states (first N members)',
  format($q$SELECT sum(rfm.purchase_days(p, NULL))
              FROM (SELECT p FROM bench.members ORDER BY member_id LIMIT %s) m$q$,
         current_setting('label_bench.members')),
  current_setting('label_bench.runs')::int);

-- 4. the model: cut points, means, fallback cycle over the same members
CREATE TEMP TABLE model (members bigint, r_breaks float8[], f_breaks float8[], m_breaks float8[],
                         mean_recency numeric, mean_frequency numeric, mean_monetary float8, fallback_cycle float8);
SELECT pg_temp.timed('4 model (breaks, means, fallback cycle)',
  format($q$WITH new AS (
              SELECT count(*) AS members,
                     rfm.breaks(recency, 5) AS r_breaks, rfm.breaks(frequency, 5) AS f_breaks,
                     rfm.breaks(monetary, 5) AS m_breaks,
                     avg(recency) AS mean_recency, avg(frequency) AS mean_frequency, avg(monetary) AS mean_monetary,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY (last_day - first_day)::float8 / (days - 1))
                       FILTER (WHERE days >= 2) AS fallback_cycle
                FROM (SELECT rfm.recency(p, %1$L) AS recency, rfm.frequency(p, %1$L) AS frequency,
                             rfm.monetary(p, %1$L) AS monetary, rfm.purchase_days(p, %1$L) AS days,
                             rfm.first_purchase(p, %1$L) AS first_day, rfm.last_purchase(p, %1$L) AS last_day
                        FROM bench.members ORDER BY member_id LIMIT %2$s) m
               WHERE recency IS NOT NULL),
            del AS (DELETE FROM model),
            ins AS (INSERT INTO model SELECT * FROM new RETURNING members)
            SELECT members FROM ins$q$,
         current_setting('label_bench.as_of'), current_setting('label_bench.members')),
  current_setting('label_bench.runs')::int);
\x on
SELECT * FROM model;
\x off

-- 5. every label of every one of those members (scores, rfm10 segment, value segment, NAPL, NES)
-- The OFFSET 0 fences keep each function evaluated once per member.
CREATE TEMP TABLE label_sql AS SELECT format($q$
  SELECT l.member_id, l.recency, l.frequency, l.monetary, l.r, l.f, l.m,
         rfm.segment(l.r, l.f, l.m) AS segment,
         rfm.value_segment(l.recency < x.mean_recency, l.frequency >= x.mean_frequency,
                           l.monetary >= x.mean_monetary) AS value_segment,
         rfm.napl(l.p, %1$L) AS napl,
         rfm.nes(l.p, %1$L, x.fallback_cycle) AS nes
    FROM (SELECT b.*, rfm.score(b.recency, x.r_breaks, true) AS r, rfm.score(b.frequency, x.f_breaks) AS f,
                 rfm.score(b.monetary, x.m_breaks) AS m
            FROM (SELECT member_id, p, rfm.recency(p, %1$L) AS recency, rfm.frequency(p, %1$L) AS frequency,
                         rfm.monetary(p, %1$L) AS monetary
                    FROM bench.members ORDER BY member_id LIMIT %2$s) b CROSS JOIN model x
           WHERE b.recency IS NOT NULL
          OFFSET 0) l CROSS JOIN model x$q$,
  current_setting('label_bench.as_of'), current_setting('label_bench.members')) AS q;
SELECT pg_temp.timed('5 labels (count over every label)',
  format($q$SELECT count(*) + count(segment) + count(value_segment) + count(napl) + count(nes)
              FROM (%s OFFSET 0) s$q$, q),
  current_setting('label_bench.runs')::int)
  FROM label_sql;
SELECT pg_temp.timed('6 labels into bench.member_labels', format('CREATE TABLE bench.member_labels AS %s', q), 1)
  FROM label_sql;

-- 7. each label alone over the same members (minus step 3 or 7a = its share of step 5)
SELECT pg_temp.timed('7a read bench.member_labels', 'SELECT count(r) + count(f) + count(m) FROM bench.member_labels',
                     current_setting('label_bench.runs')::int);
SELECT pg_temp.timed('7' || k || ' ' || name, format(sql, current_setting('label_bench.as_of'),
                                                     current_setting('label_bench.members')),
                     current_setting('label_bench.runs')::int)
  FROM (VALUES
    ('b', 'recency + frequency + monetary',
     $q$SELECT count(rfm.recency(p, %1$L)) + count(rfm.frequency(p, %1$L)) + count(rfm.monetary(p, %1$L))
          FROM (SELECT p FROM bench.members ORDER BY member_id LIMIT %2$s) m$q$),
    ('c', 'napl', $q$SELECT count(rfm.napl(p, %1$L)) FROM (SELECT p FROM bench.members ORDER BY member_id LIMIT %2$s) m$q$),
    ('d', 'nes', $q$SELECT count(rfm.nes(p, %1$L, x.fallback_cycle))
                     FROM (SELECT p FROM bench.members ORDER BY member_id LIMIT %2$s) m CROSS JOIN model x$q$),
    ('e', 'score x 3', $q$SELECT count(rfm.score(recency, x.r_breaks, true)) + count(rfm.score(frequency, x.f_breaks))
                                + count(rfm.score(monetary, x.m_breaks)) FROM bench.member_labels CROSS JOIN model x$q$),
    ('f', 'segment', $q$SELECT count(rfm.segment(r, f, m)) FROM bench.member_labels$q$),
    ('g', 'value_segment', $q$SELECT count(rfm.value_segment(recency < x.mean_recency, frequency >= x.mean_frequency,
                                                           monetary >= x.mean_monetary))
                                FROM bench.member_labels CROSS JOIN model x$q$)) v(k, name, sql)
 ORDER BY k;

-- what the labels look like
SELECT segment, count(*) AS members FROM bench.member_labels GROUP BY 1 ORDER BY 2 DESC, 1;
SELECT value_segment, count(*) AS members FROM bench.member_labels GROUP BY 1 ORDER BY 1;
SELECT napl, nes, count(*) AS members FROM bench.member_labels GROUP BY 1, 2 ORDER BY 1, 2;

-- results
\! echo "rfm.so md5 $(md5sum < $(pg_config --pkglibdir)/rfm.so | cut -c1-32) $(stat -c %y $(pg_config --pkglibdir)/rfm.so); load average $(cut -d' ' -f1-3 /proc/loadavg)"
SELECT step, count(*) AS runs, round(min(ms)::numeric) AS min_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric) AS median_ms,
       round(max(ms)::numeric) AS max_ms, max(result) AS result
  FROM timing GROUP BY step ORDER BY step;
WITH t AS (SELECT step, min(ms) AS ms FROM timing GROUP BY step),
     v AS (SELECT (SELECT ms FROM t WHERE step LIKE '1 %') AS agg, (SELECT ms FROM t WHERE step LIKE '2 %') AS build,
                  (SELECT ms FROM t WHERE step LIKE '3 %') AS read, (SELECT ms FROM t WHERE step LIKE '4 %') AS model,
                  (SELECT ms FROM t WHERE step LIKE '5 %') AS labels,
                  (SELECT ms FROM t WHERE step LIKE '6 %') AS labels_into)
SELECT round((model + labels)::numeric) AS label_total_ms, round(build::numeric) AS build_ms,
       round(((model + labels) / build)::numeric, 3) AS label_total_over_build,
       round(((model + labels) / agg)::numeric, 3) AS label_total_over_aggregate,
       round(((model + labels_into) / build)::numeric, 3) AS label_into_over_build,
       round((1000 * (model + labels) / :label_members)::numeric, 3) AS label_us_per_member,
       round((1000 * build / (SELECT count(*) FROM bench.members))::numeric, 3) AS build_us_per_member
  FROM v;
