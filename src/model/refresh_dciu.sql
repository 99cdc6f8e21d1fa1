/*
 * src/model/refresh_dciu.sql
 * rfm.refresh: DCIU.
 */

-- DCIU in rfm.refresh (option events): the cuts calibrated by replay and the lift of the buckets.
CREATE FUNCTION rfm._refresh_dciu(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF ctx.ev_relation IS NOT NULL THEN
    -- DCIU cuts calibrated by replay: every member (buyers and browsers) scored at the start of the horizon,
    -- and who bought in it, and for how much; the lift of the buckets is published (dciu_lifts)
    PERFORM rfm._progress(ctx.name, format('calibrating DCIU on the %s up to %s', ctx.dciu_hz, ctx.as_of));
    EXECUTE format('CREATE TEMP TABLE _rfm_cal ON COMMIT DROP AS
      SELECT coalesce(rfm.intent_score(intent, $1, $2, $3, $4), 0) AS cal_score,
             coalesce(rfm.purchase_days(purchases, $5, $3), 0) > 0 AS cal_bought,
             coalesce(rfm.monetary(purchases, $5, $3), 0) AS cal_revenue
        FROM %I.members', ctx.s)
      USING ctx.intent_ts - ctx.dciu_hz, ctx.dciu_hl, ctx.dciu_hz, ctx.dciu_w, ctx.as_of;
    IF rfm._option(ctx.m, 'dciu_cuts') <> 'null' THEN
      ctx.dciu_cuts := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'dciu_cuts'))::float8);
    ELSE
      SELECT rfm.dciu_calibrate(c.cal_score, c.cal_bought) INTO ctx.dciu_cuts FROM _rfm_cal c;
    END IF;
    SELECT rfm.dciu_lift_agg(coalesce(rfm.dciu(c.cal_score, ctx.dciu_cuts), 'U'), c.cal_bought, c.cal_revenue) INTO ctx.lift FROM _rfm_cal c;
    DROP TABLE _rfm_cal;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_dciu(rfm._refresh) IS
  'Internal: phase of rfm.refresh that calibrates the DCIU cuts and their lift (option events)';
