-- Bad input to the lifetime value functions: errors name the value and hint at the fix.
SET extra_float_digits = 0;
\set VERBOSITY terse
-- non-finite, negative, fractional x; t_x > t; t_x without a repeat purchase
SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (1, 2, 3), ('NaN'::float8, 1, 2)) v(x, t_x, t);
SELECT rfm.pnbd_fit(x, t_x, t) FROM (VALUES (-1.0, 1, 2)) v(x, t_x, t);
SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (1.5, 1, 2)) v(x, t_x, t);
SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (2, 5, 4)) v(x, t_x, t);
SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (0, 1, 4)) v(x, t_x, t);
SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (1, 1, 'Infinity'::float8)) v(x, t_x, t);
SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (1, -1, 4)) v(x, t_x, t);
SELECT rfm.gamma_gamma_fit(x, m) FROM (VALUES (2, 10.0), (1, -5.0)) v(x, m);
SELECT rfm.gamma_gamma_fit(x, m) FROM (VALUES (2, 'NaN'::float8)) v(x, m);
-- degenerate data: no rows (NULL), only NULL rows, no repeaters, one spend for everybody
SELECT rfm.bgnbd_fit(x, t_x, t) IS NULL AS no_rows FROM (SELECT 1.0 x, 1.0 t_x, 1.0 t WHERE false) v;
SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (NULL::float8, 1.0, 2.0), (1, NULL, 2)) v(x, t_x, t);
SELECT rfm.pnbd_fit(x, t_x, t) FROM (VALUES (0, 0, 3), (0, 0, 5)) v(x, t_x, t);
SELECT rfm.gamma_gamma_fit(x, m) FROM (VALUES (0, 0), (0, 0)) v(x, m);
SELECT rfm.gamma_gamma_fit(x, m) FROM (VALUES (2, 10.0), (2, 10.0), (0, 0)) v(x, m);
-- identical repeat buyers: the likelihood has no maximum, the fit warns and says converged = false
SELECT (f).converged, (f).n FROM (SELECT rfm.bgnbd_fit(x, t_x, t) f FROM (VALUES (1, 1, 1)) v(x, t_x, t), generate_series(1, 10)) s;
-- NULL rows are skipped: the fit equals the fit without them (four members do not identify the model)
SET client_min_messages = error;
SELECT (SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (1, 1, 3), (0, 0, 3), (2, 2, 5), (0, 0, 4), (NULL, 1, 2)) v(x, t_x, t))
     = (SELECT rfm.bgnbd_fit(x, t_x, t) FROM (VALUES (1, 1, 3), (0, 0, 3), (2, 2, 5), (0, 0, 4)) v(x, t_x, t)) AS nulls_skipped;
RESET client_min_messages;
-- predictions: bad model, bad member, bad horizon or rate; NULL gives NULL (STRICT)
SELECT rfm.p_alive(rfm.bgnbd(0.243, 4.414, -0.793, 2.426), 1, 1, 2);
SELECT rfm.p_alive(ROW(0.2, NULL, 0.7, 2.4, NULL, NULL, NULL, NULL, NULL)::rfm.bgnbd, 1, 1, 2);
SELECT rfm.p_alive(rfm.pnbd(0.55, 10.6, 0.6, 11.7), 3, 5, 4);
SELECT rfm.expected_purchases(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), -1);
SELECT rfm.expected_purchases(rfm.pnbd(0.55, 10.6, 0.6, 11.7), 'NaN', 1, 1, 2);
SELECT rfm.expected_spend(rfm.gamma_gamma(6.25, 0.5, 15.44), 0, 0);
SELECT rfm.clv(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), rfm.gamma_gamma(6.25, 3.74, 15.44), 1, 1, 2, 20, 52, -1);
SELECT rfm.clv(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), rfm.gamma_gamma(6.25, 3.74, 15.44), 1, 1, 2, 20, 1e6, 0);
SELECT rfm.p_alive(NULL::rfm.bgnbd, 1, 1, 2) IS NULL AS null_model, rfm.p_alive(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), NULL, 1, 2) IS NULL AS null_x;
