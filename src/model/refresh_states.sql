/*
 * src/model/refresh_states.sql
 * rfm.refresh: member states.
 */

-- Phase 1 of rfm.refresh: the member states (rfm.purchases, and rfm.intent with events), all of them rebuilt from
-- the source or those of the members touched since the last refresh; sets ctx.rebuilt.
CREATE FUNCTION rfm._refresh_states(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  purchases_sql text;
  replaced jsonb;
BEGIN
  -- 1. member states: all of them, or only the members touched since the last refresh
  IF ctx.rebuild_all AND ctx.relabel_some THEN
    PERFORM rfm._progress(ctx.name, 'rebuilding every member state from ' || (ctx.m).source::text || ' to find those that changed');
    PERFORM rfm._empty_queue(ctx);
  ELSIF ctx.rebuild_all THEN
    PERFORM rfm._progress(ctx.name, 'rebuilding every member state from ' || (ctx.m).source::text);
    PERFORM rfm._empty_queue(ctx);
    -- loaded without its primary key, which is built afterwards (cheaper than keeping it, sorted or not)
    EXECUTE format('TRUNCATE %I.members', ctx.s);
    EXECUTE format('ALTER TABLE %I.members DROP CONSTRAINT members_pkey', ctx.s);
  ELSE
    -- the members queued by the capture (the queue rows this transaction sees: a write committed later
    -- stays queued for the next refresh), as ids of the model's type; on Citus, from the model's distributed queue
    EXECUTE format('CREATE TEMP TABLE _rfm_touched ON COMMIT DROP AS
                      WITH d AS (DELETE FROM %s RETURNING member_id)
                      SELECT DISTINCT member_id::%s AS member_id FROM d',
                   coalesce(rfm._queue_of(ctx.name)::text, 'rfm.change_queue WHERE model = $1'),
                   ctx.member_type) USING ctx.name;
    GET DIAGNOSTICS ctx.rebuilt = ROW_COUNT;
    PERFORM rfm._progress(ctx.name, format('rebuilding %s touched member states', ctx.rebuilt));
    EXECUTE format('DELETE FROM %I.members WHERE member_id IN (SELECT member_id FROM _rfm_touched)', ctx.s);
  END IF;
  -- their purchases, and with events their browsing: members are then the buyers and the browsers. The orders
  -- are fed to the aggregate by member, time and amount: a day's spend is a sum of doubles, which depends on
  -- the order of its terms in the last bit, and this order is the same whatever the plan, so a member's state
  -- is the same whichever refresh rebuilt it (incremental equals full to the bit).
  -- (on Citus the aggregate runs on the workers, whose sessions have their own TimeZone: the days of a timestamptz
  -- source are then taken in this session's zone, written into the query, rfm._local_day)
  purchases_sql := format('SELECT o.member_id, rfm.purchases_agg(o.t, o.a) AS purchases
                             FROM (SELECT o.%1$I AS member_id, %2$s AS t, %3$s AS a FROM %4$s o
                                    WHERE o.%1$I %5$s ORDER BY 1, 2, 3) o
                            GROUP BY 1 HAVING rfm.purchases_agg(o.t, o.a) IS NOT NULL',
                          (ctx.m).member_column,
                          CASE WHEN rfm._distributed((ctx.m).source) THEN rfm._local_day((ctx.m).source, (ctx.m).time_column)
                               ELSE format('o.%I', (ctx.m).time_column) END,
                          ctx.amount_expr, (ctx.m).source,
                          CASE WHEN ctx.rebuild_all THEN 'IS NOT NULL' ELSE 'IN (SELECT member_id FROM _rfm_touched)' END);
  IF ctx.rebuild_all THEN
    -- every member: all the orders read in a row and sorted (an index on the member column, feeding an
    -- incremental sort, would read them in random order), then grouped as they come (a hash table of every
    -- member's aggregate state costs more than the grouping it saves): the states come in member order, and
    -- are merged with the states kept by their key (hashing all the new states instead, as the planner
    -- would, is slower), or written so for the comparison in 6 (the source is a table, so that join is the
    -- statement's only one). Measured in docs/bench-models.md ("Why the refresh is planned as it is").
    replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN '{"enable_hashjoin": "off"}' ELSE '{}' END::jsonb
                          || '{"enable_incremental_sort": "off"}');
  END IF;
  IF ctx.rebuild_all AND ctx.relabel_some THEN
    -- the states that differ from those kept (a new state, a changed one, or NULL: the member is gone)
    EXECUTE format('CREATE TEMP TABLE _rfm_touched ON COMMIT DROP AS
                      SELECT coalesce(n.member_id, o.member_id) AS member_id, n.purchases
                        FROM (%1$s) n FULL JOIN %2$I.members o ON o.member_id = n.member_id
                       WHERE n.member_id IS NULL OR o.member_id IS NULL
                          OR n.purchases OPERATOR(rfm.<>) o.purchases', purchases_sql, ctx.s);
    PERFORM rfm._plan(replaced);
    EXECUTE format('DELETE FROM %1$I.members WHERE member_id IN (SELECT member_id FROM _rfm_touched);
                    INSERT INTO %1$I.members (member_id, purchases)
                    SELECT member_id, purchases FROM _rfm_touched WHERE purchases IS NOT NULL ORDER BY 1', ctx.s);
    EXECUTE format('SELECT count(*) FROM %I.members', ctx.s) INTO ctx.rebuilt;
  -- (the touched members' states in member order, for the index of members; on Citus, where members is distributed
  -- with the source, without: every state is then written on the node of its orders, from the workers, whole
  -- (pushed down) when all are rebuilt, else sent between the workers (repartitioned), not through the coordinator)
  ELSIF ctx.ev_relation IS NULL THEN
    EXECUTE format('INSERT INTO %I.members (member_id, purchases) %s %s', ctx.s, purchases_sql,
                   CASE WHEN NOT ctx.rebuild_all AND NOT ctx.colocated THEN 'ORDER BY 1' END);
  ELSE
    EXECUTE format('INSERT INTO %I.members (member_id, purchases, intent)
                     SELECT coalesce(p.member_id, i.member_id), p.purchases, i.intent
                       FROM (%s) p FULL JOIN (%s) i ON i.member_id = p.member_id %s',
                   ctx.s, purchases_sql, ctx.events_sql, CASE WHEN NOT ctx.rebuild_all AND NOT ctx.colocated THEN 'ORDER BY 1' END);
  END IF;
  IF ctx.rebuild_all AND NOT ctx.relabel_some THEN
    GET DIAGNOSTICS ctx.rebuilt = ROW_COUNT;
    PERFORM rfm._plan(replaced);
    EXECUTE format('ALTER TABLE %I.members ADD CONSTRAINT members_pkey PRIMARY KEY (member_id)', ctx.s);
    UPDATE rfm.model SET needs_full = false WHERE rfm.model.name = ctx.name;
  END IF;
END $$;
-- The day of the time column of relation o (alias o) in this session's TimeZone, as an expression that any node
-- evaluates alike: a date, a timestamp's date, a timestamptz's date at the zone written into it (the SQL cast
-- and rfm.purchases_agg take the days of a timestamptz in the TimeZone of the session that runs them, which on a
-- Citus worker is not the one that asked).
CREATE FUNCTION rfm._local_day(relation regclass, time_column name) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE atttypid WHEN 'timestamptz'::regtype THEN format('(o.%I AT TIME ZONE %L)::date', time_column, current_setting('TimeZone'))
                       WHEN 'timestamp'::regtype THEN format('o.%I::date', time_column)
                       ELSE format('o.%I', time_column) END
    FROM pg_attribute WHERE attrelid = relation AND attname = time_column
$$;
COMMENT ON FUNCTION rfm._local_day(regclass, name) IS
  'Internal: the day of a model''s time column as an expression with this session''s TimeZone written in (what a Citus worker computes alike)';

-- A time column of relation (alias a) as timestamptz, the expression any node evaluates alike: on a Citus
-- distributed relation a date or timestamp is taken at this session's TimeZone written into it (a cast would take
-- the worker session's), elsewhere the cast.
CREATE FUNCTION rfm._at_zone(relation regclass, time_column name, a text) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN atttypid <> 'timestamptz'::regtype AND rfm._distributed(relation)
              THEN format('(%s.%I::timestamp AT TIME ZONE %L)', a, time_column, current_setting('TimeZone'))
              ELSE format('%s.%I::timestamptz', a, time_column) END
    FROM pg_attribute WHERE attrelid = relation AND attname = time_column
$$;
COMMENT ON FUNCTION rfm._at_zone(regclass, name, text) IS
  'Internal: a time column as timestamptz with this session''s TimeZone written in on a Citus distributed relation (what a worker computes alike)';

-- The model's queued changes dropped (every state is rebuilt): rfm.change_queue's rows, and on Citus the
-- model's distributed queue.
CREATE FUNCTION rfm._empty_queue(ctx rfm._refresh) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM rfm.change_queue WHERE model = ctx.name;
  IF rfm._queue_of(ctx.name) IS NOT NULL THEN
    EXECUTE format('DELETE FROM %s', rfm._queue_of(ctx.name));
  END IF;
END $$;
COMMENT ON FUNCTION rfm._empty_queue(rfm._refresh) IS 'Internal: drop a model''s queued changes before every state is rebuilt';

COMMENT ON FUNCTION rfm._refresh_states(rfm._refresh) IS
  'Internal: phase of rfm.refresh that rebuilds the member states, every one or the touched members';
