-- Models with browsing events (option events): the intent state per member, the DCIU label calibrated by
-- replay on the model's own history, its lift table, history, flow and the NAPL × DCIU view.
-- Data: the Taobao UserBehavior head of ../shared/data (815 users, pv/fav/cart/buy, China time), its own
-- event names mapped by the option; orders are its buy events (one unit each: the log has no prices).
SET extra_float_digits = 0;
SET DateStyle = ISO;
SET client_min_messages = warning;
-- errors show their message and hint; the PL/pgSQL line numbers of CONTEXT would change with every edit
\set SHOW_CONTEXT never
SET TimeZone = 'Asia/Shanghai';
\getenv rfm_shared RFM_SHARED_DATA
\set taobao :rfm_shared '/taobao-userbehavior-head/UserBehavior.csv'
CREATE TABLE md_line (line text);
COPY md_line FROM :'taobao' WITH (FORMAT text, DELIMITER E'\x01');
CREATE TABLE md_events AS
  SELECT split_part(line, ',', 1)::bigint AS user_id,
         split_part(line, ',', 4) AS behavior,
         to_timestamp(split_part(line, ',', 5)::bigint) AS ts
    FROM md_line WHERE line ~ '^\d+,\d+,\d+,(pv|fav|cart|buy),\d+$';
DROP TABLE md_line;
CREATE TABLE md_orders AS SELECT user_id, ts AS ordered_at, 1::numeric AS amount FROM md_events WHERE behavior = 'buy';
-- the oracle's view of the events, with rfm's names
CREATE VIEW md_named AS
  SELECT user_id, CASE behavior WHEN 'pv' THEN 'view' WHEN 'fav' THEN 'favorite' WHEN 'cart' THEN 'cart_add'
                                WHEN 'buy' THEN 'purchase' ELSE behavior END AS behavior, ts
    FROM md_events;
SELECT count(*) AS events, count(DISTINCT user_id) AS users, (SELECT count(*) FROM md_orders) AS orders,
       (SELECT count(DISTINCT user_id) FROM md_orders) AS buyers
  FROM md_events;

-- the events relation and its columns are checked at creation
\set VERBOSITY terse
SELECT rfm.create_model('dciu', 'md_orders', 'user_id', 'ordered_at', 'amount', '{"events": {"relation": "no_such_events"}}');
SELECT rfm.create_model('dciu', 'md_orders', 'user_id', 'ordered_at', 'amount', '{"events": {"relation": "4000000000"}}');
SELECT rfm.create_model('dciu', 'md_orders', 'user_id', 'ordered_at', 'amount', '{"events": {"relation": "md_events"}}');
SELECT rfm.create_model('dciu', 'md_orders', 'user_id', 'ordered_at', 'amount', '{"events": {"relation": "md_events", "colour": 1}}');
SELECT rfm.create_model('dciu', 'md_orders', 'user_id', 'ordered_at', 'amount', '{"events": {"relation": "md_events"}, "dciu_cuts": [3, 2, 1]}');
\set VERBOSITY default
-- event names rfm does not know are found at creation (not at the first refresh), with the option that maps them
SELECT rfm.create_model('dciu', 'md_orders', 'user_id', 'ordered_at', 'amount',
  '{"events": {"relation": "md_events", "member_column": "user_id", "event_column": "behavior", "time_column": "ts",
               "event_names": {"pv": "view", "fav": "favorite", "cart": "cart_add"}}}');
SELECT rfm.create_model('dciu', 'md_orders', 'user_id', 'ordered_at', 'amount',
  '{"events": {"relation": "md_events", "member_column": "user_id", "event_column": "behavior", "time_column": "ts",
               "event_names": {"pv": "view", "fav": "favorite", "cart": "cart_add", "buy": "purchase"}},
    "dciu_horizon": "1 day", "dciu_half_life": "12 hours"}');
SELECT as_of, r.members, r.rebuilt
  FROM (VALUES (date '2017-11-30'), ('2017-12-01'), ('2017-12-02')) d(as_of), rfm.refresh('dciu', d.as_of) r;

-- members are the buyers and the browsers; their intent equals rfm.intent_agg over the events
SELECT count(*) AS members, count(purchases) AS buyers, count(intent) AS browsers FROM rfm_dciu.members;
SELECT count(*) AS intents_differ FROM rfm_dciu.members m
  FULL JOIN (SELECT user_id, rfm.intent_agg(behavior, ts) AS i FROM md_named GROUP BY 1) o ON o.user_id = m.member_id
 WHERE m.intent::text IS DISTINCT FROM o.i::text;

-- the cuts of every refresh equal rfm.dciu_calibrate on a plain-SQL replay: every member scored at the start
-- of the horizon (the end of the day before as_of), bought = a purchase on as_of (China day)
CREATE TABLE md_replay AS
  SELECT r.as_of, coalesce(rfm.intent_score(i.i, r.as_of::timestamptz, '12 hours', '1 day'), 0) AS score,
         count(o.user_id) > 0 AS bought, count(o.user_id)::float8 AS revenue
    FROM rfm_dciu.refreshes r
   CROSS JOIN (SELECT user_id, rfm.intent_agg(behavior, ts) AS i FROM md_named GROUP BY 1) i
    LEFT JOIN md_orders o ON o.user_id = i.user_id AND o.ordered_at::date = r.as_of
   GROUP BY r.as_of, i.user_id, i.i;
