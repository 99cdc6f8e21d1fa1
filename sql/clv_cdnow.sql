-- Lifetime value models on the CDNOW sample (shipped in data/cdnow) with the conventions of
-- ../shared/data/README.md: weeks, calibration to 1997-09-30, same-day purchases merged.
-- Reference values: CLVTools' tests (relative 1e-3), the published papers (printed decimals),
-- BTYD's walkthrough and lifetimes' tests (closed-form quantities at fixed parameters).
SET extra_float_digits = 0;
CREATE SCHEMA clv_cdnow;
SET search_path = clv_cdnow, public;
\getenv abs_srcdir PG_ABS_SRCDIR
\set sample_file :abs_srcdir '/data/cdnow/CDNOW_sample.txt'
CREATE TABLE lines (line text);
COPY lines FROM :'sample_file';
-- sample: master id, sample id (1..2357), YYYYMMDD, CDs, dollars
CREATE TABLE orders AS
  SELECT f[2]::int AS member_id, to_date(f[3], 'YYYYMMDD') AS ordered_at, f[5]::numeric AS amount
    FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') f FROM lines) s;
CREATE TABLE cal AS
  SELECT member_id, (rfm.btyd(rfm.purchases_agg(ordered_at, amount), '1997-09-30')).*
    FROM orders GROUP BY member_id;
SELECT count(*) AS members, sum(x) AS repeats, count(*) FILTER (WHERE x > 0) AS repeaters FROM cal;

-- the three fits (serial plans)
SET max_parallel_workers_per_gather = 0;
CREATE TABLE fit AS
  SELECT (SELECT rfm.bgnbd_fit(x, t_x, t) FROM cal) AS bg,
         (SELECT rfm.pnbd_fit(x, t_x, t) FROM cal) AS pn,
         (SELECT rfm.gamma_gamma_fit(x, monetary) FROM cal) AS gg;
CREATE FUNCTION rel_ok(v double precision, ref double precision, tol double precision)
  RETURNS boolean LANGUAGE sql IMMUTABLE RETURN abs(v - ref) <= tol * abs(ref);
SELECT (bg).n, (bg).converged, (bg).iterations < 200 AS few_iterations, (bg).grad_norm < 1e-3 AS small_gradient,
       (pn).n, (pn).converged, (gg).n, (gg).converged
  FROM fit;

-- CLVTools tests/testthat, relative tolerance 1e-3 (q: CLVTools asserts the paper's 3.74; the exact data give
-- 3.74422, 1.13e-3 away, as the refit in ../shared/data/README.md 2a does; compared at 1.2e-3 and below at 1e-4)
SELECT rel_ok((bg).r, 0.2425945, 1e-3) AS r, rel_ok((bg).alpha, 4.4136019, 1e-3) AS alpha,
       rel_ok((bg).a, 0.7929199, 1e-3) AS a, rel_ok((bg).b, 2.4258881, 1e-3) AS b,
       rel_ok((bg).ll, -9582.429, 1e-3) AS ll, rel_ok((bg).ll, -9582.429, 1e-7) AS ll_1e7
  FROM fit;
SELECT rel_ok((pn).r, 0.55315, 1e-3) AS r, rel_ok((pn).alpha, 10.57633, 1e-3) AS alpha,
       rel_ok((pn).s, 0.60625, 1e-3) AS s, rel_ok((pn).beta, 11.67150, 1e-3) AS beta,
       rel_ok((pn).ll, -9594.976, 1e-3) AS ll, rel_ok((pn).ll, -9594.976, 1e-7) AS ll_1e7
  FROM fit;
SELECT rel_ok((gg).p, 6.25, 1e-3) AS p, rel_ok((gg).q, 3.74, 1.2e-3) AS q, rel_ok((gg).v, 15.44, 1e-3) AS v,
       rel_ok((gg).ll, -4055.9177, 1e-3) AS ll, rel_ok((gg).ll, -4055.9177, 1e-7) AS ll_1e7
  FROM fit;
-- ../shared/data/README.md 2a, the exact refits there
SELECT rel_ok((bg).r, 0.24259, 1e-4) AND rel_ok((bg).alpha, 4.41360, 1e-4) AND rel_ok((bg).a, 0.79292, 1e-4)
       AND rel_ok((bg).b, 2.42589, 1e-4) AS bgnbd_exact_refit,
       rel_ok((gg).p, 6.24945, 1e-4) AND rel_ok((gg).q, 3.74425, 1e-4) AND rel_ok((gg).v, 15.44396, 1e-4) AS gg_exact_refit
  FROM fit;
