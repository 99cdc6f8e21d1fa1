-- pgTAP assertions on purchase intent (SPEC section 4): the contract's signatures,
-- volatility and parallel safety, and hand-checked values and SQLSTATEs.
BEGIN;
SELECT plan(26);

SELECT has_type('rfm', 'intent', 'type rfm.intent');
SELECT is_aggregate('rfm', 'intent_agg', ARRAY['text', 'timestamp with time zone'], 'rfm.intent_agg(event, ts) is an aggregate');
SELECT is_aggregate('rfm', 'intent_union', ARRAY['rfm.intent'], 'rfm.intent_union(intent) is an aggregate');
SELECT has_function('rfm', 'intent_score', ARRAY['rfm.intent', 'timestamp with time zone', 'interval', 'interval'],
                    'rfm.intent_score(i, as_of, half_life, horizon)');
SELECT function_returns('rfm', 'intent_score', ARRAY['rfm.intent', 'timestamp with time zone', 'interval', 'interval'],
                        'double precision', 'intent_score returns double precision');
SELECT enum_has_labels('rfm', 'dciu_bucket', ARRAY['D', 'C', 'I', 'U'], 'dciu_bucket is D, C, I, U');
SELECT has_function('rfm', 'dciu', ARRAY['rfm.intent', 'timestamp with time zone', 'double precision[]'], 'rfm.dciu(i, as_of, cuts)');
SELECT function_returns('rfm', 'dciu', ARRAY['rfm.intent', 'timestamp with time zone', 'double precision[]'],
                        'rfm.dciu_bucket', 'dciu returns rfm.dciu_bucket');
SELECT volatility_is('rfm', 'intent_score', ARRAY['rfm.intent', 'timestamp with time zone', 'interval', 'interval'],
                     'immutable', 'intent_score is immutable');
SELECT volatility_is('rfm', 'dciu', ARRAY['rfm.intent', 'timestamp with time zone', 'double precision[]'],
                     'immutable', 'dciu is immutable');
SELECT is_strict('rfm', 'dciu', ARRAY['rfm.intent', 'timestamp with time zone', 'double precision[]'], 'dciu is strict');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'rfm.dciu(rfm.intent, timestamptz, double precision[])'::regprocedure),
          's'::"char", 'dciu is parallel safe');
SELECT is_aggregate('rfm', 'dciu_calibrate', ARRAY['double precision', 'boolean'], 'rfm.dciu_calibrate(score, bought) is an aggregate');
SELECT is_aggregate('rfm', 'dciu_lift_agg', ARRAY['rfm.dciu_bucket', 'boolean', 'double precision'],
                    'rfm.dciu_lift_agg(bucket, bought, revenue) is an aggregate');

SELECT is(rfm.intent_score('{cart_add:2024-01-01T10Z:1}', '2024-01-04 11:00+00'), 2.5::float8,
          'a cart_add one half-life old weighs 2.5');
SELECT is(rfm.intent_score('{cart_add:2024-01-01T10Z:1}', '2024-01-15 11:00+00'), 0::float8,
          'an hour ending exactly at as_of - horizon is outside the window');
SELECT is(rfm.intent_score('{view:2024-01-01T10Z:1,purchase:2024-01-01T10Z:1}', '2024-01-02'), 0::float8,
          'events in the hour of the last purchase do not count');
SELECT is(rfm.intent_score('{view:2024-01-01T10Z:1,purchase:2024-01-02T10Z:1}', '2024-01-01 11:00+00'), 1::float8,
          'a purchase after as_of does not reset');
SELECT is(rfm.dciu('{view:2024-01-01T23Z:2,cart_add:2024-01-01T23Z:1}', '2024-01-02 00:00+00', '{1,5,20}'), 'C'::rfm.dciu_bucket,
          'score 7 with cuts {1,5,20} is C');
SELECT is(rfm.dciu('{}', '2024-01-02', '{1,5,20}'), 'U'::rfm.dciu_bucket, 'no events: U');
SELECT is(rfm.dciu(20, '{1,5,20}'), 'D'::rfm.dciu_bucket, 'a score on the D cut is D');
SELECT is(rfm.intent_agg(e, t)::text, '{view:2024-01-01T10Z:2,cart_add:2024-01-01T10Z:1}',
          'events of one hour are counted per kind')
  FROM (VALUES ('view', '2024-01-01 10:05+00'::timestamptz), ('cart_add', '2024-01-01 10:30+00'), ('view', '2024-01-01 10:59+00')) v(e, t);
SELECT throws_ok($$SELECT rfm.intent_agg('pv', now())$$, '22023', 'unknown event "pv"', 'unknown event names are 22023');
SELECT throws_ok($$SELECT rfm.dciu('{}', now(), '{5,1,20}')$$, '22023', NULL, 'cuts must increase');
SELECT throws_ok($$SELECT '{view:2024-01-05T11Z:1,view:2024-01-05T10Z:1}'::rfm.intent$$, '22P02', NULL, 'unordered text is 22P02');
SELECT is((SELECT rfm.dciu_calibrate(s, s >= 97 OR s = 50) FROM generate_series(0, 100) s), '{1,94,99}'::float8[],
          'members scoring 0..100: D = top 2 (99, 100), C = next 5 (94..98), I = the other positive scores');

SELECT * FROM finish();
ROLLBACK;
