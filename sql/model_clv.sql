-- Models with lifetime value (option clv): BG/NBD (or Pareto/NBD) and Gamma-Gamma fitted at each refresh
-- (calibration end = as_of, weeks), p_alive, expected_purchases and clv in labels, the fits per refresh.
-- Uses cdnow_sample from purchases_cdnow (2,357 customers): at 1997-09-30 the fits are the published ones.
SET extra_float_digits = 0;
SET DateStyle = ISO;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

\set VERBOSITY terse
SELECT rfm.create_model('clv', 'cdnow_sample', options => '{"clv": "yes"}');
SELECT rfm.create_model('clv', 'cdnow_sample', options => '{"clv": true, "clv_model": "weibull"}');
SELECT rfm.create_model('clv', 'cdnow_sample', options => '{"clv": true, "clv_discount_rate": -0.1}');
\set VERBOSITY default
SELECT rfm.create_model('clv', 'cdnow_sample', options => '{"clv": true, "clv_horizon": 39, "clv_discount_rate": 0.0019}');
SELECT rfm.create_model('clv_pnbd', 'cdnow_sample', options => '{"clv": true, "clv_model": "pnbd", "clv_horizon": 39}');
SELECT members FROM rfm.refresh('clv', '1997-09-30');
SELECT members FROM rfm.refresh('clv_pnbd', '1997-09-30');

-- the fits of the refresh: BG/NBD r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.43 (Fader, Hardie & Lee
-- 2005); Pareto/NBD r 0.553, alpha 10.58, s 0.606, beta 11.67, LL -9594.98; Gamma-Gamma p 6.25, q 3.74, v 15.44
SELECT round((bgnbd).r::numeric, 3) AS r, round((bgnbd).alpha::numeric, 3) AS alpha,
       round((bgnbd).a::numeric, 3) AS a, round((bgnbd).b::numeric, 3) AS b,
       round((bgnbd).ll::numeric, 2) AS ll, (bgnbd).n, (bgnbd).converged, pnbd IS NULL AS no_pnbd,
       round((gamma_gamma).p::numeric, 2) AS p, round((gamma_gamma).q::numeric, 2) AS q,
       round((gamma_gamma).v::numeric, 2) AS v, (gamma_gamma).n AS repeaters
  FROM rfm_clv.refreshes;
SELECT round((pnbd).r::numeric, 3) AS r, round((pnbd).alpha::numeric, 2) AS alpha,
       round((pnbd).s::numeric, 3) AS s, round((pnbd).beta::numeric, 2) AS beta,
       round((pnbd).ll::numeric, 2) AS ll, bgnbd IS NULL AS no_bgnbd
  FROM rfm_clv_pnbd.refreshes;

-- every member's p_alive, expected_purchases and clv are the functions of the stored fits on its summary
WITH f AS (SELECT bgnbd AS m, gamma_gamma AS g FROM rfm_clv.refreshes),
     b AS (SELECT member_id, rfm.btyd(purchases, '1997-09-30') AS s FROM rfm_clv.members)
SELECT count(*) AS members,
       count(*) FILTER (WHERE l.p_alive IS DISTINCT FROM rfm.p_alive(f.m, (b.s).x, (b.s).t_x, (b.s).t)) AS p_alive_differ,
       count(*) FILTER (WHERE l.expected_purchases IS DISTINCT FROM rfm.expected_purchases(f.m, 39, (b.s).x, (b.s).t_x, (b.s).t)) AS expected_differ,
       count(*) FILTER (WHERE l.clv IS DISTINCT FROM round(rfm.clv(f.m, f.g, (b.s).x, (b.s).t_x, (b.s).t, coalesce((b.s).monetary, 0), 39, 0.0019)::numeric, 2)) AS clv_differ,
       count(*) FILTER (WHERE (b.s).x = 0 AND l.p_alive <> 1) AS zero_repeaters_not_alive
  FROM rfm_clv.labels l JOIN b USING (member_id), f;
