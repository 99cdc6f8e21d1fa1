/*
 * src/model/refresh_clv.sql
 * rfm.refresh: lifetime value.
 */

-- Lifetime value in rfm.refresh (option clv): the fits and every member's predictions (_rfm_clv; then
-- ctx.clv_predicted is true).
CREATE FUNCTION rfm._refresh_clv(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF ctx.clv_on THEN
    -- lifetime value: the purchase and spend models fitted on everyone's repeat-buying summary at as_of. A fit
    -- that fails leaves the CLV columns NULL for this refresh (with a WARNING), not the refresh failed.
    PERFORM rfm._progress(ctx.name, 'fitting the lifetime value models');
    BEGIN
      IF ctx.clv_pnbd THEN
        ctx.fit_p := (SELECT rfm.pnbd_fit((btyd).x, (btyd).t_x, (btyd).t) FROM _rfm_base WHERE last_day IS NOT NULL);
      ELSE
        ctx.fit_b := (SELECT rfm.bgnbd_fit((btyd).x, (btyd).t_x, (btyd).t) FROM _rfm_base WHERE last_day IS NOT NULL);
      END IF;
      -- Gamma-Gamma needs positive spends: repeat buyers whose mean repeat spend is not positive (refunds, free
      -- orders) are left out of its fit, as lifetimes does, and get no clv
      ctx.fit_g := (SELECT rfm.gamma_gamma_fit((btyd).x, (btyd).monetary) FILTER (WHERE (btyd).monetary > 0)
                  FROM _rfm_base WHERE last_day IS NOT NULL);
      -- a fit that did not converge (the aggregate has warned) gives parameters rfm itself calls unusable: no
      -- predictions from it, the fits kept in refreshes for a look, the reason in clv_status
      ctx.clv_status := CASE WHEN NOT coalesce((ctx.fit_b).converged, (ctx.fit_p).converged, false)
                             THEN format('no lifetime value: the %s fit did not converge', CASE WHEN ctx.clv_pnbd THEN 'Pareto/NBD' ELSE 'BG/NBD' END)
                             WHEN NOT coalesce((ctx.fit_g).converged, false)
                             THEN 'no lifetime value: the Gamma-Gamma fit did not converge' END;
      IF ctx.clv_status IS NOT NULL THEN
        ctx.clv_predicted := false;
        RETURN;
      END IF;
      -- every member's predictions, here too: extreme parameters can make a prediction fail
      EXECUTE format('CREATE TEMP TABLE _rfm_clv ON COMMIT DROP AS
        SELECT member_id, rfm.p_alive(%1$s, (btyd).x, (btyd).t_x, (btyd).t) AS p_alive,
               rfm.expected_purchases(%1$s, $3, (btyd).x, (btyd).t_x, (btyd).t) AS expected_purchases,
               CASE WHEN (btyd).x = 0 OR (btyd).monetary > 0
                    THEN rfm.clv(%1$s, $4, (btyd).x, (btyd).t_x, (btyd).t, coalesce((btyd).monetary, 0), $3, $5) END AS clv
          FROM _rfm_base WHERE last_day IS NOT NULL', CASE WHEN ctx.clv_pnbd THEN '$2' ELSE '$1' END)
        USING ctx.fit_b, ctx.fit_p, ctx.clv_h, ctx.fit_g, ctx.clv_d;
      ctx.clv_predicted := true;
      ctx.clv_status := 'ok';
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'rfm.refresh(%): no lifetime value at %: %', ctx.name, ctx.as_of, SQLERRM
        USING HINT = 'The CLV columns stay NULL for this refresh; see docs/clv.md on fits that fail.';
      ctx.fit_b := NULL; ctx.fit_p := NULL; ctx.fit_g := NULL; ctx.clv_predicted := false;
      ctx.clv_status := 'no lifetime value: ' || SQLERRM;
    END;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_clv(rfm._refresh) IS
  'Internal: phase of rfm.refresh that fits the lifetime value models and predicts (option clv)';
