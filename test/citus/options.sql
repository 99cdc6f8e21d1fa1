-- test/citus/options.sql, run by test/citus/run.sh after cdnow.sql: models with the options that relabel everyone at
-- every refresh, on distributed tables against the same models on plain tables:
--  * CDNOW orders, tiers (the built-in ladder 'example') and lifetime value (BG/NBD + Gamma-Gamma): six monthly
--    refreshes with new orders, updated and deleted ones between them; a campaign reviewed on both;
--  * the Taobao log (../shared/data/taobao-userbehavior-head): its buy events as orders, its browsing as the
--    events relation (option events, its own event names mapped), both distributed; models of an ordinary role;
--    three daily refreshes with events and orders added between them (DCIU, prospects, the lift table), then one
--    by the scheduler (rfm preloaded).
-- Labels, history, flow, KPIs, the tier watch list and the BI views equal after every refresh (EXCEPT ALL both
-- ways). No WARNING is printed (test/citus/run.sh checks: Citus warned once per view of a model's schema before rfm
-- made them without its DDL propagation). One output line per check.
SET client_min_messages = warning;
SET extra_float_digits = 3;
SET TimeZone = 'Asia/Shanghai';
CREATE TEMP TABLE opt_checks (n serial, name text, ok boolean, detail text);

