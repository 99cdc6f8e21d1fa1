/*
 * src/model/refresh_flow.sql
 * rfm.refresh: flow and KPIs.
 */

-- Phase 7 of rfm.refresh: the flow from the refresh before as_of to this one (_rfm_moves, _rfm_trans), from
-- label_totals and the rows that differ.
CREATE FUNCTION rfm._refresh_flow(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  replaced jsonb;
BEGIN
  -- 7. the flow from the refresh before as_of to this one, per dimension (members and their spend in between),
  -- from the rows that differ. When the last refresh is the previous one: everyone stays where label_totals
  -- counts them, having spent nothing, except the rows that differ, whose old part is taken out and whose
  -- (old label, new label) is put in. A refresh that replaces the last one (same day) takes the last one's
  -- transitions, with the old part of the rows that differ (previous label from the history, old label) taken
  -- out and their new part put in.
  IF ctx.last_as_of < ctx.as_of OR ctx.last_as_of IS NULL THEN
    EXECUTE format($q$
      CREATE TEMP TABLE _rfm_moves ON COMMIT DROP AS
      SELECT p_present, t_present, f_segment, t_segment, f_value, t_value, f_napl, t_napl, f_nes, t_nes, f_tier, t_tier,
             f_dciu, t_dciu, sum(members) AS members, sum(revenue) AS revenue
        FROM (SELECT true AS p_present, true AS t_present, segment AS f_segment, segment AS t_segment,
                     value_segment AS f_value, value_segment AS t_value, napl AS f_napl, napl AS t_napl, nes AS f_nes,
                     nes AS t_nes, tier AS f_tier, tier AS t_tier, dciu AS f_dciu, dciu AS t_dciu, members, 0 AS revenue
                FROM %I.label_totals
              UNION ALL
              SELECT true, true, o_segment, o_segment, o_value_segment, o_value_segment, o_napl, o_napl, o_nes, o_nes,
                     o_tier, o_tier, o_dciu, o_dciu, -1, 0
                FROM _rfm_changed WHERE was
              UNION ALL
              SELECT was, is_now, o_segment, segment, o_value_segment, value_segment, o_napl, napl, o_nes, nes,
                     o_tier, tier, o_dciu, dciu, 1, CASE WHEN is_now THEN since_prev ELSE 0 END
                FROM _rfm_changed WHERE was OR is_now) u
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14$q$, ctx.s);
  ELSE
    replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN ctx.index_joins ELSE '{}' END);
    EXECUTE format($q$
      CREATE TEMP TABLE _rfm_moves ON COMMIT DROP AS
      SELECT p.member_id IS NOT NULL AS p_present, x.t_present, p.segment AS f_segment, x.segment AS t_segment,
             p.value_segment AS f_value, x.value_segment AS t_value, p.napl AS f_napl, x.napl AS t_napl,
             p.nes AS f_nes, x.nes AS t_nes, p.tier AS f_tier, x.tier AS t_tier, p.dciu AS f_dciu, x.dciu AS t_dciu,
             sum(x.sign) AS members, sum(x.revenue) AS revenue
        FROM (SELECT member_id, -1 AS sign, was AS t_present, o_segment AS segment, o_value_segment AS value_segment,
                     o_napl AS napl, o_nes AS nes, o_tier AS tier, o_dciu AS dciu,
                     CASE WHEN was THEN -o_since_prev ELSE 0 END AS revenue
                FROM _rfm_changed
              UNION ALL
              SELECT member_id, 1, is_now, segment, value_segment, napl, nes, tier, dciu,
                     CASE WHEN is_now THEN since_prev ELSE 0 END
                FROM _rfm_changed) x
        LEFT JOIN %I.label_history p
          ON p.member_id = x.member_id AND $1 IS NOT NULL AND p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1)
       WHERE p.member_id IS NOT NULL OR x.t_present
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14$q$, ctx.s)
      USING ctx.prev_as_of;
    PERFORM rfm._plan(replaced);
  END IF;
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_trans ON COMMIT DROP AS
    SELECT dimension, from_label, to_label, sum(members)::bigint AS members, sum(revenue) AS revenue
      FROM (SELECT d.dimension, d.from_label, d.to_label, mv.members, mv.revenue
              FROM _rfm_moves mv,
                   LATERAL (VALUES ('segment', mv.f_segment, mv.t_segment), ('value_segment', mv.f_value, mv.t_value),
                                   ('napl', mv.f_napl::text, mv.t_napl::text), ('nes', mv.f_nes::text, mv.t_nes::text),
                                   ('tier', mv.f_tier, mv.t_tier), ('dciu', mv.f_dciu, mv.t_dciu)) v(dimension, f, t),
                   LATERAL (SELECT v.dimension, CASE WHEN mv.p_present THEN coalesce(v.f, '(none)') ELSE '(entered)' END,
                                   CASE WHEN mv.t_present THEN coalesce(v.t, '(none)') ELSE '(exited)' END) d(dimension, from_label, to_label)
             WHERE (v.dimension <> 'tier' OR $1 IS NOT NULL) AND (v.dimension <> 'dciu' OR $2)
            UNION ALL
            SELECT dimension, from_label, to_label, members, revenue FROM %1$I.transitions
             WHERE $3 AND refresh_id = $4) u
     GROUP BY 1, 2, 3 HAVING sum(members) <> 0$q$, ctx.s)
    USING ctx.tier_policy, ctx.ev_relation IS NOT NULL, ctx.last_as_of = ctx.as_of, ctx.last_ref_refresh_id;
