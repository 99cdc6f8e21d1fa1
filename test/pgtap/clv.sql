-- pgTAP assertions on the lifetime value functions (SPEC section 5): the contract's
-- signatures, volatility and parallel safety, the error rules, and hand-checked values.
BEGIN;
SELECT plan(32);

SELECT has_type('rfm', 'bgnbd', 'type rfm.bgnbd');
SELECT has_type('rfm', 'pnbd', 'type rfm.pnbd');
SELECT has_type('rfm', 'gamma_gamma', 'type rfm.gamma_gamma');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'rfm.bgnbd'::regclass AND attnum > 0),
          ARRAY['r', 'alpha', 'a', 'b', 'll', 'n', 'iterations', 'grad_norm', 'converged'], 'rfm.bgnbd fields: SPEC, then diagnostics');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'rfm.pnbd'::regclass AND attnum > 0),
          ARRAY['r', 'alpha', 's', 'beta', 'll', 'n', 'iterations', 'grad_norm', 'converged'], 'rfm.pnbd fields: SPEC, then diagnostics');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'rfm.gamma_gamma'::regclass AND attnum > 0),
          ARRAY['p', 'q', 'v', 'll', 'n', 'iterations', 'grad_norm', 'converged'], 'rfm.gamma_gamma fields: SPEC, then diagnostics');
SELECT is_aggregate('rfm', 'bgnbd_fit', ARRAY['double precision', 'double precision', 'double precision'], 'rfm.bgnbd_fit(x, t_x, t)');
SELECT is_aggregate('rfm', 'pnbd_fit', ARRAY['double precision', 'double precision', 'double precision'], 'rfm.pnbd_fit(x, t_x, t)');
SELECT is_aggregate('rfm', 'gamma_gamma_fit', ARRAY['double precision', 'double precision'], 'rfm.gamma_gamma_fit(x, monetary)');
SELECT has_function('rfm', 'p_alive', ARRAY['rfm.bgnbd', 'double precision', 'double precision', 'double precision'], 'rfm.p_alive(bgnbd, x, t_x, t)');
SELECT has_function('rfm', 'p_alive', ARRAY['rfm.pnbd', 'double precision', 'double precision', 'double precision'], 'rfm.p_alive(pnbd, x, t_x, t)');
SELECT has_function('rfm', 'expected_purchases', ARRAY['rfm.bgnbd', 'double precision', 'double precision', 'double precision', 'double precision'], 'conditional BG/NBD');
SELECT has_function('rfm', 'expected_purchases', ARRAY['rfm.pnbd', 'double precision'], 'unconditional Pareto/NBD');
SELECT has_function('rfm', 'expected_spend', ARRAY['rfm.gamma_gamma', 'double precision', 'double precision'], 'rfm.expected_spend(g, x, monetary)');
SELECT has_function('rfm', 'clv', ARRAY['rfm.pnbd', 'rfm.gamma_gamma', 'double precision', 'double precision', 'double precision',
                    'double precision', 'double precision', 'double precision'], 'rfm.clv(m, g, x, t_x, t, monetary, horizon, discount_rate)');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'rfm' AND p.proname IN ('p_alive', 'expected_purchases', 'expected_spend', 'clv')
              AND p.provolatile = 'i' AND p.proparallel = 's' AND p.proisstrict), 9,
          'the 9 prediction functions are immutable, parallel safe and strict');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'rfm' AND p.proname IN ('bgnbd_fit', 'pnbd_fit', 'gamma_gamma_fit') AND p.proparallel = 's'), 3,
          'the 3 fitting aggregates are parallel safe');

-- hand-checked values
SELECT is(rfm.p_alive(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), 0, 0, 30), 1::float8, 'BG/NBD P(alive | x = 0) = 1');
SELECT ok(abs(rfm.p_alive(rfm.bgnbd(1, 2, 3, 4), 2, 5, 10)
              - 1 / (1 + 3.0 / (4 + 2 - 1) * ((2.0 + 10) / (2 + 5)) ^ (1 + 2))) < 1e-14, 'BG/NBD P(alive) closed form by hand');
SELECT ok(abs(rfm.expected_purchases(rfm.pnbd(1, 2, 3, 4), 5) - 1 * 4 / (2.0 * (3 - 1)) * (1 - (4 / 9.0) ^ 2)) < 1e-14,
          'Pareto/NBD E[X(t)] closed form by hand');
SELECT ok(abs(rfm.expected_purchases(rfm.pnbd(1, 2, 1, 4), 5) - 1 * 4 / 2.0 * ln(9 / 4.0)) < 1e-9,
          'Pareto/NBD E[X(t)] at s = 1 is the limit r beta / alpha ln((beta + t) / beta)');
SELECT ok(abs(rfm.expected_spend(rfm.gamma_gamma(2, 3, 10), 4, 25) - 2 * (10 + 4 * 25) / (2 * 4 + 3 - 1.0)) < 1e-12,
          'Gamma-Gamma expected spend by hand');
SELECT is(rfm.expected_purchases(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), 0, 3, 10, 20), 0::float8, 'nothing expected over a zero horizon');
SELECT ok(abs(rfm.expected_purchases(rfm.bgnbd(0.5, 3, 1, 2), 10)
              - (rfm.expected_purchases(rfm.bgnbd(0.5, 3, 1.001, 2), 10) + rfm.expected_purchases(rfm.bgnbd(0.5, 3, 0.999, 2), 10)) / 2) < 1e-5,
          'BG/NBD E[X(t)] is continuous at a = 1, where the formula is 0/0');
SELECT is(rfm.clv(rfm.bgnbd(0.243, 4.414, 0.793, 2.426), rfm.gamma_gamma(6.25, 3.74, 15.44), 1, 1, 2, 20, 0, 0.01), 0::float8,
          'CLV over a zero horizon is 0');
SELECT is(rfm.p_alive(NULL::rfm.pnbd, 1, 1, 2), NULL, 'strict: NULL model, NULL result');

-- errors
SELECT throws_ok($$SELECT rfm.bgnbd_fit(x, 1, 2) FROM (VALUES ('NaN'::float8)) v(x)$$, '22023', 'x must be finite, not NaN', 'NaN x');
SELECT throws_ok($$SELECT rfm.pnbd_fit(2, 3, 1)$$, '22023', 't_x (3) must not exceed t (1)', 't_x > t');
SELECT throws_ok($$SELECT rfm.bgnbd_fit(-1, 0, 1)$$, '22023', 'x must be a whole number >= 0, not -1', 'negative x');
SELECT throws_ok($$SELECT rfm.gamma_gamma_fit(3, 0)$$, '22023', 'monetary must be > 0 when x > 0, not 0', 'zero spend of a repeater');
SELECT throws_ok($$SELECT rfm.bgnbd_fit(0, 0, t) FROM generate_series(1, 5) t$$, '22000',
                 'rfm.bgnbd_fit: no repeat purchases among 5 members', 'no repeaters');
SELECT throws_ok($$SELECT rfm.clv(rfm.pnbd(1, 2, 3, 4), rfm.gamma_gamma(1, 2, 3), 1, 1, 2, 10, 5, 'NaN')$$, '22023',
                 'discount_rate must be a finite number > -1, not NaN', 'NaN discount rate');

SELECT * FROM finish();
ROLLBACK;
