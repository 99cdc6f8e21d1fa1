/*
 * src/model/refresh_bi.sql
 * rfm.refresh: BI objects.
 */

-- Phase 11 of rfm.refresh: the tier watch list and the browsers who never bought (the BI views read the tables);
-- the refresh's temporary tables dropped.
CREATE FUNCTION rfm._refresh_bi(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k record;
BEGIN
  -- 11. the tier watch list (money rounded as in the BI views), the browsers who never bought (option events)
  PERFORM rfm._progress(ctx.name, 'writing the tier watch list and the prospects');
  IF ctx.tier_policy IS NULL THEN
    -- (emptied once the policy is removed from the options)
    EXECUTE format('DELETE FROM %I.tier_watch', ctx.s);
  ELSIF NOT ctx.relabel_some THEN
    EXECUTE format('TRUNCATE %1$I.tier_watch;
                    INSERT INTO %1$I.tier_watch
                    SELECT member_id, watch, (st).tier, (st).since, (st).next_review, round((st).qualifying_spend::numeric, $4),
                           round((st).spend_to_keep::numeric, $4), (st).next_tier, round((st).spend_to_upgrade::numeric, $4)
                      FROM (SELECT member_id, tier_st AS st, rfm.tier_watch(tier_st, $1, $2, $3) AS watch
                              FROM _rfm_base WHERE (tier_st).tier IS NOT NULL) w
                     WHERE watch IS NOT NULL ORDER BY member_id', ctx.s)
      USING ctx.as_of, (rfm._option(ctx.m, 'tier_upgrade_gap') #>> '{}')::float8, (rfm._option(ctx.m, 'tier_risk_horizon') #>> '{}')::interval,
            rfm._money_scale((ctx.m).source, (ctx.m).amount_column);
  END IF;
  IF ctx.ev_relation IS NOT NULL THEN
    -- scored as the buyers' DCIU is (rfm._refresh_candidates, rfm._refresh_labels)
    EXECUTE format('TRUNCATE %1$I.prospects;
                    INSERT INTO %1$I.prospects
                    SELECT member_id, coalesce(rfm.dciu(score, $5), ''U''), score
                      FROM (SELECT member_id, coalesce(rfm.intent_score(intent, $1, $2, $3, $4), 0) AS score
                              FROM %1$I.members
                             WHERE intent IS NOT NULL AND (purchases IS NULL OR rfm.last_purchase(purchases, $6) IS NULL)) p
                     ORDER BY member_id', ctx.s)
      USING ctx.intent_ts, ctx.dciu_hl, ctx.dciu_hz, ctx.dciu_w, ctx.dciu_cuts, ctx.as_of;
  END IF;
  DROP TABLE _rfm_base, _rfm_changed, _rfm_moves, _rfm_trans;
  IF ctx.colocated THEN
    -- the work tables, emptied for the next refresh
    EXECUTE format('DELETE FROM %s', rfm._work(ctx, 'cand'));
    EXECUTE format('DELETE FROM %s', rfm._work(ctx, 'changed'));
  END IF;
  -- (without a NOTICE for those this refresh did not make)
  FOR k IN SELECT t FROM unnest(ARRAY['_rfm_clv', '_rfm_old', '_rfm_cand', '_rfm_touched']) t
            WHERE to_regclass('pg_temp.' || t) IS NOT NULL LOOP
    EXECUTE format('DROP TABLE %I', k.t);
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._refresh_bi(rfm._refresh) IS
  'Internal: phase of rfm.refresh that writes the tier watch list and the browsers who never bought (prospects)';
