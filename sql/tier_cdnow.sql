-- Tiers on the real CDNOW master (23,570 members, 1997-01-01 .. 1998-06-30)
-- under the built-in ladder 'example': base 0 < silver 100 < gold 250 <
-- platinum 500 of net spend in a rolling year, anniversary review every year.
-- The counts at every quarter end of 1997-1998 are checked member by member
-- against a plain-SQL replay (a recursive query that knows nothing of rfm).
SET extra_float_digits = 0;
SET DateStyle = ISO;
\getenv abs_srcdir PG_ABS_SRCDIR
\set master_file :abs_srcdir '/data/cdnow/CDNOW_master.txt'
CREATE TABLE tier_cdnow_lines (line text);
COPY tier_cdnow_lines FROM :'master_file';
CREATE TABLE tier_cdnow AS
  SELECT f[1]::int AS member_id, to_date(f[2], 'YYYYMMDD') AS ordered_at, f[4]::numeric AS amount
    FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') f FROM tier_cdnow_lines) s
   WHERE f[1] <> 'customer_id';
CREATE INDEX ON tier_cdnow (member_id, ordered_at);
CREATE TABLE tier_cdnow_p AS
  SELECT member_id, rfm.purchases_agg(ordered_at, amount) AS p FROM tier_cdnow GROUP BY member_id;
CREATE TABLE tier_quarter AS
  SELECT n, (q + interval '3 months - 1 day')::date AS q
    FROM generate_series('1996-10-01'::date, '1998-10-01', '3 months') WITH ORDINALITY g(q, n);
SELECT rfm.tier_check('example');

-- every member's status at every quarter end, from 1996-12-31 (before the
-- first purchase: NULL) to 1998-12-31
CREATE TABLE tier_cdnow_status AS
  SELECT n, q, member_id, s.*
    FROM tier_quarter, tier_cdnow_p, rfm.tier_status(p, q, 'example') s;

-- tier counts per quarter end
SELECT q AS quarter_end,
       count(*) FILTER (WHERE tier IS NULL) AS no_purchase_yet,
       count(*) FILTER (WHERE tier = 'base') AS base,
       count(*) FILTER (WHERE tier = 'silver') AS silver,
       count(*) FILTER (WHERE tier = 'gold') AS gold,
       count(*) FILTER (WHERE tier = 'platinum') AS platinum,
       count(*) FILTER (WHERE spend_to_keep > 0) AS short_for_next_review
  FROM tier_cdnow_status GROUP BY q ORDER BY q;

-- rfm.tier agrees with rfm.tier_status, and the qualifying spend is
-- rfm.monetary over the window, to the last bit
SELECT count(*) AS member_quarters,
       count(*) FILTER (WHERE rfm.tier(p, q, 'example') IS DISTINCT FROM s.tier) AS tier_differs,
       count(*) FILTER (WHERE s.qualifying_spend IS DISTINCT FROM rfm.monetary(p, q, '1 year')) AS spend_differs
  FROM tier_cdnow_status s JOIN tier_cdnow_p USING (member_id);

-- The oracle: the same rules replayed in plain SQL from the order rows.  A
-- member starts in base (rank 1) the day before the first purchase; each
-- step goes to the next purchase day or, above base, the next anniversary
-- of the last change (since + k years), whichever comes first.  There the
-- rank is the one the net spend of (day - 1 year, day] qualifies for; it is
-- taken if higher, or if lower on a review day; a change restarts the clock.
CREATE TABLE tier_oracle_timeline AS
WITH RECURSIVE t(member_id, d, r, since) AS (
  SELECT member_id, min(ordered_at) - 1, 1, min(ordered_at) FROM tier_cdnow GROUP BY member_id
  UNION ALL
  SELECT t.member_id, n.d, CASE WHEN c.change THEN q.r ELSE t.r END, CASE WHEN c.change THEN n.d ELSE t.since END
    FROM t
    CROSS JOIN LATERAL (
      SELECT (SELECT min((t.since + k * interval '1 year')::date) FROM generate_series(1, 10) k
               WHERE (t.since + k * interval '1 year')::date > t.d) AS review) rv
    CROSS JOIN LATERAL (
      SELECT least((SELECT min(o.ordered_at) FROM tier_cdnow o
                     WHERE o.member_id = t.member_id AND o.ordered_at > t.d),
                   CASE WHEN t.r > 1 THEN rv.review END) AS d) n
    CROSS JOIN LATERAL (
      SELECT CASE WHEN w.spend >= 500 THEN 4 WHEN w.spend >= 250 THEN 3 WHEN w.spend >= 100 THEN 2 ELSE 1 END AS r
        FROM (SELECT coalesce(sum(o.amount), 0) AS spend FROM tier_cdnow o
               WHERE o.member_id = t.member_id
                 AND o.ordered_at > n.d - interval '1 year' AND o.ordered_at <= n.d) w) q
    CROSS JOIN LATERAL (SELECT q.r > t.r OR (q.r < t.r AND n.d = rv.review) AS change) c
   WHERE n.d <= '1998-12-31'
)
SELECT * FROM t;
CREATE TABLE tier_oracle AS
  SELECT qe.q, o.member_id, (ARRAY['base', 'silver', 'gold', 'platinum'])[o.r] AS tier, o.since
    FROM tier_quarter qe
    CROSS JOIN LATERAL (
      SELECT DISTINCT ON (t.member_id) t.member_id, t.r, t.since
        FROM tier_oracle_timeline t
       WHERE t.d <= qe.q AND t.d >= t.since
       ORDER BY t.member_id, t.d DESC) o;
