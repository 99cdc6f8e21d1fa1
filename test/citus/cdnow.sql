-- test/citus/cdnow.sql, run by test/citus/run.sh on a Citus coordinator with two workers and rfm: CDNOW in a table
-- distributed by member and in a plain table; the per-member aggregate pushed down to the workers and equal to one
-- node; aggregates across members (campaign_cell_agg, purchases_union) split into partial aggregates on the workers
-- and a combine on the coordinator, equal to one node; a model on each, refreshed at the end of 18 months with
-- inserts, updates, deletes and member moves (delete + insert: Citus refuses updates of the distribution column)
-- between the refreshes; the two models' labels, history and flow equal after every refresh (EXCEPT ALL both ways).
-- One output line per check.
SET client_min_messages = warning;
CREATE TEMP TABLE checks (n serial, name text, ok boolean, detail text);

\set into orders_plain
\ir cdnow_load.sql
CREATE INDEX ON orders_plain (member_id);
CREATE TABLE orders_dist (LIKE orders_plain);
SELECT create_distributed_table('orders_dist', 'member_id');
INSERT INTO orders_dist SELECT * FROM orders_plain;
CREATE INDEX ON orders_dist (member_id);

INSERT INTO checks (name, ok, detail)
SELECT 'rfm on every worker', bool_and(success AND result = (SELECT extversion FROM pg_extension WHERE extname = 'rfm')),
       string_agg(nodeport || ': ' || result, ', ')
  FROM run_command_on_workers($$SELECT extversion FROM pg_extension WHERE extname = 'rfm'$$);
INSERT INTO checks (name, ok, detail)
SELECT 'CDNOW loaded distributed', count(*) = 69659 AND sum(amount) = 2500315.63, count(*) || ' rows, ' || sum(amount)
  FROM orders_dist;

-- the per-member state on the workers equals one node's, to the byte
INSERT INTO checks (name, ok, detail)
SELECT 'purchases_agg by member = one node (EXCEPT ALL both ways, text)', count(*) = 0, count(*) || ' rows differ'
  FROM ((SELECT member_id, rfm.purchases_agg(ordered_at, amount)::text FROM orders_dist GROUP BY 1
         EXCEPT ALL SELECT member_id, rfm.purchases_agg(ordered_at, amount)::text FROM orders_plain GROUP BY 1)
        UNION ALL
        (SELECT member_id, rfm.purchases_agg(ordered_at, amount)::text FROM orders_plain GROUP BY 1
         EXCEPT ALL SELECT member_id, rfm.purchases_agg(ordered_at, amount)::text FROM orders_dist GROUP BY 1)) x;
CREATE FUNCTION plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE) ' || q LOOP
    plan := plan || line || E'\n';
  END LOOP;
  RETURN plan;
END $$;
INSERT INTO checks (name, ok, detail)
SELECT 'EXPLAIN: the grouping by member and purchases_agg run in the tasks on the workers',
       p ~ 'Custom Scan \(Citus Adaptive\)' AND p ~ 'Task Count: 32' AND p ~ '(Hash|Group)Aggregate' AND p ~ 'rfm\.purchases_agg',
       left(regexp_replace(p, '\s+', ' ', 'g'), 300)
  FROM plan_of('SELECT member_id, rfm.purchases_agg(ordered_at, amount) FROM orders_dist GROUP BY member_id') p;

-- aggregates across members whose state is a real type (rfm.campaign_state, rfm.purchases) with a combine function:
-- Citus splits them into a partial aggregate in each worker task and a combine on the coordinator (the state
-- travelling in its binary form, send/recv), and the result equals one node's, to the byte
INSERT INTO checks (name, ok, detail)
SELECT 'EXPLAIN: campaign_cell_agg split, partial aggregates on the workers, combine on the coordinator',
       p ~ 'worker_(binary_)?partial_agg' AND p ~ 'coord_(binary_)?combine_agg' AND p ~ 'rfm\.campaign_cell_agg',
       left(regexp_replace(p, '\s+', ' ', 'g'), 400)
  FROM plan_of('SELECT rfm.campaign_cell_agg(amount, 0, true) FROM orders_dist') p;
INSERT INTO checks (name, ok, detail)
SELECT 'EXPLAIN: purchases_union over the members'' histories split the same way',
       p ~ 'worker_(binary_)?partial_agg' AND p ~ 'coord_(binary_)?combine_agg' AND p ~ 'rfm\.purchases_union',
       left(regexp_replace(p, '\s+', ' ', 'g'), 400)
  FROM plan_of('SELECT rfm.purchases_union(p) FROM (SELECT member_id, rfm.purchases_agg(ordered_at, amount) p FROM orders_dist GROUP BY 1) x') p;
