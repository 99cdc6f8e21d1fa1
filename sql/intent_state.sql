-- rfm.intent_agg and rfm.intent_union have a state of a real type, rfm.intent_state, so that Citus splits them
-- (partial aggregates on the workers, a combine on the coordinator): forced parallel plans give the serial
-- results exactly (text equality), grouped and ungrouped; states round-trip through their text and binary
-- forms; states combined per group give the result over all rows; bad text is refused with a hint.
CREATE SCHEMA intent_state;
SET search_path = intent_state, public;
-- 40 members, events in and out of time order, several kinds in one hour, repeated (kind, hour)
CREATE TABLE ev AS
  SELECT g % 40 AS member, (ARRAY['view','search','favorite','cart_add','cart_remove','checkout','purchase'])[1 + (g / 3 + g % 11) % 7] AS event,
         timestamptz '2024-03-01 00:00 UTC' + ((g * 7919) % 5000) * interval '7 minutes' AS ts, g
    FROM generate_series(1, 20000) g;
INSERT INTO ev VALUES (1, NULL, now(), 0), (2, 'view', NULL, 0);
CREATE TABLE iv AS SELECT member % 7 AS grp, rfm.intent_agg(event, ts) AS i FROM ev GROUP BY member;
ANALYZE ev, iv;
CREATE FUNCTION plan_has(query text, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ pattern THEN RETURN true; END IF;
  END LOOP;
  RETURN false;
END $$;
CREATE VIEW results AS
  SELECT (SELECT rfm.intent_agg(event, ts) FROM ev)::text AS agg_all,
         (SELECT string_agg(i::text, ';' ORDER BY member) FROM (SELECT member, rfm.intent_agg(event, ts) i FROM ev GROUP BY member) x) AS agg_grouped,
         (SELECT rfm.intent_union(i) FROM iv)::text AS union_all,
         (SELECT string_agg(u::text, ';' ORDER BY grp) FROM (SELECT grp, rfm.intent_union(i) u FROM iv GROUP BY grp) x) AS union_grouped;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial AS SELECT * FROM results;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
SELECT q, plan_has(q, 'Partial .*Aggregate') AS partial, plan_has(q, 'Finalize .*Aggregate') AS finalize
  FROM (VALUES ('SELECT rfm.intent_agg(event, ts) FROM ev'),
               ('SELECT member, rfm.intent_agg(event, ts) FROM ev GROUP BY member'),
               ('SELECT rfm.intent_union(i) FROM iv'),
               ('SELECT grp, rfm.intent_union(i) FROM iv GROUP BY grp')) v(q);
SELECT p.agg_all = s.agg_all AS agg_same, p.agg_grouped = s.agg_grouped AS agg_grouped_same,
       p.union_all = s.union_all AS union_same, p.union_grouped = s.union_grouped AS union_grouped_same,
       s.union_all = s.agg_all AS union_of_members_is_all
  FROM results p, serial s;
RESET enable_hashagg;
SET enable_sort = off;
SELECT p.agg_grouped = s.agg_grouped AS agg_grouped_hashed_same, p.union_grouped = s.union_grouped AS union_grouped_hashed_same
  FROM results p, serial s;
RESET enable_sort;
SET max_parallel_workers_per_gather = 0;
-- the states themselves (aggregates without the final function), per group, combined as Citus's coordinator does
CREATE AGGREGATE istate(text, timestamptz) (
  SFUNC = rfm.intent_trans, STYPE = rfm.intent_state, COMBINEFUNC = rfm.intent_combine, PARALLEL = SAFE);
CREATE AGGREGATE ustate(rfm.intent) (
  SFUNC = rfm.intent_union_trans, STYPE = rfm.intent_state, COMBINEFUNC = rfm.intent_combine, PARALLEL = SAFE);
CREATE AGGREGATE imerge(rfm.intent_state) (SFUNC = rfm.intent_combine, STYPE = rfm.intent_state);
CREATE TABLE shard_states AS SELECT g % 5 AS shard, istate(event, ts) AS s FROM ev GROUP BY g % 5;
-- text and binary round trips: the same text
SELECT bool_and(s::text::rfm.intent_state::text = s::text) AS text_same,
       bool_and(rfm.intent_final(s::text::rfm.intent_state)::text = rfm.intent_final(s)::text) AS final_same,
       bool_and(rfm.intent_state_send(s) = rfm.intent_send(rfm.intent_final(s))) AS binary_is_intent_binary,
       min(left(s::text, 14)) AS tag
  FROM shard_states;
SELECT rfm.intent_final(imerge(s::text::rfm.intent_state))::text = s.agg_all AS merged_same,
       rfm.intent_final(imerge(s))::text = s.agg_all AS merged_direct_same
  FROM shard_states, serial s GROUP BY s.agg_all;
SELECT rfm.intent_final(istate(event, ts))::text = s.agg_all AS state_final_same,
       rfm.intent_final(ustate(i))::text = s.agg_all AS union_state_final_same
  FROM (SELECT event, ts, NULL::rfm.intent i FROM ev UNION ALL SELECT NULL, NULL, i FROM iv) t, serial s GROUP BY s.agg_all;
-- small states in full (events out of order, several kinds in one hour), the empty and NULL cases
SELECT istate(e, t) FROM (VALUES ('cart_add', timestamptz '2024-01-01 10:30Z'), ('view', '2024-01-01 10:05Z'),
                                 ('view', '2024-01-01 09:59Z'), ('view', '2024-01-01 10:59Z'), (NULL, now())) v(e, t);
SELECT istate(e, t) IS NULL AS no_events FROM (VALUES (NULL::text, NULL::timestamptz)) v(e, t);
SELECT ustate(i) FROM (VALUES ('{}'::rfm.intent)) v(i);
SELECT imerge(s) FROM (VALUES ('intent_state:{view:2024-01-01T10Z:2}'::rfm.intent_state), (NULL),
                              ('intent_state:{view:2024-01-01T10Z:3,purchase:2023-12-31T23Z:1}')) v(s);
-- bad text: prefix, the rfm.intent part (syntax, kind, order, count), overflow when combined
SELECT '{view:2024-01-01T10Z:2}'::rfm.intent_state;
SELECT 'intent_state:'::rfm.intent_state;
SELECT 'intent_state:{walk:2024-01-01T10Z:2}'::rfm.intent_state;
SELECT 'intent_state:{view:2024-01-01T10Z:2,view:2024-01-01T09Z:1}'::rfm.intent_state;
SELECT 'intent_state:{view:2024-01-01T10Z:0}'::rfm.intent_state;
SELECT 'intent_state:{view:2024-01-01T10Z:2}x'::rfm.intent_state;
SELECT imerge(s) FROM (VALUES ('intent_state:{view:2024-01-01T10Z:2147483647}'::rfm.intent_state),
                              ('intent_state:{view:2024-01-01T10Z:1}')) v(s);
-- the support functions are refused outside an aggregate
SELECT rfm.intent_trans(NULL, 'view', now());
SELECT rfm.intent_combine(NULL, NULL);
RESET ALL;
RESET search_path;
DROP SCHEMA intent_state CASCADE;
