-- test/citus/aggregates.sql, run by test/citus/run.sh after cdnow.sql: the aggregates across members whose state
-- became a real type in 1.7 (rfm.breaks: rfm.breaks_state; rfm.bgnbd_fit, rfm.pnbd_fit, rfm.gamma_gamma_fit:
-- rfm.clv_state) over a table of member facts from CDNOW (recency, frequency, spend, and x, t_x, t, monetary of rfm.btyd per member)
-- distributed in 32 shards: EXPLAIN shows partial aggregates on the workers and a combine on the coordinator,
-- and the results equal those over the same rows in a plain table, as text (the spend model over the members whose
-- repeat orders have a positive mean: CDNOW has orders of 0), also with
-- citus.coordinator_aggregation_strategy = disabled (nothing pulled to the coordinator to aggregate there).
-- One output line per check.
SET client_min_messages = warning;
SET extra_float_digits = 3;
CREATE TEMP TABLE agg_checks (n serial, name text, ok boolean, detail text);

\set into agg_orders
\ir cdnow_load.sql
CREATE TABLE facts_plain AS
  SELECT member_id, rfm.recency(p, '1998-06-30') AS recency, rfm.frequency(p, '1998-06-30') AS frequency,
         rfm.monetary(p, '1998-06-30') AS spend, (rfm.btyd(p, '1997-09-30')).*
    FROM (SELECT member_id, rfm.purchases_agg(ordered_at, amount) p FROM agg_orders GROUP BY 1) m;
DROP TABLE agg_orders;
CREATE TABLE facts_dist (LIKE facts_plain);
SELECT create_distributed_table('facts_dist', 'member_id', shard_count => 32);
INSERT INTO facts_dist SELECT * FROM facts_plain;

INSERT INTO agg_checks (name, ok, detail)
SELECT 'member facts distributed in 32 shards', (SELECT count(*) FROM facts_dist) = 23570
         AND (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'facts_dist'::regclass) = 32,
       (SELECT count(*) FROM facts_dist) || ' members';

CREATE FUNCTION agg_plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE) ' || q LOOP
    plan := plan || line || E'\n';
  END LOOP;
  RETURN plan;
END $$;
INSERT INTO agg_checks (name, ok, detail)
SELECT 'EXPLAIN: ' || a || ' split, partial aggregates on the workers, combine on the coordinator',
       p ~ 'worker_(binary_)?partial_agg' AND p ~ 'coord_(binary_)?combine_agg' AND p ~ ('rfm\.' || a) AND p ~ 'Task Count: 32',
       left(regexp_replace(p, '\s+', ' ', 'g'), 400)
  FROM (VALUES ('breaks', 'SELECT rfm.breaks(recency, 5), rfm.breaks(frequency, 5), rfm.breaks(spend, 5) FROM facts_dist'),
               ('bgnbd_fit', 'SELECT rfm.bgnbd_fit(x, t_x, t) FROM facts_dist'),
               ('pnbd_fit', 'SELECT rfm.pnbd_fit(x, t_x, t) FROM facts_dist'),
               ('gamma_gamma_fit', 'SELECT rfm.gamma_gamma_fit(x, monetary) FROM facts_dist WHERE x = 0 OR monetary > 0')) v(a, q),
       agg_plan(q) p;

