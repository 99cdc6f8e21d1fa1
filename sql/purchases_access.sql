-- Accessors of rfm.purchases, hand-checked, with time travel (as_of) and windows.
SET extra_float_digits = 0;
SET DateStyle = ISO;
CREATE TABLE h (name text, p rfm.purchases);
INSERT INTO h VALUES
  -- 01-01: 2 orders 100; 01-15: refund only -20; 02-10: 1 order 50; 03-31: 3 orders 30; 05-01: 1 order 10
  ('main', '{2024-01-01:2:100,2024-01-15:0:-20,2024-02-10:1:50,2024-03-31:3:30,2024-05-01:1:10}'),
  ('refunds_only', '{2024-01-05:0:-9.99}'),
  ('empty', '{}'),
  ('null', NULL);
CREATE FUNCTION show(p rfm.purchases, as_of date, w interval DEFAULT NULL)
  RETURNS TABLE (first date, last date, recency int, frequency int, purchase_days int, monetary float8)
  LANGUAGE sql AS $$
  SELECT rfm.first_purchase(p, as_of), rfm.last_purchase(p, as_of), rfm.recency(p, as_of),
         rfm.frequency(p, as_of, w), rfm.purchase_days(p, as_of, w), rfm.monetary(p, as_of, w) $$;
-- time travel: later purchases are invisible
SELECT a.as_of, s.* FROM h, unnest(ARRAY['2023-12-31', '2024-01-01', '2024-01-14', '2024-02-09', '2024-02-10',
                                        '2024-03-30', '2024-03-31', '2024-04-30', '2024-05-01', '2025-01-01']::date[]) a(as_of),
       show(h.p, a.as_of) s
 WHERE name = 'main' ORDER BY a.as_of;
-- windows (as_of - w, as_of]: '3 months' at 2024-03-31 covers 2024-01-01 .. 2024-03-31
SELECT w, s.frequency, s.purchase_days, s.monetary
  FROM h, unnest(ARRAY['3 months', '2 months 29 days', '1 day', '36 hours', '1 year']::interval[]) w,
       show(h.p, '2024-03-31', w) s
 WHERE name = 'main' ORDER BY w;
-- window edges: a day exactly w before as_of is outside, the next day inside
SELECT rfm.frequency(p, '2024-01-02', '1 day') AS excl, rfm.frequency(p, '2024-01-02', '2 days') AS incl,
       rfm.frequency(p, '2024-01-02', '36 hours') AS incl_36h, rfm.monetary(p, '2024-01-31', '30 days') AS jan_2_to_31,
       rfm.monetary(p, '2024-01-31', '31 days') AS jan_1_to_31
  FROM h WHERE name = 'main';
-- a window with no purchase inside is 0, not NULL (the member has bought before)
SELECT * FROM h, show(h.p, '2024-01-14', '1 day') s WHERE name = 'main';
-- as_of NULL or +infinity: no cut-off (recency needs an as_of, so it is NULL);
-- a window is then anchored at the last entry
SELECT s.* FROM h, show(h.p, NULL) s WHERE name = 'main';
SELECT s.* FROM h, show(h.p, 'infinity') s WHERE name = 'main';
SELECT rfm.frequency(p, NULL, '1 month') AS last_month_of_history FROM h WHERE name = 'main';
-- -infinity, refund-only, empty and NULL histories: all NULL
SELECT s.* FROM h, show(h.p, '-infinity') s WHERE name = 'main';
SELECT name, s.* FROM h, show(h.p, '2024-12-31', '1 year') s WHERE name <> 'main' ORDER BY name;
-- a window must be positive
SELECT rfm.frequency(p, '2024-03-31', '-3 months') FROM h WHERE name = 'main';
SELECT rfm.monetary(p, '2024-03-31', '0 days') FROM h WHERE name = 'main';
-- rfm.btyd: x = purchase days up to the end - 1 (refund-only days are not transactions),
-- t_x = (last - first)/unit, t = (end - first)/unit, monetary = mean repeat-day spend
SELECT (b).x, round((b).t_x::numeric, 6) AS t_x, round((b).t::numeric, 6) AS t, (b).monetary
  FROM (SELECT rfm.btyd('{1997-01-01:1:10,1997-01-08:2:30,1997-01-15:0:-5,1997-02-01:1:20,1997-12-01:1:99}', '1997-09-30') b) s;
SELECT * FROM rfm.btyd('{1997-01-01:1:10,1997-01-08:2:30,1997-01-15:0:-5,1997-02-01:1:20,1997-12-01:1:99}', '1997-09-30', 1);
SELECT * FROM rfm.btyd('{1997-01-01:1:10,1997-01-08:2:30}', '1997-01-01');
SELECT rfm.btyd('{1997-01-01:1:10}', '1996-12-31') IS NULL AS before_first_purchase;
SELECT rfm.btyd('{1997-01-01:1:10}', '1997-02-01', 0);
SELECT rfm.btyd('{1997-01-01:1:10}', 'infinity');
-- rfm.entries shows what is stored
SELECT e.* FROM h, rfm.entries(h.p) e WHERE name = 'main';
