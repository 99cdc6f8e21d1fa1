/*
 * src/model/model_1_7.sql
 * What rfm 1.7 changes in the catalog (tables, types, rows; functions are replaced by the update script
 * from every fragment, scripts/replayable.awk). Part of a fresh install and of the update script from 1.6 alike.
 *
 * The security model of docs/security.md: change capture through one trigger function of rfm's into one
 * queue (no trigger function of the model's owner, no cast of the member column), and models' layout 4
 * (no changes table in their schema). The row security and the grants of the catalog tables are in
 * model_last.sql, which every update runs again.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.6, 4 = rfm 1.7 (older layouts are brought to 4 by the model''s next refresh; change capture by the update to 1.7)';
ALTER TABLE rfm.model ALTER COLUMN layout SET DEFAULT 4;

-- The members touched since each model's last refresh, written by rfm._capture_changes (the triggers on
-- models' sources and events) and taken by the model's owner at its next refresh.
CREATE TABLE rfm.change_queue (
  model text NOT NULL,
  member_id text NOT NULL
);
CREATE INDEX change_queue_model ON rfm.change_queue (model);
COMMENT ON TABLE rfm.change_queue IS
  'Members touched since the last refresh of each model, as text (filled by the capture triggers, taken by the model''s next refresh); a role sees the rows of its own models';
COMMENT ON COLUMN rfm.change_queue.model IS 'The model (rfm.model.name)';
COMMENT ON COLUMN rfm.change_queue.member_id IS 'A touched member''s id, as text (the member column is of a built-in type)';
COMMENT ON INDEX rfm.change_queue_model IS 'The changes of one model';
ALTER TABLE rfm.change_queue ENABLE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('rfm.change_queue', '');

-- the context of a refresh knows whether the lifetime value phase predicted (its phases no longer probe for
-- each other's temporary tables)
ALTER TYPE rfm._refresh ADD ATTRIBUTE clv_predicted boolean, ADD ATTRIBUTE clv_status text;
-- and whether the model's per-member tables are Citus distributed tables (the few statements Citus plans only
-- in another form are then written so)
ALTER TYPE rfm._refresh ADD ATTRIBUTE colocated boolean;

-- interval options are interval strings (a bare JSON number would be read as seconds), windows at least a day
UPDATE rfm.model_option SET description =
  'RFM window for frequency and monetary: an interval string of at least a day, such as "1 year" (not a bare number, which would be seconds); null = all history up to as_of'
 WHERE name = 'window';
UPDATE rfm.model_option SET description =
  'NAPL window: an interval string of at least a day, such as "3 months" or "90 days" (not a bare number, which would be seconds)'
 WHERE name = 'napl_window';

-- display names of the flow's (entered), (exited) and (none), for the chart views
-- (built-in rows, which pg_dump leaves out: the extension makes them)
INSERT INTO rfm.label (kind, code, locale, name, description, builtin) VALUES
  ('flow', '(entered)', 'en', 'Entered', 'A member new since the previous refresh', true),
  ('flow', '(exited)', 'en', 'Exited', 'A member gone since the previous refresh (no purchase history left)', true),
  ('flow', '(none)', 'en', 'None', 'A member without a label of this kind', true),
  ('flow', '(entered)', 'zh-TW', '新加入', '上次更新後新加入的會員', true),
  ('flow', '(exited)', 'zh-TW', '已離開', '上次更新後離開的會員（已無購買紀錄）', true),
  ('flow', '(none)', 'zh-TW', '無', '此類別沒有標籤的會員', true);
COMMENT ON COLUMN rfm.label.kind IS
  'segment, value_segment, napl, nes, dciu, or flow (the (entered), (exited) and (none) of flows), or a kind of your own';

-- one distinct display name per stage across kinds, in the words of each model's source (docs/labels.md): NAPL's
-- 新客 / 活躍客 / 潛力客 / 流失客 (91APP), NES's N bounded by the purchase cycle and so named apart from NAPL's N
UPDATE rfm.label SET name = 'Potential' WHERE builtin AND kind = 'napl' AND code = 'P' AND locale = 'en';
UPDATE rfm.label SET name = 'Lost (one-time buyer)' WHERE builtin AND kind = 'napl' AND code = 'L' AND locale = 'en';
UPDATE rfm.label SET name = '新客' WHERE builtin AND kind = 'napl' AND code = 'N' AND locale = 'zh-TW';
UPDATE rfm.label SET name = '潛力客', description = '有兩個以上購買日，但觀察期間內沒有購買：回購客暫時沉寂，仍有喚回潛力。'
 WHERE builtin AND kind = 'napl' AND code = 'P' AND locale = 'zh-TW';
UPDATE rfm.label SET name = 'New (within cycle)' WHERE builtin AND kind = 'nes' AND code = 'N' AND locale = 'en';
UPDATE rfm.label SET name = '週期內新客' WHERE builtin AND kind = 'nes' AND code = 'N' AND locale = 'zh-TW';
UPDATE rfm.label SET name = '主力客' WHERE builtin AND kind = 'nes' AND code = 'E0' AND locale = 'zh-TW';
COMMENT ON TYPE rfm.nes_stage IS
  'ORDERLY lifecycle against the member''s own purchase cycle: N new (within the cycle), E0 existing (core), S1 sleepy, S2 half-asleep, S3 asleep';

-- Campaigns (docs/campaigns.md): an A/B test of a model's members, its arms assigned in a relation of the owner's;
-- reviewed by rfm.campaign_review. Row security and grants in model_last.sql.
CREATE TABLE rfm.campaign (
  name text PRIMARY KEY,
  model text NOT NULL REFERENCES rfm.model (name) ON DELETE CASCADE,
  assignments regclass NOT NULL,
  member_column name NOT NULL,
  arm_column name NOT NULL,
  assigned_column name NOT NULL,
  options jsonb NOT NULL DEFAULT '{}',
  owner regrole NOT NULL DEFAULT current_user::regrole,
  created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rfm.campaign IS
  'Campaigns created by rfm.create_campaign: the model, the relation of assignments (member, arm, when) and the options; a role sees the campaigns of its own roles';
COMMENT ON COLUMN rfm.campaign.name IS 'The campaign''s name';
COMMENT ON COLUMN rfm.campaign.model IS 'The model whose members and labels it reviews (rfm.model.name); dropped with it';
COMMENT ON COLUMN rfm.campaign.assignments IS 'One row per member: the arm it was assigned to and when';
COMMENT ON COLUMN rfm.campaign.member_column IS 'Member column of the assignments';
COMMENT ON COLUMN rfm.campaign.arm_column IS 'Arm column of the assignments (text)';
COMMENT ON COLUMN rfm.campaign.assigned_column IS 'Assignment time column of the assignments (date or timestamp)';
COMMENT ON COLUMN rfm.campaign.options IS 'Options (rfm.campaign_option), checked by rfm.create_campaign and rfm.alter_campaign';
COMMENT ON COLUMN rfm.campaign.owner IS 'The role that created it: the owner of its model';
COMMENT ON COLUMN rfm.campaign.created IS 'When it was created';
ALTER TABLE rfm.campaign ENABLE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('rfm.campaign', '');

-- The options a campaign knows.
CREATE TABLE rfm.campaign_option (
  name text PRIMARY KEY,
  default_value jsonb,
  description text NOT NULL
);
COMMENT ON TABLE rfm.campaign_option IS 'The options of rfm.create_campaign, their defaults and meaning';
COMMENT ON COLUMN rfm.campaign_option.name IS 'Option name';
COMMENT ON COLUMN rfm.campaign_option.default_value IS 'Value when the option is not given';
COMMENT ON COLUMN rfm.campaign_option.description IS 'What it means and which values it takes';
INSERT INTO rfm.campaign_option VALUES
  ('control_arm', '"control"', 'the arm that was not treated (a string): every other arm is compared with it'),
  ('window', '"14 days"', 'response window after each member''s assignment: an interval string of at least a day'),
  ('pre_period', 'null', 'pre-period before the assignment whose spend is the CUPED covariate: an interval string; null = the window''s length'),
  ('cost', '{}', 'cost per member of each arm, in the source''s money: {"arm": 0.12, ...}; arms not named cost 0'),
  ('margin_rate', 'null', 'share of revenue that is profit (0 to 1): with it, profit and ROI are reported'),
  ('min_cell_size', '100', 'smallest arm, treatment or control, that a cell is tested with (at least 2); smaller cells are reported without tests'),
  ('allocation', 'null', 'expected share of each arm, for the sample-ratio-mismatch test: {"arm": 1, ...} (normalized); null = equal shares'),
  ('confidence', '0.95', 'confidence level of the intervals (between 0 and 1, exclusive)');
GRANT SELECT ON rfm.campaign_option TO PUBLIC;

-- The state of rfm.campaign_cell_agg (src/campaign/campaign_agg.c): a real type with text and binary I/O rather
-- than internal, so that Citus splits the aggregate into partial aggregates on the workers and a combine on the
-- coordinator (docs/scale-out.md). Its I/O functions are here, before it, for a fresh install and an update alike.
CREATE TYPE rfm.campaign_state;
CREATE FUNCTION rfm.campaign_state_in(cstring) RETURNS rfm.campaign_state
  AS 'MODULE_PATHNAME', 'rfm_campaign_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.campaign_state_out(rfm.campaign_state) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_campaign_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.campaign_state_recv(internal) RETURNS rfm.campaign_state
  AS 'MODULE_PATHNAME', 'rfm_campaign_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.campaign_state_send(rfm.campaign_state) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_campaign_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rfm.campaign_state (
  INPUT = rfm.campaign_state_in, OUTPUT = rfm.campaign_state_out,
  RECEIVE = rfm.campaign_state_recv, SEND = rfm.campaign_state_send,
  INTERNALLENGTH = 96, ALIGNMENT = double, STORAGE = plain);
COMMENT ON TYPE rfm.campaign_state IS
  'State of rfm.campaign_cell_agg: (members,responders,sum_y,sum_y2,sum_x,sum_x2,sum_xy), the sums exact in units of 1e-4 (squares and products 1e-8)';
COMMENT ON FUNCTION rfm.campaign_state_in(cstring) IS 'Text input of rfm.campaign_state (checked)';
COMMENT ON FUNCTION rfm.campaign_state_out(rfm.campaign_state) IS 'Text output of rfm.campaign_state (exact)';
COMMENT ON FUNCTION rfm.campaign_state_recv(internal) IS 'Binary input of rfm.campaign_state (checked)';
COMMENT ON FUNCTION rfm.campaign_state_send(rfm.campaign_state) IS 'Binary output of rfm.campaign_state';

-- The types of campaign review's statistics (src/campaign/campaign_stats.sql: the functions over them): a cell's
-- sufficient statistics, and a comparison of two cells.
CREATE TYPE rfm.campaign_cell AS (
  members bigint,
  responders bigint,
  sum_y numeric,
  sum_y2 numeric,
  sum_x numeric,
  sum_x2 numeric,
  sum_xy numeric);
COMMENT ON TYPE rfm.campaign_cell IS
  'Exact sufficient statistics of a cell of members: counts of members and responders, sums of y (outcome), y^2, x (pre-period covariate), x^2 and x*y';
CREATE TYPE rfm.campaign_comparison AS (
  response_rate double precision,
  control_response_rate double precision,
  response_uplift double precision,
  response_uplift_low double precision,
  response_uplift_high double precision,
  response_p double precision,
  revenue_per_member double precision,
  control_revenue_per_member double precision,
  revenue_uplift double precision,
  revenue_uplift_low double precision,
  revenue_uplift_high double precision,
  revenue_p double precision,
  revenue_df double precision,
  cuped_theta double precision,
  cuped_revenue_uplift double precision,
  cuped_revenue_uplift_low double precision,
  cuped_revenue_uplift_high double precision,
  cuped_revenue_p double precision,
  relative_revenue_lift double precision,
  relative_revenue_lift_low double precision,
  relative_revenue_lift_high double precision,
  incremental_revenue double precision);
COMMENT ON TYPE rfm.campaign_comparison IS
  'Treatment against control: response rates and uplift (Newcombe interval, pooled z-test), revenue per member and uplift (Welch), CUPED uplift, relative lift (delta method), incremental revenue';

-- The states of rfm.breaks and of the lifetime value fits (src/scoring/breaks.c, src/clv/clv_fit.c; the common
-- part in src/aggstate.c): real types with text and binary I/O rather than internal, so that Citus splits the
-- aggregates into partial aggregates on the workers and a combine on the coordinator (docs/scale-out.md). Inside
-- an aggregate a state is an expanded object updated in place; its flat form is versioned bytes, its text form
-- a tag and those bytes in hex (lossless), and both inputs validate every field.
CREATE TYPE rfm.breaks_state;
CREATE FUNCTION rfm.breaks_state_in(cstring) RETURNS rfm.breaks_state
  AS 'MODULE_PATHNAME', 'rfm_breaks_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_state_out(rfm.breaks_state) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_breaks_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_state_recv(internal) RETURNS rfm.breaks_state
  AS 'MODULE_PATHNAME', 'rfm_breaks_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_state_send(rfm.breaks_state) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_breaks_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rfm.breaks_state (
  INPUT = rfm.breaks_state_in, OUTPUT = rfm.breaks_state_out,
  RECEIVE = rfm.breaks_state_recv, SEND = rfm.breaks_state_send,
  INTERNALLENGTH = VARIABLE, ALIGNMENT = int4, STORAGE = extended);
COMMENT ON TYPE rfm.breaks_state IS
  'State of rfm.breaks: the number of bins and every value so far; text form ''breaks:'' and the versioned bytes in hex';
COMMENT ON FUNCTION rfm.breaks_state_in(cstring) IS 'Text input of rfm.breaks_state (checked)';
COMMENT ON FUNCTION rfm.breaks_state_out(rfm.breaks_state) IS 'Text output of rfm.breaks_state (exact)';
COMMENT ON FUNCTION rfm.breaks_state_recv(internal) IS 'Binary input of rfm.breaks_state (checked)';
COMMENT ON FUNCTION rfm.breaks_state_send(rfm.breaks_state) IS 'Binary output of rfm.breaks_state';
CREATE TYPE rfm.clv_state;
CREATE FUNCTION rfm.clv_state_in(cstring) RETURNS rfm.clv_state
  AS 'MODULE_PATHNAME', 'rfm_clv_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv_state_out(rfm.clv_state) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_clv_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv_state_recv(internal) RETURNS rfm.clv_state
  AS 'MODULE_PATHNAME', 'rfm_clv_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv_state_send(rfm.clv_state) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_clv_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rfm.clv_state (
  INPUT = rfm.clv_state_in, OUTPUT = rfm.clv_state_out,
  RECEIVE = rfm.clv_state_recv, SEND = rfm.clv_state_send,
  INTERNALLENGTH = VARIABLE, ALIGNMENT = int4, STORAGE = extended);
COMMENT ON TYPE rfm.clv_state IS
  'State of the lifetime value fits: the distinct (x, t_x, t) or (x, monetary) cells with member counts, and the rows skipped; text form ''clv:'' and the versioned bytes in hex';
COMMENT ON FUNCTION rfm.clv_state_in(cstring) IS 'Text input of rfm.clv_state (checked)';
COMMENT ON FUNCTION rfm.clv_state_out(rfm.clv_state) IS 'Text output of rfm.clv_state (exact)';
COMMENT ON FUNCTION rfm.clv_state_recv(internal) IS 'Binary input of rfm.clv_state (checked)';
COMMENT ON FUNCTION rfm.clv_state_send(rfm.clv_state) IS 'Binary output of rfm.clv_state';
-- The state of rfm.intent_agg and rfm.intent_union (src/intent/intent_state.c): a flat varlena of (hour, kind)
-- counts with spare room, updated in place inside an aggregate (no memory context per group: the model refresh
-- aggregates every member at once); text form 'intent_state:' and the rfm.intent text form of the counts.
CREATE TYPE rfm.intent_state;
CREATE FUNCTION rfm.intent_state_in(cstring) RETURNS rfm.intent_state
  AS 'MODULE_PATHNAME', 'rfm_intent_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_state_out(rfm.intent_state) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_intent_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_state_recv(internal) RETURNS rfm.intent_state
  AS 'MODULE_PATHNAME', 'rfm_intent_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_state_send(rfm.intent_state) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_intent_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rfm.intent_state (
  INPUT = rfm.intent_state_in, OUTPUT = rfm.intent_state_out,
  RECEIVE = rfm.intent_state_recv, SEND = rfm.intent_state_send,
  INTERNALLENGTH = VARIABLE, ALIGNMENT = int4, STORAGE = extended);
COMMENT ON TYPE rfm.intent_state IS
  'State of rfm.intent_agg and rfm.intent_union: events counted per (event kind, UTC hour); text form ''intent_state:'' and the rfm.intent text form of the counts';
COMMENT ON FUNCTION rfm.intent_state_in(cstring) IS 'Text input of rfm.intent_state (checked)';
COMMENT ON FUNCTION rfm.intent_state_out(rfm.intent_state) IS 'Text output of rfm.intent_state (exact)';
COMMENT ON FUNCTION rfm.intent_state_recv(internal) IS 'Binary input of rfm.intent_state (checked)';
COMMENT ON FUNCTION rfm.intent_state_send(rfm.intent_state) IS 'Binary output of rfm.intent_state';
