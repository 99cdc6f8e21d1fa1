/*
 * src/model/refresh.sql
 * rfm.refresh: the driver and its first phase.
 */

-- rfm.refresh: a driver over the phases of src/model/refresh_*.sql, which pass one context record
-- (rfm._refresh: the model, its settings, the mode and what each phase found) from one to the next. The
-- phases talk through temporary tables too (_rfm_touched, _rfm_cand, _rfm_base, _rfm_old, _rfm_changed ...),
-- created and dropped within the refresh (on Citus also through the model's work tables: rfm._work).
CREATE FUNCTION rfm.refresh(name text, as_of date DEFAULT current_date, "full" boolean DEFAULT false,
                            OUT members bigint, OUT rebuilt bigint, OUT changed bigint, OUT elapsed interval)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3 AS $$
DECLARE
  ctx rfm._refresh;
BEGIN
  ctx := rfm._refresh_prepare(name, as_of, "full");
  -- the mode: every state rebuilt, or the touched ones; everyone relabelled, or only some members
  ctx.rebuild_all := ctx.full_requested OR (ctx.m).needs_full;
  -- The labels of a member without new orders change only when a cut point, a reference or a day they depend
  -- on passes its values. Then a refresh relabels only the touched members, those whose next dated order or
  -- NES stage has come, and those that a moved threshold may have crossed; the others keep their row of
  -- label_state. Everyone is relabelled on a model's first refresh, after its source was truncated, when the
  -- options or the segment map changed, and when labels move for everyone with time or rank: a window, ntile
  -- scores, tiers (reviews), DCIU (decaying intent), lifetime value. A full refresh of a model whose labels
  -- can be kept so rebuilds every state from the source, and the members whose state differs from the one
  -- kept (new, changed or gone) are the touched ones: whatever the change capture saw or missed, the labels
  -- are those an incremental refresh after the same changes gives (the same as relabelling everyone).
  ctx.relabel_some := NOT (ctx.m).needs_full AND ctx.last_ref_refresh_id IS NOT NULL AND ctx.last_ref_params = ctx.params AND ctx.win IS NULL
          AND ctx.scoring <> 'ntile' AND ctx.tier_policy IS NULL AND ctx.ev_relation IS NULL AND NOT ctx.clv_on
          AND (ctx.scoring = 'fixed' OR num_nulls(ctx.last_ref_rb, ctx.last_ref_fb, ctx.last_ref_mb) = 0);
  ctx := rfm._refresh_states(ctx);         -- 1. member states
  ctx := rfm._refresh_candidates(ctx);     -- 2. the members to label and their facts
  ctx := rfm._refresh_cutpoints(ctx);      -- 3, 4. hist, references, cut points
  ctx := rfm._refresh_crossed(ctx);        -- 5. members a moved threshold may have crossed
  ctx := rfm._refresh_clv(ctx);            --    lifetime value (option clv)
  ctx := rfm._refresh_dciu(ctx);           --    DCIU cuts and lift (option events)
  ctx := rfm._refresh_labels(ctx);         -- 6. labels, the rows that differ
  ctx := rfm._refresh_flow(ctx);           -- 7. flow
  ctx := rfm._refresh_history(ctx);        -- 8. label_history
  ctx := rfm._refresh_label_state(ctx);    -- 9. label_totals, label_state
  ctx := rfm._refresh_record(ctx);         -- 10. the refresh, KPIs, cut points, transitions
  ctx := rfm._refresh_bi(ctx);             -- 11. tier watch list, prospects
  members := ctx.members;
  rebuilt := ctx.rebuilt;
  changed := ctx.changed;
  elapsed := clock_timestamp() - ctx.started;
END $$;
COMMENT ON FUNCTION rfm.refresh(text, date, boolean) IS
  'Refresh a model as of a day: rebuild the touched members'' states (all with full, the members whose state differs then counting as touched), relabel the members whose labels can have changed (everyone when labels move with time or rank), record label changes, cut points, KPIs and totals (which the BI views read); one transaction';

-- Phase 0 of rfm.refresh: the checks, the lock, the model (its layout brought up to date), its source and
-- options, the last refreshes: a new context.
CREATE FUNCTION rfm._refresh_prepare(model_name text, as_of_day date, rebuild boolean) RETURNS rfm._refresh
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ctx rfm._refresh;
  k record;
BEGIN
  ctx.name := model_name;
  ctx.as_of := as_of_day;
  ctx.full_requested := rebuild;
  ctx.s := 'rfm_' || model_name;
  ctx.started := clock_timestamp();
  -- joins of a few members with a big table (label_state, members, label_history) by its indexes: the planner
  -- would rather scan the big table and hash the few (its default random_page_cost assumes uncached pages),
  -- which costs a pass over all members
  ctx.index_joins := '{"enable_hashjoin": "off", "enable_mergejoin": "off"}';
  IF ctx.as_of IS NULL OR NOT isfinite(ctx.as_of) THEN
    RAISE EXCEPTION 'as_of must be a finite date, not %', coalesce(ctx.as_of::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Refresh as of a day, e.g. current_date.';
  END IF;
  ctx.m := rfm._model(ctx.name);
  -- a model's work runs with its owner's rights only
  PERFORM rfm._check_owner(ctx.m, 'refresh');
  -- one refresh of a model at a time (a second one waits for the first to commit): its row of the catalog,
  -- which only its owner may lock
  PERFORM FROM rfm.model WHERE rfm.model.name = ctx.name FOR NO KEY UPDATE;
  ctx.m := rfm._model(ctx.name);
  -- a model on a Citus distributed source or events relation without its distributed change queue (its capture
  -- could not be made): every state is rebuilt, and compared with the one kept, as by a full refresh
  ctx.full_requested := ctx.full_requested
    OR ((rfm._distributed((ctx.m).source) OR rfm._distributed(to_regclass((ctx.m).options -> 'events' ->> 'relation')))
        AND rfm._queue_of(ctx.name) IS NULL);
  IF (ctx.m).layout < 4 THEN
    PERFORM rfm._progress(ctx.name, 'upgrading the model''s schema to the layout of rfm 1.7');
    PERFORM rfm._upgrade_model(ctx.m);
    ctx.m := rfm._model(ctx.name);
  END IF;
  -- members, label_state and label_history distributed with the source on Citus (rfm._distribute_model)
  ctx.colocated := rfm._distributed(format('%I.members', ctx.s)::regclass);

  -- the source must still be there, with its columns, and be what a model may read: checked under a lock
  -- that keeps its definition until the refresh commits (rfm._check_relation: types, children, and no row
  -- security applying to the owner, so that no policy's function runs with the owner's rights; ALTER TABLE
  -- and CREATE POLICY wait for the lock)
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = (ctx.m).source) THEN
    RAISE EXCEPTION 'the source table of model "%" was dropped', ctx.name
      USING ERRCODE = 'undefined_table',
            HINT = 'Drop the model with rfm.drop_model and create it again on the new table; its labels and history are unchanged.';
  END IF;
  FOR k IN SELECT * FROM unnest(ARRAY[(ctx.m).member_column, (ctx.m).time_column, (ctx.m).amount_column]) c(col) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = (ctx.m).source AND attname = k.col AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" of %, the source of model "%", no longer exists', k.col, (ctx.m).source, ctx.name
        USING ERRCODE = 'undefined_column',
              HINT = 'Rename the column back, or drop the model and create it again with the new column names; its labels and history are unchanged.';
    END IF;
  END LOOP;
  IF has_table_privilege((ctx.m).source, 'SELECT') THEN
    EXECUTE format('LOCK TABLE %s IN ACCESS SHARE MODE', (ctx.m).source);
  END IF;
  PERFORM rfm._check_relation((ctx.m).source, ARRAY[(ctx.m).member_column, (ctx.m).time_column, (ctx.m).amount_column],
                              ARRAY['member', 'time', 'amount'], 'source');
  SELECT format_type(atttypid, atttypmod) INTO ctx.member_type FROM pg_attribute
   WHERE attrelid = format('%I.members', ctx.s)::regclass AND attname = 'member_id';
  PERFORM rfm._check_member_type(ctx, (ctx.m).source, (ctx.m).member_column);
  ctx.amount_expr := CASE WHEN (SELECT atttypid FROM pg_attribute WHERE attrelid = (ctx.m).source AND attname = (ctx.m).amount_column) = 'money'::regtype
                      THEN format('o.%I::numeric', (ctx.m).amount_column) ELSE format('o.%I', (ctx.m).amount_column) END;

  EXECUTE format('SELECT max(as_of) FROM %I.refreshes', ctx.s) INTO ctx.last_as_of;
  IF ctx.as_of < ctx.last_as_of THEN
    RAISE EXCEPTION 'as_of % is before the last refresh of model "%" (%)', ctx.as_of, ctx.name, ctx.last_as_of
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Refreshes move forward in time; past labels are in label_history (see rfm.migration).';
  END IF;
  -- the refresh this one is compared with (flow, KPIs): the last one before as_of
  EXECUTE format('SELECT max(as_of) FROM %I.refreshes WHERE as_of < $1', ctx.s) INTO ctx.prev_as_of USING ctx.as_of;
  ctx.since_prev := make_interval(days => ctx.as_of - ctx.prev_as_of);

  ctx.win := (rfm._option(ctx.m, 'window') #>> '{}')::interval;
  ctx.bins := (rfm._option(ctx.m, 'bins') #>> '{}')::int;
  ctx.scoring := rfm._option(ctx.m, 'scoring') #>> '{}';
  ctx.seg_map := rfm._option(ctx.m, 'segment_map') #>> '{}';
  ctx.vref := rfm._option(ctx.m, 'value_reference');
  ctx.napl_w := (rfm._option(ctx.m, 'napl_window') #>> '{}')::interval;
  ctx.nes_mult := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'nes_multipliers'))::float8);
  ctx.nes_cycle := rfm._option(ctx.m, 'nes_cycle') #>> '{}';
  ctx.fallback := (rfm._option(ctx.m, 'nes_fallback') #>> '{}')::float8;
  ctx.tier_policy := rfm._option(ctx.m, 'tier_policy') #>> '{}';
  ctx.clv_on := (rfm._option(ctx.m, 'clv') #>> '{}')::boolean;
  ctx.clv_pnbd := rfm._option(ctx.m, 'clv_model') #>> '{}' = 'pnbd';
  ctx.clv_unit := (rfm._option(ctx.m, 'clv_unit_days') #>> '{}')::float8;
  ctx.clv_h := (rfm._option(ctx.m, 'clv_horizon') #>> '{}')::float8;
  ctx.clv_d := (rfm._option(ctx.m, 'clv_discount_rate') #>> '{}')::float8;
  -- browsing events (option events): checked like the source; intent is scored at the end of as_of
  SELECT * INTO ctx.ev_relation, ctx.ev_member_column, ctx.ev_event_column, ctx.ev_time_column, ctx.ev_time_type
    FROM rfm._events((ctx.m).options);
  IF ctx.ev_relation IS NOT NULL THEN
    IF has_table_privilege(ctx.ev_relation, 'SELECT') THEN
      EXECUTE format('LOCK TABLE %s IN ACCESS SHARE MODE', ctx.ev_relation);
    END IF;
    PERFORM rfm._check_relation(ctx.ev_relation, ARRAY[ctx.ev_member_column, ctx.ev_event_column, ctx.ev_time_column],
                                ARRAY['member', 'event', 'time'], 'events relation');
    ctx.intent_ts := (ctx.as_of + 1)::timestamptz;
    ctx.dciu_hl := (rfm._option(ctx.m, 'dciu_half_life') #>> '{}')::interval;
    ctx.dciu_hz := (rfm._option(ctx.m, 'dciu_horizon') #>> '{}')::interval;
    ctx.dciu_w := CASE WHEN rfm._option(ctx.m, 'dciu_weights') = 'null' THEN rfm.intent_default_weights()
                   ELSE rfm.intent_weights(rfm._option(ctx.m, 'dciu_weights')) END;
    -- event names of the relation's own (option events.event_names: {"pv": "view"}) are mapped first; unless
    -- every state is rebuilt, only the touched members' events are read
    -- (a date or timestamp column is taken in this session's TimeZone, written into the query for a Citus
    -- relation, whose workers' sessions have their own)
    ctx.events_sql := format('SELECT e.%1$I::%2$s AS member_id,
                                 rfm.intent_agg(coalesce(%6$L::jsonb ->> e.%3$I::text, e.%3$I::text), %8$s) AS intent
                            FROM %5$s e WHERE e.%1$I IS NOT NULL %7$s GROUP BY 1',
                         ctx.ev_member_column, ctx.member_type, ctx.ev_event_column, ctx.ev_time_column, ctx.ev_relation,
                         coalesce((ctx.m).options -> 'events' -> 'event_names', '{}'),
                         CASE WHEN NOT (ctx.full_requested OR (ctx.m).needs_full)
                              THEN format('AND e.%I::%s IN (SELECT member_id FROM _rfm_touched)', ctx.ev_member_column, ctx.member_type)
                              ELSE '' END,
                         rfm._at_zone(ctx.ev_relation, ctx.ev_time_column, 'e'));
  END IF;

  -- what the labels depend on besides the data; when it changed since the last refresh, everyone is relabelled
  ctx.params := jsonb_build_object('options', (ctx.m).options, 'segment_map',
              (SELECT md5(string_agg(concat_ws(':', priority, segment, r_min, r_max, f_min, f_max, m_min, m_max), ','
                                     ORDER BY priority))
                 FROM rfm.segment_rule WHERE map = ctx.seg_map));
  EXECUTE format($q$
    SELECT r.refresh_id, r.as_of, r.members, r.params, r.fallback_cycle, r.value_reference,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'recency') AS rb,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'frequency') AS fb,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'monetary') AS mb
      FROM %1$I.refreshes r ORDER BY r.as_of DESC, r.refresh_id DESC LIMIT 1$q$, ctx.s)
    INTO ctx.last_ref_refresh_id, ctx.last_ref_as_of, ctx.last_ref_members, ctx.last_ref_params,
         ctx.last_ref_fallback_cycle, ctx.last_ref_value_reference, ctx.last_ref_rb, ctx.last_ref_fb, ctx.last_ref_mb;
  RETURN ctx;
END $$;
COMMENT ON FUNCTION rfm._refresh_prepare(text, date, boolean) IS
  'Internal: phase of rfm.refresh that checks its arguments, takes the model''s lock and reads the model, its options and its last refreshes';

-- The relation that holds a refresh's candidates ('cand': the members it relabels) or the rows of label_state it
-- writes ('changed'), for the phases that join them with the model's per-member tables: the temporary table
-- (_rfm_cand, _rfm_changed); on Citus, where those tables are distributed (ctx.colocated), the model's work
-- table distributed with them (work_candidates, work_changed: a copy the refresh fills and empties), so that
-- the joins run shard by shard on the workers instead of the temporary table being sent to every shard.
CREATE FUNCTION rfm._work(ctx rfm._refresh, what text) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  RETURN CASE WHEN ctx.colocated THEN format('%I.%I', ctx.s, CASE what WHEN 'cand' THEN 'work_candidates' ELSE 'work_' || what END)
              ELSE '_rfm_' || what END;
COMMENT ON FUNCTION rfm._work(rfm._refresh, text) IS
  'Internal: the relation of a refresh''s candidates (cand) or changed rows (changed): its temporary table, or on Citus the model''s distributed work table';

-- The member column of a relation a model reads must keep the type the model's tables were made with (the
-- refresh compares and joins ids of that type; the capture queues them as text). A source whose member
-- column changed type since (widened, say) is refused with a hint until rfm.alter_member_type converts the model.
CREATE FUNCTION rfm._check_member_type(ctx rfm._refresh, relation regclass, member_column name) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  typ text;
BEGIN
  SELECT format_type(atttypid, NULL) INTO typ FROM pg_attribute WHERE attrelid = relation AND attname = member_column;
  IF typ <> (SELECT format_type(atttypid, NULL) FROM pg_attribute
              WHERE attrelid = format('%I.members', ctx.s)::regclass AND attname = 'member_id') THEN
    RAISE EXCEPTION 'the member column "%" of % is now of type %, model "%" was made for %', member_column, relation, typ,
                    ctx.name, ctx.member_type
      USING ERRCODE = 'datatype_mismatch',
            HINT = format('Writes keep being captured; to follow the new type, convert the model: SELECT rfm.alter_member_type(%L).', ctx.name);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._check_member_type(rfm._refresh, regclass, name) IS
  'Internal: refuse a refresh whose source''s member column no longer has the type of the model''s member ids';
