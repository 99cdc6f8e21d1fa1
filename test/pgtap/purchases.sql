-- pgTAP assertions on rfm.purchases: catalog properties the contract fixes,
-- and hand-checked values and errors.
BEGIN;
SELECT plan(35);

-- the catalog: types, function signatures, volatility, parallel safety
SELECT has_type('rfm', 'purchases', 'type rfm.purchases exists');
SELECT has_type('rfm', 'btyd_summary', 'type rfm.btyd_summary exists');
SELECT has_function('rfm', 'first_purchase', ARRAY['rfm.purchases', 'date'], 'rfm.first_purchase(p, as_of)');
SELECT has_function('rfm', 'last_purchase', ARRAY['rfm.purchases', 'date'], 'rfm.last_purchase(p, as_of)');
SELECT has_function('rfm', 'recency', ARRAY['rfm.purchases', 'date'], 'rfm.recency(p, as_of)');
SELECT has_function('rfm', 'frequency', ARRAY['rfm.purchases', 'date', 'interval'], 'rfm.frequency(p, as_of, w)');
SELECT has_function('rfm', 'purchase_days', ARRAY['rfm.purchases', 'date', 'interval'], 'rfm.purchase_days(p, as_of, w)');
SELECT has_function('rfm', 'monetary', ARRAY['rfm.purchases', 'date', 'interval'], 'rfm.monetary(p, as_of, w)');
SELECT has_function('rfm', 'btyd', ARRAY['rfm.purchases', 'date', 'double precision'], 'rfm.btyd(p, end, unit_days)');
SELECT function_returns('rfm', 'monetary', ARRAY['rfm.purchases', 'date', 'interval'], 'double precision', 'monetary returns double precision');
SELECT function_returns('rfm', 'recency', ARRAY['rfm.purchases', 'date'], 'integer', 'recency returns integer');
SELECT volatility_is('rfm', 'frequency', ARRAY['rfm.purchases', 'date', 'interval'], 'immutable', 'frequency is immutable');
SELECT volatility_is('rfm', 'btyd', ARRAY['rfm.purchases', 'date', 'double precision'], 'immutable', 'btyd is immutable');
SELECT is_aggregate('rfm', 'purchases_agg', ARRAY['date', 'numeric'], 'purchases_agg(date, numeric) is an aggregate');
SELECT is_aggregate('rfm', 'purchases_agg', ARRAY['timestamp with time zone', 'double precision'], 'purchases_agg(timestamptz, float8) is an aggregate');
SELECT is_aggregate('rfm', 'purchases_union', ARRAY['rfm.purchases'], 'purchases_union is an aggregate');
-- (serialize and deserialize are for internal states only: campaign_cell_agg's and purchases_union's are real
-- types, which Citus splits)
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
            WHERE p.pronamespace = 'rfm'::regnamespace
              AND NOT (p.proparallel = 's' AND a.aggcombinefn <> 0
                       AND (a.aggtranstype <> 'internal'::regtype OR (a.aggserialfn <> 0 AND a.aggdeserialfn <> 0)))), 0,
          'every aggregate of rfm is parallel safe with a combine function, and serialize and deserialize for an internal state');
SELECT is((SELECT count(*)::int FROM pg_proc p
            WHERE p.pronamespace = 'rfm'::regnamespace AND p.prokind = 'a' AND p.proname LIKE 'purchases%'), 5,
          'five purchases aggregates');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'rfm'), false, 'rfm is not relocatable');

-- values
SELECT is(rfm.recency('{2024-02-10:1:50,2024-03-31:3:30}', '2024-03-30'), 49, 'recency counts days to as_of, ignoring later days');
SELECT is(rfm.frequency('{2024-01-01:2:100,2024-03-31:3:30}', '2024-03-31', '3 months'), 5, '3 months at 03-31 include 01-01');
SELECT is(rfm.frequency('{2023-12-31:2:100,2024-03-31:3:30}', '2024-03-31', '3 months'), 3, '3 months at 03-31 exclude 12-31');
SELECT is(rfm.monetary('{2024-01-01:2:100,2024-01-15:0:-20}', '2024-02-01'), 80::float8, 'refunds lower the net spend');
SELECT is(rfm.purchase_days('{2024-01-01:2:100,2024-01-15:0:-20}', NULL), 1, 'a refund-only day is not a purchase day');
SELECT ok(rfm.first_purchase('{2024-01-15:0:-20}', NULL) IS NULL, 'no purchase day: NULL');
SELECT row_eq($$SELECT * FROM rfm.btyd('{1997-01-01:1:10,1997-01-29:1:30,1997-02-26:2:20}', '1997-09-30')$$,
              ROW(2, 8::float8, 38.857142857142854::float8, 25::float8)::rfm.btyd_summary,
              'btyd: x = 2 repeat days, t_x = 8 weeks, mean repeat spend 25');
SELECT is((SELECT rfm.purchases_agg(d, a)::text FROM (VALUES ('2024-01-02'::date, 5.0), ('2024-01-01', 1.0), ('2024-01-02', -2.0)) v(d, a)),
          '{2024-01-01:1:1,2024-01-02:1:3}', 'out-of-order rows and same-day refunds are merged');
SELECT ok((SELECT rfm.purchases_agg(d, a) FROM (VALUES (NULL::date, 5.0)) v(d, a)) IS NULL, 'only NULL rows: NULL');
SELECT is('{2024-01-01:1:0.1}'::rfm.purchases::text::rfm.purchases::text, '{2024-01-01:1:0.1}', 'text round trip');

-- errors: SQLSTATE and message naming the bad value
SELECT throws_ok($$SELECT 'nonsense'::rfm.purchases$$, '22P02', NULL, 'malformed text: 22P02');
SELECT throws_ok($$SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 'NaN'::float8)) v(d, a)$$,
                 '22023', 'invalid purchase amount: NaN', 'NaN amount: 22023 naming the value');
SELECT throws_ok($$SELECT rfm.purchases_agg(d, a) FROM (VALUES ('2024-01-01'::date, 'Infinity'::numeric)) v(d, a)$$,
                 '22023', 'invalid purchase amount: Infinity', 'infinite amount: 22023 naming the value');
SELECT throws_ok($$SELECT '{2024-01-05:1:5,2024-01-04:1:5}'::rfm.purchases$$, '22P02', NULL, 'unsorted days are refused');
SELECT throws_ok($$SELECT rfm.frequency('{2024-01-01:1:1}', '2024-03-31', '-1 day')$$, '22023', NULL, 'negative window refused');
SELECT throws_ok($$SELECT rfm.btyd('{2024-01-01:1:1}', '2024-03-31', -7)$$, '22023', NULL, 'negative unit refused');

SELECT * FROM finish();
ROLLBACK;
