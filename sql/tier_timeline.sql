-- Tier ladders replayed on hand-made timelines.  Every expected value is
-- worked out in the comment above the query.
SET extra_float_digits = 0;
SET DateStyle = ISO;
SET IntervalStyle = postgres;

-- Ladders of this test (user rows).  Every tier of a policy shares the
-- settings; the table's defaults are a rolling '1 year' window and an
-- 'anniversary' review every '1 year'.
--   t:       base 0 < silver 100 < gold 300 < platinum 600, anniversary
--   t_cal:   the same thresholds, calendar review every year (1 January)
--   t_step:  as t, but at most one step down per review
--   t_grace: as t, with a 30-day grace before a downgrade
--   t_ord:   as t, but 3 orders in the window also reach silver
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES
  ('t', 'base', 1, 0), ('t', 'silver', 2, 100), ('t', 'gold', 3, 300), ('t', 'platinum', 4, 600);
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend, review_anchor)
  SELECT 't_cal', tier, rank, min_spend, 'calendar' FROM rfm.tier_rule WHERE policy = 't';
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend, one_step_down)
  SELECT 't_step', tier, rank, min_spend, true FROM rfm.tier_rule WHERE policy = 't';
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend, grace)
  SELECT 't_grace', tier, rank, min_spend, '30 days' FROM rfm.tier_rule WHERE policy = 't';
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend, min_orders)
  SELECT 't_ord', tier, rank, min_spend, CASE tier WHEN 'silver' THEN 3 END FROM rfm.tier_rule WHERE policy = 't';
SELECT policy, rfm.tier_check(policy) FROM (SELECT DISTINCT policy FROM rfm.tier_rule) s ORDER BY 1;

-- One row per order (negative amount = refund).  A window (as_of - 1 year,
-- as_of] excludes the day one year before as_of.
CREATE TABLE tier_orders (member text, ordered_at date, amount numeric);
INSERT INTO tier_orders VALUES
  -- upgrade mid-period, then downgrade at the review
  ('up', '2024-01-10', 50), ('up', '2024-04-15', 60), ('up', '2024-08-20', 200),
  -- a refund that drops spend below gold, a later purchase, then the review
  ('refund', '2024-03-01', 350), ('refund', '2024-03-10', -100), ('refund', '2024-12-01', 150),
  -- a refund of an old order leaves the window: spend rises, an upgrade
  ('late_refund', '2023-01-01', 500), ('late_refund', '2023-12-01', -200), ('late_refund', '2024-06-01', 700),
  -- anniversary against calendar review
  ('cal', '2024-03-15', 320),
  -- no purchase for a whole window
  ('idle', '2024-02-01', 400), ('idle', '2025-07-01', 120),
  -- multi-step upgrades: base straight to platinum
  ('jump', '2024-05-01', 20), ('jump', '2024-05-20', 650),
  ('big_first', '2024-09-09', 700),
  -- three small orders: silver through min_orders in t_ord only
  ('orders', '2024-01-05', 10), ('orders', '2024-02-05', 10), ('orders', '2024-02-05', 10);
CREATE TABLE tier_members AS
  SELECT member, rfm.purchases_agg(ordered_at, amount) AS p FROM tier_orders GROUP BY member;

-- status of a member under a policy on some days
CREATE FUNCTION tier_at(m text, pol text, VARIADIC days date[])
  RETURNS TABLE (as_of date, tier text, since date, next_review date, qualifying_spend double precision,
                 spend_to_keep double precision, next_tier text, spend_to_upgrade double precision)
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT d, s.* FROM tier_members tm, unnest(days) d, rfm.tier_status(tm.p, d, pol) s
     WHERE tm.member = m ORDER BY d;
  END;

-- 1. Upgrade mid-period.  'up' buys 50 on 2024-01-10 (base from its first
-- purchase), 60 on 2024-04-15 (110 >= 100: silver that day) and 200 on
-- 2024-08-20 (310 >= 300: gold that day).  Each upgrade restarts the
-- anniversary clock: next_review is one year after the change.  On
-- 2024-04-14 spend_to_upgrade is 100 - 50 = 50; as silver on 2024-04-15,
-- spend_to_keep is what the window at the review 2025-04-15, i.e.
-- (2024-04-15, 2025-04-15], still holds: nothing (the 04-15 purchase falls
-- out), so 100 is missing.  Gold on 2024-08-20: at the review 2025-08-20 the
-- window (2024-08-20, 2025-08-20] holds nothing, so 300 is missing;
-- spend_to_upgrade = 600 - 310 = 290.
SELECT * FROM tier_at('up', 't', '2024-01-09', '2024-01-10', '2024-04-14', '2024-04-15', '2024-08-19', '2024-08-20');

