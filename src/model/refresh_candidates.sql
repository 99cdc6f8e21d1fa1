/*
 * src/model/refresh_candidates.sql
 * rfm.refresh: the members to label.
 */

-- Phase 2 of rfm.refresh: the facts and stages of the members to label (_rfm_base), everyone's or those of the
-- candidates (_rfm_cand: touched, or due for a recheck) with their rows at the last refresh (_rfm_old).
CREATE FUNCTION rfm._refresh_candidates(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  base_sql text;
  replaced jsonb;
BEGIN
  -- 2. the facts and stages of the members to label, from their states: everyone's, or (relabel_some) those of the
  -- touched members and of those whose next dated order or NES stage has come (label_state.recheck)
  replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN ctx.index_joins ELSE '{}' END);
  IF ctx.relabel_some THEN
    EXECUTE format('CREATE TEMP TABLE _rfm_cand ON COMMIT DROP AS
                      SELECT member_id FROM _rfm_touched UNION SELECT member_id FROM %I.label_state WHERE recheck <= $1', ctx.s)
      USING ctx.as_of;
    ALTER TABLE _rfm_cand ADD PRIMARY KEY (member_id);
    ANALYZE _rfm_cand;
    IF ctx.colocated THEN
      EXECUTE format('INSERT INTO %s SELECT member_id FROM _rfm_cand', rfm._work(ctx, 'cand'));
    END IF;
  END IF;
  -- members without a purchase by as_of (only orders dated later) are kept, unlabelled, for their recheck day
  base_sql := format($q$
    SELECT member_id, last_day,
           CASE WHEN last_day IS NOT NULL THEN frequency END AS frequency,
           CASE WHEN last_day IS NOT NULL THEN monetary END AS monetary, days,
           CASE WHEN days >= 2 THEN (last_day - first_day)::float8 / (days - 1) END AS gap,
           CASE WHEN last_day IS NOT NULL THEN since_prev END AS since_prev, napl,
           CASE WHEN days >= 2 THEN any_nes END AS repeat_nes, recheck, tier_st, dciu_score, btyd
      FROM (SELECT member_id, rfm.last_purchase(purchases, $1) AS last_day, rfm.first_purchase(purchases, $1) AS first_day,
                   rfm.frequency(purchases, $1, $2) AS frequency, rfm.monetary(purchases, $1, $2) AS monetary,
                   rfm.purchase_days(purchases, $1) AS days,
                   CASE WHEN $3 IS NULL THEN 0 ELSE rfm.monetary(purchases, $1, $3) END AS since_prev,
                   rfm.napl(purchases, $1, $4) AS napl, rfm.nes(purchases, $1, 1, $5, $6) AS any_nes,
                   rfm._recheck(purchases, $1, 1, $5, $6) AS recheck,
                   CASE WHEN $7 IS NOT NULL THEN rfm.tier_status(purchases, $1, $7) END AS tier_st,
                   CASE WHEN $8 IS NOT NULL THEN coalesce(rfm.intent_score(intent, $8, $9, $10, $11), 0) END AS dciu_score,
                   CASE WHEN $12 THEN rfm.btyd(purchases, $1, $13) END AS btyd
              FROM %I.members WHERE purchases IS NOT NULL %s) b$q$,
    ctx.s, CASE WHEN ctx.relabel_some THEN format('AND member_id IN (SELECT member_id FROM %s)', rfm._work(ctx, 'cand')) ELSE '' END);
  EXECUTE 'CREATE TEMP TABLE _rfm_base ON COMMIT DROP AS ' || base_sql
    USING ctx.as_of, ctx.win, ctx.since_prev, ctx.napl_w, ctx.nes_mult, ctx.nes_cycle, ctx.tier_policy, ctx.intent_ts, ctx.dciu_hl, ctx.dciu_hz, ctx.dciu_w,
          ctx.clv_on, ctx.clv_unit;
  IF ctx.relabel_some THEN
    -- their rows at the last refresh
    EXECUTE format('CREATE TEMP TABLE _rfm_old ON COMMIT DROP AS
                      SELECT l.* FROM %I.label_state l JOIN %s c ON c.member_id = l.member_id', ctx.s, rfm._work(ctx, 'cand'));
  END IF;
  PERFORM rfm._plan(replaced);
END $$;
COMMENT ON FUNCTION rfm._refresh_candidates(rfm._refresh) IS
  'Internal: phase of rfm.refresh that reads the facts of the members to label from their states';

-- Phase 5 of rfm.refresh (when only some members are relabelled): the members whose values a moved threshold
-- may have crossed join the candidates, from their rows of label_state.
CREATE FUNCTION rfm._refresh_crossed(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ranges text[];
  replaced jsonb;
BEGIN
  -- 5. (relabel_some) the members whose values a moved threshold may have crossed: recency cut points, the recency
  -- reference, the start of the NAPL window and one-time buyers' NES thresholds (on the last day);
  -- frequency and monetary cut points and references. They are labelled too, from their rows of label_state.
  IF ctx.relabel_some THEN
    ranges := ARRAY[
      rfm._day_range(ctx.last_ref_as_of, (ctx.last_ref_value_reference ->> 'recency')::float8, ctx.as_of, ctx.ref_r),
      rfm._value_range('frequency', (ctx.last_ref_value_reference ->> 'frequency')::float8, ctx.ref_f),
      rfm._value_range('monetary', (ctx.last_ref_value_reference ->> 'monetary')::float8, ctx.ref_m),
      CASE WHEN ctx.last_ref_as_of < ctx.as_of THEN
        format('l.last_day BETWEEN %L AND %L', (ctx.last_ref_as_of::timestamp - ctx.napl_w)::date, (ctx.as_of::timestamp - ctx.napl_w)::date + 1) END];
    FOR i IN 1 .. greatest(cardinality(ctx.rb), cardinality(ctx.last_ref_rb)) LOOP
      ranges := ranges || rfm._day_range(ctx.last_ref_as_of, ctx.last_ref_rb[i], ctx.as_of, ctx.rb[i])
                       || rfm._value_range('frequency', ctx.last_ref_fb[i], ctx.fb[i])
                       || rfm._value_range('monetary', ctx.last_ref_mb[i], ctx.mb[i]);
    END LOOP;
    FOR i IN 1 .. 3 LOOP
      ranges := ranges || ('l.days = 1 AND ' || rfm._day_range(ctx.last_ref_as_of, ctx.nes_mult[i] * ctx.last_ref_fallback_cycle, ctx.as_of,
                                                                ctx.nes_mult[i] * ctx.fallback));
    END LOOP;
    ranges := ARRAY(SELECT '(' || r || ')' FROM unnest(ranges) r WHERE r IS NOT NULL);
    RAISE DEBUG 'rfm.refresh(%): also relabelling the members where %', ctx.name, coalesce(array_to_string(ranges, ' OR '), 'nothing');
    replaced := rfm._plan(ctx.index_joins);
    IF cardinality(ranges) > 0 THEN
      EXECUTE format('CREATE TEMP TABLE _rfm_crossed ON COMMIT DROP AS
                        SELECT l.* FROM %I.label_state l LEFT JOIN %s c ON c.member_id = l.member_id
                         WHERE l.last_day IS NOT NULL AND (%s) AND c.member_id IS NULL',
                     ctx.s, rfm._work(ctx, 'cand'), array_to_string(ranges, ' OR '));
      INSERT INTO _rfm_cand SELECT member_id FROM _rfm_crossed;
      IF ctx.colocated THEN
        EXECUTE format('INSERT INTO %s SELECT member_id FROM _rfm_crossed', rfm._work(ctx, 'cand'));
      END IF;
      INSERT INTO _rfm_old SELECT * FROM _rfm_crossed;
      -- their facts are those of their rows (no order came: their recheck day has not); of what depends on the day,
      -- the NAPL stage is computed again, repeat buyers' NES stage has not moved (that is a recheck day), one-time
      -- buyers' NES follows in 6; the spend since the previous refresh is nothing, or the same on the same day
      INSERT INTO _rfm_base (member_id, last_day, frequency, monetary, days, gap, since_prev, napl, repeat_nes, recheck)
      SELECT x.member_id, x.last_day, x.frequency, x.monetary, x.days, x.gap,
             CASE WHEN ctx.last_as_of = ctx.as_of THEN x.since_prev ELSE 0 END, rfm._napl_of(x.days, x.last_day, ctx.as_of, ctx.napl_w),
             CASE WHEN x.days >= 2 THEN x.nes END, x.recheck
        FROM _rfm_crossed x;
      DROP TABLE _rfm_crossed;
    END IF;
    -- (the temporary tables are analyzed for the columns that later joins and filters read, no more: statistics
    -- of every column cost a tenth of an incremental refresh; docs/bench-models.md)
    ANALYZE _rfm_cand;
    ANALYZE _rfm_old (member_id);
    PERFORM rfm._plan(replaced);
  END IF;
  ANALYZE _rfm_base (member_id, last_day);
END $$;
COMMENT ON FUNCTION rfm._refresh_crossed(rfm._refresh) IS
  'Internal: phase of rfm.refresh that adds the members a moved threshold may have crossed to the candidates';
