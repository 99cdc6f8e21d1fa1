/*
 * src/model/refresh_write.sql
 * rfm.refresh: writing history and state.
 */

-- Phase 8 of rfm.refresh: label_history, a changed member's open row closed (or, on the day of the last
-- refresh, replaced) and a new one opened.
CREATE FUNCTION rfm._refresh_history(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  replaced jsonb;
  changed_rel text := rfm._work(ctx, 'changed');
BEGIN
  -- 8. history: a changed member's open row is closed at as_of, or replaced if it was opened at as_of (a refresh
  -- on the day of the last one replaces that refresh)
  PERFORM rfm._progress(ctx.name, format('recording %s label changes', ctx.changed));
  replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN ctx.index_joins ELSE '{}' END);
  IF ctx.as_of = ctx.last_as_of THEN
    EXECUTE format('DELETE FROM %1$I.cutpoints WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.transitions WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.dciu_lifts WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.refresh_totals WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.refreshes WHERE as_of = $1', ctx.s) USING ctx.as_of;
    -- Driven by the changed members' keys: the history rows opened today are many after a busy first refresh
    -- of the day, and the statistics of label_history, unless autovacuum has come by, know none of them (a
    -- nested loop over them and a scan of _rfm_changed each was once planned from an estimate of one row; on
    -- Citus work_changed has its key).
    IF ctx.relabel_some AND NOT ctx.colocated THEN
      CREATE INDEX ON _rfm_changed (member_id);
    END IF;
    -- A member whose new labels are those it had before the refresh being replaced gets that row of its
    -- history back, open, as if only this refresh had run (since stays its valid_from); the rows opened by
    -- the replaced refresh go.
    -- (looked up member by member: label_history has no index on valid_to, and a join would scan all of it; on
    -- Citus each task looks up its shard of work_changed in the co-located shard of label_history)
    EXECUTE format('UPDATE %2$s c SET reopen =
                      (SELECT h.valid_from FROM %1$I.label_history h
                        WHERE h.member_id = c.member_id AND h.valid_to = $1
                          AND (h.r_score, h.f_score, h.m_score, h.segment, h.value_segment, h.napl, h.nes, h.dciu, h.tier)
                              IS NOT DISTINCT FROM
                              (c.r_score, c.f_score, c.m_score, c.segment, c.value_segment, c.napl, c.nes, c.dciu, c.tier)
                        ORDER BY h.valid_from DESC LIMIT 1)
                     WHERE c.changed AND c.is_now', ctx.s, changed_rel)
      USING ctx.as_of;
    EXECUTE format('DELETE FROM %1$I.label_history h USING %2$s c
                     WHERE c.changed AND c.was AND c.o_since = $1 AND h.member_id = c.member_id AND h.valid_from = $1',
                   ctx.s, changed_rel)
      USING ctx.as_of;
    EXECUTE format('UPDATE %1$I.label_history h SET valid_to = NULL FROM %2$s c
                     WHERE c.reopen IS NOT NULL AND h.member_id = c.member_id AND h.valid_from = c.reopen', ctx.s, changed_rel);
  END IF;
  IF ctx.last_as_of IS NOT NULL THEN
    EXECUTE format('UPDATE %1$I.label_history h SET valid_to = $1 FROM %2$s c
                     WHERE c.changed AND c.was AND c.o_since < $1 AND h.member_id = c.member_id AND h.valid_from = c.o_since',
                   ctx.s, changed_rel)
      USING ctx.as_of;
  END IF;
  PERFORM rfm._plan(replaced);
  -- sorted by member id, so that index insertions are sequential; the first refresh (an empty history) loads
  -- it unsorted without indexes and builds them afterwards (on Citus each shard's rows come from its own shard
  -- of the work table, unsorted)
  IF ctx.last_as_of IS NULL THEN
    EXECUTE format('ALTER TABLE %I.label_history DROP CONSTRAINT label_history_pkey', ctx.s);
    EXECUTE format('DROP INDEX %I.label_history_valid_from_idx', ctx.s);
  END IF;
  EXECUTE format('INSERT INTO %1$I.label_history
                    SELECT member_id, $1, NULL, r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier
                      FROM %2$s WHERE changed AND is_now AND reopen IS NULL %3$s', ctx.s, changed_rel,
                 CASE WHEN ctx.last_as_of IS NOT NULL AND NOT ctx.colocated THEN 'ORDER BY member_id' END) USING ctx.as_of;
  IF ctx.last_as_of IS NULL THEN
    EXECUTE format('ALTER TABLE %I.label_history ADD CONSTRAINT label_history_pkey PRIMARY KEY (member_id, valid_from)', ctx.s);
    EXECUTE format('CREATE INDEX label_history_valid_from_idx ON %I.label_history (valid_from)', ctx.s);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_history(rfm._refresh) IS
  'Internal: phase of rfm.refresh that records the label changes in label_history';

-- Phase 9 of rfm.refresh: label_totals and label_state corrected by the rows that differ (label_state
-- rewritten in bulk when most of it changes).
CREATE FUNCTION rfm._refresh_label_state(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rows_sql text;
  bulk boolean;
  replaced jsonb;
  changed_rel text := rfm._work(ctx, 'changed');
BEGIN
  -- 9. label_totals (the members and sums per label combination: the old part of the rows that differ taken
  -- out, their new part put in) and label_state: rows whose state is gone deleted, rows that differ updated
  -- (`since`, the start of their history row, is as_of if a label changed), new rows inserted
  PERFORM rfm._progress(ctx.name, 'writing labels');
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_totals ON COMMIT DROP AS
    SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, sum(members)::bigint AS members,
           sum(sum_day) AS sum_day, sum(sum_frequency) AS sum_frequency, sum(sum_monetary) AS sum_monetary
      FROM (SELECT * FROM %1$I.label_totals
            UNION ALL
            SELECT o_r_score, o_f_score, o_m_score, o_segment, o_value_segment, o_napl, o_nes, o_dciu, o_tier, -1,
                   -(o_last_day - DATE '2000-01-01'), -o_frequency, -o_monetary::numeric
              FROM _rfm_changed WHERE was
            UNION ALL
            SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, 1,
                   last_day - DATE '2000-01-01', frequency, monetary::numeric
              FROM _rfm_changed WHERE is_now) u
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(members) <> 0;
    TRUNCATE %1$I.label_totals;
    INSERT INTO %1$I.label_totals SELECT * FROM _rfm_totals$q$, ctx.s);
  DROP TABLE _rfm_totals;
  -- label_state: when most of it is written (a new model, lifetime values that move for everyone) it is
  -- rewritten as a bulk load, its indexes built afterwards; otherwise row by row (on Citus, but for a new model,
  -- always row by row: the shards are written from their shards of the work table, on the workers, where a
  -- rewrite would bring every row of label_state to the coordinator and back)
  SELECT count(*) FILTER (WHERE c.has_state) > 0.25 * greatest(ctx.members, ctx.last_ref_members, 1)
         AND (ctx.last_as_of IS NULL OR NOT ctx.colocated) INTO bulk
    FROM _rfm_changed c;
  IF bulk THEN
    -- the rows that differ, and (unless this is the model's first refresh, when label_state is empty) the
    -- rows kept, set aside before label_state is emptied; loaded in member order without any index, the key
    -- and the others built afterwards
    rows_sql := 'SELECT member_id, frequency, monetary, r_score, f_score, m_score, segment, value_segment, napl, nes,
                        dciu, tier, p_alive, expected_purchases, clv, last_day, days, gap, since_prev, recheck,
                        CASE WHEN NOT changed THEN o_since WHEN last_day IS NOT NULL THEN coalesce(reopen, $1) END
                   FROM ' || changed_rel || ' WHERE has_state';
    IF ctx.last_as_of IS NOT NULL THEN
      EXECUTE format($q$
        CREATE TEMP TABLE _rfm_rows ON COMMIT DROP AS
        SELECT l.* FROM %1$I.label_state l LEFT JOIN _rfm_changed c ON c.member_id = l.member_id WHERE c.member_id IS NULL
        UNION ALL %2$s$q$, ctx.s, rows_sql)
        USING ctx.as_of;
      EXECUTE format('TRUNCATE %I.label_state', ctx.s);
      rows_sql := 'SELECT * FROM _rfm_rows';
    END IF;
    PERFORM rfm._label_state_indexes(ctx.s, false);
    EXECUTE format('ALTER TABLE %I.label_state DROP CONSTRAINT label_state_pkey', ctx.s);
    EXECUTE format('INSERT INTO %I.label_state %s %s', ctx.s, rows_sql, CASE WHEN NOT ctx.colocated THEN 'ORDER BY member_id' END)
      USING ctx.as_of;
    EXECUTE format('ALTER TABLE %I.label_state ADD CONSTRAINT label_state_pkey PRIMARY KEY (member_id)', ctx.s);
    PERFORM rfm._label_state_indexes(ctx.s, true);
    IF ctx.last_as_of IS NOT NULL THEN
      DROP TABLE _rfm_rows;
    END IF;
  ELSE
    replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN ctx.index_joins ELSE '{}' END);
    EXECUTE format('DELETE FROM %I.label_state l USING %s c WHERE c.member_id = l.member_id AND NOT c.has_state', ctx.s, changed_rel);
    EXECUTE format($q$
      UPDATE %1$I.label_state o SET
        frequency = n.frequency, monetary = n.monetary, r_score = n.r_score, f_score = n.f_score, m_score = n.m_score,
        segment = n.segment, value_segment = n.value_segment, napl = n.napl, nes = n.nes, dciu = n.dciu, tier = n.tier,
        p_alive = n.p_alive, expected_purchases = n.expected_purchases, clv = n.clv, last_day = n.last_day,
        days = n.days, gap = n.gap, since_prev = n.since_prev, recheck = n.recheck,
        since = CASE WHEN NOT n.changed THEN o.since WHEN n.last_day IS NOT NULL THEN coalesce(n.reopen, $1) END
        FROM %2$s n
       WHERE n.had_row AND n.has_state AND o.member_id = n.member_id;
      INSERT INTO %1$I.label_state
      SELECT member_id, frequency, monetary, r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier,
             p_alive, expected_purchases, clv, last_day, days, gap, since_prev, recheck,
             CASE WHEN last_day IS NOT NULL THEN coalesce(reopen, $1) END
        FROM %2$s WHERE NOT had_row AND has_state %3$s$q$, ctx.s, changed_rel,
      CASE WHEN NOT ctx.colocated THEN 'ORDER BY member_id' END)
      USING ctx.as_of;
    IF ctx.relabel_some AND ctx.last_as_of < ctx.as_of THEN
      -- the spend since the previous refresh of the members not labelled here is nothing (found through the
      -- partial index label_state_spent, so that the cost follows the day's buyers: each reset row is then a
      -- new row version with an entry in every index, but a scan of label_state with HOT updates instead costs
      -- a pass over every member whatever the day's activity, and loses on quiet days and large models;
      -- docs/bench-models.md)
      EXECUTE format('UPDATE %I.label_state l SET since_prev = 0
                       WHERE l.since_prev <> 0 AND NOT EXISTS (SELECT 1 FROM %s c WHERE c.member_id = l.member_id)',
                     ctx.s, rfm._work(ctx, 'cand'));
    END IF;
    PERFORM rfm._plan(replaced);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_label_state(rfm._refresh) IS
  'Internal: phase of rfm.refresh that writes label_totals and label_state';
