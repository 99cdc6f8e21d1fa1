-- Parallel and partial aggregation: forced parallel plans use the combine,
-- serialize and deserialize functions and give the states of a serial plan,
-- exactly: spend is summed in integer units, so the text of every state is the
-- same whatever the plan (no tolerance, no float noise).
-- Uses cdnow_master from purchases_cdnow.
SET extra_float_digits = 0;
-- statistics of their own, so that the plans below do not depend on whether autovacuum has run yet; with
-- 23,570 members among 69,659 rows the planner would rather not aggregate in the workers, so it is told of
-- fewer members (reset at the end)
ALTER TABLE cdnow_master ALTER COLUMN member_id SET (n_distinct = 100);
ANALYZE cdnow_master;
CREATE FUNCTION plan_has(query text, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ pattern THEN RETURN true; END IF;
  END LOOP;
  RETURN false;
END $$;
-- serial reference
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_p AS
  SELECT member_id, rfm.purchases_agg(ordered_at, amount) AS p FROM cdnow_master GROUP BY member_id;
CREATE TABLE serial_all AS SELECT rfm.purchases_agg(ordered_at, amount) AS p FROM cdnow_master;
-- force parallel plans
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT plan_has(q, 'Partial (Hash|Group)?Aggregate') AS partial, plan_has(q, 'Finalize') AS finalize,
       plan_has(q, 'Gather') AS gather
  FROM (VALUES ('SELECT member_id, rfm.purchases_agg(ordered_at, amount) FROM cdnow_master GROUP BY member_id'),
               ('SELECT rfm.purchases_agg(ordered_at, amount) FROM cdnow_master'),
               ('SELECT rfm.purchases_agg(ordered_at::timestamptz, amount::float8) FROM cdnow_master'),
               ('SELECT rfm.purchases_union(p) FROM serial_p')) v(q);
CREATE TABLE parallel_p AS
  SELECT member_id, rfm.purchases_agg(ordered_at, amount) AS p FROM cdnow_master GROUP BY member_id;
CREATE TABLE parallel_all AS SELECT rfm.purchases_agg(ordered_at, amount) AS p FROM cdnow_master;
CREATE TABLE parallel_union AS SELECT rfm.purchases_union(p) AS p FROM serial_p;
-- the same states, to the text
SELECT count(*) AS members, count(*) FILTER (WHERE s.p::text IS DISTINCT FROM q.p::text) AS differ,
       count(*) FILTER (WHERE s.p OPERATOR(rfm.=) q.p) AS byte_equal
  FROM serial_p s FULL JOIN parallel_p q USING (member_id);
SELECT s.p::text = q.p::text AS whole_table_same, rfm.purchase_days(q.p, NULL) AS days, rfm.frequency(q.p, NULL) AS orders,
       rfm.monetary(q.p, NULL) = 2500315.63 AS net_spend_exact, rfm.monetary(s.p, NULL) = 2500315.63 AS serial_exact
  FROM serial_all s, parallel_all q;
-- union of all member histories = the history of the whole table
SELECT s.p::text = u.p::text AS union_same, rfm.monetary(u.p, NULL) = 2500315.63 AS union_exact
  FROM serial_all s, parallel_union u;
-- purchases_union over split inputs equals one aggregate over all of them:
-- three shards by row number, aggregated separately, then merged per member
RESET max_parallel_workers_per_gather;
CREATE TABLE shards AS
  SELECT member_id, shard, rfm.purchases_agg(ordered_at, amount) AS p
    FROM (SELECT *, (row_number() OVER ()) % 3 AS shard FROM cdnow_master) s
   GROUP BY member_id, shard;
SELECT count(*) AS members, count(*) FILTER (WHERE m.p::text = s.p::text) AS same
  FROM (SELECT member_id, rfm.purchases_union(p) p FROM shards GROUP BY member_id) m
  FULL JOIN serial_p s USING (member_id);
-- partial aggregation per partition (partitionwise aggregate), combined without serialization
CREATE TABLE orders_part (member_id int, ordered_at date, amount numeric) PARTITION BY RANGE (ordered_at);
CREATE TABLE orders_1997 PARTITION OF orders_part FOR VALUES FROM ('1997-01-01') TO ('1998-01-01');
CREATE TABLE orders_1998 PARTITION OF orders_part FOR VALUES FROM ('1998-01-01') TO ('1999-01-01');
INSERT INTO orders_part SELECT member_id, ordered_at, amount FROM cdnow_master;
ANALYZE orders_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
SELECT plan_has('SELECT rfm.purchases_agg(ordered_at, amount) FROM orders_part', 'Partial Aggregate') AS partial_per_partition;
SELECT s.p::text = (SELECT rfm.purchases_agg(ordered_at, amount) FROM orders_part)::text AS partitionwise_same
  FROM serial_all s;
-- purchases_union's state is an rfm.purchases value: partial unions per partition, combined (the combine reads
-- the partial states as they are, expanded), give the serial union, per member and over all members
CREATE TABLE shards_part (member_id int, shard int, p rfm.purchases) PARTITION BY LIST (shard);
CREATE TABLE shards_0 PARTITION OF shards_part FOR VALUES IN (0);
CREATE TABLE shards_1 PARTITION OF shards_part FOR VALUES IN (1);
CREATE TABLE shards_2 PARTITION OF shards_part FOR VALUES IN (2);
INSERT INTO shards_part SELECT member_id, shard, p FROM shards;
ANALYZE shards_part;
SELECT plan_has('SELECT rfm.purchases_union(p) FROM shards_part', 'Partial Aggregate') AS union_partial_per_partition;
SELECT s.p::text = (SELECT rfm.purchases_union(p) FROM shards_part)::text AS union_partitionwise_same
  FROM serial_all s;
SELECT count(*) AS members, count(*) FILTER (WHERE m.p::text = s.p::text) AS same
  FROM (SELECT member_id % 7 AS member_id, rfm.purchases_union(p) p FROM shards_part GROUP BY 1) m
  FULL JOIN (SELECT member_id % 7 AS member_id, rfm.purchases_agg(ordered_at, amount) p FROM cdnow_master GROUP BY 1) s
  USING (member_id);
RESET enable_partitionwise_aggregate;
ALTER TABLE cdnow_master ALTER COLUMN member_id RESET (n_distinct);
ANALYZE cdnow_master;