CREATE FUNCTION split_results(t regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
BEGIN
  EXECUTE format($q$
    SELECT concat_ws(' | ',
             (SELECT rfm.campaign_cell_agg(amount, 0, true)::text FROM %1$s),
             (SELECT string_agg(c, ' ' ORDER BY m) FROM (SELECT member_id %% 3 m, rfm.campaign_cell_agg(amount::float8, member_id %% 7, ordered_at < '1997-04-01')::text c
                                                          FROM %1$s GROUP BY 1) g),
             (SELECT rfm.purchases_union(p)::text FROM (SELECT member_id, rfm.purchases_agg(ordered_at, amount) p FROM %1$s GROUP BY 1) x),
             (SELECT string_agg(u, ' ' ORDER BY m) FROM (SELECT member_id %% 2 m, rfm.purchases_union(p)::text u
                                                          FROM (SELECT member_id, rfm.purchases_agg(ordered_at, amount) p FROM %1$s GROUP BY 1) x GROUP BY 1) g))$q$, t)
    INTO r;
  RETURN r;
END $$;
INSERT INTO checks (name, ok, detail)
SELECT 'campaign_cell_agg and purchases_union (ungrouped and grouped) split = one node (text)', d = p,
       CASE WHEN d = p THEN '' ELSE left(d, 200) || ' <> ' || left(p, 200) END
  FROM split_results('orders_dist') d, split_results('orders_plain') p;
SET citus.coordinator_aggregation_strategy = 'disabled';
INSERT INTO checks (name, ok, detail)
SELECT 'the same with citus.coordinator_aggregation_strategy = disabled (no rows pulled to the coordinator)', d = p,
       CASE WHEN d = p THEN '' ELSE left(d, 200) || ' <> ' || left(p, 200) END
  FROM split_results('orders_dist') d, split_results('orders_plain') p;
RESET citus.coordinator_aggregation_strategy;

-- a model on each table
SELECT rfm.create_model('cd', 'orders_dist', time_column => 'ordered_at');
SELECT rfm.create_model('cp', 'orders_plain', time_column => 'ordered_at');
INSERT INTO checks (name, ok, detail)
SELECT 'create_model on a distributed table: its capture triggers, on every shard (TRUNCATE: on the coordinator), and a co-located distributed queue',
       (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'orders_dist'::regclass AND tgname LIKE 'rfm\_cd\_%') = 4
       AND (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'rfm.cq_cd'::regclass)
           = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'orders_dist'::regclass)
       AND (SELECT bool_and(success AND result = '3') AND count(*) = 32
              FROM run_command_on_shards('orders_dist', $$SELECT count(*) FROM pg_trigger WHERE tgrelid = '%s'::regclass AND tgname LIKE 'rfm\_cd\_%%'$$)),
       (SELECT string_agg(tgname, ', ') FROM pg_trigger WHERE tgrelid = 'orders_dist'::regclass);

INSERT INTO checks (name, ok, detail)
SELECT 'the model''s members, label_state, label_history and work tables distributed, co-located with the orders (32 shards each)',
       count(*) = 5 AND bool_and(p.colocationid = o.colocationid AND p.partmethod = 'h')
         AND bool_and((SELECT count(*) FROM pg_dist_shard d WHERE d.logicalrelid = p.logicalrelid) = 32),
       string_agg(p.logicalrelid::text || ' ' || p.partmethod::text || ' ' || p.colocationid, ', ')
  FROM pg_dist_partition p, pg_dist_partition o
 WHERE o.logicalrelid = 'orders_dist'::regclass
   AND p.logicalrelid IN ('rfm_cd.members'::regclass, 'rfm_cd.label_state'::regclass, 'rfm_cd.label_history'::regclass,
                          'rfm_cd.work_candidates'::regclass, 'rfm_cd.work_changed'::regclass);

