-- Fitting benchmark: BG/NBD, Pareto/NBD and Gamma-Gamma over the member summaries of
-- bench/clv_gen.py (loaded by bench/clv_fit.sh into clv_bench.members).  Serial, then
-- with 2 parallel workers.  Prints timings (\timing) and the fits with their iterations.
\timing on
SET search_path = clv_bench, public;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS members, count(*) FILTER (WHERE x > 0) AS repeaters,
       count(DISTINCT (x, t_x, t)) AS btyd_cells FROM members;
SELECT (rfm.bgnbd_fit(x, t_x, t)).* FROM members;
SELECT (rfm.gamma_gamma_fit(x, monetary)).* FROM members;
SELECT (rfm.pnbd_fit(x, t_x, t)).* FROM members;
-- for comparison: finding the distinct cells with plain SQL
SELECT count(*) AS cells FROM (SELECT DISTINCT x, t_x, t FROM members) s;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF) SELECT rfm.bgnbd_fit(x, t_x, t) FROM members;
SELECT (rfm.bgnbd_fit(x, t_x, t)).* FROM members;
SELECT (rfm.gamma_gamma_fit(x, monetary)).* FROM members;