-- 2. Downgrade only at the review.  On 2025-01-10 the 50 of 2024-01-10 leaves
-- the window (260 < 300) and on 2025-04-15 the 60 (200 < 300): 'up' stays
-- gold all the same.  The review on 2025-08-20 finds 0 in the window and
-- moves it to the highest tier still qualified for: base (since 2025-08-20;
-- the entry tier cannot be lost, spend_to_keep 0).  Under t_step (one step
-- down at most) it becomes silver on 2025-08-20 and base at the next review
-- 2026-08-20.
SELECT * FROM tier_at('up', 't', '2025-01-10', '2025-04-15', '2025-08-19', '2025-08-20');
SELECT * FROM tier_at('up', 't_step', '2025-08-19', '2025-08-20', '2026-08-19', '2026-08-20');

-- 3. Refunds.  'refund' buys 350 on 2024-03-01 (gold) and gets 100 back on
-- 2024-03-10: 250 is below gold's 300, but a refund is no review, so it stays
-- gold.  qualifying_spend counts the refund (250); at the review 2025-03-01 the
-- window (2024-03-01, 2025-03-01] keeps only the -100, so 400 is missing.
-- The 150 of 2024-12-01 brings the window to 400 and spend_to_keep to
-- 300 - (-100 + 150) = 250.  The review on 2025-03-01 sees 50: base.
SELECT * FROM tier_at('refund', 't', '2024-03-01', '2024-03-10', '2024-12-01', '2025-02-28', '2025-03-01');

-- 'late_refund': 500 on 2023-01-01 (gold), 200 refunded on 2023-12-01 (300,
-- still gold; at the review 2024-01-01 the window (2023-01-01, 2024-01-01]
-- keeps only the -200, so 300 - (-200) = 500 is missing).  The review finds
-- -200: base.  700 on 2024-06-01: the window (2023-06-01, 2024-06-01] holds
-- -200 + 700 = 500, gold, not yet platinum.  On 2024-12-01 the refund leaves
-- the window: 700 >= 600, platinum that day, with no purchase that day.
SELECT * FROM tier_at('late_refund', 't', '2023-12-31', '2024-01-01', '2024-06-01', '2024-11-30', '2024-12-01');

-- 4. Anniversary against calendar review.  'cal' buys 320 on 2024-03-15: gold.
-- Anniversary (t): the review on 2025-03-15 sees (2024-03-15, 2025-03-15] = 0:
-- base.  Calendar (t_cal, every 1 January): the review on 2025-01-01 sees
-- (2024-01-01, 2025-01-01] = 320, gold kept; the next on 2026-01-01 sees 0:
-- base.  On 2024-12-31 t_cal's spend_to_keep is 0 (the 320 is still in the
-- window on 2025-01-01); t's is 300.
SELECT * FROM tier_at('cal', 't', '2024-12-31', '2025-01-01', '2025-03-14', '2025-03-15');
SELECT * FROM tier_at('cal', 't_cal', '2024-12-31', '2025-01-01', '2025-03-15', '2025-12-31', '2026-01-01');

-- 5. No purchase for a whole window.  'idle' buys 400 on 2024-02-01 (gold)
-- and nothing until 2025-07-01.  On 2025-02-01 the window (2024-02-01,
-- 2025-02-01] is empty and the review that day moves it to base.  The 120 of
-- 2025-07-01 makes it silver.
-- With a 30-day grace (t_grace) the review of 2025-02-01 only announces the
-- downgrade: next_review is the end of the grace, 2025-03-03, and the member
-- moves to base then, as it did not buy meanwhile.
SELECT * FROM tier_at('idle', 't', '2025-01-31', '2025-02-01', '2025-06-30', '2025-07-01');
SELECT * FROM tier_at('idle', 't_grace', '2025-02-01', '2025-03-02', '2025-03-03');

