-- Purchase intent on real event logs from ../shared/data:
--  * Taobao UserBehavior head (815 users, pv/cart/fav/buy, Unix seconds, China time):
--    calibrate the DCIU cuts at the end of 2017-11-30 against who bought on 2017-12-01, then apply
--    the same cuts at the end of 2017-12-01 and 2017-12-02 (next-day buyers out of sample);
--  * REES46 head (1,000 events, 17 minutes of 2019-10-01 UTC): a schema fixture only.
SET extra_float_digits = 0;
SET DateStyle = ISO;
CREATE SCHEMA intent_data;
SET search_path = intent_data, public;
\getenv rfm_shared RFM_SHARED_DATA
\set taobao :rfm_shared '/taobao-userbehavior-head/UserBehavior.csv'
\set rees46 :rfm_shared '/rees46-ecommerce-events-head/2019-Oct-sample.csv'

-- Taobao: one line per event, user_id,item_id,category_id,behavior_type,timestamp; the last line is
-- truncated (4 fields, no timestamp) and is dropped
SET TimeZone = 'Asia/Shanghai';
CREATE TABLE tb_line (line text);
COPY tb_line FROM :'taobao' WITH (FORMAT text, DELIMITER E'\x01');
CREATE TABLE tb AS
  SELECT split_part(line, ',', 1)::bigint AS user_id,
         CASE split_part(line, ',', 4) WHEN 'pv' THEN 'view' WHEN 'fav' THEN 'favorite'
                                       WHEN 'cart' THEN 'cart_add' WHEN 'buy' THEN 'purchase' END AS event,
         to_timestamp(split_part(line, ',', 5)::bigint) AS ts
    FROM tb_line WHERE line ~ '^\d+,\d+,\d+,(pv|fav|cart|buy),\d+$';
-- PROVENANCE: 84,476 lines, 84,475 complete; 815 users; pv 75,872, cart 4,497, fav 2,356, buy 1,750;
-- 559 users with a buy
SELECT (SELECT count(*) FROM tb_line) AS lines, count(*) AS events, count(DISTINCT user_id) AS users,
       count(*) FILTER (WHERE event = 'view') AS views, count(*) FILTER (WHERE event = 'cart_add') AS carts,
       count(*) FILTER (WHERE event = 'favorite') AS favs, count(*) FILTER (WHERE event = 'purchase') AS buys,
       count(DISTINCT user_id) FILTER (WHERE event = 'purchase') AS buyers
  FROM tb;
CREATE TABLE tb_member AS SELECT user_id, rfm.intent_agg(event, ts) AS i FROM tb GROUP BY user_id;
-- the intents hold every event: 84,475 in (kind, hour) entries
SELECT count(*) AS members,
       sum((SELECT sum(split_part(x, ':', 3)::int) FROM unnest(string_to_array(trim(both '{}' from i::text), ',')) x)) AS events,
       sum(array_length(string_to_array(trim(both '{}' from i::text), ','), 1)) AS entries
  FROM tb_member;