-- published: Fader, Hardie & Lee (2005), to their printed decimals
SELECT round((bg).r::numeric, 3) AS r, round((bg).alpha::numeric, 3) AS alpha, round((bg).a::numeric, 3) AS a,
       round((bg).b::numeric, 3) AS b, round((bg).ll::numeric, 1) AS ll FROM fit;
SELECT round((pn).r::numeric, 3) AS r, round((pn).alpha::numeric, 3) AS alpha, round((pn).s::numeric, 3) AS s,
       round((pn).beta::numeric, 3) AS beta, round((pn).ll::numeric, 1) AS ll FROM fit;
SELECT round((gg).p::numeric, 2) AS p, round((gg).q::numeric, 2) AS q, round((gg).v::numeric, 2) AS v FROM fit;

-- closed forms at fixed parameters (no optimiser involved)
-- lifetimes / Hardie's spreadsheet: E[Y(39) | 2, 30.43, 38.86] = 1.226 with the published BG/NBD
SELECT round(rfm.expected_purchases(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), 39, 2, 30.43, 38.86)::numeric, 3) AS e_y39;
-- P(alive | x = 0) = 1 for BG/NBD
SELECT rfm.p_alive(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), 0, 0, 38.86) AS p_alive_x0,
       rfm.p_alive(bg, 0, 0, 10) AS p_alive_x0_fit FROM fit;
-- BTYD walkthrough, BG/NBD at its printed estimates
WITH m AS (SELECT rfm.bgnbd(0.2425982, 4.4136842, 0.7929899, 2.4261667) AS m)
SELECT rel_ok(rfm.expected_purchases(m, 52), 1.444004, 1e-5) AS e_x52,
       rel_ok(rfm.expected_purchases(m, 52, 26, 30.85714, 31), 25.75659, 1e-5) AS e_y52_1516,
       rel_ok(rfm.p_alive(m, 26, 30.85714, 31), 0.9688523, 1e-5) AS p_alive_1516,
       rel_ok(rfm.expected_purchases(m, 52, 10, 20, 39), 0.3474606, 1e-5) AS x10,
       rel_ok(rfm.expected_purchases(m, 52, 15, 20, 39), 0.04283391, 1e-5) AS x15,
       rel_ok(rfm.expected_purchases(m, 52, 20, 20, 39), 0.004158973, 1e-5) AS x20,
       rel_ok(rfm.expected_purchases(m, 52, 25, 20, 39), 0.0003583685, 1e-5) AS x25
  FROM m;
-- BTYD walkthrough, Pareto/NBD, at lifetimes' 4-decimal copy of BTYD's estimates
-- (0.5534, 10.5802, 0.6061, 11.6562): the rounding of the parameters moves the values by up to 5e-4
WITH m AS (SELECT rfm.pnbd(0.5534, 10.5802, 0.6061, 11.6562) AS m)
SELECT rel_ok(rfm.expected_purchases(m, 52), 1.473434, 1e-3) AS e_x52,
       rel_ok(rfm.expected_purchases(m, 52, 26, 30.85714, 31), 25.45647, 1e-3) AS e_y52_1516,
       abs(rfm.expected_purchases(m, 52, 26, 30.86, 31) - 25.46) < 0.01 AS e_y52_lifetimes,
       rel_ok(rfm.p_alive(m, 26, 30.85714, 31), 0.997874, 1e-5) AS p_alive_1516,
       abs(rfm.p_alive(m, 26, 30.86, 31) - 0.9979) < 0.001 AS p_alive_lifetimes,
       rel_ok(rfm.expected_purchases(m, 52, 10, 20, 39), 0.7062289, 1e-3) AS x10,
       rel_ok(rfm.expected_purchases(m, 52, 15, 20, 39), 0.1442396, 1e-3) AS x15,
       rel_ok(rfm.expected_purchases(m, 52, 20, 20, 39), 0.02250658, 1e-3) AS x20,
       rel_ok(rfm.expected_purchases(m, 52, 25, 20, 39), 0.00309267, 1e-3) AS x25
  FROM m;
-- lifetimes: unconditional BG/NBD expectations with the fitted model (decimal = 3)
SELECT t, round(rfm.expected_purchases(bg, t)::numeric, 4) AS e_x, ref,
       abs(rfm.expected_purchases(bg, t) - ref) < 1.5e-3 AS ok
  FROM fit, (VALUES (0.1429, 0.0078), (1, 0.0532), (3, 0.1506), (31.8571, 1.0405), (32, 1.0437), (78, 1.8576)) v(t, ref);
