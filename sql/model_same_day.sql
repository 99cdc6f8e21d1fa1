-- Refreshes on the day of the last one (the scheduler refreshes as of current_date, so every run after a day's
-- first replaces the last refresh) give what a single refresh gives; and what a refresh puts into the SQL it
-- builds from a model's options (column names, event names) is a name or a literal, never SQL.
-- Uses cdnow_master from purchases_cdnow.
SET extra_float_digits = 0;
SET DateStyle = ISO;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE TABLE sd_orders AS SELECT member_id, ordered_at, amount FROM cdnow_master;
CREATE INDEX ON sd_orders (member_id);
SELECT rfm.create_model(n, 'sd_orders') FROM unnest(ARRAY['sd', 'sd_single']) n;
SELECT members, changed FROM rfm.refresh('sd', '1998-06-30');
SELECT members, changed FROM rfm.refresh('sd_single', '1998-06-30');
-- every table a refresh writes, of models a and b: rows only in a, rows only in b (the refresh ids and times of
-- refreshes differ by construction and are left out)
CREATE FUNCTION sd_compare(a text, b text)
  RETURNS TABLE (relation text, only_a bigint, only_b bigint) LANGUAGE plpgsql AS $$
DECLARE
  rel text;
  cols text;
BEGIN
  FOREACH rel IN ARRAY ARRAY['label_state', 'label_history', 'label_totals', 'members', 'transitions', 'cutpoints'] LOOP
    cols := CASE rel WHEN 'transitions' THEN 'r.as_of, t.dimension, t.from_label, t.to_label, t.members, round(t.revenue::numeric, 6)'
                     WHEN 'cutpoints' THEN 'r.as_of, t.dimension, t.breaks, t.members_per_score'
                     ELSE 't.*' END;
    RETURN QUERY EXECUTE format(
      'SELECT %1$L, (SELECT count(*) FROM (SELECT %4$s FROM %2$I.%1$I t %5$s EXCEPT ALL SELECT %4$s FROM %3$I.%1$I t %6$s) x),
              (SELECT count(*) FROM (SELECT %4$s FROM %3$I.%1$I t %6$s EXCEPT ALL SELECT %4$s FROM %2$I.%1$I t %5$s) x)',
      rel, 'rfm_' || a, 'rfm_' || b, cols,
      CASE WHEN rel IN ('transitions', 'cutpoints') THEN format('JOIN %I.refreshes r USING (refresh_id)', 'rfm_' || a) ELSE '' END,
      CASE WHEN rel IN ('transitions', 'cutpoints') THEN format('JOIN %I.refreshes r USING (refresh_id)', 'rfm_' || b) ELSE '' END);
  END LOOP;
END $$;
SELECT * FROM sd_compare('sd', 'sd_single');

-- 1. orders changed where the capture does not see it (user triggers disabled, as for a bulk load), a refresh
-- that misses the change, then a full refresh on the same day: the model is as if only the full one had run
-- (sd_single, whose first refresh of the day is a full one). Up to 1.5 members whose labels the missed refresh
-- had changed and the full one changed back kept a history row opened that day instead of their old one.
ALTER TABLE sd_orders DISABLE TRIGGER USER;
INSERT INTO sd_orders SELECT DISTINCT member_id, date '1998-07-20', 30 FROM sd_orders WHERE member_id % 4 = 1;
UPDATE sd_orders SET amount = amount * 3 WHERE member_id % 3 = 1;
DELETE FROM sd_orders WHERE member_id % 5 = 2 AND ordered_at > '1997-06-30';
ALTER TABLE sd_orders ENABLE TRIGGER USER;
SELECT members, rebuilt, changed FROM rfm.refresh('sd', '1998-07-31');
CREATE TABLE sd_moved AS SELECT member_id FROM rfm_sd.label_state WHERE since = '1998-07-31';
SELECT members, rebuilt, changed FROM rfm.refresh('sd', '1998-07-31', "full" => true);
SELECT members, rebuilt, changed FROM rfm.refresh('sd_single', '1998-07-31', "full" => true);
SELECT * FROM sd_compare('sd', 'sd_single');
-- members whose labels the missed refresh changed and the full one gave back: their row of 1998-06-30 is open
SELECT count(*) AS moved, count(*) FILTER (WHERE l.since = '1998-06-30' AND h.valid_to IS NULL) AS given_back
  FROM sd_moved m JOIN rfm_sd.label_state l USING (member_id)
  LEFT JOIN rfm_sd.label_history h ON h.member_id = m.member_id AND h.valid_from = '1998-06-30';