-- next-day outcome per member and calibration day (China days): bought, and purchase events as revenue
-- (the log has no prices)
CREATE TABLE tb_day (day date, as_of timestamptz);
INSERT INTO tb_day SELECT d, (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
  FROM unnest(ARRAY['2017-11-30', '2017-12-01', '2017-12-02']::date[]) d;
CREATE TABLE tb_replay AS
  SELECT d.day, m.user_id, rfm.intent_score(m.i, d.as_of) AS score,
         coalesce(o.buys, 0) > 0 AS bought, coalesce(o.buys, 0)::float8 AS revenue
    FROM tb_day d CROSS JOIN tb_member m
    LEFT JOIN (SELECT user_id, ts::date - 1 AS day, count(*) AS buys FROM tb WHERE event = 'purchase' GROUP BY 1, 2) o
      ON o.user_id = m.user_id AND o.day = d.day;
SELECT day, count(*) AS members, count(*) FILTER (WHERE score > 0) AS with_score,
       count(*) FILTER (WHERE bought) AS next_day_buyers, sum(revenue) AS next_day_buys
  FROM tb_replay GROUP BY day ORDER BY day;
-- calibrate on 2017-11-30
CREATE TABLE tb_cuts AS SELECT rfm.dciu_calibrate(score, bought) AS cuts FROM tb_replay WHERE day = '2017-11-30';
SELECT round(cuts[1]::numeric, 6) AS i_cut, round(cuts[2]::numeric, 6) AS c_cut, round(cuts[3]::numeric, 6) AS d_cut,
       cuts[1] < cuts[2] AND cuts[2] < cuts[3] AS increasing FROM tb_cuts;
CREATE TABLE tb_lift AS
  SELECT r.day, l.*
    FROM (SELECT day, rfm.dciu_lift_agg(rfm.dciu(score, c.cuts), bought, revenue) AS t
            FROM tb_replay, tb_cuts c GROUP BY day) r, unnest(r.t) l;
SELECT day, bucket, members, buyers, revenue, round(share_of_members::numeric, 4) AS share_of_members,
       round(share_of_buyers::numeric, 4) AS share_of_buyers, round(share_of_revenue::numeric, 4) AS share_of_revenue,
       round(purchase_rate::numeric, 4) AS purchase_rate, round(lift::numeric, 2) AS lift
  FROM tb_lift ORDER BY day, bucket;
-- on the calibration day the rates are ordered D > C > I > U (empty buckets skipped);
-- D + C are a small share of members (at most 10 %)
SELECT day, bool_and(ok) AS rates_ordered,
       sum(share_of_members) FILTER (WHERE bucket IN ('D', 'C')) <= 0.10 AS dc_small
  FROM (SELECT day, bucket, share_of_members,
               purchase_rate IS NULL OR purchase_rate < coalesce(min(purchase_rate) OVER (PARTITION BY day ORDER BY bucket
                                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 2) AS ok
          FROM tb_lift) x
 GROUP BY day ORDER BY day;
-- the headline: share of members in D + C, and their share of next-day buyers and buys
SELECT day, sum(members) FILTER (WHERE bucket IN ('D', 'C')) AS dc_members,
       round(sum(share_of_members) FILTER (WHERE bucket IN ('D', 'C'))::numeric, 4) AS dc_share_of_members,
       round(sum(share_of_buyers) FILTER (WHERE bucket IN ('D', 'C'))::numeric, 4) AS dc_share_of_buyers,
       round(sum(share_of_revenue) FILTER (WHERE bucket IN ('D', 'C'))::numeric, 4) AS dc_share_of_buys
  FROM tb_lift GROUP BY day ORDER BY day;
-- why the top member of the calibration day is where it is
SELECT user_id, rfm.dciu_explain(m.i, d.as_of, c.cuts)
  FROM tb_member m, tb_day d, tb_cuts c
 WHERE d.day = '2017-11-30'
 ORDER BY rfm.intent_score(m.i, d.as_of) DESC, user_id LIMIT 3;

-- REES46: event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session;
-- view/cart/remove_from_cart/purchase map to view/cart_add/cart_remove/purchase
SET TimeZone = 'UTC';
CREATE TABLE rees (event_time text, event_type text, product_id bigint, category_id numeric, category_code text,
                   brand text, price numeric, user_id bigint, user_session text);
COPY rees FROM :'rees46' WITH (FORMAT csv, HEADER);
CREATE TABLE rees_ev AS
  SELECT user_id, CASE event_type WHEN 'view' THEN 'view' WHEN 'cart' THEN 'cart_add'
                                  WHEN 'remove_from_cart' THEN 'cart_remove' WHEN 'purchase' THEN 'purchase' END AS event,
         replace(event_time, ' UTC', '+00')::timestamptz AS ts, price
    FROM rees;
-- PROVENANCE: 1,000 events (view 987, cart 3, purchase 10), 330 users, 00:00:00 .. 00:17:26 UTC
SELECT count(*) AS events, count(DISTINCT user_id) AS users, count(*) FILTER (WHERE event = 'view') AS views,
       count(*) FILTER (WHERE event = 'cart_add') AS carts, count(*) FILTER (WHERE event = 'purchase') AS purchases,
       count(DISTINCT user_id) FILTER (WHERE event = 'purchase') AS buyers, min(ts), max(ts)
  FROM rees_ev;
CREATE TABLE rees_member AS SELECT user_id, rfm.intent_agg(event, ts) AS i FROM rees_ev GROUP BY user_id;
-- every event falls in the hour 2019-10-01T00Z: before 01:00 nothing has "ended", at 01:00 the
-- buyers are U (their events share the purchase's hour) -- hour resolution cannot replay 17 minutes
SELECT rfm.dciu(i, '2019-10-01 01:00+00', '{1,5,20}') AS bucket_at_0100, count(*) AS members,
       count(*) FILTER (WHERE i::text LIKE '%purchase%') AS buyers
  FROM rees_member GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE rfm.intent_score(i, '2019-10-01 00:59:59+00') > 0) AS scored_before_the_hour_ends
  FROM rees_member;
-- the only test the file allows: browsing intent (purchase events left out) against who bought in
-- the same 17 minutes, calibrated and measured on the same members (concurrent, not a forecast)
CREATE TABLE rees_replay AS
  SELECT b.user_id, rfm.intent_score(b.i, '2019-10-01 01:00+00') AS score,
         coalesce(o.buys, 0) > 0 AS bought, coalesce(o.spend, 0)::float8 AS revenue
    FROM (SELECT user_id, rfm.intent_agg(event, ts) FILTER (WHERE event <> 'purchase') AS i
            FROM rees_ev GROUP BY user_id) b
    LEFT JOIN (SELECT user_id, count(*) AS buys, sum(price) AS spend FROM rees_ev WHERE event = 'purchase' GROUP BY 1) o
      USING (user_id);
SELECT count(*) AS members, count(*) FILTER (WHERE score > 0) AS with_score, count(*) FILTER (WHERE bought) AS buyers,
       sum(revenue) AS revenue FROM rees_replay;
CREATE TABLE rees_cuts AS SELECT rfm.dciu_calibrate(score, bought) AS cuts FROM rees_replay;
SELECT cuts FROM rees_cuts;
SELECT l.bucket, l.members, l.buyers, round(l.revenue::numeric, 2) AS revenue,
       round(l.share_of_members::numeric, 4) AS share_of_members, round(l.share_of_buyers::numeric, 4) AS share_of_buyers,
       round(l.share_of_revenue::numeric, 4) AS share_of_revenue, round(l.purchase_rate::numeric, 4) AS purchase_rate
  FROM unnest((SELECT rfm.dciu_lift_agg(rfm.dciu(coalesce(score, 0), c.cuts), bought, revenue)
                 FROM rees_replay, rees_cuts c)) l;
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA intent_data CASCADE;
