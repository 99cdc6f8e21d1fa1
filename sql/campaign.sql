-- Campaign review (docs/campaigns.md) on the Hillstrom e-mail test (../shared/data/hillstrom-email-campaign):
-- 64,000 customers randomized into Mens E-Mail, Womens E-Mail and No E-Mail, turned into orders as PROVENANCE.md
-- says (a pre-period order of the past year's spend placed recency months before the send day, an order of the
-- spend the day after it for each converter), reviewed through a model: published figures per arm, every
-- statistic equal to rfm.campaign_compare over cells summed in plain SQL from the CSV (which campaign_stats checks
-- against scipy/statsmodels), by newbie, by channel and by a label at the assignment day, q-values against a
-- plain-SQL Benjamini-Hochberg, a planted sample-ratio mismatch, bad input.
SET extra_float_digits = 0;
SET DateStyle = ISO;
CREATE SCHEMA campaign_test;
SET search_path = campaign_test, public;
\getenv rfm_shared RFM_SHARED_DATA
\set hillstrom :rfm_shared '/hillstrom-email-campaign/hillstrom.csv'

-- members numbered in the file's order (an identity column filled by COPY: row_number() OVER () would follow
-- the scan, which may differ between runs and versions)
CREATE TABLE hillstrom (
  member_id bigint GENERATED ALWAYS AS IDENTITY,
  recency integer, history_segment text, history numeric, mens integer, womens integer, zip_code text,
  newbie integer, channel text, segment text, visit integer, conversion integer, spend numeric);
COPY hillstrom (recency, history_segment, history, mens, womens, zip_code, newbie, channel, segment, visit, conversion, spend)
  FROM :'hillstrom' WITH (FORMAT csv, HEADER);
-- the send day; orders: the past year's spend recency months before it, and each converter's spend the day after
CREATE TABLE hs_orders (member_id bigint, ordered_at date, amount numeric(12,2));
INSERT INTO hs_orders
SELECT member_id, (DATE '2008-03-03' - make_interval(months => recency))::date, history FROM hillstrom
UNION ALL
SELECT member_id, DATE '2008-03-04', spend FROM hillstrom WHERE conversion = 1;
CREATE INDEX ON hs_orders (member_id);
CREATE TABLE hs_assign AS
  SELECT member_id, segment AS arm, DATE '2008-03-03' AS assigned_at, newbie, channel FROM hillstrom;
SELECT count(*) AS orders, count(DISTINCT member_id) AS members, sum(amount) AS amount FROM hs_orders;

-- the model: labelled the day before the send, and again when the two weeks are over
SET client_min_messages = warning;
SELECT rfm.create_model('hs', 'hs_orders');
SELECT members FROM rfm.refresh('hs', '2008-03-02');
SELECT members FROM rfm.refresh('hs', '2008-03-16');
RESET client_min_messages;

SELECT rfm.create_campaign('hillstrom', 'hs', 'hs_assign',
                           options => '{"control_arm": "No E-Mail", "pre_period": "12 months", "cost": {"Mens E-Mail": 0.1, "Womens E-Mail": 0.1}, "margin_rate": 0.3}');

-- the whole campaign: the published figures per arm (members; conversion 1.253 / 0.884 / 0.573 %; spend per
-- customer 1.42262 / 1.07720 / 0.65279)
SELECT arm, members, round(100 * response_rate::numeric, 3) AS conversion_pct, round(revenue_per_member::numeric, 5) AS spend,
       control_members, round(100 * control_response_rate::numeric, 3) AS control_conversion_pct,
       round(control_revenue_per_member::numeric, 5) AS control_spend, window_days_covered, members_not_in_model,
       round(srm_p::numeric, 4) AS srm_p, note
  FROM rfm.campaign_review('hillstrom');
SELECT arm, round(response_uplift::numeric, 6) AS uplift, round(response_uplift_low::numeric, 6) AS low,
       round(response_uplift_high::numeric, 6) AS high, to_char(response_p, '9.999EEEE') AS p,
       round(revenue_uplift::numeric, 5) AS revenue_uplift, round(revenue_uplift_low::numeric, 5) AS revenue_low,
       round(revenue_uplift_high::numeric, 5) AS revenue_high, to_char(revenue_p, '9.999EEEE') AS revenue_p,
       round(cuped_revenue_uplift::numeric, 5) AS cuped, round(relative_revenue_lift::numeric, 4) AS relative,
       round(incremental_revenue::numeric, 2) AS incremental, round(cost::numeric, 2) AS cost,
       round(profit::numeric, 2) AS profit, round(roi::numeric, 4) AS roi
  FROM rfm.campaign_review('hillstrom');

