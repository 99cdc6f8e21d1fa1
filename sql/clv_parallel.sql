-- Forced parallel plans fit the same models as serial plans: the combine, serialize
-- and deserialize functions of the fitting aggregates are used.  Uses clv_cdnow.cal
-- (the CDNOW sample at 1997-09-30 in weeks) from clv_cdnow.
SET extra_float_digits = 0;
CREATE SCHEMA clv_parallel;
SET search_path = clv_parallel, public;
-- four copies of every member, so each worker sees many rows
CREATE TABLE cal4 AS SELECT c.* FROM clv_cdnow.cal c, generate_series(1, 4);
ANALYZE cal4;
CREATE FUNCTION plan_has(query text, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ pattern THEN RETURN true; END IF;
  END LOOP;
  RETURN false;
END $$;
CREATE FUNCTION rel_ok(v double precision, ref double precision, tol double precision)
  RETURNS boolean LANGUAGE sql IMMUTABLE RETURN abs(v - ref) <= tol * abs(ref);
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial AS
  SELECT (SELECT rfm.bgnbd_fit(x, t_x, t) FROM cal4) AS bg, (SELECT rfm.pnbd_fit(x, t_x, t) FROM cal4) AS pn,
         (SELECT rfm.gamma_gamma_fit(x, monetary) FROM cal4) AS gg;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT plan_has(q, 'Partial Aggregate') AS partial, plan_has(q, 'Finalize Aggregate') AS finalize,
       plan_has(q, 'Gather') AS gather
  FROM (VALUES ('SELECT rfm.bgnbd_fit(x, t_x, t) FROM cal4'), ('SELECT rfm.pnbd_fit(x, t_x, t) FROM cal4'),
               ('SELECT rfm.gamma_gamma_fit(x, monetary) FROM cal4')) v(q);
CREATE TABLE par AS
  SELECT (SELECT rfm.bgnbd_fit(x, t_x, t) FROM cal4) AS bg, (SELECT rfm.pnbd_fit(x, t_x, t) FROM cal4) AS pn,
         (SELECT rfm.gamma_gamma_fit(x, monetary) FROM cal4) AS gg;
-- same members, same parameters (summation order differs: relative 1e-6) and log-likelihood (1e-12)
SELECT (p.bg).n AS n, (p.bg).converged AND (p.pn).converged AND (p.gg).converged AS converged,
       rel_ok((p.bg).r, (s.bg).r, 1e-6) AND rel_ok((p.bg).alpha, (s.bg).alpha, 1e-6)
         AND rel_ok((p.bg).a, (s.bg).a, 1e-6) AND rel_ok((p.bg).b, (s.bg).b, 1e-6)
         AND rel_ok((p.bg).ll, (s.bg).ll, 1e-12) AS bgnbd_same,
       rel_ok((p.pn).r, (s.pn).r, 1e-6) AND rel_ok((p.pn).alpha, (s.pn).alpha, 1e-6)
         AND rel_ok((p.pn).s, (s.pn).s, 1e-6) AND rel_ok((p.pn).beta, (s.pn).beta, 1e-6)
         AND rel_ok((p.pn).ll, (s.pn).ll, 1e-12) AS pnbd_same,
       (p.gg).n AS gg_n, rel_ok((p.gg).p, (s.gg).p, 1e-6) AND rel_ok((p.gg).q, (s.gg).q, 1e-6)
         AND rel_ok((p.gg).v, (s.gg).v, 1e-6) AND rel_ok((p.gg).ll, (s.gg).ll, 1e-12) AS gg_same
  FROM serial s, par p;
-- four copies of the sample: four times the one-copy log-likelihood, the same parameters
SET max_parallel_workers_per_gather = 0;
SELECT rel_ok((p.bg).ll, 4 * (o.bg).ll, 1e-12) AS ll_times_4, rel_ok((p.bg).r, (o.bg).r, 1e-5) AS same_r
  FROM par p, (SELECT rfm.bgnbd_fit(x, t_x, t) AS bg FROM clv_cdnow.cal) o;
RESET search_path;
