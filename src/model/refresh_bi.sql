/*
 * src/model/refresh_bi.sql
 * rfm.refresh: BI objects.
 */

-- Phase 11 of rfm.refresh: the tier watch list and the BI views; the refresh's temporary tables dropped.
CREATE FUNCTION rfm._refresh_bi(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k record;
BEGIN
  -- 11. the tier watch list and the BI views
  PERFORM rfm._progress(ctx.name, 'refreshing the BI views');
  IF ctx.tier_policy IS NULL THEN
    -- (emptied once the policy is removed from the options)
    EXECUTE format('DELETE FROM %I.tier_watch', ctx.s);
  ELSIF NOT ctx.relabel_some THEN
    EXECUTE format('TRUNCATE %1$I.tier_watch;
                    INSERT INTO %1$I.tier_watch
                    SELECT member_id, watch, (st).tier, (st).since, (st).next_review, (st).qualifying_spend,
                           (st).spend_to_keep, (st).next_tier, (st).spend_to_upgrade
                      FROM (SELECT member_id, tier_st AS st, rfm.tier_watch(tier_st, $1, $2, $3) AS watch
                              FROM _rfm_base WHERE (tier_st).tier IS NOT NULL) w
                     WHERE watch IS NOT NULL ORDER BY member_id', ctx.s)
      USING ctx.as_of, (rfm._option(ctx.m, 'tier_upgrade_gap') #>> '{}')::float8, (rfm._option(ctx.m, 'tier_risk_horizon') #>> '{}')::interval;
  END IF;
  EXECUTE format('REFRESH MATERIALIZED VIEW %1$I.segment_summary; REFRESH MATERIALIZED VIEW %1$I.lifecycle_summary;
                  REFRESH MATERIALIZED VIEW %1$I.flow; REFRESH MATERIALIZED VIEW %1$I.kpi;
                  REFRESH MATERIALIZED VIEW %1$I.dciu_lift; REFRESH MATERIALIZED VIEW %1$I.napl_dciu', ctx.s);
  DROP TABLE _rfm_base, _rfm_changed, _rfm_moves, _rfm_trans;
  -- (without a NOTICE for those this refresh did not make)
  FOR k IN SELECT t FROM unnest(ARRAY['_rfm_clv', '_rfm_old', '_rfm_cand', '_rfm_touched']) t
            WHERE to_regclass('pg_temp.' || t) IS NOT NULL LOOP
    EXECUTE format('DROP TABLE %I', k.t);
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._refresh_bi(rfm._refresh) IS
  'Internal: phase of rfm.refresh that writes the tier watch list and refreshes the BI views';