END $$;
COMMENT ON FUNCTION rfm._refresh_flow(rfm._refresh) IS
  'Internal: phase of rfm.refresh that computes the flow between the previous refresh and this one';

-- Phase 10 of rfm.refresh: its row in refreshes with the KPIs, its cut points (with the members per score), its
-- transitions and its totals per label.
CREATE FUNCTION rfm._refresh_record(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rid bigint;
BEGIN
  -- 10. the refresh, its KPIs (from the NAPL flow), cut points (members per score from label_totals), transitions
  EXECUTE format($q$
    INSERT INTO %1$I.refreshes (as_of, full_rebuild, started, finished, members, rebuilt, changed, fallback_cycle,
                                value_reference, revenue, active_rate, repurchase_rate, churn_rate, n_to_a_rate,
                                p_to_a_rate, top20_revenue_share, dciu_cuts, bgnbd, pnbd, gamma_gamma, params,
                                relabelled, clv_status)
    SELECT $1, $2, $3, clock_timestamp(), $4, $5, $6, $7,
           jsonb_build_object('recency', $8, 'frequency', $9, 'monetary', $10),
           $11,
           coalesce(sum(members) FILTER (WHERE to_label IN ('N', 'A')), 0)
             / nullif(sum(members) FILTER (WHERE to_label <> '(exited)'), 0),
           coalesce(sum(members) FILTER (WHERE to_label IN ('A', 'P')), 0)
             / nullif(sum(members) FILTER (WHERE to_label <> '(exited)'), 0),
           coalesce(sum(members) FILTER (WHERE from_label IN ('N', 'A') AND to_label IN ('P', 'L', '(exited)')), 0)
             / nullif(sum(members) FILTER (WHERE from_label IN ('N', 'A')), 0),
           coalesce(sum(members) FILTER (WHERE from_label = 'N' AND to_label = 'A'), 0)
             / nullif(sum(members) FILTER (WHERE from_label = 'N'), 0),
           coalesce(sum(members) FILTER (WHERE from_label = 'P' AND to_label = 'A'), 0)
             / nullif(sum(members) FILTER (WHERE from_label = 'P'), 0),
           ($12 / nullif($13, 0))::float8,
           $14, $15, $16, $17, $18, $19, $20
      FROM _rfm_trans WHERE dimension = 'napl'
    RETURNING refresh_id$q$, ctx.s)
    INTO rid
    USING ctx.as_of, ctx.rebuild_all, ctx.started, ctx.members, ctx.rebuilt, ctx.changed, ctx.fallback, ctx.ref_r, ctx.ref_f, ctx.ref_m, ctx.revenue, ctx.top20,
          ctx.sum_m, ctx.dciu_cuts, ctx.fit_b, ctx.fit_p, ctx.fit_g, ctx.params, ctx.relabelled, ctx.clv_status;
  EXECUTE format($q$
    INSERT INTO %1$I.cutpoints
    SELECT $1, d.dimension, d.breaks, array_agg(coalesce(x.n, 0) ORDER BY g.score)
      FROM (VALUES ('recency', $2::float8[]), ('frequency', $3), ('monetary', $4)) d(dimension, breaks)
      CROSS JOIN generate_series(1, $5) g(score)
      LEFT JOIN (SELECT CASE WHEN GROUPING(r_score) = 0 THEN 'recency' WHEN GROUPING(f_score) = 0 THEN 'frequency'
                             ELSE 'monetary' END AS dimension, coalesce(r_score, f_score, m_score) AS score,
                        sum(members) AS n
                   FROM %1$I.label_totals GROUP BY GROUPING SETS ((r_score), (f_score), (m_score))) x
        ON x.dimension = d.dimension AND x.score = g.score
     GROUP BY d.dimension, d.breaks$q$, ctx.s)
    USING rid, ctx.rb, ctx.fb, ctx.mb, ctx.bins;
  EXECUTE format('INSERT INTO %I.transitions SELECT $1, dimension, from_label, to_label, members, revenue
                    FROM _rfm_trans ORDER BY 2, 3, 4', ctx.s)
    USING rid;
  IF ctx.lift IS NOT NULL THEN
    EXECUTE format('INSERT INTO %I.dciu_lifts SELECT $1, l.* FROM unnest($2) l', ctx.s) USING rid, ctx.lift;
  END IF;
  -- members and revenue per label (the value segment table of every refresh)
  EXECUTE format($q$
    INSERT INTO %1$I.refresh_totals
    SELECT $1, d.dimension, coalesce(d.label, '(none)'), sum(t.members), sum(t.sum_monetary)
      FROM %1$I.label_totals t,
           LATERAL (VALUES ('segment', t.segment), ('value_segment', t.value_segment), ('napl', t.napl::text),
                           ('nes', t.nes::text), ('tier', t.tier), ('dciu', t.dciu)) d(dimension, label)
     WHERE (d.dimension <> 'tier' OR $2 IS NOT NULL) AND (d.dimension <> 'dciu' OR $3)
     GROUP BY 1, 2, 3 HAVING sum(t.members) <> 0$q$, ctx.s)
    USING rid, ctx.tier_policy, ctx.ev_relation IS NOT NULL;
END $$;
COMMENT ON FUNCTION rfm._refresh_record(rfm._refresh) IS
  'Internal: phase of rfm.refresh that records the refresh, its KPIs, cut points, transitions and totals per label';