-- every statistic of every row equals rfm.campaign_compare over the cells summed in plain SQL from the CSV, per
-- dimension: the whole campaign, newbie, channel, and the value segment of the refresh before the send day (from
-- label_history: the rows valid on 2008-03-03)
CREATE FUNCTION plain_review(dim text)
  RETURNS TABLE (dimension_value text, arm text, r rfm.campaign_comparison, tm bigint, cm bigint)
  LANGUAGE sql AS $$
  WITH base AS (
    SELECT CASE dim WHEN 'newbie' THEN h.newbie::text WHEN 'channel' THEN h.channel
                    WHEN 'value_segment' THEN coalesce(l.value_segment, '(not in model)') ELSE '(all)' END AS v,
           h.segment AS arm, h.spend AS y, h.history AS x, h.conversion = 1 AS responded
      FROM hillstrom h
      LEFT JOIN rfm_hs.label_history l
        ON l.member_id = h.member_id AND l.valid_from <= '2008-03-03' AND (l.valid_to IS NULL OR l.valid_to > '2008-03-03')),
  cells AS (SELECT v, arm, rfm.campaign_cell_agg(y, x, responded) AS cell FROM base GROUP BY v, arm)
  SELECT t.v, t.arm, rfm.campaign_compare(t.cell, c.cell, 0.95), (t.cell).members, (c.cell).members
    FROM cells t JOIN cells c ON c.v = t.v AND c.arm = 'No E-Mail'
   WHERE t.arm <> 'No E-Mail' AND (t.cell).members >= 100 AND (c.cell).members >= 100
$$;
SELECT d.dim, count(*) AS rows,
       count(*) FILTER (WHERE j.r IS NULL) AS only_review,
       count(*) FILTER (WHERE j.arm IS NULL) AS only_plain,
       count(*) FILTER (WHERE (j.response_uplift, j.response_uplift_low, j.response_uplift_high, j.response_p,
                               j.revenue_uplift, j.revenue_uplift_low, j.revenue_uplift_high, j.revenue_p,
                               j.cuped_revenue_uplift, j.cuped_revenue_uplift_low, j.cuped_revenue_uplift_high, j.cuped_revenue_p,
                               j.relative_revenue_lift, j.relative_revenue_lift_low, j.relative_revenue_lift_high,
                               j.incremental_revenue, j.members, j.control_members)
                              IS DISTINCT FROM
                              ((j.r).response_uplift, (j.r).response_uplift_low, (j.r).response_uplift_high, (j.r).response_p,
                               (j.r).revenue_uplift, (j.r).revenue_uplift_low, (j.r).revenue_uplift_high, (j.r).revenue_p,
                               (j.r).cuped_revenue_uplift, (j.r).cuped_revenue_uplift_low, (j.r).cuped_revenue_uplift_high,
                               (j.r).cuped_revenue_p, (j.r).relative_revenue_lift, (j.r).relative_revenue_lift_low,
                               (j.r).relative_revenue_lift_high, (j.r).incremental_revenue, j.tm, j.cm)) AS differ
  FROM (VALUES (NULL), ('newbie'), ('channel'), ('value_segment')) d(dim)
  CROSS JOIN LATERAL (SELECT x.*, p.r, p.tm, p.cm
                        FROM (SELECT * FROM rfm.campaign_review('hillstrom', d.dim) WHERE note NOT LIKE '%not tested%') x
                        FULL JOIN plain_review(coalesce(d.dim, '(all)')) p
                          ON p.dimension_value = x.dimension_value AND p.arm = x.arm) j
 GROUP BY d.dim ORDER BY d.dim NULLS FIRST;

-- by newbie: each cell, and the q-values equal a plain-SQL Benjamini-Hochberg over the rows' p-values
SELECT dimension_value AS newbie, arm, members, control_members, round(response_uplift::numeric, 6) AS uplift,
       to_char(response_p, '9.999EEEE') AS p, to_char(q_value, '9.999EEEE') AS q,
       round(revenue_uplift::numeric, 5) AS revenue_uplift, to_char(revenue_q_value, '9.999EEEE') AS revenue_q
  FROM rfm.campaign_review('hillstrom', 'newbie');
WITH r AS (SELECT * FROM rfm.campaign_review('hillstrom', 'channel')),
     bh AS (SELECT r1.dimension_value, r1.arm,
                   (SELECT least(1, min(r2.response_p * (SELECT count(*) FROM r) /
                                       (SELECT count(*) FROM r r3 WHERE r3.response_p <= r2.response_p)))
                      FROM r r2 WHERE r2.response_p >= r1.response_p) AS q
              FROM r r1)
SELECT count(*) AS rows, count(*) FILTER (WHERE abs(r.q_value - bh.q) > 1e-15 * bh.q) AS q_differ,
       count(*) FILTER (WHERE r.q_value < r.response_p) AS q_below_p
  FROM r JOIN bh USING (dimension_value, arm);

-- by the value segment the members had at the send day; a cell of fewer members than min_cell_size is not tested
SELECT dimension_value AS value_segment, arm, members, control_members, round(response_uplift::numeric, 6) AS uplift,
       to_char(q_value, '9.999EEEE') AS q, note
  FROM rfm.campaign_review('hillstrom', 'value_segment');