-- the same changes on both tables before the refresh of month k
CREATE FUNCTION apply_changes(t regclass, k int, d date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO %s SELECT DISTINCT member_id, $2 - 3, 10 + $1 FROM %s WHERE member_id %% 17 = $1 %% 17', t, t) USING k, d;
  EXECUTE format('UPDATE %s SET amount = amount + 1 WHERE member_id %% 23 = $1 %% 23 AND ordered_at <= $2 - 30', t) USING k, d;
  EXECUTE format('DELETE FROM %s WHERE member_id %% 29 = $1 %% 29 AND ordered_at BETWEEN $2 - 60 AND $2 - 31', t) USING k, d;
  -- members moved to a new id: deleted and inserted (the distribution column is not updated)
  EXECUTE format('CREATE TEMP TABLE moved ON COMMIT DROP AS SELECT * FROM %s WHERE member_id %% 31 = $1 %% 31 AND member_id < 2000', t) USING k;
  EXECUTE format('DELETE FROM %s WHERE member_id %% 31 = $1 %% 31 AND member_id < 2000', t) USING k;
  EXECUTE format('INSERT INTO %s SELECT member_id + 100000 * $1, ordered_at, amount FROM moved', t) USING k;
  DROP TABLE moved;
END $$;

CREATE TABLE cmp (k int, as_of date, labels bigint, history bigint, transitions bigint, members bigint, labelled bigint,
                  queued_d bigint, queued_p bigint, rebuilt_d bigint, rebuilt_p bigint);
DO $$
DECLARE
  d date;
  k int := 0;
  qd bigint;
  qp bigint;
  rd bigint;
  rp bigint;
BEGIN
  FOR d IN SELECT (g + interval '1 month - 1 day')::date FROM generate_series(date '1997-01-01', date '1998-06-01', interval '1 month') g LOOP
    k := k + 1;
    IF k > 1 THEN
      PERFORM apply_changes('orders_dist', k, d);
      PERFORM apply_changes('orders_plain', k, d);
    END IF;
    -- the members the capture queued on the shards, and on one node
    SELECT count(DISTINCT member_id) INTO qd FROM rfm.cq_cd;
    SELECT count(DISTINCT member_id) INTO qp FROM rfm.change_queue WHERE model = 'cp';
    SELECT rebuilt INTO rd FROM rfm.refresh('cd', d);
    SELECT rebuilt INTO rp FROM rfm.refresh('cp', d);
    INSERT INTO cmp
    SELECT k, d,
           (SELECT count(*) FROM ((TABLE rfm_cd.labels EXCEPT ALL TABLE rfm_cp.labels) UNION ALL
                                  (TABLE rfm_cp.labels EXCEPT ALL TABLE rfm_cd.labels)) x),
           (SELECT count(*) FROM ((TABLE rfm_cd.label_history EXCEPT ALL TABLE rfm_cp.label_history) UNION ALL
                                  (TABLE rfm_cp.label_history EXCEPT ALL TABLE rfm_cd.label_history)) x),
           (SELECT count(*) FROM ((SELECT dimension, from_label, to_label, members, revenue FROM rfm_cd.flow
                                   EXCEPT ALL SELECT dimension, from_label, to_label, members, revenue FROM rfm_cp.flow) UNION ALL
                                  (SELECT dimension, from_label, to_label, members, revenue FROM rfm_cp.flow
                                   EXCEPT ALL SELECT dimension, from_label, to_label, members, revenue FROM rfm_cd.flow)) x),
           (SELECT count(*) FROM ((SELECT member_id, purchases::text FROM rfm_cd.members EXCEPT ALL SELECT member_id, purchases::text FROM rfm_cp.members)
                                  UNION ALL
                                  (SELECT member_id, purchases::text FROM rfm_cp.members EXCEPT ALL SELECT member_id, purchases::text FROM rfm_cd.members)) x),
           (SELECT count(*) FROM rfm_cd.labels), qd, qp, rd, rp;
  END LOOP;
END $$;
INSERT INTO checks (name, ok, detail)
SELECT '18 monthly refreshes with inserts, updates, deletes and moves: labels equal one node every month',
       count(*) = 18 AND bool_and(labels = 0), string_agg(as_of || ':' || labels, ' ' ORDER BY k) FILTER (WHERE labels <> 0)
  FROM cmp;
INSERT INTO checks (name, ok, detail)
SELECT 'label history equal every month', bool_and(history = 0), string_agg(as_of || ':' || history, ' ' ORDER BY k) FILTER (WHERE history <> 0)
  FROM cmp;
INSERT INTO checks (name, ok, detail)
SELECT 'flow equal every month', bool_and(transitions = 0), string_agg(as_of || ':' || transitions, ' ' ORDER BY k) FILTER (WHERE transitions <> 0)
  FROM cmp;
INSERT INTO checks (name, ok, detail)
SELECT 'member states equal every month', bool_and(members = 0), string_agg(as_of || ':' || members, ' ' ORDER BY k) FILTER (WHERE members <> 0)
  FROM cmp;
INSERT INTO checks (name, ok, detail)
SELECT 'the models label every member (last month)', max(labelled) FILTER (WHERE k = 18) > 23000,
       max(labelled) FILTER (WHERE k = 18) || ' labelled'
  FROM cmp;
INSERT INTO checks (name, ok, detail)
SELECT 'the capture on the shards queued the members one node queued, every month', bool_and(queued_d = queued_p) AND sum(queued_d) > 0,
       sum(queued_d) || ' queued; ' || coalesce(string_agg(as_of || ':' || queued_d || '<>' || queued_p, ' ' ORDER BY k) FILTER (WHERE queued_d <> queued_p), '')
  FROM cmp;
INSERT INTO checks (name, ok, detail)
SELECT 'refreshes after the first rebuild only the touched members, as on one node', bool_and(rebuilt_d = rebuilt_p)
         AND bool_and(rebuilt_d < 5000) FILTER (WHERE k > 1),
       string_agg(as_of || ':' || rebuilt_d || '/' || rebuilt_p, ' ' ORDER BY k)
  FROM cmp;
-- the state rebuild as a refresh runs it (src/model/refresh_states.sql): every state, pushed down whole (each task
-- groups a shard of the orders into the co-located shard of members); the touched members' (ids of a temporary
-- table), grouped in the tasks and sent between the workers, not pulled to the coordinator
INSERT INTO checks (name, ok, detail)
SELECT 'EXPLAIN: the rebuild of every state runs whole on the workers (INSERT into the shards of members, purchases_agg in each task)',
       p ~ 'Task Count: 32' AND p ~ 'Insert on rfm_cd\.members_\d+' AND p ~ 'GroupAggregate' AND p ~ 'rfm\.purchases_agg'
         AND p !~ 'pull to coordinator',
       left(regexp_replace(p, '\s+', ' ', 'g'), 400)
  FROM plan_of($q$INSERT INTO rfm_cd.members (member_id, purchases)
                  SELECT o.member_id, rfm.purchases_agg(o.t, o.a) AS purchases
                    FROM (SELECT o.member_id AS member_id, o.ordered_at AS t, o.amount AS a FROM orders_dist o
                           WHERE o.member_id IS NOT NULL ORDER BY 1, 2, 3) o
                   GROUP BY 1 HAVING rfm.purchases_agg(o.t, o.a) IS NOT NULL$q$) p;