-- the aggregates over a table, as one text: ungrouped and grouped by a column that is not the distribution column
CREATE FUNCTION agg_results(t regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
BEGIN
  EXECUTE format($q$
    SELECT concat_ws(' | ',
             (SELECT rfm.breaks(recency, 5)::text || rfm.breaks(frequency, 5)::text || rfm.breaks(spend, 5)::text FROM %1$s),
             (SELECT string_agg(b, ' ' ORDER BY k) FROM (SELECT least(frequency, 4) k, rfm.breaks(spend, 4)::text b
                                                          FROM %1$s GROUP BY 1) g),
             (SELECT rfm.bgnbd_fit(x, t_x, t)::text FROM %1$s),
             (SELECT rfm.pnbd_fit(x, t_x, t)::text FROM %1$s),
             (SELECT rfm.gamma_gamma_fit(x, monetary)::text FROM %1$s WHERE x = 0 OR monetary > 0),
             (SELECT string_agg(f, ' ' ORDER BY k) FROM (SELECT member_id %% 2 k, rfm.bgnbd_fit(x, t_x, t)::text f
                                                          FROM %1$s GROUP BY 1) g))$q$, t)
    INTO r;
  RETURN r;
END $$;
CREATE TEMP TABLE agg_plain AS SELECT agg_results('facts_plain') AS r;
INSERT INTO agg_checks (name, ok, detail)
SELECT 'breaks, bgnbd_fit, pnbd_fit, gamma_gamma_fit (ungrouped and grouped) split = one node (text)', d = p.r,
       CASE WHEN d = p.r THEN '' ELSE left(d, 300) || ' <> ' || left(p.r, 300) END
  FROM agg_results('facts_dist') d, agg_plain p;
SET citus.coordinator_aggregation_strategy = 'disabled';
INSERT INTO agg_checks (name, ok, detail)
SELECT 'the same with citus.coordinator_aggregation_strategy = disabled (no rows pulled to the coordinator)', d = p.r,
       CASE WHEN d = p.r THEN '' ELSE left(d, 300) || ' <> ' || left(p.r, 300) END
  FROM agg_results('facts_dist') d, agg_plain p;
RESET citus.coordinator_aggregation_strategy;

-- rfm.intent_agg and rfm.intent_union (state rfm.intent_state since 1.7) over a generated events table (6000 events
-- of 300 members, several kinds in one hour, out of time order) distributed by member in 32 shards, and the
-- members' intents distributed likewise: ungrouped and grouped by a column that is not the distribution column
CREATE TABLE events_plain AS
  SELECT g % 300 AS member_id, (ARRAY['view','search','favorite','cart_add','cart_remove','checkout','purchase'])[1 + (g / 3 + g % 11) % 7] AS event,
         timestamptz '2024-03-01 00:00 UTC' + ((g * 7919) % 5000) * interval '7 minutes' AS ts
    FROM generate_series(1, 6000) g;
CREATE TABLE events_dist (LIKE events_plain);
SELECT create_distributed_table('events_dist', 'member_id', shard_count => 32);
INSERT INTO events_dist SELECT * FROM events_plain;
CREATE TABLE intents_plain AS SELECT member_id, rfm.intent_agg(event, ts) AS i FROM events_plain GROUP BY 1;
CREATE TABLE intents_dist (LIKE intents_plain);
SELECT create_distributed_table('intents_dist', 'member_id', colocate_with => 'events_dist');
INSERT INTO intents_dist SELECT * FROM intents_plain;
INSERT INTO agg_checks (name, ok, detail)
SELECT 'EXPLAIN: ' || a || ' split, partial aggregates on the workers, combine on the coordinator',
       p ~ 'worker_(binary_)?partial_agg' AND p ~ 'coord_(binary_)?combine_agg' AND p ~ ('rfm\.' || a) AND p ~ 'Task Count: 32',
       left(regexp_replace(p, '\s+', ' ', 'g'), 400)
  FROM (VALUES ('intent_agg', 'SELECT rfm.intent_agg(event, ts) FROM events_dist'),
               ('intent_agg', 'SELECT member_id % 7, rfm.intent_agg(event, ts) FROM events_dist GROUP BY 1'),
               ('intent_union', 'SELECT rfm.intent_union(i) FROM intents_dist'),
               ('intent_union', 'SELECT member_id % 5, rfm.intent_union(i) FROM intents_dist GROUP BY 1')) v(a, q),
       agg_plan(q) p;
CREATE FUNCTION intent_results(e regclass, i regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
BEGIN
  EXECUTE format($q$
    SELECT concat_ws(' | ',
             (SELECT rfm.intent_agg(event, ts)::text FROM %1$s),
             (SELECT string_agg(v, ';' ORDER BY k) FROM (SELECT member_id %% 7 k, rfm.intent_agg(event, ts)::text v
                                                          FROM %1$s GROUP BY 1) g),
             (SELECT rfm.intent_union(i)::text FROM %2$s),
             (SELECT string_agg(v, ';' ORDER BY k) FROM (SELECT member_id %% 5 k, rfm.intent_union(i)::text v
                                                          FROM %2$s GROUP BY 1) g))$q$, e, i)
    INTO r;
  RETURN r;
END $$;
CREATE TEMP TABLE intent_plain AS SELECT intent_results('events_plain', 'intents_plain') AS r;
INSERT INTO agg_checks (name, ok, detail)
SELECT 'intent_agg, intent_union (ungrouped and grouped) split = one node (text)', d = p.r AND length(d) > 1000,
       CASE WHEN d = p.r THEN '' ELSE left(d, 300) || ' <> ' || left(p.r, 300) END
  FROM intent_results('events_dist', 'intents_dist') d, intent_plain p;
SET citus.coordinator_aggregation_strategy = 'disabled';
INSERT INTO agg_checks (name, ok, detail)
SELECT 'intent_agg, intent_union with citus.coordinator_aggregation_strategy = disabled', d = p.r,
       CASE WHEN d = p.r THEN '' ELSE left(d, 300) || ' <> ' || left(p.r, 300) END
  FROM intent_results('events_dist', 'intents_dist') d, intent_plain p;
RESET citus.coordinator_aggregation_strategy;
DROP TABLE events_dist, events_plain, intents_dist, intents_plain;

DROP TABLE facts_dist, facts_plain;
SELECT 'citus ' || name || ': ' || CASE WHEN ok THEN 'passed' ELSE 'FAILED (' || coalesce(detail, 'NULL') || ')' END
  FROM agg_checks ORDER BY n;
