-- Hand-checked intent scores and DCIU buckets: decay, horizon edges, purchase
-- reset, ties, weights, explanations and bad arguments.
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never
-- one cart_add (weight 5) in hour 2024-01-01T10Z: its hour ends at 11:00, the age of the event
-- is as_of - 11:00, and it weighs 5 * 2^(-age / half_life)
SELECT as_of, rfm.intent_score('{cart_add:2024-01-01T10Z:1}', as_of) AS score
  FROM (VALUES ('2024-01-01 10:59:59.999999+00'::timestamptz),  -- the hour has not ended: invisible
               ('2024-01-01 11:00+00'),       -- age 0: 5
               ('2024-01-04 11:00+00'),       -- one half-life: 2.5
               ('2024-01-07 11:00+00'),       -- two: 1.25
               ('2024-01-13 11:00+00'),       -- four: 0.3125
               ('2024-01-15 10:59:59+00'),    -- one second inside the horizon
               ('2024-01-15 11:00+00'),       -- end of hour = as_of - horizon: outside (window (as_of - 14 days, as_of])
               ('2024-03-01 00:00+00')) v(as_of)
 ORDER BY as_of;
-- the window is (as_of - horizon, as_of] on the end of the hour; other half-lives and horizons
SELECT rfm.intent_score('{view:2024-01-01T10Z:4}', '2024-01-02 11:00+00', '1 day', '2 days') AS one_half_life,
       rfm.intent_score('{view:2024-01-01T10Z:4}', '2024-01-03 11:00+00', '1 day', '2 days') AS at_horizon,
       rfm.intent_score('{view:2024-01-01T10Z:4}', '2024-01-01 17:00+00', '6 hours', '1 day') AS six_hours,
       rfm.intent_score('{view:2024-01-01T10Z:4}', '2024-01-31 11:00+00', '1 mon', '1 mon') AS month_is_30_days,
       rfm.intent_score('{view:2024-01-01T10Z:4}', '2024-01-31 11:00+00', '1 mon', '30 days 1 second') AS inside;
-- default weights: view 1 < search 2 < favorite 3 < cart_add 5 < checkout 8, cart_remove 0.5, purchase 0
SELECT rfm.intent_default_weights();
SELECT k AS kind, rfm.intent_score(format('{%s:2024-01-01T10Z:1}', k)::rfm.intent, '2024-01-01 11:00+00') AS weight
  FROM unnest(ARRAY['view', 'search', 'favorite', 'cart_add', 'cart_remove', 'checkout']) k;
SELECT rfm.intent_score('{view:2024-01-01T10Z:1,search:2024-01-01T10Z:1,favorite:2024-01-01T10Z:1,cart_add:2024-01-01T10Z:1,cart_remove:2024-01-01T10Z:1,checkout:2024-01-01T10Z:1}',
                        '2024-01-01 11:00+00') AS all_kinds_once;
-- overriding weights: an array in event order, or jsonb overrides of the defaults
SELECT rfm.intent_weights('{"cart_add": 8, "view": 0.25}') AS weights,
       rfm.intent_score('{view:2024-01-01T10Z:4,cart_add:2024-01-01T10Z:1}', '2024-01-01 11:00+00',
                        '3 days', '14 days', rfm.intent_weights('{"cart_add": 8, "view": 0.25}')) AS score,
       rfm.intent_score('{view:2024-01-01T10Z:4,cart_add:2024-01-01T10Z:1}', '2024-01-01 11:00+00',
                        '3 days', '14 days', '{0,0,0,1,0,0}') AS cart_only;
-- purchase reset: only hours after the last purchase hour that has ended at as_of count
SELECT label, rfm.intent_score(i, '2024-01-02 00:00+00') AS score
  FROM (VALUES
   ('no purchase',                 '{view:2024-01-01T10Z:1,view:2024-01-01T20Z:1}'::rfm.intent),
   ('bought before both',          '{view:2024-01-01T10Z:1,view:2024-01-01T20Z:1,purchase:2024-01-01T09Z:1}'),
   ('bought between',              '{view:2024-01-01T10Z:1,view:2024-01-01T20Z:1,purchase:2024-01-01T15Z:1}'),
   ('bought in the same hour (tie)', '{view:2024-01-01T10Z:1,view:2024-01-01T20Z:1,purchase:2024-01-01T20Z:1}'),
   ('bought last',                 '{view:2024-01-01T10Z:1,view:2024-01-01T20Z:1,purchase:2024-01-01T23Z:1}'),
   ('bought after as_of',          '{view:2024-01-01T10Z:1,view:2024-01-01T20Z:1,purchase:2024-01-02T00Z:1}'),
   ('views after as_of',           '{view:2024-01-01T10Z:1,view:2024-01-02T00Z:9}'),
   ('only purchases',              '{purchase:2024-01-01T10Z:1}'),
   ('empty',                       '{}')) v(label, i);