BEGIN;
CREATE TEMP TABLE _rfm_touched AS SELECT DISTINCT member_id FROM orders_plain WHERE member_id % 100 = 0;
INSERT INTO checks (name, ok, detail)
SELECT 'EXPLAIN: the rebuild of the touched members'' states groups their orders on the workers and sends the states between them (repartition)',
       p ~ 'Task Count: 32' AND p ~ 'INSERT/SELECT method: repartition' AND p ~ 'GroupAggregate' AND p ~ 'rfm\.purchases_agg'
         AND p ~ 'read_intermediate_result',
       left(regexp_replace(p, '\s+', ' ', 'g'), 400)
  FROM plan_of($q$INSERT INTO rfm_cd.members (member_id, purchases)
                  SELECT o.member_id, rfm.purchases_agg(o.t, o.a) AS purchases
                    FROM (SELECT o.member_id AS member_id, o.ordered_at AS t, o.amount AS a FROM orders_dist o
                           WHERE o.member_id IN (SELECT member_id FROM _rfm_touched) ORDER BY 1, 2, 3) o
                   GROUP BY 1 HAVING rfm.purchases_agg(o.t, o.a) IS NOT NULL$q$) p;
-- a refresh's planner settings (rfm._plan, which sets them with SET LOCAL sent to the workers) plan the tasks too,
-- and are given back there
CREATE TEMP TABLE touched_plans (k int, p text);
INSERT INTO touched_plans SELECT 1, plan_of('SELECT o.member_id FROM orders_dist o WHERE o.member_id IN (SELECT member_id FROM _rfm_touched)');
CREATE TEMP TABLE replaced AS SELECT rfm._plan('{"enable_hashjoin": "off", "enable_mergejoin": "off"}') AS r;
INSERT INTO touched_plans SELECT 2, plan_of('SELECT o.member_id FROM orders_dist o WHERE o.member_id IN (SELECT member_id FROM _rfm_touched)');
SELECT rfm._plan(r) IS NOT NULL FROM replaced;
INSERT INTO touched_plans SELECT 3, plan_of('SELECT o.member_id FROM orders_dist o WHERE o.member_id IN (SELECT member_id FROM _rfm_touched)');
INSERT INTO checks (name, ok, detail)
SELECT 'a refresh''s planner settings reach the workers'' plans (hash join in the tasks, none with rfm._plan''s settings, again after they are given back)',
       bool_and(CASE k WHEN 2 THEN p !~ 'Hash (Semi )?Join' ELSE p ~ 'Hash (Semi )?Join' END) AND count(*) = 3
         AND current_setting('enable_hashjoin') = 'on' AND current_setting('citus.propagate_set_commands') = 'none',
       string_agg(k || ': ' || substring(p FROM '(Hash (Semi )?Join|Nested Loop[^\n]*|Merge[^\n]*)'), '; ' ORDER BY k)
  FROM touched_plans;