-- lifetimes: unconditional Pareto/NBD expectations with the fitted model (atol 0.01)
SELECT bool_and(abs(rfm.expected_purchases(pn, t) - ref) < 0.01) AS pnbd_e_x_0_to_9
  FROM fit, (VALUES (0, 0), (1, 0.05077821), (2, 0.09916088), (3, 0.14542507), (4, 0.18979930),
                    (5, 0.23247466), (6, 0.27361274), (7, 0.31335159), (8, 0.35181024), (9, 0.38909211)) v(t, ref);
-- fitted Pareto/NBD, customer 1516 and the unconditional E[X(52)] against BTYD (its fit, relative 1e-3)
SELECT rel_ok(rfm.expected_purchases(pn, 52), 1.473434, 1e-3) AS e_x52,
       rel_ok(rfm.expected_purchases(pn, 52, x, t_x, t), 25.45647, 1e-3) AS e_y52_1516,
       rel_ok(rfm.p_alive(pn, x, t_x, t), 0.997874, 1e-3) AS p_alive_1516,
       x, round(t_x::numeric, 5) AS t_x, t
  FROM fit, cal WHERE member_id = 1516;
-- Gamma-Gamma expected spends of the first ten customers (Hardie note 025, lifetimes atol 0.1)
SELECT member_id, x, round(monetary::numeric, 2) AS monetary,
       round(rfm.expected_spend(rfm.gamma_gamma(6.25, 3.74, 15.44), x, monetary)::numeric, 2) AS spend, ref,
       abs(rfm.expected_spend(rfm.gamma_gamma(6.25, 3.74, 15.44), x, monetary) - ref) < 0.1 AS ok
  FROM cal JOIN (VALUES (1, 24.65), (2, 18.91), (3, 35.17), (4, 35.17), (5, 35.17), (6, 71.46), (7, 18.91),
                        (8, 35.17), (9, 27.28), (10, 35.17)) v(member_id, ref) USING (member_id)
 ORDER BY member_id;

-- BTYD walkthrough holdout check: mean holdout purchase days (39 weeks to 1998-06-30) by calibration
-- frequency 0..7+, actual and expected.  Actual and bin sizes exactly; BG/NBD expected at relative 1e-4
-- (our fit is BTYD's to 1e-4); Pareto/NBD to BTYD's 3 printed decimals (half a unit) plus relative 1e-3
-- (BTYD's beta is 11.656, ours 11.669).
CREATE TABLE hold AS
  SELECT member_id, rfm.purchase_days(rfm.purchases_agg(ordered_at, amount), '1998-06-30', '273 days') AS holdout
    FROM orders GROUP BY member_id;
SELECT least(x, 7) AS x_cal, count(*) AS n, round(avg(holdout), 3) AS actual, a.ref_actual, a.ref_n,
       rel_ok(avg(rfm.expected_purchases(bg, 39, x, t_x, t)), a.ref_bg, 1e-4) AS bgnbd,
       abs(avg(rfm.expected_purchases(pn, 39, x, t_x, t)) - a.ref_pn) <= 0.0005 + 1e-3 * a.ref_pn AS pnbd
  FROM cal JOIN hold USING (member_id) CROSS JOIN fit
  JOIN (VALUES (0, 0.237, 1411, 0.2250893, 0.138), (1, 0.697, 439, 0.5231364, 0.600), (2, 1.393, 214, 1.044126, 1.196),
               (3, 1.560, 100, 1.520256, 1.714), (4, 2.532, 62, 2.163824, 2.399), (5, 2.947, 38, 2.653789, 2.907),
               (6, 3.862, 29, 3.503957, 3.819), (7, 6.359, 64, 6.157036, 6.403)) a(x_cal, ref_actual, ref_n, ref_bg, ref_pn)
    ON a.x_cal = least(x, 7)
 GROUP BY 1, a.ref_actual, a.ref_n, a.ref_bg, a.ref_pn ORDER BY 1;

-- CLV against a hand computation: the sum over weeks i = 1..ceil(H) of
-- (E[Y(min(i, H))] - E[Y(i - 1)]) * spend / (1 + d)^i, here for customer 1516 and customer 1
CREATE FUNCTION hand_clv(m rfm.bgnbd, g rfm.gamma_gamma, x float8, t_x float8, t float8, z float8, h float8, d float8)
  RETURNS float8 LANGUAGE sql IMMUTABLE RETURN
  (SELECT sum((rfm.expected_purchases(m, least(i, h), x, t_x, t)
               - rfm.expected_purchases(m, (i - 1)::float8, x, t_x, t)) / (1 + d) ^ i)
     FROM generate_series(1, ceil(h)::int) i) * rfm.expected_spend(g, x, z);
SELECT member_id, h, d,
       rel_ok(rfm.clv(bg, gg, x, t_x, t, monetary, h, d), hand_clv(bg, gg, x, t_x, t, monetary, h, d), 1e-12) AS same
  FROM fit, cal, (VALUES (52, 0.0), (52, 0.01), (39.5, 0.002), (0.5, 0.1)) v(h, d)
 WHERE member_id IN (1, 1516) ORDER BY member_id, h, d;
-- no discount: expected purchases over the horizon times expected spend
SELECT rel_ok(rfm.clv(bg, gg, x, t_x, t, monetary, 52, 0),
              rfm.expected_purchases(bg, 52, x, t_x, t) * rfm.expected_spend(gg, x, monetary), 1e-12) AS undiscounted,
       round(rfm.clv(bg, gg, x, t_x, t, monetary, 52, 0.0018)::numeric, 2) AS clv_bgnbd,
       round(rfm.clv(pn, gg, x, t_x, t, monetary, 52, 0.0018)::numeric, 2) AS clv_pnbd
  FROM fit, cal WHERE member_id = 1516;
-- one hand value: customer 1516 over 2 weeks at 1% a week, BG/NBD (0.243, 4.414, 0.793, 2.426), GG (6.25, 3.74, 15.44)
SELECT rel_ok(rfm.clv(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), rfm.gamma_gamma(6.25, 3.74, 15.44), 26, 30.85714, 31, 40, 2, 0.01),
              (e1 / 1.01 + (e2 - e1) / 1.0201) * (6.25 * (15.44 + 26 * 40) / (6.25 * 26 + 3.74 - 1)), 1e-12) AS two_weeks
  FROM (SELECT rfm.expected_purchases(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), 1, 26, 30.85714, 31) e1,
               rfm.expected_purchases(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), 2, 26, 30.85714, 31) e2) s;