-- A grace period saved by a purchase: 'idle2' is 'idle' with 300 bought on
-- 2025-02-20, inside the grace: gold again, the downgrade is off, and the
-- anniversary clock runs on from the last change (2024-02-01): next review
-- 2026-02-01.  Without grace (t) it was base from 2025-02-01 and 300 makes
-- it gold again on 2025-02-20 (an upgrade: next review 2026-02-20).
INSERT INTO tier_members SELECT 'idle2', rfm.purchases_agg(d, a)
  FROM (VALUES ('2024-02-01'::date, 400), ('2025-02-20', 300)) v(d, a);
SELECT * FROM tier_at('idle2', 't_grace', '2025-02-19', '2025-02-20', '2025-03-03');
SELECT * FROM tier_at('idle2', 't', '2025-02-19', '2025-02-20');

-- 6. Multi-step upgrades.  'jump' is base after 20 on 2024-05-01 and reaches
-- 670 on 2024-05-20: straight to platinum (top tier: no next tier).
-- 'big_first' starts with 700: platinum on its first purchase day.
SELECT * FROM tier_at('jump', 't', '2024-05-19', '2024-05-20');
SELECT * FROM tier_at('big_first', 't', '2024-09-08', '2024-09-09');

-- 7. as_of in the past (time travel): 'up' on a few days, newest first; no
-- tier before the first purchase (NULL), and rfm.tier agrees with
-- rfm.tier_status.
SELECT d AS as_of, rfm.tier(p, d, 't') AS tier, (rfm.tier_status(p, d, 't')).tier AS status_tier
  FROM tier_members, unnest('{2030-01-01,2025-08-20,2024-08-20,2024-04-15,2024-01-10,2024-01-09,1990-01-01}'::date[]) d
 WHERE member = 'up';

-- 8. min_orders as an alternative criterion.  'orders' spends 30 in three
-- orders (one on 2024-01-05, two on 2024-02-05): base under t; silver on
-- 2024-02-05 under t_ord (3 orders >= 3).  spend_to_keep would be 0 if 3
-- orders were still in the window at the next review, but the window of
-- 2025-02-05 excludes 2024-02-05: 100 - 0 = 100, and base at that review.
SELECT * FROM tier_at('orders', 't', '2024-02-05');
SELECT * FROM tier_at('orders', 't_ord', '2024-01-05', '2024-02-04', '2024-02-05', '2025-02-05');

-- 9. Calendar boundaries: '3 months' reviews on 1 January/April/July/
-- October, '1 month' on the first of the month, '7 days' on Mondays
-- (2024-06-03 is a Monday).  'cal' is gold on 2024-06-01.
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend, review_anchor, review_every)
  SELECT 'q_' || e, tier, rank, min_spend, 'calendar', e::interval
    FROM rfm.tier_rule, unnest('{3 months,1 month,7 days,2 years}'::text[]) e WHERE policy = 't';
SELECT policy, (rfm.tier_status(p, '2024-06-01', policy)).next_review
  FROM tier_members, (SELECT DISTINCT policy FROM rfm.tier_rule WHERE policy LIKE 'q\_%') s
 WHERE member = 'cal' ORDER BY 1;

-- 10. The watch lists of rfm.tier_watch: on 2024-12-31 under t, 'cal' (gold,
-- 300 missing at its review 2025-03-15) is at risk within 3 months;
-- 'jump' (platinum, review 2025-05-20) is at risk within 6 months only;
-- 'orders' (base, 70 from silver) is near an upgrade for a gap of 80.
SELECT member, s.tier, s.next_review, s.spend_to_keep, s.spend_to_upgrade,
       rfm.tier_watch(s, '2024-12-31', 80, '3 months') AS within_3_months,
       rfm.tier_watch(s, '2024-12-31', 80, '6 months') AS within_6_months,
       rfm.tier_watch(s, '2024-12-31', 80) AS any_time
  FROM tier_members, rfm.tier_status(p, '2024-12-31', 't') s ORDER BY member;

-- 11. Arguments: NULL in, NULL out; an infinite as_of is an error.
SELECT rfm.tier(NULL, '2024-01-01', 't'), rfm.tier(p, NULL, 't'), rfm.tier(p, '2024-06-01', NULL)
  FROM tier_members WHERE member = 'up';
SELECT rfm.tier(p, 'infinity', 't') FROM tier_members WHERE member = 'up';

