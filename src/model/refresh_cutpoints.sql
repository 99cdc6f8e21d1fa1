/*
 * src/model/refresh_cutpoints.sql
 * rfm.refresh: histogram and cut points.
 */

-- Phases 3 and 4 of rfm.refresh: the model's hist kept up to date, and the references, cut points, NES
-- fallback cycle and top-20 % revenue read from it; sets ctx.members.
CREATE FUNCTION rfm._refresh_cutpoints(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  hist_sql text;
  sums record;
  probs float8[];
BEGIN
  -- 3. hist: the distribution of last day, frequency, monetary and repeat buyers' gap over the labelled
  -- members, from which the references, cut points and the top-20 % revenue are read. Kept: the candidates'
  -- old facts out, their new ones in; or rebuilt.
  hist_sql := 'SELECT h.dim, h.bucket, h.total FROM %s x,
                 LATERAL (VALUES (''l''::"char", (x.last_day - DATE ''2000-01-01'')::float8, NULL::numeric),
                                 (''f'', x.frequency::float8, NULL), (''m'', floor(x.monetary), x.monetary::numeric),
                                 (''g'', floor(x.gap), NULL)) h(dim, bucket, total)
                WHERE x.last_day IS NOT NULL AND h.bucket IS NOT NULL';
  IF ctx.relabel_some THEN
    EXECUTE format('CREATE TEMP TABLE _rfm_hist ON COMMIT DROP AS
                      SELECT dim, bucket, sum(n)::bigint AS n, sum(total) AS total
                        FROM (SELECT dim, bucket, n, total FROM %1$I.hist
                              UNION ALL SELECT o.dim, o.bucket, -1, -o.total FROM (%2$s) o
                              UNION ALL SELECT b.dim, b.bucket, 1, b.total FROM (%3$s) b) u
                       GROUP BY dim, bucket HAVING sum(n) <> 0;
                    TRUNCATE %1$I.hist;
                    INSERT INTO %1$I.hist SELECT * FROM _rfm_hist ORDER BY dim, bucket',
                   ctx.s, format(hist_sql, '_rfm_old'), format(hist_sql, '_rfm_base'));
    DROP TABLE _rfm_hist;
  ELSE
    -- (each distinct monetary value is turned into numeric once: members share values, and the conversion is
    -- the dearest part)
    EXECUTE format('TRUNCATE %1$I.hist;
                    INSERT INTO %1$I.hist
                    SELECT dim, bucket, n, total FROM (
                      SELECT CASE WHEN GROUPING(last_day) = 0 THEN ''l'' WHEN GROUPING(frequency) = 0 THEN ''f''
                                  ELSE ''g'' END::"char" AS dim,
                             coalesce((last_day - DATE ''2000-01-01'')::float8, frequency::float8, floor(gap)) AS bucket,
                             count(*) AS n, NULL::numeric AS total
                        FROM _rfm_base WHERE last_day IS NOT NULL
                       GROUP BY GROUPING SETS ((last_day), (frequency), (floor(gap)))
                      UNION ALL
                      SELECT ''m'', floor(v), sum(k)::bigint, sum(v::numeric * k)
                        FROM (SELECT monetary AS v, count(*) AS k FROM _rfm_base WHERE last_day IS NOT NULL GROUP BY 1) d
                       GROUP BY 2) g
                     WHERE bucket IS NOT NULL ORDER BY dim, bucket', ctx.s);
  END IF;
  EXECUTE format('SELECT coalesce(sum(n) FILTER (WHERE dim = ''l''), 0)::bigint AS n,
                         sum(bucket::numeric * n) FILTER (WHERE dim = ''l'') AS sum_day,
                         sum(bucket::numeric * n) FILTER (WHERE dim = ''f'') AS sum_f,
                         sum(total) FILTER (WHERE dim = ''m'') AS sum_m,
                         coalesce(sum(n) FILTER (WHERE dim = ''g''), 0)::bigint AS n_repeat
                    FROM %I.hist', ctx.s) INTO sums;
  ctx.sum_m := sums.sum_m;
  ctx.members := sums.n;
  PERFORM rfm._progress(ctx.name, format('labelling %s members as of %s', ctx.members, ctx.as_of));

  -- 4. references, cut points, fallback cycle, top-20 % revenue: order statistics read from hist (the same
  -- values as rfm.breaks and percentile_cont over every member, to the bit)
  ctx.ref_r := ((sums.n * (ctx.as_of - DATE '2000-01-01') - sums.sum_day) / nullif(sums.n, 0))::float8;
  ctx.ref_f := (sums.sum_f / nullif(sums.n, 0))::float8;
  ctx.ref_m := (sums.sum_m / nullif(sums.n, 0))::float8;
  ctx.revenue := sums.sum_m::float8;
  IF jsonb_typeof(ctx.vref) = 'string' AND ctx.vref #>> '{}' = 'median' THEN
    ctx.ref_r := (rfm._hist_quantiles(ctx.s, 'l', sums.n, '{0.5}', ctx.as_of, ctx.relabel_some))[1];
    ctx.ref_f := (rfm._hist_quantiles(ctx.s, 'f', sums.n, '{0.5}', ctx.as_of, ctx.relabel_some))[1];
    ctx.ref_m := (rfm._hist_quantiles(ctx.s, 'm', sums.n, '{0.5}', ctx.as_of, ctx.relabel_some))[1];
  END IF;
  IF ctx.scoring = 'quantile' THEN
    probs := ARRAY(SELECT g::float8 / ctx.bins::float8 FROM generate_series(1, ctx.bins - 1) g);
    ctx.rb := rfm._hist_quantiles(ctx.s, 'l', sums.n, probs, ctx.as_of, ctx.relabel_some);
    ctx.fb := rfm._hist_quantiles(ctx.s, 'f', sums.n, probs, ctx.as_of, ctx.relabel_some);
    ctx.mb := rfm._hist_quantiles(ctx.s, 'm', sums.n, probs, ctx.as_of, ctx.relabel_some);
  END IF;
  IF ctx.fallback IS NULL THEN
    ctx.fallback := coalesce((rfm._hist_quantiles(ctx.s, 'g', sums.n_repeat, '{0.5}', ctx.as_of, ctx.relabel_some))[1], 30);
  END IF;
  ctx.top20 := rfm._hist_top(ctx.s, ceil(0.2 * sums.n)::bigint, ctx.relabel_some);
  IF jsonb_typeof(ctx.vref) = 'object' THEN
    ctx.ref_r := (ctx.vref ->> 'recency')::float8; ctx.ref_f := (ctx.vref ->> 'frequency')::float8; ctx.ref_m := (ctx.vref ->> 'monetary')::float8;
  END IF;
  IF ctx.scoring = 'fixed' THEN
    ctx.rb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'r_breaks'))::float8);
    ctx.fb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'f_breaks'))::float8);
    ctx.mb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'm_breaks'))::float8);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_cutpoints(rfm._refresh) IS
  'Internal: phase of rfm.refresh that updates hist and reads the references and cut points from it';