DROP TABLE _rfm_touched, touched_plans, replaced;
COMMIT;
-- a refresh's joins of its candidates and of the rows it writes with the model's tables, as it runs them
-- (src/model/refresh_candidates.sql, refresh_write.sql): through the work tables, shard by shard on the workers,
-- nothing sent from the coordinator to every shard
INSERT INTO checks (name, ok, detail)
SELECT 'EXPLAIN: the candidates'' states and old rows read, history closed and label_state written shard by shard (work tables co-located)',
       bool_and(p ~ 'Task Count: 32' AND p !~ 'read_intermediate_result' AND p !~ 'Distributed Subplan'
                AND p ~ (' on rfm_cd\.' || t || '_\d+') AND p ~ 'rfm_cd\.work_\w+_\d+') AND count(*) = 4,
       string_agg(t || ': ' || left(regexp_replace(p, '\s+', ' ', 'g'), 160), ' | ')
  FROM (VALUES ('members', plan_of($q$SELECT member_id, rfm.last_purchase(purchases, DATE '1998-06-30') FROM rfm_cd.members
                                      WHERE purchases IS NOT NULL AND member_id IN (SELECT member_id FROM rfm_cd.work_candidates)$q$)),
               ('label_state', plan_of($q$SELECT l.* FROM rfm_cd.label_state l LEFT JOIN rfm_cd.work_candidates c ON c.member_id = l.member_id
                                          WHERE l.last_day IS NOT NULL AND l.frequency > 3 AND c.member_id IS NULL$q$)),
               ('label_history', plan_of($q$UPDATE rfm_cd.label_history h SET valid_to = DATE '1998-07-31' FROM rfm_cd.work_changed c
                                            WHERE c.changed AND c.was AND c.o_since < DATE '1998-07-31' AND h.member_id = c.member_id
                                              AND h.valid_from = c.o_since$q$)),
               ('label_state', plan_of($q$UPDATE rfm_cd.label_state o SET r_score = n.r_score, since = coalesce(n.reopen, o.since)
                                          FROM rfm_cd.work_changed n WHERE n.had_row AND n.has_state AND o.member_id = n.member_id$q$))) x(t, p);
-- with a refresh's index joins (hash and merge joins off, rfm._plan, also in the tasks) a member is looked up by
-- key: not a scan of a work table's shard for every row of the other side (the same-day reopen reads the changed
-- rows once and looks each of them up in label_history, the correlated lookup of one node, pushed down)
BEGIN;
CREATE TEMP TABLE replaced_plan AS SELECT rfm._plan('{"enable_hashjoin": "off", "enable_mergejoin": "off"}') AS r;
CREATE TEMP TABLE index_plans AS
SELECT t, plan_of(q) AS p, key, scans
  FROM (VALUES ('the spend reset', 'work_candidates_pkey', 0,
                $q$UPDATE rfm_cd.label_state l SET since_prev = 0 WHERE l.since_prev <> 0
                     AND NOT EXISTS (SELECT 1 FROM rfm_cd.work_candidates c WHERE c.member_id = l.member_id)$q$),
               ('the same-day reopen', 'label_history_pkey', 1,
                $q$UPDATE rfm_cd.work_changed c SET reopen =
                     (SELECT h.valid_from FROM rfm_cd.label_history h
                       WHERE h.member_id = c.member_id AND h.valid_to = DATE '1998-06-30' AND h.segment IS NOT DISTINCT FROM c.segment
                       ORDER BY h.valid_from DESC LIMIT 1)
                    WHERE c.changed AND c.is_now$q$)) x(t, key, scans, q);