-- DCIU with cuts {I, C, D} = {1, 5, 20}: a score on a cut is in the higher bucket; 0 is U
SELECT s AS score, rfm.dciu(s, '{1,5,20}') AS bucket
  FROM unnest(ARRAY[0, 0.999, 1, 4.999, 5, 19.999, 20, 1e9]::float8[]) s;
-- the same from an intent: two members with the same events tie in the same bucket
SELECT member, rfm.intent_score(i, '2024-01-02 00:00+00') AS score, rfm.dciu(i, '2024-01-02 00:00+00', '{1,5,20}') AS bucket
  FROM (VALUES (1, '{view:2024-01-01T23Z:2,cart_add:2024-01-01T23Z:1}'::rfm.intent),
               (2, '{view:2024-01-01T23Z:2,cart_add:2024-01-01T23Z:1}'),
               (3, '{view:2024-01-01T23Z:2,cart_add:2024-01-01T23Z:1,purchase:2024-01-01T23Z:1}'),  -- just bought: U
               (4, '{cart_add:2024-01-01T23Z:3,checkout:2024-01-01T23Z:1}'),
               (5, '{view:2023-12-01T23Z:50}')) v(member, i)
 ORDER BY member;
-- half-life and horizon overloads
SELECT rfm.dciu('{cart_add:2024-01-01T10Z:1}', '2024-01-04 11:00+00', '{1,2.5,5}') AS default_params,
       rfm.dciu('{cart_add:2024-01-01T10Z:1}', '2024-01-04 11:00+00', '{1,2.5,5}', '6 days', '14 days') AS slower_decay,
       rfm.dciu('{cart_add:2024-01-01T10Z:1}', '2024-01-04 11:00+00', '{1,2.5,5}', '3 days', '3 days') AS short_horizon,
       rfm.dciu('{cart_add:2024-01-01T10Z:1}', '2024-01-04 11:00+00', '{1,2.5,5}', '3 days', '14 days', '{1,2,3,10,1,10}') AS heavier_cart;
-- explanations
SELECT rfm.dciu_explain('{view:2024-01-01T10Z:3,cart_add:2024-01-01T22Z:1,purchase:2023-12-30T10Z:1}', '2024-01-02 11:00+00', '{1,5,20}');
SELECT rfm.dciu_explain('{view:2024-01-01T10Z:3,purchase:2024-01-01T10Z:1}', '2024-01-02 11:00+00', '{1,5,20}');
SELECT rfm.dciu_explain('{search:2024-01-01T10Z:1}', '2024-01-04 11:00+00', '{0.5,5,20}', '1 day', '7 days');
SELECT rfm.dciu_explain('{view:2024-01-01T10Z:1,cart_add:2024-01-01T10Z:1}', '2024-01-01 11:00+00', '{1,5,20}', '3 days', '14 days', '{0,0,0,1,0,0}');
SELECT rfm.dciu_explain('{search:2024-01-01T10Z:1}', '2024-01-01 12:30+00', '{0.5,5,20}', '90 minutes', '36 hours');
-- bad arguments: clear errors
SELECT rfm.dciu('{}', '2024-01-01', '{1,5}');
SELECT rfm.dciu('{}', '2024-01-01', '{5,1,20}');
SELECT rfm.dciu('{}', '2024-01-01', '{0,1,20}');
SELECT rfm.dciu('{}', '2024-01-01', '{1,5,Infinity}');
SELECT rfm.dciu('{}', '2024-01-01', '{1,NULL,20}');
SELECT rfm.dciu('{}', '2024-01-01', '{{1,5,20}}');
SELECT rfm.dciu(-1, '{1,5,20}');
SELECT rfm.intent_score('{}', '2024-01-01', '0 days');
SELECT rfm.intent_score('{}', '2024-01-01', '-1 day');
SELECT rfm.intent_score('{}', '2024-01-01', '3 days', '0 days');
SELECT rfm.intent_score('{}', 'infinity');
SELECT rfm.intent_score('{}', '2024-01-01', '3 days', '14 days', '{1,2,3}');
SELECT rfm.intent_score('{}', '2024-01-01', '3 days', '14 days', '{1,2,3,4,5,-6}');
SELECT rfm.intent_score('{}', '2024-01-01', '3 days', '14 days', '{1,2,3,4,5,NaN}');
SELECT rfm.intent_weights('{"pv": 1}');
SELECT rfm.intent_weights('{"purchase": 1}');
SELECT rfm.intent_weights('{"view": -1}');
SELECT rfm.intent_weights('{"view": "high"}');
SELECT rfm.intent_weights('[1,2]');
-- NULL arguments: NULL (the functions are strict)
SELECT rfm.intent_score(NULL, '2024-01-01') IS NULL AS null_intent, rfm.dciu('{}', NULL, '{1,2,3}') IS NULL AS null_as_of;