-- published for BI: campaign_reviews, names in the reader's locale, every column commented
SELECT rfm.publish_campaign('hillstrom') AS published_rows;
SET rfm.locale = 'zh-TW';
SELECT dimension, dimension_value_name, arm, members FROM rfm_hs.campaign_reviews
 WHERE dimension = 'napl' ORDER BY array_position('{N,A,P,L}', dimension_value), arm;
RESET rfm.locale;
SELECT count(*) AS columns, count(*) FILTER (WHERE coalesce(col_description('rfm_hs.campaign_reviews'::regclass, attnum), '') = '') AS uncommented
  FROM pg_attribute WHERE attrelid = 'rfm_hs.campaign_reviews'::regclass AND attnum > 0;

-- a planted sample-ratio mismatch: 5 % of the Mens E-Mail members dropped
CREATE VIEW hs_assign_srm AS SELECT * FROM hs_assign WHERE NOT (arm = 'Mens E-Mail' AND member_id % 20 = 0);
SELECT rfm.create_campaign('hillstrom_srm', 'hs', 'hs_assign_srm', options => '{"control_arm": "No E-Mail"}');
SELECT arm, members, srm_p < 1e-6 AS flagged, note FROM rfm.campaign_review('hillstrom_srm');
SELECT (rfm.srm_test(ARRAY[21307, 21387, 21306], ARRAY[1, 1, 1])).p > 0.5 AS balanced_not_flagged;

-- bad input: each an error with a hint, or a documented rule
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT rfm.create_campaign('bad', 'hs', 'hs_assign', options => '{"colour": 1}');
SELECT rfm.create_campaign('bad', 'hs', 'hs_assign', options => '{"window": 14}');
SELECT rfm.create_campaign('bad', 'hs', 'hs_assign', options => '{"confidence": 1.5}');
SELECT rfm.create_campaign('bad', 'hs', 'hs_assign', 'member_id', 'variant');
SELECT rfm.create_campaign('bad', 'nosuchmodel', 'hs_assign');
SELECT rfm.create_campaign('hillstrom', 'hs', 'hs_assign');
SELECT rfm.campaign_review('hillstrom', 'colour');
SELECT rfm.campaign_review('nosuchcampaign');
-- no control arm
SELECT rfm.create_campaign('nocontrol', 'hs', 'hs_assign');
SELECT * FROM rfm.campaign_review('nocontrol');
SELECT rfm.alter_campaign('nocontrol', '{"control_arm": "No E-Mail", "allocation": {"Mens E-Mail": 1, "No E-Mail": 1}}');
SELECT * FROM rfm.campaign_review('nocontrol');
SELECT rfm.drop_campaign('nocontrol');
-- a member assigned twice
CREATE TABLE hs_twice AS SELECT * FROM hs_assign UNION ALL SELECT * FROM hs_assign WHERE member_id = 7;
SELECT rfm.create_campaign('twice', 'hs', 'hs_twice', options => '{"control_arm": "No E-Mail"}');
SELECT * FROM rfm.campaign_review('twice');
SELECT rfm.drop_campaign('twice');
-- members not in the model (never bought) are counted in, and apart; assignments after the last refresh: the
-- window is covered for 0 days, which the review says
CREATE TABLE hs_late AS
  SELECT member_id, arm, DATE '2008-03-20' AS assigned_at FROM hs_assign WHERE member_id <= 3000
  UNION ALL SELECT 1000000 + g, CASE WHEN g % 2 = 0 THEN 'No E-Mail' ELSE 'Mens E-Mail' END, DATE '2008-03-20'
              FROM generate_series(1, 200) g;
SELECT rfm.create_campaign('late', 'hs', 'hs_late', options => '{"control_arm": "No E-Mail", "min_cell_size": 2}');
SELECT arm, members, members_not_in_model, window_days_covered, note FROM rfm.campaign_review('late') WHERE arm = 'Mens E-Mail';
SELECT rfm.drop_campaign('late');

-- another role sees no campaign of hs's owner and cannot make one on hs, through the function or directly
CREATE ROLE campaign_other;
SET ROLE campaign_other;
SELECT count(*) AS campaigns_seen FROM rfm.campaign;
SELECT rfm.create_campaign('theirs', 'hs', 'pg_class');
INSERT INTO rfm.campaign (name, model, assignments, member_column, arm_column, assigned_column)
VALUES ('theirs', 'hs', 'pg_class', 'oid', 'relname', 'relname');
SELECT rfm.campaign_review('hillstrom');
RESET ROLE;
DROP ROLE campaign_other;

SET client_min_messages = warning;
SELECT rfm.drop_model('hs');
RESET client_min_messages;
SELECT count(*) AS campaigns_left FROM rfm.campaign;
\set SHOW_CONTEXT errors
SET client_min_messages = warning;
DROP SCHEMA campaign_test CASCADE;
RESET client_min_messages;