-- the published customer "1516" (x 26, t_x 30.86, T 31): P(alive) 0.9688523 under the published BG/NBD
SELECT member_id, (rfm.btyd(purchases, '1997-09-30')).x, round(l.p_alive::numeric, 3) AS p_alive,
       round(l.expected_purchases::numeric, 2) AS expected_39_weeks, round(l.clv::numeric, 2) AS clv
  FROM rfm_clv.members m JOIN rfm_clv.labels l USING (member_id)
 WHERE (rfm.btyd(purchases, '1997-09-30')).x = 26;
-- the model's expectation of the 39 holdout weeks against the 1,882 transactions that happened
SELECT round(sum(expected_purchases)::numeric) AS expected_holdout_purchases,
       (SELECT sum((rfm.btyd(purchases, '1998-06-30')).x - (rfm.btyd(purchases, '1997-09-30')).x)
          FROM rfm_clv.members) AS actual_holdout_purchase_days
  FROM rfm_clv.labels;

-- a model without the option has NULL lifetime value; a fit that cannot be made leaves NULLs and a warning,
-- and the refresh still succeeds
SELECT rfm.create_model('noclv', 'cdnow_sample');
SELECT members FROM rfm.refresh('noclv', '1997-09-30');
SELECT count(p_alive) + count(expected_purchases) + count(clv) AS clv_values, (SELECT bgnbd IS NULL AND gamma_gamma IS NULL FROM rfm_noclv.refreshes) AS no_fit
  FROM rfm_noclv.labels;
CREATE TABLE one_timers AS SELECT member_id, min(ordered_at) AS ordered_at, min(amount) AS amount FROM cdnow_sample GROUP BY 1;
SELECT rfm.create_model('one_timers', 'one_timers', options => '{"clv": true}');
SET client_min_messages = warning;
SELECT members FROM rfm.refresh('one_timers', '1997-09-30');
SELECT count(clv) AS clv_values, (SELECT bgnbd IS NULL AND gamma_gamma IS NULL FROM rfm_one_timers.refreshes) AS no_fit FROM rfm_one_timers.labels;

-- a repeat buyer whose orders were free has no clv (Gamma-Gamma needs positive spends) and is left out of
-- the spend fit; everyone else is predicted as before (CDNOW master has such members)
CREATE TABLE free_orders AS SELECT member_id, ordered_at, amount FROM cdnow_sample;
INSERT INTO free_orders VALUES (90001, '1997-01-05', 0), (90001, '1997-03-05', 0), (90001, '1997-06-05', 0);
SELECT rfm.create_model('free', 'free_orders', options => '{"clv": true, "clv_horizon": 39}');
SELECT members FROM rfm.refresh('free', '1997-09-30');
SELECT member_id, round(p_alive::numeric, 3) AS p_alive, expected_purchases > 0 AS expects_purchases, clv
  FROM rfm_free.labels WHERE member_id = 90001;
SELECT (gamma_gamma).n AS repeaters_in_spend_fit, round((gamma_gamma).p::numeric, 2) AS p FROM rfm_free.refreshes;

-- identical repeat buyers (each buys on the same two days): the BG/NBD likelihood has no maximum, the fit warns and
-- does not converge; the model then publishes no lifetime value at all, and says why in labels and refreshes
CREATE TABLE flat_orders AS
  SELECT m AS member_id, d AS ordered_at, 10 + m AS amount
    FROM generate_series(1, 20) m, (VALUES (date '1997-01-06'), (date '1997-02-03')) v(d);
SELECT rfm.create_model('flat', 'flat_orders', options => '{"clv": true}');
SELECT members FROM rfm.refresh('flat', '1997-09-30');
SELECT count(*) AS members, count(p_alive) AS p_alive, count(expected_purchases) AS expected, count(clv) AS clv,
       min(clv_status) AS clv_status
  FROM rfm_flat.labels;
SELECT (bgnbd).converged AS bgnbd_converged, clv_status FROM rfm_flat.refreshes;
SELECT DISTINCT clv_status FROM rfm_clv.labels;

SELECT rfm.drop_model('clv'), rfm.drop_model('clv_pnbd'), rfm.drop_model('noclv'), rfm.drop_model('one_timers'),
       rfm.drop_model('free'), rfm.drop_model('flat');
DROP TABLE one_timers, free_orders, flat_orders;