SELECT rfm._plan(r) IS NOT NULL FROM replaced_plan;
COMMIT;
INSERT INTO checks (name, ok, detail)
SELECT 'EXPLAIN: with a refresh''s index joins the work tables are read once, their members looked up by key in the tasks',
       bool_and(p ~ ('(Index (Only )?Scan using|Bitmap Index Scan on) ' || key) AND regexp_count(p, 'Seq Scan on rfm_cd\.work_') <= scans
                AND p ~ 'Task Count: 32' AND p !~ 'read_intermediate_result')
         AND count(*) = 2,
       string_agg(t || ': ' || (SELECT string_agg(btrim(l), '; ') FROM regexp_split_to_table(p, '\n') l
                                 WHERE l ~ 'Scan|Loop|Join'), ' | ')
  FROM index_plans;
DROP TABLE replaced_plan, index_plans;
-- rfm.breaks over the model's distributed members table: split, the partial states on the workers
INSERT INTO checks (name, ok, detail)
SELECT 'EXPLAIN: rfm.breaks over the model''s members (distributed) split, partial aggregates on the workers',
       p ~ 'worker_(binary_)?partial_agg' AND p ~ 'coord_(binary_)?combine_agg' AND p ~ 'rfm_cd\.members_\d+',
       left(regexp_replace(p, '\s+', ' ', 'g'), 400)
  FROM plan_of($q$SELECT rfm.breaks(rfm.monetary(purchases, DATE '1998-06-30'), 5) FROM rfm_cd.members$q$) p;
INSERT INTO checks (name, ok, detail)
SELECT 'rfm.breaks of recency, frequency and monetary over the members equal one node', d = p, d || ' / ' || p
  FROM (SELECT concat_ws(' ', rfm.breaks((DATE '1998-06-30' - rfm.last_purchase(purchases, DATE '1998-06-30'))::float8, 5),
                         rfm.breaks(rfm.frequency(purchases, DATE '1998-06-30')::float8, 5),
                         rfm.breaks(rfm.monetary(purchases, DATE '1998-06-30'), 5)) AS d FROM rfm_cd.members) d,
       (SELECT concat_ws(' ', rfm.breaks((DATE '1998-06-30' - rfm.last_purchase(purchases, DATE '1998-06-30'))::float8, 5),
                         rfm.breaks(rfm.frequency(purchases, DATE '1998-06-30')::float8, 5),
                         rfm.breaks(rfm.monetary(purchases, DATE '1998-06-30'), 5)) AS p FROM rfm_cp.members) p;