SELECT r.as_of, (SELECT array_agg(round(c::numeric, 4)) FROM unnest(r.dciu_cuts) c) AS dciu_cuts, r.dciu_cuts = (SELECT rfm.dciu_calibrate(score, bought) FROM md_replay p WHERE p.as_of = r.as_of) AS cuts_equal_oracle
  FROM rfm_dciu.refreshes r ORDER BY 1;
-- the published lift of every refresh equals rfm.dciu_lift_agg on the replay
SELECT count(*) AS lift_rows,
       count(*) FILTER (WHERE (l.members, l.buyers, round(l.revenue::numeric, 6))
                              IS DISTINCT FROM (o.members, o.buyers, round(o.revenue::numeric, 6))) AS differ
  FROM rfm_dciu.dciu_lifts l JOIN rfm_dciu.refreshes r USING (refresh_id)
  JOIN LATERAL (SELECT (x).* FROM unnest((SELECT rfm.dciu_lift_agg(coalesce(rfm.dciu(p.score, r.dciu_cuts), 'U'), p.bought, p.revenue)
                                            FROM md_replay p WHERE p.as_of = r.as_of)) x) o ON o.bucket = l.bucket;
SELECT bucket, members, round(share_of_members::numeric, 4) AS share_of_members, buyers,
       round(share_of_buyers::numeric, 4) AS share_of_buyers, round(purchase_rate::numeric, 4) AS purchase_rate
  FROM rfm_dciu.dciu_lift ORDER BY array_position('{D,C,I,U}', bucket);

-- the DCIU label of every member, buyer or browser who never bought (prospects), equals rfm.dciu at the end of
-- the last as_of with that refresh's cuts
SELECT count(*) AS labelled,
       count(*) FILTER (WHERE l.dciu IS DISTINCT FROM
                              coalesce(rfm.dciu(coalesce(rfm.intent_score(m.intent, '2017-12-03'::timestamptz, '12 hours', '1 day'), 0),
                                                (SELECT dciu_cuts FROM rfm_dciu.refreshes WHERE as_of = '2017-12-02')), 'U')::text) AS differ
  FROM rfm_dciu.labels l JOIN rfm_dciu.members m USING (member_id);
-- (napl NULL: the browsers who never bought; 289 = 815 - 526)
SELECT napl, dciu, members, share_of_napl FROM rfm_dciu.napl_dciu
 ORDER BY array_position('{N,A,P,L}', napl) NULLS LAST, array_position('{D,C,I,U}', dciu);
-- the DCIU flow of every refresh equals rfm.migration
SELECT count(*) AS differ FROM (
  (SELECT t.from_label, t.to_label, t.members FROM rfm_dciu.transitions t JOIN rfm_dciu.refreshes r USING (refresh_id)
    WHERE t.dimension = 'dciu' AND r.as_of = '2017-12-02'
   EXCEPT ALL SELECT from_label, to_label, members FROM rfm.migration('dciu', '2017-12-01', '2017-12-02', 'dciu'))
  UNION ALL
  (SELECT from_label, to_label, members FROM rfm.migration('dciu', '2017-12-01', '2017-12-02', 'dciu')
   EXCEPT ALL SELECT t.from_label, t.to_label, t.members FROM rfm_dciu.transitions t JOIN rfm_dciu.refreshes r USING (refresh_id)
    WHERE t.dimension = 'dciu' AND r.as_of = '2017-12-02')) x;

-- change capture on the events: new events of 3 members (one a new browser) are picked up incrementally
INSERT INTO md_events VALUES (1000, 'cart_add', '2017-12-02 20:00+08'), (1000, 'checkout', '2017-12-02 21:00+08'),
                             (99999999, 'view', '2017-12-02 20:00+08');
SELECT count(DISTINCT member_id) AS changes_captured FROM rfm.change_queue WHERE model = 'dciu';
SELECT members, rebuilt FROM rfm.refresh('dciu', '2017-12-02');
SELECT count(*) AS intents_differ FROM rfm_dciu.members m
  FULL JOIN (SELECT user_id, rfm.intent_agg(behavior, ts) AS i FROM md_named GROUP BY 1) o ON o.user_id = m.member_id
 WHERE m.intent::text IS DISTINCT FROM o.i::text;
-- unknown event names in the events are an error naming them; the labels stay
INSERT INTO md_events VALUES (1000, 'wishlist', '2017-12-02 22:00+08');
\set VERBOSITY terse
SELECT rfm.refresh('dciu', '2017-12-02');
\set VERBOSITY default
SELECT count(*) FILTER (WHERE recency IS NOT NULL) AS buyers_still_labelled,
       count(*) FILTER (WHERE recency IS NULL) AS browsers_still_labelled
  FROM rfm_dciu.labels;

SELECT rfm.drop_model('dciu');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'md_events'::regclass;
DROP VIEW md_named;
DROP TABLE md_events, md_orders, md_replay;