DROP TABLE sd_moved;

-- 2. a second refresh on the same day, after the first one opened history rows for many members, with many
-- members touched in between: equal to one refresh after all the day's orders
SELECT members, changed FROM rfm.refresh('sd', '1998-12-31');
SELECT count(*) AS opened FROM rfm_sd.label_history WHERE valid_from = '1998-12-31';
INSERT INTO sd_orders SELECT DISTINCT member_id, date '1998-12-31', 12.5 FROM sd_orders WHERE member_id % 3 = 0;
SELECT members, rebuilt, changed FROM rfm.refresh('sd', '1998-12-31');
SELECT members, rebuilt FROM rfm.refresh('sd_single', '1998-12-31');
SELECT * FROM sd_compare('sd', 'sd_single');
-- a refresh gives back the planner settings its phases change (they are local to its transaction)
BEGIN;
SELECT members FROM rfm.refresh('sd', '1998-12-31');
SELECT current_setting('enable_hashjoin') AS hashjoin, current_setting('enable_mergejoin') AS mergejoin,
       current_setting('enable_incremental_sort') AS incremental_sort;
COMMIT;
SELECT rfm.drop_model('sd'), rfm.drop_model('sd_single');
DROP FUNCTION sd_compare(text, text);
DROP TABLE sd_orders;

-- 3. option values are names and literals: a member column of the events named like SQL that closes a literal
-- and calls a function, and an event name holding the comment that up to 1.5 a refresh replaced by a filter
CREATE TABLE sd_pwned (at timestamptz);
CREATE FUNCTION sd_pwn() RETURNS text LANGUAGE sql AS $$ INSERT INTO public.sd_pwned VALUES (now()) RETURNING 'view' $$;
CREATE TABLE sd_orders (member_id bigint, ordered_at date, amount numeric);
CREATE TABLE sd_events ("'||public.sd_pwn(),'view'),now())intent--" bigint, event text, occurred_at timestamptz);
INSERT INTO sd_orders SELECT m, date '2024-01-01' + m, 10 FROM generate_series(1, 20) m;
INSERT INTO sd_events SELECT m, CASE WHEN m % 2 = 0 THEN 'k' ELSE 'k/* touched */' END,
                             timestamptz '2024-01-01 12:00' + m * interval '1 day'
  FROM generate_series(1, 30) m;
SELECT rfm.create_model('sd_names', 'sd_orders', options => jsonb_build_object('events', jsonb_build_object(
         'relation', 'public.sd_events', 'member_column', '''||public.sd_pwn(),''view''),now())intent--',
         'event_names', jsonb_build_object('k', 'cart_add', 'k/* touched */', 'favorite'))));
SELECT members, rebuilt FROM rfm.refresh('sd_names', '2024-02-15');
-- an incremental refresh: the states of the touched members are rebuilt with a filter on the events
INSERT INTO sd_events VALUES (3, 'k/* touched */', '2024-02-16 10:00'), (31, 'k', '2024-02-16 11:00');
INSERT INTO sd_orders VALUES (4, '2024-02-16', 5);
SELECT members, rebuilt FROM rfm.refresh('sd_names', '2024-02-17');
SELECT count(*) AS sd_pwn_ran FROM sd_pwned;
-- the intents hold the events under their mapped names (every event name here is mapped)
SELECT member_id, intent FROM rfm_sd_names.members WHERE member_id IN (3, 4, 30, 31) ORDER BY 1;
SELECT rfm.drop_model('sd_names');
DROP TABLE sd_orders, sd_events, sd_pwned;
DROP FUNCTION sd_pwn();