-- the fit over cells gives the fit over members: the same members entered with different row order
SELECT rel_ok((SELECT (rfm.bgnbd_fit(x, t_x, t)).ll FROM (SELECT * FROM cal ORDER BY t DESC, member_id DESC) s),
              (bg).ll, 1e-12) AS order_independent_ll FROM fit;
-- Pareto/NBD P(alive) without any hypergeometric function: 1 / (1 + s (alpha+T)^(r+x) (beta+T)^s I),
-- I = integral over (t_x, T) of (alpha+tau)^-(r+x) (beta+tau)^-(s+1) (Simpson's rule, 20,000 intervals),
-- including arguments z = |alpha-beta| / (max(alpha, beta) + t) near 1 (the continued fraction path)
SELECT r, alpha, s, beta, x, t_x, t, rel_ok(rfm.p_alive(rfm.pnbd(r, alpha, s, beta), x, t_x, t),
         1 / (1 + s * (alpha + t) ^ (r + x) * (beta + t) ^ s * i), 1e-8) AS same
  FROM (SELECT r, alpha, s, beta, x, t_x, t,
               (t - t_x) / 60000 * sum(CASE WHEN k IN (0, 20000) THEN 1 WHEN k % 2 = 1 THEN 4 ELSE 2 END
                 * (alpha + t_x + k * (t - t_x) / 20000) ^ -(r + x) * (beta + t_x + k * (t - t_x) / 20000) ^ -(s + 1)) AS i
          FROM (VALUES (2.0::float8, 1.0::float8, 0.5::float8, 20000.0::float8, 3, 1.0::float8, 2.0::float8),
                       (2.0, 1.0, 0.5, 20000.0, 3, 0.5, 52.0),
                       (0.5534, 10.5802, 0.6061, 11.6562, 26, 30.86, 31.0), (0.5, 20000.0, 0.6, 1.0, 2, 5.0, 40.0),
                       (0.5, 1.0, 3.0, 5000.0, 0, 0.0, 30.0), (1.5, 3.0, 60.0, 30000.0, 1, 2.0, 50.0)) v(r, alpha, s, beta, x, t_x, t),
               generate_series(0, 20000) k
         GROUP BY r, alpha, s, beta, x, t_x, t) q
 ORDER BY r, alpha;
RESET search_path;
