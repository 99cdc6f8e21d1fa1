-- pgTAP assertions on scores, segments, value segments, NAPL and NES:
-- the contract's signatures and volatility, and hand-checked values.
BEGIN;
SELECT plan(30);

SELECT is_aggregate('rfm', 'breaks', ARRAY['double precision', 'integer'], 'rfm.breaks(value, bins) is an aggregate');
SELECT has_function('rfm', 'score', ARRAY['double precision', 'double precision[]', 'boolean'], 'rfm.score(value, breaks, descending)');
SELECT has_function('rfm', 'segment', ARRAY['integer', 'integer', 'integer', 'text'], 'rfm.segment(r, f, m, map)');
SELECT has_function('rfm', 'value_segment', ARRAY['boolean', 'boolean', 'boolean'], 'rfm.value_segment(recent, frequent, high_spend)');
SELECT has_function('rfm', 'napl', ARRAY['rfm.purchases', 'date', 'interval'], 'rfm.napl(p, as_of, w)');
SELECT has_function('rfm', 'nes', ARRAY['rfm.purchases', 'date', 'double precision', 'double precision[]', 'text'], 'rfm.nes(p, as_of, fallback, multipliers, cycle)');
SELECT has_function('rfm', 'label_name', ARRAY['text', 'text'], 'rfm.label_name(kind, code)');
SELECT has_table('rfm', 'segment_rule', 'table rfm.segment_rule');
SELECT has_table('rfm', 'label', 'table rfm.label');
SELECT enum_has_labels('rfm', 'napl_stage', ARRAY['N', 'A', 'P', 'L'], 'napl_stage is N, A, P, L');
SELECT enum_has_labels('rfm', 'nes_stage', ARRAY['N', 'E0', 'S1', 'S2', 'S3'], 'nes_stage is N, E0, S1, S2, S3');
SELECT volatility_is('rfm', 'score', ARRAY['double precision', 'double precision[]', 'boolean'], 'immutable', 'score is immutable');
SELECT volatility_is('rfm', 'napl', ARRAY['rfm.purchases', 'date', 'interval'], 'immutable', 'napl is immutable');
SELECT volatility_is('rfm', 'segment', ARRAY['integer', 'integer', 'integer', 'text'], 'stable', 'segment is stable: it reads rfm.segment_rule');
SELECT is(rfm.breaks(v, 5), percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY v),
          'breaks of 1..10 in 5 bins equal percentile_cont to the bit') FROM generate_series(1, 10) v;
SELECT is(rfm.score(4.6, '{2.8,4.6,6.4,8.2}'), 2, 'a value on a cut point goes to the lower bin');
SELECT is(rfm.score(4.6, '{2.8,4.6,6.4,8.2}', true), 4, 'descending reverses the score');
SELECT is(rfm.segment(5, 5, 5), 'champions', '555 is champions in rfm10');
SELECT is(rfm.segment(5, 5, 5, 'rfm11'), 'champions', '555 is champions in rfm11');
SELECT is(rfm.segment(1, 1, 1, 'rfm11'), 'lost', '111 is lost in rfm11');
SELECT is((SELECT count(DISTINCT rfm.segment(r, f, m, 'rfm11')) FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m)::int,
          11, 'rfm11 gives 11 segments over the 125 cells');
SELECT is((SELECT count(*) FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
            WHERE rfm.segment(r, f, m, 'rfm11') = 'other')::int, 0, 'rfm11 leaves no cell as other');
SELECT is(rfm.value_segment(false, true, true), 'important_retain', 'F,T,T is important_retain');
SELECT is(rfm.napl('{2023-06-01:1:10,2023-12-31:1:10}', '2024-03-31')::text, 'P', 'lapsed repeat buyer is P');
SELECT is(rfm.napl('{2024-01-01:1:10}', '2024-03-31')::text, 'N', 'one purchase on the first day of the window is N');
SELECT is(rfm.nes('{2024-01-01:1:10,2024-02-01:1:10,2024-03-03:1:5}', '2024-05-16', 30)::text, 'S2', '74 days at a 31-day cycle is S2');
SELECT is(rfm.nes('{2024-01-01:1:10}', '2024-01-31', 30)::text, 'N', 'one purchase within the fallback cycle is N');
SELECT throws_ok($$SELECT rfm.segment(1, 1, 1, 'no_such_map')$$, '42704', NULL, 'unknown map is an error');
SELECT is((SELECT count(*) FROM (SELECT DISTINCT kind, code FROM rfm.label) k
            WHERE NOT EXISTS (SELECT 1 FROM rfm.label l WHERE l.kind = k.kind AND l.code = k.code AND l.locale = 'zh-TW'))::int,
          0, 'every built-in code has a zh-TW name');
SET LOCAL rfm.locale = 'zh-TW';
SELECT isnt(rfm.label_name('napl', 'P'), (SELECT name FROM rfm.label WHERE kind = 'napl' AND code = 'P' AND locale = 'en'),
            'rfm.locale switches the display name');

SELECT * FROM finish();
ROLLBACK;
