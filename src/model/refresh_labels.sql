/*
 * src/model/refresh_labels.sql
 * rfm.refresh: labels.
 */

-- Phase 6 of rfm.refresh: the new labels beside the old rows of the same members, only the rows that differ
-- kept (_rfm_changed); sets ctx.changed and ctx.relabelled.
CREATE FUNCTION rfm._refresh_labels(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  clv_sql text;
  score_sql text;
  lab_sql text;
  labels_differ text;
  row_differs text;
  old_rel text;
  replaced jsonb;
BEGIN
  -- 6. the new labels, beside the last refresh's of the same members (label_state: all of it, or the
  -- candidates' rows); changed = entered, exited or any label differs
  IF ctx.scoring = 'ntile' THEN
    -- equal-count bins; ties broken by member id, so the result is deterministic
    score_sql := 'ntile($6) OVER (ORDER BY recency DESC, member_id) AS r_score,
                  ntile($6) OVER (ORDER BY frequency, member_id) AS f_score,
                  ntile($6) OVER (ORDER BY monetary, member_id) AS m_score';
  ELSE
    score_sql := 'rfm.score(recency, $3, true) AS r_score, rfm.score(frequency, $4) AS f_score,
                  rfm.score(monetary, $5) AS m_score';
  END IF;
  -- a member's labels changed: it entered, it exited, or a label differs (n: new row, o: old row)
  labels_differ := '((o.last_day IS NOT NULL) <> (n.last_day IS NOT NULL)
                     OR (n.last_day IS NOT NULL
                         AND (n.r_score, n.f_score, n.m_score, n.segment, n.value_segment, n.napl, n.nes, n.dciu, n.tier)
                             IS DISTINCT FROM
                             (o.r_score, o.f_score, o.m_score, o.segment, o.value_segment, o.napl, o.nes, o.dciu, o.tier)))';
  -- a member's row of label_state must be written: anything in it differs (labels included)
  row_differs := '((o.frequency, o.monetary, o.r_score, o.f_score, o.m_score, o.segment, o.value_segment, o.napl, o.nes,
                    o.dciu, o.tier, o.p_alive, o.expected_purchases, o.clv, o.last_day, o.days, o.gap, o.since_prev, o.recheck)
                   IS DISTINCT FROM
                   (n.frequency, n.monetary, n.r_score, n.f_score, n.m_score, n.segment, n.value_segment, n.napl, n.nes,
                    n.dciu, n.tier, n.p_alive, n.expected_purchases, n.clv, n.last_day, n.days, n.gap, n.since_prev, n.recheck))';
  clv_sql := CASE WHEN NOT coalesce(ctx.clv_predicted, false) THEN
                   'NULL::float8 AS p_alive, NULL::float8 AS expected_purchases, NULL::float8 AS clv'
                 ELSE 'c.p_alive, c.expected_purchases, c.clv' END;
  -- the new rows (labels and facts) of the members labelled here
  lab_sql := format('
    SELECT member_id, frequency, monetary, r_score, f_score, m_score,
           rfm.segment(r_score, f_score, m_score, $7) AS segment,
           rfm.value_segment(recency < $8, frequency >= $9, monetary >= $10) AS value_segment,
           napl,
           coalesce(repeat_nes, CASE WHEN recency <= $12 * $11 THEN ''N'' WHEN recency <= $13 * $11 THEN ''S1''
                                     WHEN recency <= $14 * $11 THEN ''S2'' ELSE ''S3'' END::rfm.nes_stage) AS nes,
           CASE WHEN $15 THEN coalesce(rfm.dciu(dciu_score, $16), ''U'')::text END AS dciu, (tier_st).tier AS tier,
           %s, last_day, days, gap, since_prev, recheck
      FROM (SELECT b.*, %s FROM (SELECT *, $1 - last_day AS recency FROM _rfm_base WHERE last_day IS NOT NULL) b) x %s
    UNION ALL
    SELECT member_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, recheck
      FROM _rfm_base WHERE last_day IS NULL', clv_sql, score_sql,
      CASE WHEN ctx.clv_predicted THEN 'LEFT JOIN _rfm_clv c USING (member_id)' ELSE '' END);
  old_rel := CASE WHEN ctx.relabel_some THEN '_rfm_old' ELSE format('%I.label_state', ctx.s) END;
  -- the rows of label_state that differ (members whose labels changed: entered, exited, or any label differs;
  -- whose facts changed; new rows, rows whose state is gone), with their old parts: the flow and label_totals
  -- are the last ones corrected by these rows alone. On a refresh after the last one, members who spent since
  -- it are among them too (their spend is the revenue of the flow).
  -- After a rebuild that relabels everyone the new rows come in member order (members was written so, and
  -- _rfm_base read from it): merged with label_state's key, the sort finds them sorted (cheaper than hashing
  -- them; docs/bench-models.md). When only some members are relabelled (relabel_some), the rows are written in
  -- member order, the order in which label_state and label_history are then updated from them.
  replaced := rfm._plan(CASE WHEN ctx.rebuild_all AND NOT ctx.relabel_some AND ctx.ev_relation IS NULL AND ctx.scoring <> 'ntile'
                             THEN '{"enable_hashjoin": "off"}' ELSE '{}' END::jsonb);
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_changed ON COMMIT DROP AS
    SELECT coalesce(n.member_id, o.member_id) AS member_id, o.member_id IS NOT NULL AS had_row,
           n.member_id IS NOT NULL AS has_state, o.last_day IS NOT NULL AS was, n.last_day IS NOT NULL AS is_now,
           %2$s AS changed, n.frequency, n.monetary, n.r_score, n.f_score, n.m_score, n.segment, n.value_segment,
           n.napl, n.nes, n.dciu, n.tier, n.p_alive, n.expected_purchases, n.clv, n.last_day, n.days, n.gap,
           n.since_prev, n.recheck, o.since AS o_since, o.r_score AS o_r_score, o.f_score AS o_f_score,
           o.m_score AS o_m_score, o.segment AS o_segment, o.value_segment AS o_value_segment, o.napl AS o_napl,
           o.nes AS o_nes, o.dciu AS o_dciu, o.tier AS o_tier, o.last_day AS o_last_day, o.frequency AS o_frequency,
           o.monetary AS o_monetary, o.since_prev AS o_since_prev, NULL::date AS reopen
      FROM (%5$s) n FULL JOIN %1$s o ON o.member_id = n.member_id
     WHERE n.member_id IS NULL OR o.member_id IS NULL OR %3$s OR (%4$L AND n.since_prev <> 0) %6$s$q$,
    old_rel, labels_differ, row_differs, ctx.last_as_of IS NULL OR ctx.last_as_of < ctx.as_of, lab_sql,
    CASE WHEN ctx.relabel_some THEN 'ORDER BY 1' END)
    USING ctx.as_of, ctx.win, ctx.rb, ctx.fb, ctx.mb, ctx.bins, ctx.seg_map, ctx.ref_r, ctx.ref_f, ctx.ref_m, ctx.fallback, ctx.nes_mult[1], ctx.nes_mult[2], ctx.nes_mult[3],
          ctx.ev_relation IS NOT NULL, ctx.dciu_cuts;
  PERFORM rfm._plan(replaced);
  SELECT count(*) INTO ctx.changed FROM _rfm_changed c WHERE c.changed;
  ANALYZE _rfm_changed (member_id, changed, was, is_now, had_row, has_state, o_since);
  IF ctx.colocated THEN
    -- (on Citus, the part that phases 8 and 9 write, sent once to the shards of the work table by member: its
    -- columns are named as those of _rfm_changed)
    EXECUTE format('INSERT INTO %1$s (%2$s) SELECT %2$s FROM _rfm_changed', rfm._work(ctx, 'changed'),
                   (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                     WHERE attrelid = rfm._work(ctx, 'changed')::regclass AND attnum > 0 AND NOT attisdropped));
  END IF;
  IF ctx.relabel_some THEN
    SELECT count(*) INTO ctx.relabelled FROM _rfm_base WHERE last_day IS NOT NULL;
  ELSE
    ctx.relabelled := ctx.members;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_labels(rfm._refresh) IS
  'Internal: phase of rfm.refresh that labels the members and keeps the rows that differ';