-- the rows of a model's BI objects that are not in the other model's (both ways), per object
CREATE FUNCTION model_diff(a text, b text, objects text[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  o text;
  n bigint;
  out text := '';
BEGIN
  FOREACH o IN ARRAY objects LOOP
    EXECUTE format('SELECT count(*) FROM ((TABLE rfm_%1$s.%3$I EXCEPT ALL TABLE rfm_%2$s.%3$I)
                                          UNION ALL (TABLE rfm_%2$s.%3$I EXCEPT ALL TABLE rfm_%1$s.%3$I)) x', a, b, o) INTO n;
    IF n <> 0 THEN
      out := out || o || ':' || n || ' ';
    END IF;
  END LOOP;
  RETURN out;
END $$;

-- 1. CDNOW with tiers and lifetime value
\set into tc_plain
\ir cdnow_load.sql
CREATE INDEX ON tc_plain (member_id);
CREATE TABLE tc_dist (LIKE tc_plain);
SELECT create_distributed_table('tc_dist', 'member_id');
INSERT INTO tc_dist SELECT * FROM tc_plain;
CREATE INDEX ON tc_dist (member_id);

SELECT rfm.create_model('tcd', 'tc_dist', time_column => 'ordered_at', options => '{"tier_policy": "example", "clv": true}');
SELECT rfm.create_model('tcp', 'tc_plain', time_column => 'ordered_at', options => '{"tier_policy": "example", "clv": true}');

CREATE FUNCTION tc_changes(t regclass, k int, d date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO %s SELECT DISTINCT member_id, $2 - 5, 40 + $1 FROM %s WHERE member_id %% 11 = $1 %% 11', t, t) USING k, d;
  EXECUTE format('UPDATE %s SET amount = amount * 2 WHERE member_id %% 37 = $1 %% 37 AND ordered_at <= $2 - 40', t) USING k, d;
  EXECUTE format('DELETE FROM %s WHERE member_id %% 41 = $1 %% 41 AND ordered_at BETWEEN $2 - 90 AND $2 - 45', t) USING k, d;
END $$;
CREATE TABLE tc_cmp (k int, as_of date, diff text, labelled bigint, tiers bigint, clv bigint);
DO $$
DECLARE
  d date;
  k int := 0;
BEGIN
  FOR d IN SELECT (g + interval '1 month - 1 day')::date FROM generate_series(date '1997-10-01', date '1998-03-01', interval '1 month') g LOOP
    k := k + 1;
    IF k > 1 THEN
      PERFORM tc_changes('tc_dist', k, d);
      PERFORM tc_changes('tc_plain', k, d);
    END IF;
    PERFORM rfm.refresh('tcd', d);
    PERFORM rfm.refresh('tcp', d);
    INSERT INTO tc_cmp
    SELECT k, d, model_diff('tcd', 'tcp', ARRAY['labels', 'label_history', 'flow', 'kpi', 'tier_watch', 'segment_summary',
                                                'lifecycle_summary', 'value_segment_summary', 'label_counts']),
           (SELECT count(*) FROM rfm_tcd.labels), (SELECT count(tier) FROM rfm_tcd.labels), (SELECT count(clv) FROM rfm_tcd.labels);
  END LOOP;
END $$;
INSERT INTO opt_checks (name, ok, detail)
SELECT 'tiers and lifetime value on a distributed source: 6 monthly refreshes equal one node (labels, history, flow, kpi, tier_watch, BI views)',
       count(*) = 6 AND bool_and(diff = ''), string_agg(as_of || ': ' || diff, '; ' ORDER BY k) FILTER (WHERE diff <> '')
  FROM tc_cmp;
INSERT INTO opt_checks (name, ok, detail)
SELECT 'every member has a tier and a lifetime value (last month)', bool_and(tiers = labelled AND clv = labelled AND labelled > 23000) FILTER (WHERE k = 6),
       max(labelled || ' labelled, ' || tiers || ' tiers, ' || clv || ' clv') FILTER (WHERE k = 6)
  FROM tc_cmp;
INSERT INTO opt_checks (name, ok, detail)
SELECT 'the refreshes'' records equal (lifetime value fits, KPIs, cut points reference) every month', count(*) = 6 AND bool_and(a = b),
       string_agg(a || ' <> ' || b, '; ') FILTER (WHERE a <> b)
  FROM (SELECT as_of, (to_jsonb(r) - 'refresh_id' - 'started' - 'finished')::text a FROM rfm_tcd.refreshes r) d
  JOIN (SELECT as_of, (to_jsonb(r) - 'refresh_id' - 'started' - 'finished')::text b FROM rfm_tcp.refreshes r) p USING (as_of);
INSERT INTO opt_checks (name, ok, detail)
SELECT 'the lifetime value fits converged (last month)', (bgnbd).converged AND (gamma_gamma).converged, (bgnbd)::text
  FROM rfm_tcd.refreshes ORDER BY as_of DESC LIMIT 1;

-- a campaign sent on 1998-02-10 to every other member (the others the control), reviewed over 14 days on both models,
-- in a TimeZone west of the workers' (a date column cast to timestamptz on a worker would fall on the day before)
CREATE TABLE tc_assign AS
  SELECT DISTINCT member_id, CASE WHEN member_id % 2 = 0 THEN 'mail' ELSE 'control' END AS arm, date '1998-02-10' AS assigned_at,
         CASE WHEN member_id % 3 = 0 THEN 'app' ELSE 'web' END AS channel
    FROM tc_plain;
-- (a response for a third of the mailed members: an order on the day of the send)
INSERT INTO tc_dist SELECT member_id, '1998-02-10', 25 FROM tc_assign WHERE arm = 'mail' AND member_id % 3 = 0;
INSERT INTO tc_plain SELECT member_id, '1998-02-10', 25 FROM tc_assign WHERE arm = 'mail' AND member_id % 3 = 0;
SELECT rfm.refresh('tcd', '1998-03-31', "full" => true), rfm.refresh('tcp', '1998-03-31', "full" => true);
SELECT rfm.create_campaign('mail_d', 'tcd', 'tc_assign', options => '{"window": "14 days", "pre_period": "60 days"}');
SELECT rfm.create_campaign('mail_p', 'tcp', 'tc_assign', options => '{"window": "14 days", "pre_period": "60 days"}');
SET TimeZone = 'America/New_York';
INSERT INTO opt_checks (name, ok, detail)
SELECT 'campaign_review on a distributed source equal one node (whole, channel, value segment), in a TimeZone west of the workers''',
       d = p AND d LIKE '%mail%', CASE WHEN d <> p THEN left(d, 300) || ' <> ' || left(p, 300) END
  FROM (SELECT string_agg(to_jsonb(r)::text, E'\n' ORDER BY dim, r.dimension_value, r.arm) d
          FROM unnest(ARRAY['whole', 'channel', 'value_segment']) dim,
               LATERAL rfm.campaign_review('mail_d', CASE WHEN dim = 'whole' THEN NULL ELSE dim END) r) d,
       (SELECT string_agg(to_jsonb(r)::text, E'\n' ORDER BY dim, r.dimension_value, r.arm) p
          FROM unnest(ARRAY['whole', 'channel', 'value_segment']) dim,
               LATERAL rfm.campaign_review('mail_p', CASE WHEN dim = 'whole' THEN NULL ELSE dim END) r) p;
INSERT INTO opt_checks (name, ok, detail)
SELECT 'the campaign''s responders counted (the orders on the day of the send)', responders >= 3900, responders::text
  FROM rfm.campaign_review('mail_d');
SET TimeZone = 'Asia/Shanghai';

-- 2. Taobao: orders and browsing events, both distributed
CREATE TABLE tb_line (line text);
COPY tb_line FROM :'taobao' WITH (FORMAT text, DELIMITER E'\x01');
CREATE TABLE tb_events_plain AS
  SELECT split_part(line, ',', 1)::bigint AS user_id, split_part(line, ',', 4) AS behavior,
         to_timestamp(split_part(line, ',', 5)::bigint) AS ts
    FROM tb_line WHERE line ~ '^\d+,\d+,\d+,(pv|fav|cart|buy),\d+$';
DROP TABLE tb_line;
-- held back, added between the refreshes: the events from 2017-12-01 on (China time)
CREATE TABLE tb_later AS SELECT * FROM tb_events_plain WHERE ts >= '2017-12-01';
DELETE FROM tb_events_plain WHERE ts >= '2017-12-01';
CREATE TABLE tb_orders_plain AS SELECT user_id, ts AS ordered_at, 1::numeric AS amount FROM tb_events_plain WHERE behavior = 'buy';
CREATE TABLE tb_events_dist (LIKE tb_events_plain);
SELECT create_distributed_table('tb_events_dist', 'user_id');
INSERT INTO tb_events_dist SELECT * FROM tb_events_plain;
CREATE TABLE tb_orders_dist (LIKE tb_orders_plain);
SELECT create_distributed_table('tb_orders_dist', 'user_id', colocate_with => 'tb_events_dist');
INSERT INTO tb_orders_dist SELECT * FROM tb_orders_plain;
-- these models belong to an ordinary role (the scheduler runs no superuser's model): it may read and write the
-- tables and put triggers on them, and make schemas
CREATE ROLE rfm_citus_analyst LOGIN;
GRANT CREATE ON DATABASE postgres TO rfm_citus_analyst;
GRANT SELECT, INSERT, TRIGGER ON tb_orders_dist, tb_events_dist, tb_orders_plain, tb_events_plain TO rfm_citus_analyst;
GRANT SELECT ON tb_later TO rfm_citus_analyst;
GRANT ALL ON opt_checks TO rfm_citus_analyst;
GRANT USAGE ON SEQUENCE opt_checks_n_seq TO rfm_citus_analyst;
SET ROLE rfm_citus_analyst;

SELECT rfm.create_model('tbd', 'tb_orders_dist', 'user_id', 'ordered_at', 'amount',
  '{"events": {"relation": "tb_events_dist", "member_column": "user_id", "event_column": "behavior", "time_column": "ts",
               "event_names": {"pv": "view", "fav": "favorite", "cart": "cart_add", "buy": "purchase"}},
    "dciu_horizon": "1 day", "dciu_half_life": "12 hours"}');
SELECT rfm.create_model('tbp', 'tb_orders_plain', 'user_id', 'ordered_at', 'amount',
  '{"events": {"relation": "tb_events_plain", "member_column": "user_id", "event_column": "behavior", "time_column": "ts",
               "event_names": {"pv": "view", "fav": "favorite", "cart": "cart_add", "buy": "purchase"}},
    "dciu_horizon": "1 day", "dciu_half_life": "12 hours"}');
INSERT INTO opt_checks (name, ok, detail)
SELECT 'capture triggers on the distributed orders and events', count(*) = 8, string_agg(tgname, ', ' ORDER BY tgname)
  FROM pg_trigger WHERE tgname LIKE 'rfm\_tbd\_%' AND tgrelid IN ('tb_orders_dist'::regclass, 'tb_events_dist'::regclass);

CREATE TEMP TABLE tb_cmp (k int, as_of date, diff text, queued bigint, members bigint, prospects bigint);
DO $$
DECLARE
  d date;
  k int := 0;
  q bigint;
BEGIN
  FOR d IN SELECT g::date FROM generate_series(date '2017-11-30', date '2017-12-02', interval '1 day') g LOOP
    k := k + 1;
    IF k > 1 THEN
      -- the day's events (and its buys as orders) arrive
      CREATE TEMP TABLE tb_day AS SELECT * FROM tb_later WHERE ts >= d::timestamptz AND ts < (d + 1)::timestamptz;
      INSERT INTO tb_events_dist SELECT * FROM tb_day;
      INSERT INTO tb_events_plain SELECT * FROM tb_day;
      INSERT INTO tb_orders_dist SELECT user_id, ts, 1 FROM tb_day WHERE behavior = 'buy';
      INSERT INTO tb_orders_plain SELECT user_id, ts, 1 FROM tb_day WHERE behavior = 'buy';
      DROP TABLE tb_day;
    END IF;
    SELECT count(DISTINCT member_id) INTO q FROM rfm.cq_tbd;
    PERFORM rfm.refresh('tbd', d);
    PERFORM rfm.refresh('tbp', d);
    INSERT INTO tb_cmp
    SELECT k, d, model_diff('tbd', 'tbp', ARRAY['labels', 'label_history', 'flow', 'kpi', 'napl_dciu', 'dciu_lift', 'prospects',
                                                'segment_summary', 'lifecycle_summary']),
           q, (SELECT count(*) FROM rfm_tbd.members), (SELECT count(*) FROM rfm_tbd.prospects);
  END LOOP;
END $$;
INSERT INTO opt_checks (name, ok, detail)
SELECT 'DCIU on distributed orders and events: 3 daily refreshes equal one node (labels, history, flow, kpi, napl_dciu, dciu_lift, prospects)',
       count(*) = 3 AND bool_and(diff = ''), string_agg(as_of || ': ' || diff, '; ' ORDER BY k) FILTER (WHERE diff <> '')
  FROM tb_cmp;
INSERT INTO opt_checks (name, ok, detail)
SELECT 'the new events and orders were queued on the shards', bool_and(queued > 0) FILTER (WHERE k > 1) AND max(members) FILTER (WHERE k = 3) > 700,
       string_agg(as_of || ': ' || queued || ' queued, ' || members || ' members, ' || prospects || ' prospects', '; ' ORDER BY k)
  FROM tb_cmp;

-- the scheduler (rfm preloaded on every node, citus first) refreshes the model on the distributed source, on the
-- coordinator: a job every second, waited for (at most a minute)
SELECT rfm.schedule('tbd', '1 second') > 0 AS scheduled;
DO $$
BEGIN
  FOR i IN 1 .. 120 LOOP
    EXIT WHEN EXISTS (SELECT FROM rfm.job_run WHERE model = 'tbd' AND status <> 'running');
    PERFORM pg_sleep(0.5);
  END LOOP;
END $$;
INSERT INTO opt_checks (name, ok, detail)
SELECT 'the scheduler refreshed the model on the distributed source', status = 'succeeded'
         AND (SELECT max(as_of) FROM rfm_tbd.refreshes) BETWEEN current_date - 1 AND current_date + 1,
       coalesce(status || ': ' || coalesce(message, ''), 'no run within a minute')
  FROM (SELECT 1) x LEFT JOIN LATERAL (SELECT * FROM rfm.job_run WHERE model = 'tbd' AND status <> 'running' ORDER BY run_id LIMIT 1) r ON true;
SELECT rfm.unschedule('tbd');
SELECT rfm.drop_model(name) FROM rfm.model WHERE name IN ('tbd', 'tbp');
RESET ROLE;

-- 3. a segment map and a tier ladder of one's own, added on the coordinator, are copied to the workers, where the
-- label functions of a query of the distributed table run
INSERT INTO rfm.segment_rule (map, segment, priority, r_min, r_max, f_min, f_max, m_min, m_max, builtin) VALUES
  ('citus_map', 'top', 1, 4, 5, 1, 5, 1, 5, false), ('citus_map', 'rest', 2, 1, 5, 1, 5, 1, 5, false);
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend, builtin) VALUES
  ('citus_club', 'member', 1, 0, false), ('citus_club', 'vip', 2, 200, false);
INSERT INTO opt_checks (name, ok, detail)
SELECT 'a segment map and a tier ladder added on the coordinator are on every worker',
       count(*) = 2 AND bool_and(success AND result = '2|2'), string_agg(nodeport || ': ' || result, ', ')
  FROM run_command_on_workers($$SELECT (SELECT count(*) FROM rfm.segment_rule WHERE map = 'citus_map') || '|'
                                       || (SELECT count(*) FROM rfm.tier_rule WHERE policy = 'citus_club')$$);
CREATE FUNCTION own_labels(t regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
BEGIN
  EXECUTE format($q$SELECT string_agg(member_id || ':' || rfm.segment((member_id %% 5)::int + 1, 3, 3, 'citus_map') || ':'
                                      || coalesce(rfm.tier(p, '1998-06-30', 'citus_club'), '-'), ',' ORDER BY member_id)
                      FROM (SELECT member_id, rfm.purchases_agg(ordered_at, amount) p FROM %s GROUP BY 1) m$q$, t) INTO r;
  RETURN r;
END $$;
INSERT INTO opt_checks (name, ok, detail)
SELECT 'rfm.segment and rfm.tier with them, run on the workers in a query of the distributed table, equal one node',
       d = p AND d LIKE '%:top:vip%', left(d, 120) || ' / ' || left(p, 120)
  FROM own_labels('tc_dist') d, own_labels('tc_plain') p;
DELETE FROM rfm.segment_rule WHERE map = 'citus_map';
DELETE FROM rfm.tier_rule WHERE policy = 'citus_club';
INSERT INTO opt_checks (name, ok, detail)
SELECT 'and are gone from the workers when deleted', bool_and(success AND result = '0'), string_agg(nodeport || ': ' || result, ', ')
  FROM run_command_on_workers($$SELECT count(*) FROM rfm.segment_rule WHERE NOT builtin$$);

SELECT rfm.drop_campaign(name) FROM rfm.campaign WHERE name IN ('mail_d', 'mail_p');
SELECT rfm.drop_model(name) FROM rfm.model WHERE name IN ('tcd', 'tcp');

SELECT 'citus ' || name || ': ' || CASE WHEN ok THEN 'passed' ELSE 'FAILED (' || coalesce(detail, 'NULL') || ')' END
  FROM opt_checks ORDER BY n;
