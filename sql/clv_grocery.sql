-- A second, different data set: the BTYDplus grocery log (../shared/data/btydplus-grocery-elog,
-- 1,525 customers of a Q1-2006 cohort, 2006-01-01 .. 2007-12-30, no spend).  Weeks; calibration
-- 2006-01-01 .. 2006-12-31, holdout 2007-01-01 .. 2007-12-30 (52 weeks).  BG/NBD and Pareto/NBD are
-- fitted on the calibration year and their conditional expectations compared with the holdout
-- purchase days, by calibration frequency (the BTYD holdout check; numbers in docs/clv.md).
SET extra_float_digits = 0;
CREATE SCHEMA clv_grocery;
SET search_path = clv_grocery, public;
\getenv rfm_shared RFM_SHARED_DATA
\set elog :rfm_shared '/btydplus-grocery-elog/groceryElog.csv'
CREATE TABLE elog (cust int, day date);
COPY elog FROM :'elog' WITH (FORMAT csv, HEADER);
CREATE TABLE cbs AS
  SELECT cust, (rfm.btyd(rfm.purchases_agg(day, 0), '2006-12-31')).*,
         rfm.purchase_days(rfm.purchases_agg(day, 0), '2007-12-30', '364 days') AS holdout
    FROM elog GROUP BY cust;
-- the facts of PROVENANCE.md: 5,569 calibration repeats, 590 zero-repeaters, 3,389 holdout purchase days
SELECT count(*) AS customers, sum(x) AS calibration_repeats, count(*) FILTER (WHERE x = 0) AS zero_repeaters,
       sum(holdout) AS holdout_days FROM cbs;
CREATE TABLE fit AS
  SELECT (SELECT rfm.bgnbd_fit(x, t_x, t) FROM cbs) AS bg, (SELECT rfm.pnbd_fit(x, t_x, t) FROM cbs) AS pn;
SELECT (bg).converged AS bgnbd_converged, (bg).n, (pn).converged AS pnbd_converged, (pn).n FROM fit;
SELECT round((bg).r::numeric, 3) AS r, round((bg).alpha::numeric, 3) AS alpha, round((bg).a::numeric, 3) AS a,
       round((bg).b::numeric, 3) AS b, round((bg).ll::numeric, 2) AS ll FROM fit;
SELECT round((pn).r::numeric, 3) AS r, round((pn).alpha::numeric, 3) AS alpha, round((pn).s::numeric, 3) AS s,
       round((pn).beta::numeric, 3) AS beta, round((pn).ll::numeric, 2) AS ll FROM fit;
-- holdout check: mean holdout purchase days by calibration frequency (7+ pooled), actual and expected
SELECT least(x, 7) AS x_cal, count(*) AS customers, round(avg(holdout), 3) AS actual,
       round(avg(rfm.expected_purchases(bg, 52, x, t_x, t))::numeric, 3) AS bgnbd,
       round(avg(rfm.expected_purchases(pn, 52, x, t_x, t))::numeric, 3) AS pnbd
  FROM cbs, fit GROUP BY 1 ORDER BY 1;
-- totals: predicted holdout purchase days of the cohort against the actual 3,389
SELECT sum(holdout) AS actual, round(sum(rfm.expected_purchases(bg, 52, x, t_x, t))::numeric) AS bgnbd,
       round(sum(rfm.expected_purchases(pn, 52, x, t_x, t))::numeric) AS pnbd
  FROM cbs, fit;
RESET search_path;