-- the candidates and the rows written went through the work tables distributed with label_state: empty after
-- the refreshes (the labels and history equal to one node's, above, are what they wrote)
INSERT INTO checks (name, ok, detail)
SELECT 'the work tables are empty between refreshes', c + w = 0, c || ' candidates, ' || w || ' changed rows'
  FROM (SELECT count(*) AS c FROM rfm_cd.work_candidates) c, (SELECT count(*) AS w FROM rfm_cd.work_changed) w;
-- and the refreshes wrote them (rows inserted into and deleted from their shards, on the workers: the statistics
-- the workers' sessions report once idle, within seconds; read until they are there, for up to 30 s)
CREATE TEMP TABLE work_stats (t text, ins bigint, del bigint);
DO $$
BEGIN
  FOR i IN 1 .. 60 LOOP
    TRUNCATE work_stats;
    INSERT INTO work_stats
    SELECT t, sum(split_part(result, ' ', 1)::bigint), sum(split_part(result, ' ', 2)::bigint)
      FROM unnest(ARRAY['rfm_cd.work_candidates', 'rfm_cd.work_changed']) t,
           run_command_on_shards(t, $q$SELECT n_tup_ins || ' ' || n_tup_del FROM pg_stat_user_tables WHERE relid = '%s'::regclass$q$)
     GROUP BY t;
    EXIT WHEN (SELECT bool_and(ins > 0 AND ins = del) FROM work_stats);
    PERFORM pg_sleep(0.5);
  END LOOP;
END $$;
INSERT INTO checks (name, ok, detail)
SELECT 'the refreshes filled and emptied the work tables on the workers',
       bool_and(ins > 0 AND ins = del) AND count(*) = 2, string_agg(t || ': ' || ins || ' in, ' || del || ' out', '; ')
  FROM work_stats;

-- a second refresh on the day of the last one, after more changes, replaces it (its history rows deleted, earlier
-- rows reopened: on Citus each task looks up its shard of work_changed in label_history): equal to one node
SELECT apply_changes('orders_dist', 19, DATE '1998-06-30');
SELECT apply_changes('orders_plain', 19, DATE '1998-06-30');
-- a refresh that fails late (here at its record in refreshes, after the work tables were filled and the history
-- and label_state written on the workers) leaves nothing behind: the work tables empty, the queued members still
-- queued, and the next refresh (below) equal to one node
CREATE TEMP TABLE queued_before AS SELECT count(*) AS n FROM rfm.cq_cd;
CREATE FUNCTION fail_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'refresh failed on purpose';
END $$;
CREATE TRIGGER fail_refresh BEFORE INSERT ON rfm_cd.refreshes FOR EACH ROW EXECUTE FUNCTION fail_refresh();
CREATE TEMP TABLE failed_refresh (message text);
DO $$
BEGIN
  PERFORM rfm.refresh('cd', DATE '1998-06-30');
EXCEPTION WHEN raise_exception THEN
  INSERT INTO failed_refresh VALUES (SQLERRM);
END $$;
DROP TRIGGER fail_refresh ON rfm_cd.refreshes;
INSERT INTO checks (name, ok, detail)
SELECT 'a refresh that fails late leaves the work tables empty and the touched members queued',
       f.message = 'refresh failed on purpose' AND c + w = 0 AND q.n = b.n AND b.n > 0,
       coalesce(f.message, 'no error') || '; ' || c || ' candidates, ' || w || ' changed rows; queued ' || q.n || ' of ' || b.n
  FROM (SELECT max(message) AS message FROM failed_refresh) f, (SELECT count(*) AS c FROM rfm_cd.work_candidates) c,
       (SELECT count(*) AS w FROM rfm_cd.work_changed) w, (SELECT count(*) AS n FROM rfm.cq_cd) q, queued_before b;
SELECT changed > 0 AS relabelled FROM rfm.refresh('cd', DATE '1998-06-30');
SELECT changed > 0 AS relabelled FROM rfm.refresh('cp', DATE '1998-06-30');
INSERT INTO checks (name, ok, detail)
SELECT 'a second refresh on the same day (replacing the last one) equal one node (labels, history)', l = 0 AND h = 0 AND r = 1,
       l || ' labels, ' || h || ' history rows differ; refreshes on the day: ' || r
  FROM (SELECT count(*) AS l FROM ((TABLE rfm_cd.labels EXCEPT ALL TABLE rfm_cp.labels) UNION ALL
                                   (TABLE rfm_cp.labels EXCEPT ALL TABLE rfm_cd.labels)) x) l,
       (SELECT count(*) AS h FROM ((TABLE rfm_cd.label_history EXCEPT ALL TABLE rfm_cp.label_history) UNION ALL
                                   (TABLE rfm_cp.label_history EXCEPT ALL TABLE rfm_cd.label_history)) x) h,
       (SELECT count(*) AS r FROM rfm_cd.refreshes WHERE as_of = DATE '1998-06-30') r;

INSERT INTO checks (name, ok, detail)
SELECT 'rfm.migration equal over a year', count(*) = 0, count(*) || ' rows differ: ' || left(string_agg(x::text, ' '), 400)
  FROM ((SELECT * FROM rfm.migration('cd', '1997-06-30', '1998-06-30', 'napl')
         EXCEPT ALL SELECT * FROM rfm.migration('cp', '1997-06-30', '1998-06-30', 'napl'))
        UNION ALL
        (SELECT * FROM rfm.migration('cp', '1997-06-30', '1998-06-30', 'napl')
         EXCEPT ALL SELECT * FROM rfm.migration('cd', '1997-06-30', '1998-06-30', 'napl'))) x;

-- writes by a role that owns nothing of the model: queued by rfm's trigger on the shards
CREATE ROLE rfm_citus_app LOGIN;
GRANT SELECT, INSERT, UPDATE, DELETE ON orders_dist TO rfm_citus_app;
SET ROLE rfm_citus_app;
INSERT INTO orders_dist VALUES (900001, '1998-07-01', 12.5), (900002, '1998-07-01', 7);
DELETE FROM orders_dist WHERE member_id = 1;
RESET ROLE;
INSERT INTO checks (name, ok, detail)
SELECT 'writes of another role queued (two inserts, a delete)',
       array_agg(member_id ORDER BY member_id) = '{1,900001,900002}', array_agg(member_id ORDER BY member_id)::text
  FROM rfm.cq_cd;
-- a shard moved to the other worker keeps its capture trigger (Citus copies the shard's triggers)
SELECT citus_move_shard_placement(s.shardid, p.nodename, p.nodeport,
                                  (SELECT nodename FROM pg_dist_node WHERE nodeport <> p.nodeport AND noderole = 'primary' AND shouldhaveshards LIMIT 1),
                                  (SELECT nodeport FROM pg_dist_node WHERE nodeport <> p.nodeport AND noderole = 'primary' AND shouldhaveshards LIMIT 1),
                                  shard_transfer_mode => 'block_writes')
  FROM pg_dist_shard s JOIN pg_dist_shard_placement p USING (shardid)
 WHERE s.logicalrelid = 'orders_dist'::regclass AND s.shardid = get_shard_id_for_distribution_column('orders_dist', 900003);
INSERT INTO orders_dist VALUES (900003, '1998-07-02', 3);
SELECT count(*) AS queued FROM rfm.cq_cd WHERE member_id = 900003 \gset
INSERT INTO checks (name, ok, detail)
SELECT 'a write to a moved shard queued', :queued = 1, 'shard on ' || string_agg(nodeport::text, ',') || ', queued ' || :queued
  FROM pg_dist_shard_placement WHERE shardid = get_shard_id_for_distribution_column('orders_dist', 900003);
SELECT rebuilt FROM rfm.refresh('cd', '1998-07-31');
INSERT INTO checks (name, ok, detail)
SELECT 'the next refresh rebuilt those members and emptied the queue',
       (SELECT count(*) FROM rfm.cq_cd) = 0
       AND (SELECT count(*) FROM rfm_cd.members WHERE member_id IN (900001, 900002, 900003)) = 3,
       (SELECT count(*) FROM rfm.cq_cd) || ' queued';
TRUNCATE orders_dist;
INSERT INTO checks (name, ok, detail)
SELECT 'TRUNCATE of the distributed source marks the model for a full rebuild', needs_full, needs_full::text
  FROM rfm.model WHERE name = 'cd';
DO $$
BEGIN
  PERFORM rfm.alter_member_type('cd');
  INSERT INTO checks (name, ok, detail) VALUES ('rfm.alter_member_type refuses a model on a distributed source', false, 'no error');
EXCEPTION WHEN feature_not_supported THEN
  INSERT INTO checks (name, ok, detail) VALUES ('rfm.alter_member_type refuses a model on a distributed source', true, SQLERRM);
END $$;

SELECT rfm.drop_model('cd');
SELECT rfm.drop_model('cp');
-- (Citus copies a table's TRUNCATE trigger to a shard it moves, but drops TRUNCATE triggers on the coordinator's
-- table only: the moved shard keeps rfm_cd_trunc, which does nothing there; docs/scale-out.md)
INSERT INTO checks (name, ok, detail)
SELECT 'drop_model of a model on a distributed table (its schema, queue and triggers, the shards'' too)',
       NOT EXISTS (SELECT FROM rfm.model) AND to_regnamespace('rfm_cd') IS NULL AND to_regclass('rfm.cq_cd') IS NULL
       AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'orders_dist'::regclass AND tgname LIKE 'rfm%')
       AND (SELECT bool_and(success AND result = '0')
              FROM run_command_on_shards('orders_dist', $$SELECT count(*) FROM pg_trigger WHERE tgrelid = '%s'::regclass AND tgname LIKE 'rfm%%' AND tgtype & 32 = 0$$)),
       (SELECT string_agg(shardid || ':' || result, ', ')
          FROM run_command_on_shards('orders_dist', $$SELECT string_agg(tgname, ' ') FROM pg_trigger WHERE tgrelid = '%s'::regclass AND tgname LIKE 'rfm%%'$$)
         WHERE NOT success OR result <> '');
TRUNCATE orders_dist;
INSERT INTO checks (name, ok, detail) VALUES ('TRUNCATE after drop_model (a moved shard''s leftover TRUNCATE trigger does nothing)', true, '');

SELECT 'citus ' || name || ': ' || CASE WHEN ok THEN 'passed' ELSE 'FAILED (' || coalesce(detail, 'NULL') || ')' END
  FROM checks ORDER BY n;