-- member by member, tier and since, at all quarter ends: no difference
SELECT (SELECT count(*) FROM (SELECT q, member_id, tier, since FROM tier_oracle
                              EXCEPT ALL
                              SELECT q, member_id, tier, since FROM tier_cdnow_status WHERE tier IS NOT NULL) a) AS oracle_only,
       (SELECT count(*) FROM (SELECT q, member_id, tier, since FROM tier_cdnow_status WHERE tier IS NOT NULL
                              EXCEPT ALL
                              SELECT q, member_id, tier, since FROM tier_oracle) b) AS rfm_only,
       (SELECT count(*) FROM tier_oracle) AS oracle_rows;

-- Tier flow between consecutive quarter ends: members by (tier at the
-- previous quarter end, tier at this one); '-' = no purchase yet.
CREATE TABLE tier_cdnow_flow AS
  SELECT b.q, coalesce(a.tier, '-') AS from_tier, coalesce(b.tier, '-') AS to_tier, count(*) AS members
    FROM tier_cdnow_status b
    JOIN tier_cdnow_status a ON a.member_id = b.member_id AND a.n = b.n - 1
   GROUP BY 1, 2, 3;
SELECT from_tier, to_tier,
       coalesce(sum(members) FILTER (WHERE q = '1997-03-31'), 0) AS "97q1",
       coalesce(sum(members) FILTER (WHERE q = '1997-06-30'), 0) AS "97q2",
       coalesce(sum(members) FILTER (WHERE q = '1997-09-30'), 0) AS "97q3",
       coalesce(sum(members) FILTER (WHERE q = '1997-12-31'), 0) AS "97q4",
       coalesce(sum(members) FILTER (WHERE q = '1998-03-31'), 0) AS "98q1",
       coalesce(sum(members) FILTER (WHERE q = '1998-06-30'), 0) AS "98q2",
       coalesce(sum(members) FILTER (WHERE q = '1998-09-30'), 0) AS "98q3",
       coalesce(sum(members) FILTER (WHERE q = '1998-12-31'), 0) AS "98q4"
  FROM tier_cdnow_flow f
  LEFT JOIN rfm.tier_rule fr ON fr.policy = 'example' AND fr.tier = f.from_tier
  LEFT JOIN rfm.tier_rule tr ON tr.policy = 'example' AND tr.tier = f.to_tier
 WHERE from_tier <> to_tier
 GROUP BY from_tier, to_tier, fr.rank, tr.rank
 ORDER BY coalesce(fr.rank, 0), coalesce(tr.rank, 0);
-- per quarter: members who joined, moved up, moved down, stayed
SELECT f.q AS quarter_end,
       coalesce(sum(members) FILTER (WHERE from_tier = '-' AND to_tier <> '-'), 0) AS joined,
       coalesce(sum(members) FILTER (WHERE fr.rank < tr.rank), 0) AS up,
       coalesce(sum(members) FILTER (WHERE fr.rank > tr.rank), 0) AS down,
       coalesce(sum(members) FILTER (WHERE from_tier = to_tier AND from_tier <> '-'), 0) AS stayed
  FROM tier_cdnow_flow f
  LEFT JOIN rfm.tier_rule fr ON fr.policy = 'example' AND fr.tier = f.from_tier
  LEFT JOIN rfm.tier_rule tr ON tr.policy = 'example' AND tr.tier = f.to_tier
 GROUP BY f.q ORDER BY f.q;