-- 12. Validation.  Rows that break a ladder are refused when the transaction
-- commits (a deferred trigger runs rfm.tier_check on every changed policy):
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES ('bad', 'base', 1, 10);
BEGIN;
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES ('ok', 'silver', 2, 100);
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES ('ok', 'base', 1, 0);
COMMIT;  -- checked at commit, so the order of the rows does not matter
SELECT rfm.tier_check('ok');
DELETE FROM rfm.tier_rule WHERE policy = 'ok' AND tier = 'base';  -- the ladder loses its entry tier
UPDATE rfm.tier_rule SET min_spend = 50 WHERE policy = 't' AND tier = 'gold';
DELETE FROM rfm.tier_rule WHERE policy = 'ok';  -- a whole policy may go
-- Row rules are CHECK and key constraints:
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES ('t', 'diamond', 4, 900);
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES ('t', 'gold', 5, 900);
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES ('t', 'diamond', 5, -1);
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend, review_anchor) VALUES ('x', 'base', 1, 0, 'monthly');
-- The rest is checked by rfm.tier_check, which rfm.tier and rfm.tier_status
-- also run when they read a policy.  With the trigger off (as in a restore
-- with --disable-triggers), a broken ladder is caught when it is used:
SET session_replication_role = replica;
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend, min_orders, spend_window, review_every, review_anchor, grace) VALUES
  ('e_entry', 'base', 1, 5, NULL, '1 year', '1 year', 'anniversary', '0'),
  ('e_entry_orders', 'base', 1, 0, 2, '1 year', '1 year', 'anniversary', '0'),
  ('e_order', 'base', 1, 0, NULL, '1 year', '1 year', 'anniversary', '0'),
  ('e_order', 'silver', 2, 100, NULL, '1 year', '1 year', 'anniversary', '0'),
  ('e_order', 'gold', 3, 100, NULL, '1 year', '1 year', 'anniversary', '0'),
  ('e_orders', 'base', 1, 0, NULL, '1 year', '1 year', 'anniversary', '0'),
  ('e_orders', 'silver', 2, 100, 5, '1 year', '1 year', 'anniversary', '0'),
  ('e_orders', 'gold', 3, 200, 5, '1 year', '1 year', 'anniversary', '0'),
  ('e_mixed', 'base', 1, 0, NULL, '1 year', '1 year', 'anniversary', '0'),
  ('e_mixed', 'silver', 2, 100, NULL, '6 months', '1 year', 'anniversary', '0'),
  ('e_anchor', 'base', 1, 0, NULL, '1 year', '1 year', 'anniversary', '0'),
  ('e_anchor', 'silver', 2, 100, NULL, '1 year', '1 year', 'calendar', '0'),
  ('e_window', 'base', 1, 0, NULL, '0 days', '1 year', 'anniversary', '0'),
  ('e_hours', 'base', 1, 0, NULL, '1 year', '36 hours', 'anniversary', '0'),
  ('e_negative', 'base', 1, 0, NULL, '1 year', '-1 year', 'anniversary', '0'),
  ('e_long', 'base', 1, 0, NULL, '1000 years', '1 year', 'anniversary', '0'),
  ('e_calendar', 'base', 1, 0, NULL, '1 year', '5 months', 'calendar', '0'),
  ('e_grace', 'base', 1, 0, NULL, '1 year', '1 month', 'anniversary', '1 month');
RESET session_replication_role;
SELECT rfm.tier_check('e_entry');
SELECT rfm.tier_check('e_entry_orders');
SELECT rfm.tier_check('e_order');
SELECT rfm.tier_check('e_orders');
SELECT rfm.tier_check('e_mixed');
SELECT rfm.tier_check('e_anchor');
SELECT rfm.tier_check('e_window');
SELECT rfm.tier_check('e_hours');
SELECT rfm.tier_check('e_negative');
SELECT rfm.tier_check('e_long');
SELECT rfm.tier_check('e_calendar');
SELECT rfm.tier_check('e_grace');
SELECT rfm.tier(p, '2024-06-01', 'e_order') FROM tier_members WHERE member = 'up';
SELECT rfm.tier(p, '2024-06-01', 'no_such_policy') FROM tier_members WHERE member = 'up';
DELETE FROM rfm.tier_rule WHERE policy LIKE 'e\_%';

-- pg_dump keeps the rows users add (builtin = false), not the built-in ladder
SELECT policy, count(*) AS tiers, bool_and(builtin) AS builtin FROM rfm.tier_rule GROUP BY 1 ORDER BY 1;
SELECT c.relname, x.cond
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) x(oid, cond) JOIN pg_class c ON c.oid = x.oid
 WHERE e.extname = 'rfm' AND c.relname = 'tier_rule';
