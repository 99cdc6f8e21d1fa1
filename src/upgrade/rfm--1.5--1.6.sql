/*
 * rfm: update from 1.5 to 1.6.
 * Assembled by the Makefile (UPDATE_PARTS): this head (what only an update does: the functions dropped below),
 * then src/model/model_1_6.sql (the catalog changes, also part of a fresh install) and every
 * function of the install script's other fragments with CREATE OR REPLACE (scripts/replayable.awk),
 * so that the functions of an updated installation are those of a fresh one. test/upgrade checks that an updated catalog equals a fresh
 * install's.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.6'" to load this file. \quit

-- create_model makes the current layout directly (rfm._model_objects); the steps that bring an older model's
-- schema to it are named for the layouts they go between
DROP FUNCTION rfm._model_objects_1_1(text, text, text);
DROP FUNCTION rfm._model_objects_1_2(text, text);
-- the helpers of the cut points are told whether only some members are relabelled, instead of probing for a
-- temporary table of the refresh
DROP FUNCTION rfm._bucket_values(text, text);
DROP FUNCTION rfm._hist_nth(text, "char", bigint[]);
DROP FUNCTION rfm._hist_quantiles(text, "char", bigint, double precision[], date);
DROP FUNCTION rfm._hist_top(text, bigint);
/*
 * src/model/model_1_6.sql
 * What rfm 1.6 changes in the models' catalog: nothing in their tables (their layout stays 3). It runs on
 * PostgreSQL 15 to 18 and without preloading (the library, not the catalog, changed); in SQL, drop_model and
 * the events option look relations up in pg_class, since to_regclass of a bare number is no longer NULL from
 * PostgreSQL 16 on. Those are function bodies, which the update script replaces
 * (with every function of the install script: scripts/replayable.awk). Part of a fresh install and of the update script from 1.5 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.6 (older layouts are brought to 3 by the model''s next refresh)';

-- The context of a refresh, passed from each phase of rfm.refresh to the next (src/model/refresh*.sql)
CREATE TYPE rfm._refresh AS (
  -- the call
  name text, s text, m rfm.model, as_of date, full_requested boolean, started timestamptz,
  -- the last refreshes
  last_as_of date, prev_as_of date, since_prev interval,
  last_ref_refresh_id bigint, last_ref_as_of date, last_ref_members bigint, last_ref_params jsonb,
  last_ref_fallback_cycle double precision, last_ref_value_reference jsonb,
  last_ref_rb double precision[], last_ref_fb double precision[], last_ref_mb double precision[],
  -- the source and the options
  amount_expr text, win interval, bins integer, scoring text, seg_map text, vref jsonb, napl_w interval,
  nes_mult double precision[], nes_cycle text, fallback double precision, tier_policy text, params jsonb,
  ev_relation regclass, ev_member_column name, ev_event_column name, ev_time_column name, ev_time_type regtype,
  member_type text, events_sql text, intent_ts timestamptz, dciu_hl interval, dciu_hz interval,
  dciu_w double precision[], clv_on boolean, clv_pnbd boolean, clv_unit double precision, clv_h double precision,
  clv_d double precision,
  -- the mode: every state rebuilt; only the members whose labels can have changed relabelled (else everyone)
  rebuild_all boolean, relabel_some boolean, index_joins jsonb,
  -- what the phases found
  rb double precision[], fb double precision[], mb double precision[], ref_r double precision,
  ref_f double precision, ref_m double precision, revenue double precision, top20 numeric, sum_m numeric,
  dciu_cuts double precision[], lift rfm.dciu_lift_row[], fit_b rfm.bgnbd, fit_p rfm.pnbd, fit_g rfm.gamma_gamma,
  members bigint, rebuilt bigint, changed bigint, relabelled bigint);
COMMENT ON TYPE rfm._refresh IS
  'Internal: the context of a refresh, passed from each phase of rfm.refresh to the next';

-- rfm.report_progress shows any text as the caller's query in pg_stat_activity: internal, run by
-- rfm._progress (SECURITY DEFINER), which prefixes it with the refresh and the model
REVOKE ALL ON FUNCTION rfm.report_progress(text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION rfm.purchases_in(cstring) RETURNS rfm.purchases
  AS 'MODULE_PATHNAME', 'rfm_purchases_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_out(rfm.purchases) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_purchases_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_recv(internal) RETURNS rfm.purchases
  AS 'MODULE_PATHNAME', 'rfm_purchases_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_send(rfm.purchases) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_purchases_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.purchases_in(cstring) IS 'Text input of rfm.purchases (strictly validated)';
COMMENT ON FUNCTION rfm.purchases_out(rfm.purchases) IS 'Text output of rfm.purchases (round-trips exactly)';
COMMENT ON FUNCTION rfm.purchases_recv(internal) IS 'Binary input of rfm.purchases (strictly validated)';
COMMENT ON FUNCTION rfm.purchases_send(rfm.purchases) IS 'Binary output of rfm.purchases';
CREATE OR REPLACE FUNCTION rfm.purchases_eq(rfm.purchases, rfm.purchases) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_purchases_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_ne(rfm.purchases, rfm.purchases) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_purchases_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_hash(rfm.purchases) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_purchases_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.purchases_eq(rfm.purchases, rfm.purchases) IS 'True when two histories have the same days, orders and spend';
COMMENT ON FUNCTION rfm.purchases_ne(rfm.purchases, rfm.purchases) IS 'True when two histories differ';
COMMENT ON FUNCTION rfm.purchases_hash(rfm.purchases) IS 'Hash of a history, for hash joins, grouping and EXCEPT';
CREATE OR REPLACE FUNCTION rfm.purchases_trans(internal, date, numeric) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_trans_date_numeric' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_trans(internal, date, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_trans_date_float8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_trans(internal, timestamptz, numeric) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_trans_tstz_numeric' LANGUAGE C STABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_trans(internal, timestamptz, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_trans_tstz_float8' LANGUAGE C STABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_union_trans(internal, rfm.purchases) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_union_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_purchases_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchases_final(internal) RETURNS rfm.purchases
  AS 'MODULE_PATHNAME', 'rfm_purchases_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.purchases_trans(internal, date, numeric) IS 'Transition function of rfm.purchases_agg(date, numeric)';
COMMENT ON FUNCTION rfm.purchases_trans(internal, date, double precision) IS 'Transition function of rfm.purchases_agg(date, double precision)';
COMMENT ON FUNCTION rfm.purchases_trans(internal, timestamptz, numeric) IS 'Transition function of rfm.purchases_agg(timestamptz, numeric)';
COMMENT ON FUNCTION rfm.purchases_trans(internal, timestamptz, double precision) IS 'Transition function of rfm.purchases_agg(timestamptz, double precision)';
COMMENT ON FUNCTION rfm.purchases_union_trans(internal, rfm.purchases) IS 'Transition function of rfm.purchases_union';
COMMENT ON FUNCTION rfm.purchases_combine(internal, internal) IS 'Combine function of the purchases aggregates (parallel and partial aggregation)';
COMMENT ON FUNCTION rfm.purchases_serialize(internal) IS 'Serialize function of the purchases aggregates';
COMMENT ON FUNCTION rfm.purchases_deserialize(bytea, internal) IS 'Deserialize function of the purchases aggregates (validates the bytes)';
COMMENT ON FUNCTION rfm.purchases_final(internal) IS 'Final function of the purchases aggregates';
CREATE OR REPLACE FUNCTION rfm.first_purchase(p rfm.purchases, as_of date) RETURNS date
  AS 'MODULE_PATHNAME', 'rfm_first_purchase' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.last_purchase(p rfm.purchases, as_of date) RETURNS date
  AS 'MODULE_PATHNAME', 'rfm_last_purchase' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.recency(p rfm.purchases, as_of date) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_recency' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.frequency(p rfm.purchases, as_of date, w interval DEFAULT NULL) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_frequency' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.purchase_days(p rfm.purchases, as_of date, w interval DEFAULT NULL) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_purchase_days' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.monetary(p rfm.purchases, as_of date, w interval DEFAULT NULL) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_monetary' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.first_purchase(rfm.purchases, date) IS 'First purchase day on or before as_of (NULL: none)';
COMMENT ON FUNCTION rfm.last_purchase(rfm.purchases, date) IS 'Last purchase day on or before as_of (NULL: none)';
COMMENT ON FUNCTION rfm.recency(rfm.purchases, date) IS 'Days from the last purchase day on or before as_of to as_of (NULL when as_of is NULL)';
COMMENT ON FUNCTION rfm.frequency(rfm.purchases, date, interval) IS 'Orders in the window (as_of - w, as_of]';
COMMENT ON FUNCTION rfm.purchase_days(rfm.purchases, date, interval) IS 'Distinct purchase days in the window (as_of - w, as_of]';
COMMENT ON FUNCTION rfm.monetary(rfm.purchases, date, interval) IS 'Net spend (orders minus refunds) in the window (as_of - w, as_of]';
CREATE OR REPLACE FUNCTION rfm.btyd(p rfm.purchases, calibration_end date, unit_days double precision DEFAULT 7)
  RETURNS rfm.btyd_summary
  AS 'MODULE_PATHNAME', 'rfm_btyd' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.btyd(rfm.purchases, date, double precision) IS
  '(x, t_x, t, monetary) at calibration_end, in units of unit_days days (default weeks), as lifetimes/BTYD compute them';
CREATE OR REPLACE FUNCTION rfm.entries(p rfm.purchases, OUT day date, OUT orders integer, OUT spend double precision)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'rfm_entries' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION rfm.entries(rfm.purchases) IS 'The stored days of a history as rows (day, orders, net spend); orders = 0 marks a refund-only day';
CREATE OR REPLACE FUNCTION rfm.breaks_trans(internal, double precision, integer) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_breaks_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.breaks_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_breaks_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.breaks_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_breaks_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.breaks_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_breaks_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.breaks_final(internal) RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_breaks_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.breaks_trans(internal, double precision, integer) IS 'Transition function of rfm.breaks';
COMMENT ON FUNCTION rfm.breaks_combine(internal, internal) IS 'Combine function of rfm.breaks';
COMMENT ON FUNCTION rfm.breaks_serialize(internal) IS 'Serialize function of rfm.breaks';
COMMENT ON FUNCTION rfm.breaks_deserialize(bytea, internal) IS 'Deserialize function of rfm.breaks (validates the bytes)';
COMMENT ON FUNCTION rfm.breaks_final(internal) IS 'Final function of rfm.breaks: the k/bins quantiles';
CREATE OR REPLACE FUNCTION rfm.score(value double precision, breaks double precision[], descending boolean DEFAULT false)
  RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.score(double precision, double precision[], boolean) IS
  '1 + the number of cut points strictly below value (a value equal to a cut point goes to the lower bin); descending reverses it, for recency';
CREATE OR REPLACE FUNCTION rfm.bins(breaks double precision[], descending boolean DEFAULT false,
                         OUT score integer, OUT low double precision, OUT high double precision, OUT empty boolean)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'rfm_bins' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;
COMMENT ON FUNCTION rfm.bins(double precision[], boolean) IS
  'The value range (low, high] of every score of a breaks array, and whether it is empty because cut points coincide (a collapsed bin)';
CREATE OR REPLACE FUNCTION rfm.segment(r integer, f integer, m integer, map text DEFAULT 'rfm10') RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_segment' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.segment(integer, integer, integer, text) IS
  'Named segment of (r, f, m) scores in a map of rfm.segment_rule (STABLE: it reads the table); ''other'' when no rule matches';
CREATE OR REPLACE FUNCTION rfm.value_segment(recent boolean, frequent boolean, high_spend boolean) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  -- an array lookup, not a CASE: the body is strict, so the planner inlines it
  RETURN ('{general_winback,general_develop,general_retain,general_value,'
          'important_winback,important_develop,important_retain,important_value}'::text[])
         [1 + recent::int + 2 * frequent::int + 4 * high_spend::int];
COMMENT ON FUNCTION rfm.value_segment(boolean, boolean, boolean) IS
  'The 8-segment value model (重要/一般 × 價值/發展/保持/挽留): important_value, important_develop, important_retain, important_winback, general_value, ...';
CREATE OR REPLACE FUNCTION rfm.label_name(kind text, code text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  RETURN coalesce(
    (SELECT l.name FROM rfm.label l WHERE l.kind = label_name.kind AND l.code = label_name.code
        AND l.locale = coalesce(current_setting('rfm.locale', true), 'en')),
    (SELECT l.name FROM rfm.label l WHERE l.kind = label_name.kind AND l.code = label_name.code
        AND l.locale = 'en'),
    label_name.code);
COMMENT ON FUNCTION rfm.label_name(text, text) IS
  'Display name of a label code in the locale of the rfm.locale setting (default en), falling back to en, then to the code';
CREATE OR REPLACE FUNCTION rfm.napl(p rfm.purchases, as_of date, w interval DEFAULT '3 months') RETURNS rfm.napl_stage
  AS 'MODULE_PATHNAME', 'rfm_napl' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.napl(rfm.purchases, date, interval) IS
  'NAPL stage at as_of: repeat buyer = 2+ purchase days; recent = last purchase day in (as_of - w, as_of]; NULL without purchases';
CREATE OR REPLACE FUNCTION rfm.nes(p rfm.purchases, as_of date, fallback_cycle double precision,
                        multipliers double precision[] DEFAULT '{1,2,3}', cycle text DEFAULT 'mean')
  RETURNS rfm.nes_stage
  AS 'MODULE_PATHNAME', 'rfm_nes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.nes(rfm.purchases, date, double precision, double precision[], text) IS
  'NES stage at as_of: days since the last purchase against multipliers × the member''s cycle (mean or median gap; fallback_cycle for one purchase day)';
CREATE OR REPLACE FUNCTION rfm.nes_explain(p rfm.purchases, as_of date, fallback_cycle double precision,
                                multipliers double precision[] DEFAULT '{1,2,3}', cycle text DEFAULT 'mean')
  RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_nes_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.nes_explain(rfm.purchases, date, double precision, double precision[], text) IS
  'Why a member is in its NES stage, e.g. "S2: 74 days since the last purchase = 2.3 × the member''s cycle of 32 days ..."';
CREATE OR REPLACE FUNCTION rfm.tier_check(policy text) RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_tier_check' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.tier_check(text) IS
  'Validate a tier policy of rfm.tier_rule (an ERROR with a hint says what to fix) and describe it in one line';
CREATE OR REPLACE FUNCTION rfm.tier(p rfm.purchases, as_of date, policy text) RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_tier' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.tier(rfm.purchases, date, text) IS
  'Tier of a member at as_of under a policy of rfm.tier_rule, replayed from the first purchase (STABLE: it reads the table); NULL before the first purchase';
CREATE OR REPLACE FUNCTION rfm.tier_status(p rfm.purchases, as_of date, policy text) RETURNS rfm.tier_state
  AS 'MODULE_PATHNAME', 'rfm_tier_status' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.tier_status(rfm.purchases, date, text) IS
  '(tier, since, next_review, qualifying_spend, spend_to_keep, next_tier, spend_to_upgrade) at as_of under a policy, replayed; NULL before the first purchase';
CREATE OR REPLACE FUNCTION rfm.tier_watch(s rfm.tier_state, as_of date, upgrade_gap double precision,
                               risk_horizon interval DEFAULT NULL) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN (s).spend_to_keep > 0
         AND (risk_horizon IS NULL OR (s).next_review <= as_of + risk_horizon) THEN 'at_risk'
    WHEN (s).spend_to_upgrade <= upgrade_gap THEN 'near_upgrade'
  END;
COMMENT ON FUNCTION rfm.tier_watch(rfm.tier_state, date, double precision, interval) IS
  'at_risk: short of the spend that keeps the tier at a next review within risk_horizon of as_of (NULL = any); near_upgrade: spend_to_upgrade <= upgrade_gap; else NULL';
CREATE OR REPLACE FUNCTION rfm._tier_rule_check() RETURNS trigger
  LANGUAGE plpgsql PARALLEL SAFE SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  -- with FROM, not a simple expression: the ladder is read afresh each time
  IF TG_OP <> 'INSERT' THEN
    PERFORM rfm.tier_check(r.policy) FROM rfm.tier_rule r WHERE r.policy = OLD.policy LIMIT 1;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM rfm.tier_check(r.policy) FROM rfm.tier_rule r WHERE r.policy = NEW.policy LIMIT 1;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION rfm._tier_rule_check() IS
  'Trigger of rfm.tier_rule: validates the policies a transaction changed, at commit (rfm.tier_check)';
CREATE OR REPLACE FUNCTION rfm.intent_in(cstring) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_out(rfm.intent) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_intent_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_recv(internal) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_send(rfm.intent) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_intent_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_in(cstring) IS 'Text input of rfm.intent (strictly validated)';
COMMENT ON FUNCTION rfm.intent_out(rfm.intent) IS 'Text output of rfm.intent (round-trips exactly)';
COMMENT ON FUNCTION rfm.intent_recv(internal) IS 'Binary input of rfm.intent (strictly validated)';
COMMENT ON FUNCTION rfm.intent_send(rfm.intent) IS 'Binary output of rfm.intent';
CREATE OR REPLACE FUNCTION rfm.intent_eq(rfm.intent, rfm.intent) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_intent_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_ne(rfm.intent, rfm.intent) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_intent_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_hash(rfm.intent) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_intent_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_eq(rfm.intent, rfm.intent) IS 'True when two intents have the same counts in the same hours';
COMMENT ON FUNCTION rfm.intent_ne(rfm.intent, rfm.intent) IS 'True when two intents differ';
COMMENT ON FUNCTION rfm.intent_hash(rfm.intent) IS 'Hash of an intent, for hash joins, grouping and EXCEPT';
CREATE OR REPLACE FUNCTION rfm.intent_trans(internal, text, timestamptz) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_union_trans(internal, rfm.intent) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_union_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_intent_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_final(internal) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_trans(internal, text, timestamptz) IS 'Transition function of rfm.intent_agg';
COMMENT ON FUNCTION rfm.intent_union_trans(internal, rfm.intent) IS 'Transition function of rfm.intent_union';
COMMENT ON FUNCTION rfm.intent_combine(internal, internal) IS 'Combine function of the intent aggregates (parallel and partial aggregation)';
COMMENT ON FUNCTION rfm.intent_serialize(internal) IS 'Serialize function of the intent aggregates';
COMMENT ON FUNCTION rfm.intent_deserialize(bytea, internal) IS 'Deserialize function of the intent aggregates (validates the bytes)';
COMMENT ON FUNCTION rfm.intent_final(internal) IS 'Final function of the intent aggregates';
CREATE OR REPLACE FUNCTION rfm.intent_default_weights() RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_intent_default_weights' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_default_weights() IS
  'The built-in event weights {view, search, favorite, cart_add, cart_remove, checkout} = {1, 2, 3, 5, 0.5, 8}';
CREATE OR REPLACE FUNCTION rfm.intent_weights(overrides jsonb) RETURNS double precision[]
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  names CONSTANT text[] := ARRAY['view', 'search', 'favorite', 'cart_add', 'cart_remove', 'checkout'];
  w double precision[] := rfm.intent_default_weights();
  k text;
  v jsonb;
BEGIN
  IF jsonb_typeof(overrides) <> 'object' THEN
    RAISE EXCEPTION 'intent weights must be a JSON object, not %', overrides
      USING ERRCODE = '22023', HINT = 'e.g. rfm.intent_weights(''{"cart_add": 8, "view": 0.5}'')';
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(overrides) LOOP
    IF NOT k = ANY (names) THEN
      RAISE EXCEPTION 'unknown event "%" in intent weights', k
        USING ERRCODE = '22023',
              HINT = 'Weighted events: view, search, favorite, cart_add, cart_remove, checkout (purchase resets the score and has no weight).';
    END IF;
    IF jsonb_typeof(v) <> 'number' OR v::text::double precision < 0 THEN
      RAISE EXCEPTION 'weight of % must be a non-negative number, not %', k, v
        USING ERRCODE = '22023', HINT = 'e.g. {"cart_add": 8}';
    END IF;
    w[array_position(names, k)] := v::text::double precision;
  END LOOP;
  RETURN w;
END $$;
COMMENT ON FUNCTION rfm.intent_weights(jsonb) IS
  'Event weights for rfm.intent_score and rfm.dciu: the defaults with the given events overridden, e.g. rfm.intent_weights(''{"cart_add": 8}'')';
CREATE OR REPLACE FUNCTION rfm.intent_score(i rfm.intent, as_of timestamptz, half_life interval DEFAULT '3 days',
                                 horizon interval DEFAULT '14 days') RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_intent_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.intent_score(i rfm.intent, as_of timestamptz, half_life interval, horizon interval,
                                 weights double precision[]) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_intent_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_score(rfm.intent, timestamptz, interval, interval) IS
  'Time-decayed weighted count of the events after the last purchase, in hours ended within (as_of - horizon, as_of]; default weights';
COMMENT ON FUNCTION rfm.intent_score(rfm.intent, timestamptz, interval, interval, double precision[]) IS
  'rfm.intent_score with weights {view, search, favorite, cart_add, cart_remove, checkout} (see rfm.intent_weights)';
CREATE OR REPLACE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[], half_life interval,
                         horizon interval) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[], half_life interval,
                         horizon interval, weights double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu(score double precision, cuts double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu_of_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[]) IS
  'DCIU bucket at as_of with cuts {I, C, D} (lower bounds, 0 < I < C < D), half-life 3 days, horizon 14 days, default weights';
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[], interval, interval) IS
  'DCIU bucket at as_of with cuts {I, C, D}, the given half-life and horizon, default weights';
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[], interval, interval, double precision[]) IS
  'DCIU bucket at as_of with cuts {I, C, D}, the given half-life, horizon and weights';
COMMENT ON FUNCTION rfm.dciu(double precision, double precision[]) IS
  'DCIU bucket of an intent score already computed: D >= cuts[3], C >= cuts[2], I >= cuts[1], else U';
CREATE OR REPLACE FUNCTION rfm.dciu_explain(i rfm.intent, as_of timestamptz, cuts double precision[],
                                 half_life interval DEFAULT '3 days', horizon interval DEFAULT '14 days')
  RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_dciu_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_explain(i rfm.intent, as_of timestamptz, cuts double precision[],
                                 half_life interval, horizon interval, weights double precision[])
  RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_dciu_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_explain(rfm.intent, timestamptz, double precision[], interval, interval) IS
  'Why a member is in its DCIU bucket: the score, the cuts, and per event kind the events counted and their share of the score';
COMMENT ON FUNCTION rfm.dciu_explain(rfm.intent, timestamptz, double precision[], interval, interval, double precision[]) IS
  'rfm.dciu_explain with weights {view, search, favorite, cart_add, cart_remove, checkout}';
CREATE OR REPLACE FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean, double precision, double precision)
  RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_calibrate_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_calibrate_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_calibrate_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_calibrate_final(internal) RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean) IS 'Transition function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean, double precision, double precision) IS
  'Transition function of rfm.dciu_calibrate with target shares';
COMMENT ON FUNCTION rfm.dciu_calibrate_combine(internal, internal) IS 'Combine function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_serialize(internal) IS 'Serialize function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_deserialize(bytea, internal) IS 'Deserialize function of rfm.dciu_calibrate (validates the bytes)';
COMMENT ON FUNCTION rfm.dciu_calibrate_final(internal) IS 'Final function of rfm.dciu_calibrate: picks the cuts';
CREATE OR REPLACE FUNCTION rfm.dciu_lift_trans(internal, rfm.dciu_bucket, boolean, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_lift_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_lift_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_lift_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.dciu_lift_final(internal) RETURNS rfm.dciu_lift_row[]
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_lift_trans(internal, rfm.dciu_bucket, boolean, double precision) IS 'Transition function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_combine(internal, internal) IS 'Combine function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_serialize(internal) IS 'Serialize function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_deserialize(bytea, internal) IS 'Deserialize function of rfm.dciu_lift_agg (validates the bytes)';
COMMENT ON FUNCTION rfm.dciu_lift_final(internal) IS 'Final function of rfm.dciu_lift_agg';
CREATE OR REPLACE FUNCTION rfm.bgnbd(r double precision, alpha double precision, a double precision, b double precision)
  RETURNS rfm.bgnbd LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(r, alpha, a, b, NULL, NULL, NULL, NULL, NULL)::rfm.bgnbd;
CREATE OR REPLACE FUNCTION rfm.pnbd(r double precision, alpha double precision, s double precision, beta double precision)
  RETURNS rfm.pnbd LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(r, alpha, s, beta, NULL, NULL, NULL, NULL, NULL)::rfm.pnbd;
CREATE OR REPLACE FUNCTION rfm.gamma_gamma(p double precision, q double precision, v double precision)
  RETURNS rfm.gamma_gamma LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(p, q, v, NULL, NULL, NULL, NULL, NULL)::rfm.gamma_gamma;
COMMENT ON FUNCTION rfm.bgnbd(double precision, double precision, double precision, double precision) IS
  'A BG/NBD model with the given parameters (e.g. published ones), for the prediction functions';
COMMENT ON FUNCTION rfm.pnbd(double precision, double precision, double precision, double precision) IS
  'A Pareto/NBD model with the given parameters (e.g. published ones), for the prediction functions';
COMMENT ON FUNCTION rfm.gamma_gamma(double precision, double precision, double precision) IS
  'A Gamma-Gamma model with the given parameters (e.g. published ones), for rfm.expected_spend and rfm.clv';
CREATE OR REPLACE FUNCTION rfm.clv_btyd_trans(internal, double precision, double precision, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_btyd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.clv_gg_trans(internal, double precision, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_gg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.clv_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.clv_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_clv_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.clv_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.bgnbd_final(internal) RETURNS rfm.bgnbd
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.pnbd_final(internal) RETURNS rfm.pnbd
  AS 'MODULE_PATHNAME', 'rfm_pnbd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.gamma_gamma_final(internal) RETURNS rfm.gamma_gamma
  AS 'MODULE_PATHNAME', 'rfm_gamma_gamma_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.clv_btyd_trans(internal, double precision, double precision, double precision) IS
  'Transition function of rfm.bgnbd_fit and rfm.pnbd_fit: counts the member in its (x, t_x, t) cell';
COMMENT ON FUNCTION rfm.clv_gg_trans(internal, double precision, double precision) IS
  'Transition function of rfm.gamma_gamma_fit: counts a repeater in its (x, monetary) cell';
COMMENT ON FUNCTION rfm.clv_combine(internal, internal) IS 'Combine function of the lifetime value fits: adds the cell counts';
COMMENT ON FUNCTION rfm.clv_serialize(internal) IS 'Serialize function of the lifetime value fits';
COMMENT ON FUNCTION rfm.clv_deserialize(bytea, internal) IS 'Deserialize function of the lifetime value fits (validates the bytes)';
COMMENT ON FUNCTION rfm.bgnbd_final(internal) IS 'Final function of rfm.bgnbd_fit: the maximum likelihood fit';
COMMENT ON FUNCTION rfm.pnbd_final(internal) IS 'Final function of rfm.pnbd_fit: the maximum likelihood fit';
COMMENT ON FUNCTION rfm.gamma_gamma_final(internal) IS 'Final function of rfm.gamma_gamma_fit: the maximum likelihood fit';
CREATE OR REPLACE FUNCTION rfm.p_alive(m rfm.bgnbd, x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.p_alive(m rfm.pnbd, x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.expected_purchases(m rfm.bgnbd, horizon double precision,
    x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.expected_purchases(m rfm.pnbd, horizon double precision,
    x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.expected_purchases(m rfm.bgnbd, horizon double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.expected_purchases(m rfm.pnbd, horizon double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.expected_spend(g rfm.gamma_gamma, x double precision, monetary double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.clv(m rfm.bgnbd, g rfm.gamma_gamma, x double precision, t_x double precision, t double precision,
    monetary double precision, horizon double precision, discount_rate double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rfm.clv(m rfm.pnbd, g rfm.gamma_gamma, x double precision, t_x double precision, t double precision,
    monetary double precision, horizon double precision, discount_rate double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.p_alive(rfm.bgnbd, double precision, double precision, double precision) IS
  'BG/NBD probability that a member with (x, t_x, t) is still active at t (1 when x = 0)';
COMMENT ON FUNCTION rfm.p_alive(rfm.pnbd, double precision, double precision, double precision) IS
  'Pareto/NBD probability that a member with (x, t_x, t) is still active at t';
COMMENT ON FUNCTION rfm.expected_purchases(rfm.bgnbd, double precision, double precision, double precision, double precision) IS
  'BG/NBD expected purchases in (t, t + horizon] of a member with (x, t_x, t)';
COMMENT ON FUNCTION rfm.expected_purchases(rfm.pnbd, double precision, double precision, double precision, double precision) IS
  'Pareto/NBD expected purchases in (t, t + horizon] of a member with (x, t_x, t)';
COMMENT ON FUNCTION rfm.expected_purchases(rfm.bgnbd, double precision) IS
  'BG/NBD expected purchases of a new member in its first horizon time units (unconditional)';
COMMENT ON FUNCTION rfm.expected_purchases(rfm.pnbd, double precision) IS
  'Pareto/NBD expected purchases of a new member in its first horizon time units (unconditional)';
COMMENT ON FUNCTION rfm.expected_spend(rfm.gamma_gamma, double precision, double precision) IS
  'Gamma-Gamma expected spend per transaction of a member with x repeat purchases of mean spend monetary (x = 0: the population mean)';
COMMENT ON FUNCTION rfm.clv(rfm.bgnbd, rfm.gamma_gamma, double precision, double precision, double precision, double precision, double precision, double precision) IS
  'Discounted expected spend over the horizon: per time unit i, expected purchases in unit i times expected spend, divided by (1 + discount_rate)^i';
COMMENT ON FUNCTION rfm.clv(rfm.pnbd, rfm.gamma_gamma, double precision, double precision, double precision, double precision, double precision, double precision) IS
  'Discounted expected spend over the horizon: per time unit i, expected purchases in unit i times expected spend, divided by (1 + discount_rate)^i';
CREATE OR REPLACE FUNCTION rfm.report_progress(message text) RETURNS void
  AS 'MODULE_PATHNAME', 'rfm_report_progress' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION rfm.report_progress(text) IS
  'Internal: show a progress message as this backend''s query in pg_stat_activity (not for PUBLIC since rfm 1.6; rfm.refresh reports through rfm._progress)';
CREATE OR REPLACE FUNCTION rfm._recheck(p rfm.purchases, as_of date, fallback_cycle double precision,
                             multipliers double precision[], cycle text) RETURNS date
  AS 'MODULE_PATHNAME', 'rfm_recheck' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm._recheck(rfm.purchases, date, double precision, double precision[], text) IS
  'Internal: the first day after as_of on which a model must relabel the member without new orders: its next entry, or the day a repeat buyer''s NES stage moves on';
CREATE OR REPLACE FUNCTION rfm._napl_of(purchase_days integer, last_day date, as_of date, w interval) RETURNS rfm.napl_stage
  AS 'MODULE_PATHNAME', 'rfm_napl_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm._napl_of(integer, date, date, interval) IS
  'Internal: the NAPL stage from purchase days and last purchase day by as_of, as rfm.napl computes it (a model relabels members from label_state with it)';
CREATE OR REPLACE FUNCTION rfm._model(model_name text) RETURNS rfm.model
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model;
BEGIN
  SELECT * INTO m FROM rfm.model WHERE name = model_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'model "%" does not exist', model_name
      USING ERRCODE = 'undefined_object',
            HINT = coalesce('Models: ' || (SELECT string_agg(name, ', ' ORDER BY name) FROM rfm.model) || '.',
                            'Create one with rfm.create_model(name, source).');
  END IF;
  RETURN m;
END $$;
COMMENT ON FUNCTION rfm._model(text) IS 'Internal: the model row of a name, or an error listing the models';
CREATE OR REPLACE FUNCTION rfm._option(m rfm.model, option text) RETURNS jsonb
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  RETURN coalesce(m.options -> option, (SELECT default_value FROM rfm.model_option WHERE name = option));
COMMENT ON FUNCTION rfm._option(rfm.model, text) IS 'Internal: an option of a model, or its default';
CREATE OR REPLACE FUNCTION rfm._check_options(options jsonb) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k text;
  v jsonb;
BEGIN
  IF jsonb_typeof(options) <> 'object' THEN
    RAISE EXCEPTION 'model options must be a JSON object, not %', jsonb_typeof(options)
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ''{"bins": 5, "napl_window": "90 days"}''.';
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(options) LOOP
    IF NOT EXISTS (SELECT 1 FROM rfm.model_option WHERE name = k) THEN
      RAISE EXCEPTION 'unknown model option "%"', k
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Known options: ' || (SELECT string_agg(name, ', ' ORDER BY name) FROM rfm.model_option) || '.';
    END IF;
    IF v = 'null' THEN CONTINUE; END IF;
    BEGIN
      CASE k
        WHEN 'window', 'napl_window' THEN
          IF (v #>> '{}')::interval <= interval '0' THEN RAISE EXCEPTION 'not positive'; END IF;
        WHEN 'bins' THEN
          IF (v #>> '{}')::int NOT BETWEEN 2 AND 10 THEN RAISE EXCEPTION 'out of range'; END IF;
        WHEN 'scoring' THEN
          IF v #>> '{}' NOT IN ('quantile', 'ntile', 'fixed') THEN RAISE EXCEPTION 'unknown'; END IF;
        WHEN 'r_breaks', 'f_breaks', 'm_breaks' THEN
          PERFORM rfm.score(0, ARRAY(SELECT jsonb_array_elements_text(v)::float8));
        WHEN 'segment_map' THEN
          IF NOT EXISTS (SELECT 1 FROM rfm.segment_rule WHERE map = v #>> '{}') THEN RAISE EXCEPTION 'unknown map'; END IF;
        WHEN 'value_reference' THEN
          IF jsonb_typeof(v) = 'string' THEN
            IF v #>> '{}' NOT IN ('mean', 'median') THEN RAISE EXCEPTION 'unknown'; END IF;
          ELSIF (v ->> 'recency')::float8 IS NULL OR (v ->> 'frequency')::float8 IS NULL
                OR (v ->> 'monetary')::float8 IS NULL THEN
            RAISE EXCEPTION 'incomplete';
          END IF;
        WHEN 'nes_multipliers' THEN
          PERFORM rfm.nes('{2000-01-01:1:1}', '2000-01-02', 1, ARRAY(SELECT jsonb_array_elements_text(v)::float8));
        WHEN 'nes_cycle' THEN
          IF v #>> '{}' NOT IN ('mean', 'median') THEN RAISE EXCEPTION 'unknown'; END IF;
        WHEN 'nes_fallback' THEN
          IF NOT (v #>> '{}')::float8 > 0 THEN RAISE EXCEPTION 'not positive'; END IF;
        WHEN 'tier_policy' THEN
          IF jsonb_typeof(v) <> 'string' THEN RAISE EXCEPTION 'not a name'; END IF;
        WHEN 'tier_upgrade_gap' THEN
          IF NOT (v #>> '{}')::float8 >= 0 THEN RAISE EXCEPTION 'negative'; END IF;
        WHEN 'tier_risk_horizon' THEN
          IF (v #>> '{}')::interval < interval '0' THEN RAISE EXCEPTION 'negative'; END IF;
        WHEN 'events' THEN
          IF jsonb_typeof(v) <> 'object' OR jsonb_typeof(v -> 'relation') <> 'string'
             OR EXISTS (SELECT 1 FROM jsonb_object_keys(v) ek
                         WHERE ek NOT IN ('relation', 'member_column', 'event_column', 'time_column', 'event_names'))
             OR (v ? 'event_names' AND jsonb_typeof(v -> 'event_names') <> 'object') THEN
            RAISE EXCEPTION 'not an events object';
          END IF;
        WHEN 'dciu_half_life', 'dciu_horizon' THEN
          IF (v #>> '{}')::interval <= interval '0' THEN RAISE EXCEPTION 'not positive'; END IF;
        WHEN 'dciu_cuts' THEN
          PERFORM rfm.dciu(0, ARRAY(SELECT jsonb_array_elements_text(v)::float8));
        WHEN 'dciu_weights' THEN
          PERFORM rfm.intent_weights(v);
        WHEN 'clv' THEN
          IF jsonb_typeof(v) <> 'boolean' THEN RAISE EXCEPTION 'not a boolean'; END IF;
        WHEN 'clv_model' THEN
          IF v #>> '{}' NOT IN ('bgnbd', 'pnbd') THEN RAISE EXCEPTION 'unknown'; END IF;
        WHEN 'clv_unit_days', 'clv_horizon' THEN
          IF NOT (v #>> '{}')::float8 > 0 OR (v #>> '{}')::float8 = 'infinity' THEN RAISE EXCEPTION 'not positive'; END IF;
        WHEN 'clv_discount_rate' THEN
          IF NOT (v #>> '{}')::float8 >= 0 OR (v #>> '{}')::float8 = 'infinity' THEN RAISE EXCEPTION 'negative'; END IF;
      END CASE;
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION 'invalid value % for model option "%"', v, k
        USING ERRCODE = 'invalid_parameter_value',
              HINT = (SELECT description FROM rfm.model_option WHERE name = k);
    END;
  END LOOP;
  -- the tier policy must exist and be valid (its own error lists the policies)
  IF options ->> 'tier_policy' IS NOT NULL THEN
    PERFORM rfm.tier_check(options ->> 'tier_policy');
  END IF;
  IF options ->> 'scoring' = 'fixed' AND NOT (options ? 'r_breaks' AND options ? 'f_breaks' AND options ? 'm_breaks') THEN
    RAISE EXCEPTION 'scoring "fixed" needs the options r_breaks, f_breaks and m_breaks'
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example "r_breaks": [30, 90, 180, 365].';
  END IF;
END $$;
COMMENT ON FUNCTION rfm._check_options(jsonb) IS 'Internal: validate model options (known names, usable values)';
CREATE OR REPLACE FUNCTION rfm._events(options jsonb, OUT relation regclass, OUT member_column name, OUT event_column name,
                            OUT time_column name, OUT time_type regtype)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ev jsonb := options -> 'events';
  col record;
BEGIN
  IF ev IS NULL OR ev = 'null' THEN
    RETURN;
  END IF;
  relation := to_regclass(ev ->> 'relation');
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = relation) THEN
    relation := NULL;  -- since PostgreSQL 16 to_regclass takes a bare number, whether or not such a relation exists
  END IF;
  IF relation IS NULL AND strpos(ev ->> 'relation', '.') = 0 THEN
    -- functions here see only pg_catalog: an unqualified name is looked up in the schemas the caller may use
    IF (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relname = ev ->> 'relation' AND c.relkind IN ('r', 'p') AND has_schema_privilege(n.oid, 'USAGE')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')) > 1 THEN
      RAISE EXCEPTION 'events relation "%" exists in several schemas', ev ->> 'relation'
        USING ERRCODE = 'ambiguous_alias', HINT = 'Qualify it with its schema: {"relation": "schema.table"}.';
    END IF;
    SELECT c.oid INTO relation FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = ev ->> 'relation' AND c.relkind IN ('r', 'p') AND has_schema_privilege(n.oid, 'USAGE')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema');
  END IF;
  IF relation IS NULL THEN
    RAISE EXCEPTION 'events relation "%" does not exist', ev ->> 'relation'
      USING ERRCODE = 'undefined_table', HINT = 'Name a table of browsing events in the option events: {"relation": "schema.table"}.';
  END IF;
  member_column := coalesce(ev ->> 'member_column', 'member_id');
  event_column := coalesce(ev ->> 'event_column', 'event');
  time_column := coalesce(ev ->> 'time_column', 'occurred_at');
  IF NOT has_table_privilege(relation, 'SELECT') OR NOT has_table_privilege(relation, 'TRIGGER') THEN
    RAISE EXCEPTION 'permission denied for events relation %', relation
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'The model reads the events with your rights and captures their changes with triggers: you need SELECT and TRIGGER on it.';
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = relation) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'events relation % is not a table', relation
      USING ERRCODE = 'wrong_object_type', HINT = 'Change capture needs triggers: use a table or a partitioned table.';
  END IF;
  FOR col IN SELECT * FROM (VALUES ('member_column', member_column), ('event_column', event_column), ('time_column', time_column)) v(role, colname) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = relation AND attname = col.colname AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" of events relation % does not exist', col.colname, relation
        USING ERRCODE = 'undefined_column',
              HINT = format('Name it in the option events: {"relation": "%s", "%s": "..."}. Columns: %s.', relation, col.role,
                            (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                              WHERE attrelid = relation AND attnum > 0 AND NOT attisdropped));
    END IF;
  END LOOP;
  SELECT atttypid::regtype INTO time_type FROM pg_attribute WHERE attrelid = relation AND attname = time_column;
  IF time_type NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
    RAISE EXCEPTION 'time column "%" of events relation % has type %, not a timestamp', time_column, relation, time_type
      USING ERRCODE = 'datatype_mismatch', HINT = 'Use a timestamptz column (a timestamp follows the session TimeZone).';
  END IF;
END $$;
COMMENT ON FUNCTION rfm._events(jsonb) IS
  'Internal: the browsing events of a model''s options (relation and columns), checked; NULL without the option events';
CREATE OR REPLACE FUNCTION rfm._migrate_layout_1_to_2(s text, member_type text, model_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format($f$
    CREATE TABLE %1$I.transitions (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL, from_label text NOT NULL,
      to_label text NOT NULL, members bigint NOT NULL, revenue double precision NOT NULL,
      PRIMARY KEY (refresh_id, dimension, from_label, to_label));
    COMMENT ON TABLE %1$I.transitions IS 'Members moving between labels from the previous refresh to each refresh, with (entered) and (exited), and their net spend in between (model %3$s)';
    CREATE TABLE %1$I.tier_watch (
      member_id %2$s PRIMARY KEY, watch text NOT NULL, tier text NOT NULL, since date, next_review date,
      qualifying_spend double precision, spend_to_keep double precision, next_tier text, spend_to_upgrade double precision);
    COMMENT ON TABLE %1$I.tier_watch IS 'Members at risk of losing their tier at a review soon (at_risk) or close to the next tier (near_upgrade) at the last refresh, with their rfm.tier_status (model %3$s, option tier_policy)';
    CREATE MATERIALIZED VIEW %1$I.flow AS
      SELECT dimension, from_label, to_label, members,
             round(members / sum(members) OVER (PARTITION BY dimension, from_label), 4) AS share_of_from, revenue
        FROM %1$I.transitions WHERE refresh_id = (SELECT max(refresh_id) FROM %1$I.refreshes)
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.flow IS 'Members moving between labels from the previous to the last refresh, per dimension, with (entered) and (exited)';
    ALTER TABLE %1$I.members ADD COLUMN intent rfm.intent, ALTER COLUMN purchases DROP NOT NULL;
    COMMENT ON COLUMN %1$I.members.intent IS 'Browsing state (rfm.intent) from the events relation of option events; NULL without events';
    COMMENT ON COLUMN %1$I.members.purchases IS 'Purchase history (rfm.purchases); NULL for a member who has browsed (option events) but not bought';
    ALTER TABLE %1$I.labels ADD COLUMN p_alive double precision, ADD COLUMN expected_purchases double precision,
      ADD COLUMN clv double precision;
    COMMENT ON COLUMN %1$I.labels.p_alive IS 'Probability that the member is still active at as_of (option clv; BG/NBD or Pareto/NBD fitted at this refresh)';
    COMMENT ON COLUMN %1$I.labels.expected_purchases IS 'Expected repeat purchase days in the next clv_horizon time units (option clv)';
    COMMENT ON COLUMN %1$I.labels.clv IS 'Discounted expected spend over the next clv_horizon time units (option clv; Gamma-Gamma spend)';
    ALTER TABLE %1$I.refreshes ADD COLUMN bgnbd rfm.bgnbd, ADD COLUMN pnbd rfm.pnbd, ADD COLUMN gamma_gamma rfm.gamma_gamma;
    COMMENT ON COLUMN %1$I.refreshes.bgnbd IS 'The BG/NBD model fitted at this refresh (option clv, clv_model bgnbd): parameters, log-likelihood, members, iterations, gradient norm, converged';
    COMMENT ON COLUMN %1$I.refreshes.pnbd IS 'The Pareto/NBD model fitted at this refresh (option clv, clv_model pnbd)';
    COMMENT ON COLUMN %1$I.refreshes.gamma_gamma IS 'The Gamma-Gamma spend model fitted at this refresh (option clv)';
    ALTER TABLE %1$I.refreshes ADD COLUMN dciu_cuts double precision[];
    COMMENT ON COLUMN %1$I.refreshes.dciu_cuts IS 'DCIU cuts [I, C, D] on the intent score used by this refresh (calibrated, or the option dciu_cuts)';
    CREATE TABLE %1$I.dciu_lifts (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, bucket rfm.dciu_bucket NOT NULL, members bigint NOT NULL,
      share_of_members double precision, buyers bigint NOT NULL, share_of_buyers double precision,
      revenue double precision, share_of_revenue double precision, purchase_rate double precision, lift double precision,
      PRIMARY KEY (refresh_id, bucket));
    COMMENT ON TABLE %1$I.dciu_lifts IS 'Per refresh and DCIU bucket, the calibration replay: members bucketed by their intent score at as_of - dciu_horizon, and who bought in the horizon up to as_of (model %3$s)';
    CREATE MATERIALIZED VIEW %1$I.dciu_lift AS
      SELECT bucket, members, share_of_members, buyers, share_of_buyers, revenue, share_of_revenue, purchase_rate, lift
        FROM %1$I.dciu_lifts WHERE refresh_id = (SELECT max(refresh_id) FROM %1$I.refreshes)
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.dciu_lift IS 'DCIU lift of the last refresh: per bucket, share of members, of next-period buyers and revenue, purchase rate (option events)';
    CREATE MATERIALIZED VIEW %1$I.napl_dciu AS
      SELECT l.napl, l.dciu, count(*) AS members, round(count(*) / sum(count(*)) OVER (PARTITION BY l.napl), 4) AS share_of_napl,
             sum(l.monetary) AS revenue
        FROM %1$I.labels l WHERE l.dciu IS NOT NULL GROUP BY l.napl, l.dciu
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.napl_dciu IS 'Members per NAPL stage × DCIU bucket at the last refresh, e.g. the P members now in D or C (option events)';
  $f$, s, member_type, model_name);
END $$;
COMMENT ON FUNCTION rfm._migrate_layout_1_to_2(text, text, text) IS
  'Internal: bring a model schema of layout 1 (rfm 1.0) to layout 2 (rfm 1.1): transitions, flow over them, tier_watch, the intent, CLV and DCIU columns, dciu_lifts, dciu_lift, napl_dciu';
CREATE OR REPLACE FUNCTION rfm._model_objects(s text, member_type text, model_name text, source regclass) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format($f$
    CREATE TABLE %1$I.members (member_id %2$s PRIMARY KEY, purchases rfm.purchases, intent rfm.intent);
    COMMENT ON TABLE %1$I.members IS 'Per-member state of model %3$s: the purchase history (rfm.purchases) rebuilt from %4$s';
    COMMENT ON COLUMN %1$I.members.purchases IS 'Purchase history (rfm.purchases); NULL for a member who has browsed (option events) but not bought';
    COMMENT ON COLUMN %1$I.members.intent IS 'Browsing state (rfm.intent) from the events relation of option events; NULL without events';
    CREATE TABLE %1$I.changes (member_id %2$s);
    COMMENT ON TABLE %1$I.changes IS 'Members touched in %4$s since the last refresh (filled by statement triggers)';
    CREATE TABLE %1$I.refreshes (
      refresh_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, as_of date NOT NULL, full_rebuild boolean NOT NULL,
      started timestamptz NOT NULL, finished timestamptz NOT NULL, members bigint NOT NULL, rebuilt bigint NOT NULL,
      changed bigint NOT NULL, fallback_cycle double precision, value_reference jsonb NOT NULL,
      revenue double precision, active_rate double precision, repurchase_rate double precision,
      churn_rate double precision, n_to_a_rate double precision, p_to_a_rate double precision,
      top20_revenue_share double precision, bgnbd rfm.bgnbd, pnbd rfm.pnbd, gamma_gamma rfm.gamma_gamma,
      dciu_cuts double precision[], params jsonb, relabelled bigint);
    COMMENT ON TABLE %1$I.refreshes IS 'One row per refresh of model %3$s';
    COMMENT ON COLUMN %1$I.refreshes.bgnbd IS 'The BG/NBD model fitted at this refresh (option clv, clv_model bgnbd): parameters, log-likelihood, members, iterations, gradient norm, converged';
    COMMENT ON COLUMN %1$I.refreshes.pnbd IS 'The Pareto/NBD model fitted at this refresh (option clv, clv_model pnbd)';
    COMMENT ON COLUMN %1$I.refreshes.gamma_gamma IS 'The Gamma-Gamma spend model fitted at this refresh (option clv)';
    COMMENT ON COLUMN %1$I.refreshes.dciu_cuts IS 'DCIU cuts [I, C, D] on the intent score used by this refresh (calibrated, or the option dciu_cuts)';
    COMMENT ON COLUMN %1$I.refreshes.relabelled IS 'Members whose labels this refresh computed (the others cannot have changed and kept theirs); NULL before rfm 1.2';
    COMMENT ON COLUMN %1$I.refreshes.params IS 'What the labels of this refresh depend on besides the data: the model''s options and its segment map; when it changes, the next refresh relabels every member';
    -- fillfactor 90: room on each page for the new version of a row a refresh rewrites or closes (none of
    -- the columns it changes is in an index: the update stays on the page and adds no index entry)
    CREATE TABLE %1$I.label_state (
      member_id %2$s, frequency integer, monetary double precision,
      r_score integer, f_score integer, m_score integer, segment text, value_segment text,
      napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text,
      p_alive double precision, expected_purchases double precision, clv double precision,
      last_day date, days integer, gap double precision, since_prev double precision, recheck date, since date,
      CONSTRAINT label_state_pkey PRIMARY KEY (member_id)) WITH (fillfactor = 90);
    COMMENT ON COLUMN %1$I.label_state.p_alive IS 'Probability that the member is still active at as_of (option clv; BG/NBD or Pareto/NBD fitted at this refresh)';
    COMMENT ON COLUMN %1$I.label_state.expected_purchases IS 'Expected repeat purchase days in the next clv_horizon time units (option clv)';
    COMMENT ON COLUMN %1$I.label_state.clv IS 'Discounted expected spend over the next clv_horizon time units (option clv; Gamma-Gamma spend)';
    CREATE TABLE %1$I.label_history (
      member_id %2$s NOT NULL, valid_from date NOT NULL, valid_to date,
      r_score integer, f_score integer, m_score integer, segment text, value_segment text,
      napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text,
      PRIMARY KEY (member_id, valid_from)) WITH (fillfactor = 90);
    CREATE INDEX ON %1$I.label_history (valid_from);
    COMMENT ON TABLE %1$I.label_history IS 'Label changes as validity ranges [valid_from, valid_to): the labels of any past refresh (model %3$s)';
    CREATE TABLE %1$I.cutpoints (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL,
      breaks double precision[], members_per_score bigint[] NOT NULL, PRIMARY KEY (refresh_id, dimension));
    COMMENT ON TABLE %1$I.cutpoints IS 'Cut points (NULL for ntile scoring) and members per score of every refresh (model %3$s)';
    CREATE TABLE %1$I.transitions (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL, from_label text NOT NULL,
      to_label text NOT NULL, members bigint NOT NULL, revenue double precision NOT NULL,
      PRIMARY KEY (refresh_id, dimension, from_label, to_label));
    COMMENT ON TABLE %1$I.transitions IS 'Members moving between labels from the previous refresh to each refresh, with (entered) and (exited), and their net spend in between (model %3$s)';
    CREATE TABLE %1$I.tier_watch (
      member_id %2$s PRIMARY KEY, watch text NOT NULL, tier text NOT NULL, since date, next_review date,
      qualifying_spend double precision, spend_to_keep double precision, next_tier text, spend_to_upgrade double precision);
    COMMENT ON TABLE %1$I.tier_watch IS 'Members at risk of losing their tier at a review soon (at_risk) or close to the next tier (near_upgrade) at the last refresh, with their rfm.tier_status (model %3$s, option tier_policy)';
    CREATE TABLE %1$I.dciu_lifts (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, bucket rfm.dciu_bucket NOT NULL, members bigint NOT NULL,
      share_of_members double precision, buyers bigint NOT NULL, share_of_buyers double precision,
      revenue double precision, share_of_revenue double precision, purchase_rate double precision, lift double precision,
      PRIMARY KEY (refresh_id, bucket));
    COMMENT ON TABLE %1$I.dciu_lifts IS 'Per refresh and DCIU bucket, the calibration replay: members bucketed by their intent score at as_of - dciu_horizon, and who bought in the horizon up to as_of (model %3$s)';

    -- BI views (the labels view and the summaries over label_totals: rfm._label_state_objects)
    CREATE MATERIALIZED VIEW %1$I.kpi AS
      SELECT refresh_id, as_of, members, revenue, active_rate, repurchase_rate, churn_rate,
             n_to_a_rate, p_to_a_rate, top20_revenue_share
        FROM %1$I.refreshes WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.kpi IS 'One row per refresh: members, revenue, active rate, repurchase rate, churn, N→A conversion, P→A wake-up, revenue share of the top 20 %% of members';
    CREATE MATERIALIZED VIEW %1$I.flow AS
      SELECT dimension, from_label, to_label, members,
             round(members / sum(members) OVER (PARTITION BY dimension, from_label), 4) AS share_of_from, revenue
        FROM %1$I.transitions WHERE refresh_id = (SELECT max(refresh_id) FROM %1$I.refreshes)
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.flow IS 'Members moving between labels from the previous to the last refresh, per dimension, with (entered) and (exited)';
    CREATE MATERIALIZED VIEW %1$I.dciu_lift AS
      SELECT bucket, members, share_of_members, buyers, share_of_buyers, revenue, share_of_revenue, purchase_rate, lift
        FROM %1$I.dciu_lifts WHERE refresh_id = (SELECT max(refresh_id) FROM %1$I.refreshes)
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.dciu_lift IS 'DCIU lift of the last refresh: per bucket, share of members, of next-period buyers and revenue, purchase rate (option events)';
  $f$, s, member_type, model_name, source);
  PERFORM rfm._label_state_objects(s, model_name);
  PERFORM rfm._label_state_indexes(s, true);
END $$;
COMMENT ON FUNCTION rfm._model_objects(text, text, text, regclass) IS
  'Internal: create the objects of a new model''s schema in the current layout (tables, label_state''s indexes, the labels view, the BI views)';
CREATE OR REPLACE FUNCTION rfm._label_state_objects(s text, model_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format($f$
    COMMENT ON TABLE %1$I.label_state IS 'Labels of every member with a purchase history at the last refresh, with the facts they were computed from (model %2$s; read them through the view labels)';
    COMMENT ON COLUMN %1$I.label_state.last_day IS 'Last purchase day by the last refresh''s as_of (NULL: only orders dated after it; such a member has no labels yet)';
    COMMENT ON COLUMN %1$I.label_state.days IS 'Purchase days by as_of';
    COMMENT ON COLUMN %1$I.label_state.gap IS 'Mean gap between purchase days (repeat buyers): the median of these is the NES fallback cycle';
    COMMENT ON COLUMN %1$I.label_state.since_prev IS 'Net spend since the refresh before the last one (the revenue of the flow)';
    COMMENT ON COLUMN %1$I.label_state.recheck IS 'Day from which the member must be labelled again without new orders (next dated entry, next NES stage of a repeat buyer)';
    COMMENT ON COLUMN %1$I.label_state.since IS 'valid_from of the member''s open label_history row';
    CREATE VIEW %1$I.labels AS
      SELECT l.member_id, r.as_of, r.as_of - l.last_day AS recency, l.frequency, l.monetary, l.r_score, l.f_score,
             l.m_score, l.segment, l.value_segment, l.napl, l.nes, l.dciu, l.tier, l.p_alive, l.expected_purchases, l.clv
        FROM %1$I.label_state l, (SELECT max(as_of) AS as_of FROM %1$I.refreshes) r
       WHERE l.last_day IS NOT NULL;
    COMMENT ON VIEW %1$I.labels IS 'Labels of every member with a purchase by the last refresh''s as_of (model %2$s)';
    CREATE TABLE %1$I.hist (dim "char" NOT NULL, bucket double precision NOT NULL, n bigint NOT NULL, total numeric,
                            PRIMARY KEY (dim, bucket));
    COMMENT ON TABLE %1$I.hist IS 'Members per value at the last refresh (dim l: last purchase day - 2000-01-01, f: frequency; m: monetary and g: repeat buyers'' mean gap, by whole units, with the exact sum in total): the cut points, references and top-20 %% revenue are read from it';
    CREATE TABLE %1$I.label_totals (
      r_score integer, f_score integer, m_score integer, segment text, value_segment text, napl rfm.napl_stage,
      nes rfm.nes_stage, dciu text, tier text, members bigint NOT NULL, sum_day numeric NOT NULL,
      sum_frequency numeric NOT NULL, sum_monetary numeric NOT NULL);
    COMMENT ON TABLE %1$I.label_totals IS 'Members, and sums of last purchase day (- 2000-01-01), frequency and monetary, per combination of labels at the last refresh (model %2$s): the summaries are read from it';
    CREATE MATERIALIZED VIEW %1$I.segment_summary AS
      SELECT t.segment, rfm.label_name('segment', t.segment) AS segment_name, sum(t.members)::bigint AS members,
             round(sum(t.members) / sum(sum(t.members)) OVER (), 4) AS share_of_members,
             sum(t.sum_monetary)::float8 AS revenue,
             (sum(t.sum_monetary) / nullif(sum(sum(t.sum_monetary)) OVER (), 0))::float8 AS share_of_revenue,
             (sum(t.members) * (max(r.as_of) - DATE '2000-01-01') - sum(t.sum_day)) / sum(t.members) AS avg_recency,
             sum(t.sum_frequency) / sum(t.members) AS avg_frequency,
             (sum(t.sum_monetary) / sum(t.members))::float8 AS avg_monetary
        FROM %1$I.label_totals t, (SELECT max(as_of) AS as_of FROM %1$I.refreshes) r
       GROUP BY t.segment WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.segment_summary IS 'Members, revenue and average R/F/M per segment at the last refresh';
    CREATE MATERIALIZED VIEW %1$I.lifecycle_summary AS
      SELECT t.napl, t.nes, t.value_segment, sum(t.members)::bigint AS members, sum(t.sum_monetary)::float8 AS revenue
        FROM %1$I.label_totals t GROUP BY t.napl, t.nes, t.value_segment WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.lifecycle_summary IS 'Members and revenue per NAPL stage × NES stage × value segment at the last refresh';
    CREATE MATERIALIZED VIEW %1$I.napl_dciu AS
      SELECT t.napl, t.dciu, sum(t.members)::bigint AS members,
             round(sum(t.members) / sum(sum(t.members)) OVER (PARTITION BY t.napl), 4) AS share_of_napl,
             sum(t.sum_monetary)::float8 AS revenue
        FROM %1$I.label_totals t WHERE t.dciu IS NOT NULL GROUP BY t.napl, t.dciu
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.napl_dciu IS 'Members per NAPL stage × DCIU bucket at the last refresh, e.g. the P members now in D or C (option events)';
  $f$, s, model_name);
END $$;
COMMENT ON FUNCTION rfm._label_state_objects(text, text) IS
  'Internal: create the objects of layout 3 over a model''s label_state: comments, the labels view, hist, label_totals, the summaries';
CREATE OR REPLACE FUNCTION rfm._label_state_indexes(s text, make boolean) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF make THEN
    EXECUTE format($f$
      CREATE INDEX label_state_last_day ON %1$I.label_state (last_day);
      CREATE INDEX label_state_monetary ON %1$I.label_state (monetary);
      CREATE INDEX label_state_gap ON %1$I.label_state (gap) WHERE gap IS NOT NULL;
      CREATE INDEX label_state_recheck ON %1$I.label_state (recheck) WHERE recheck IS NOT NULL;
      CREATE INDEX label_state_spent ON %1$I.label_state (member_id) WHERE since_prev <> 0;
    $f$, s);
  ELSE
    EXECUTE format('DROP INDEX %1$I.label_state_last_day, %1$I.label_state_monetary, %1$I.label_state_gap,
                               %1$I.label_state_recheck, %1$I.label_state_spent', s);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._label_state_indexes(text, boolean) IS
  'Internal: create or drop the secondary indexes of a model''s label_state (around a bulk load)';
CREATE OR REPLACE FUNCTION rfm._migrate_layout_2_to_3(s text, model_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format($f$
    DROP MATERIALIZED VIEW %1$I.segment_summary, %1$I.lifecycle_summary, %1$I.napl_dciu;
    ALTER TABLE %1$I.labels RENAME TO label_state;
    ALTER INDEX %1$I.labels_pkey RENAME TO label_state_pkey;
    ALTER TABLE %1$I.label_state ADD COLUMN last_day date, ADD COLUMN days integer, ADD COLUMN gap double precision,
      ADD COLUMN since_prev double precision, ADD COLUMN recheck date, ADD COLUMN since date;
    UPDATE %1$I.label_state l SET last_day = l.as_of - l.recency, since = h.valid_from
      FROM %1$I.label_history h WHERE h.member_id = l.member_id AND h.valid_to IS NULL;
    ALTER TABLE %1$I.label_state DROP COLUMN as_of, DROP COLUMN recency, SET (fillfactor = 90);
    -- room on each page for the new version of a row closed by a refresh (valid_to is in no index: the update
    -- stays on the page and adds no index entry)
    ALTER TABLE %1$I.label_history SET (fillfactor = 90);
    ALTER TABLE %1$I.refreshes ADD COLUMN params jsonb, ADD COLUMN relabelled bigint;
    COMMENT ON COLUMN %1$I.refreshes.relabelled IS 'Members whose labels this refresh computed (the others cannot have changed and kept theirs); NULL before rfm 1.2';
    COMMENT ON COLUMN %1$I.refreshes.params IS 'What the labels of this refresh depend on besides the data: the model''s options and its segment map; when it changes, the next refresh relabels every member';
  $f$, s, model_name);
  PERFORM rfm._label_state_objects(s, model_name);
  EXECUTE format($f$
    -- carried over labels (an older model): the spend of their last flow, and their totals; the next refresh
    -- corrects both by the rows that differ
    UPDATE %1$I.label_state l
       SET since_prev = CASE WHEN r.prev_as_of IS NULL THEN 0
                             ELSE rfm.monetary(m.purchases, r.as_of, make_interval(days => r.as_of - r.prev_as_of)) END
      FROM %1$I.members m,
           (SELECT as_of, lag(as_of) OVER (ORDER BY as_of) AS prev_as_of FROM %1$I.refreshes ORDER BY as_of DESC LIMIT 1) r
     WHERE m.member_id = l.member_id AND l.last_day IS NOT NULL;
    INSERT INTO %1$I.label_totals
    SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, count(*),
           sum(last_day - DATE '2000-01-01'), sum(frequency), sum(monetary::numeric)
      FROM %1$I.label_state WHERE last_day IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
  $f$, s);
  PERFORM rfm._label_state_indexes(s, true);
END $$;
COMMENT ON FUNCTION rfm._migrate_layout_2_to_3(text, text) IS
  'Internal: bring a model schema of layout 2 (rfm 1.1) to layout 3 (rfm 1.2 on): label_state with the labels view over it, hist, label_totals, the summaries over label_totals';
CREATE OR REPLACE FUNCTION rfm._upgrade_model(m rfm.model) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s text := 'rfm_' || m.name;
  member_type text;
  r record;
  o text;
BEGIN
  SELECT format_type(atttypid, atttypmod) INTO member_type
    FROM pg_attribute WHERE attrelid = format('%I.members', s)::regclass AND attname = 'member_id';
  IF m.layout < 2 THEN
    EXECUTE format('DROP MATERIALIZED VIEW %I.flow', s);
    PERFORM rfm._migrate_layout_1_to_2(s, member_type, m.name);
    FOR r IN EXECUTE format('SELECT refresh_id, as_of, lag(as_of) OVER (ORDER BY as_of) AS prev FROM %I.refreshes', s) LOOP
      IF r.prev IS NULL THEN
        -- the first refresh: everyone entered
        EXECUTE format($q$
          INSERT INTO %I.transitions
          SELECT $1, d.dimension, '(entered)', coalesce(d.label, '(none)'), count(*), 0
            FROM rfm._labels_at($2, $3) h,
                 LATERAL (VALUES ('segment', h.segment), ('value_segment', h.value_segment), ('napl', h.napl::text),
                                 ('nes', h.nes::text)) d(dimension, label)
           GROUP BY 1, 2, 3, 4$q$, s)
          USING r.refresh_id, m.name, r.as_of;
      ELSE
        EXECUTE format($q$
          INSERT INTO %I.transitions
          SELECT $1, d.dimension, mg.from_label, mg.to_label, mg.members, mg.revenue
            FROM unnest(ARRAY['segment', 'value_segment', 'napl', 'nes']) d(dimension),
                 rfm.migration($2, $3, $4, d.dimension) mg$q$, s)
          USING r.refresh_id, m.name, r.prev, r.as_of;
      END IF;
    END LOOP;
  END IF;
  IF m.layout < 3 THEN
    PERFORM rfm._migrate_layout_2_to_3(s, m.name);
    UPDATE rfm.model SET needs_full = true WHERE name = m.name;
  END IF;
  -- whatever this created belongs to the model's owner, like the rest of its schema
  FOR o IN SELECT format('ALTER %s %s OWNER TO %s', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END,
                         c.oid::regclass, m.owner)
             FROM pg_class c
            WHERE c.relnamespace = s::regnamespace AND c.relkind IN ('r', 'm', 'v') AND c.relowner <> m.owner LOOP
    EXECUTE o;
  END LOOP;
  UPDATE rfm.model SET layout = 3 WHERE name = m.name;
END $$;
COMMENT ON FUNCTION rfm._upgrade_model(rfm.model) IS
  'Internal: bring a model created by an older rfm to the current layout (1.0: transitions, flow over them, tier_watch; 1.1: label_state, hist, label_totals); run by its next refresh';
CREATE OR REPLACE FUNCTION rfm._capture(s text, model_name text, relation regclass, member_column name, member_type text,
                             func text, what text, trigger_names text[]) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ops CONSTANT text[] := ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION %1$I.%5$I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, pg_temp AS $body$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        UPDATE rfm.model SET needs_full = true WHERE name = %3$L;
        RETURN NULL;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO %1$I.changes SELECT DISTINCT %2$I::%4$s FROM new_rows;
      END IF;
      IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO %1$I.changes SELECT DISTINCT %2$I::%4$s FROM old_rows;
      END IF;
      RETURN NULL;
    END $body$;
    COMMENT ON FUNCTION %1$I.%5$I() IS %6$L;
    REVOKE ALL ON FUNCTION %1$I.%5$I() FROM PUBLIC;
  $f$, s, member_column, model_name, member_type, func,
       format('Records the members touched by a statement on the %s of model %s', what, model_name));
  FOR i IN 1 .. 4 LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %I.%I()',
                   trigger_names[i], ops[i], relation,
                   CASE ops[i] WHEN 'INSERT' THEN 'REFERENCING NEW TABLE AS new_rows'
                               WHEN 'UPDATE' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                               WHEN 'DELETE' THEN 'REFERENCING OLD TABLE AS old_rows' ELSE '' END, s, func);
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._capture(text, text, regclass, name, text, text, text, text[]) IS
  'Internal: the change-capture trigger function and statement triggers of a model on its source or its events';
CREATE OR REPLACE FUNCTION rfm.create_model(name text, source regclass, member_column name DEFAULT 'member_id',
                                 time_column name DEFAULT 'ordered_at', amount_column name DEFAULT 'amount',
                                 options jsonb DEFAULT '{}')
  RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s text := 'rfm_' || name;
  member_type text;
  time_type regtype;
  amount_type regtype;
  col record;
  ev record;
BEGIN
  IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,58}$' THEN
    RAISE EXCEPTION 'invalid model name "%"', name
      USING ERRCODE = 'invalid_name',
            HINT = 'A model name is lower case letters, digits and underscores, starting with a letter (at most 59 characters): it names schema rfm_<name>.';
  END IF;
  IF EXISTS (SELECT 1 FROM rfm.model m WHERE m.name = create_model.name) OR to_regnamespace(s) IS NOT NULL THEN
    RAISE EXCEPTION 'model "%" already exists', name
      USING ERRCODE = 'duplicate_object', HINT = 'Drop it with rfm.drop_model(''' || name || ''') or choose another name.';
  END IF;
  IF NOT has_table_privilege(source, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for relation %', source
      USING ERRCODE = 'insufficient_privilege', HINT = 'The model reads the source with your rights: you need SELECT on it.';
  END IF;
  IF NOT has_table_privilege(source, 'TRIGGER') THEN
    RAISE EXCEPTION 'permission denied to create triggers on %', source
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Change capture puts statement triggers on the source: its owner can GRANT TRIGGER on it to you.';
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = source) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'source % is not a table', source
      USING ERRCODE = 'wrong_object_type', HINT = 'Change capture needs triggers: use a table or a partitioned table.';
  END IF;
  FOR col IN SELECT * FROM (VALUES ('member', member_column), ('time', time_column), ('amount', amount_column)) v(role, colname) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = source AND attname = col.colname AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" of % does not exist', col.colname, source
        USING ERRCODE = 'undefined_column',
              HINT = format('Name the %s column: rfm.create_model(name, source, member_column, time_column, amount_column). Columns: %s.',
                            col.role, (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                                        WHERE attrelid = source AND attnum > 0 AND NOT attisdropped));
    END IF;
  END LOOP;
  SELECT format_type(atttypid, atttypmod) INTO member_type FROM pg_attribute WHERE attrelid = source AND attname = member_column;
  SELECT atttypid::regtype INTO time_type FROM pg_attribute WHERE attrelid = source AND attname = time_column;
  SELECT atttypid::regtype INTO amount_type FROM pg_attribute WHERE attrelid = source AND attname = amount_column;
  IF time_type NOT IN ('date'::regtype, 'timestamptz'::regtype, 'timestamp'::regtype) THEN
    RAISE EXCEPTION 'time column "%" has type %, not a date or timestamp', time_column, time_type
      USING ERRCODE = 'datatype_mismatch', HINT = 'Use a date, timestamp or timestamptz column (timestamptz days follow the session TimeZone).';
  END IF;
  IF amount_type NOT IN ('numeric'::regtype, 'double precision'::regtype, 'real'::regtype, 'integer'::regtype,
                         'bigint'::regtype, 'smallint'::regtype, 'money'::regtype) THEN
    RAISE EXCEPTION 'amount column "%" has type %, not a number', amount_column, amount_type
      USING ERRCODE = 'datatype_mismatch', HINT = 'Use a numeric, double precision or integer column.';
  END IF;
  PERFORM rfm._check_options(options);
  -- an incremental refresh re-reads the touched members' orders: without an index led by the member column
  -- that is a scan of the whole source
  IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = source AND a.attname = member_column) THEN
    RAISE NOTICE 'source % has no index on its member column "%"', source, member_column
      USING HINT = format('Incremental refreshes read the touched members'' orders through it; without one they scan the whole table: CREATE INDEX ON %s (%I).',
                          source, member_column);
  END IF;
  ev := rfm._events(options);
  IF ev.relation IS NOT NULL THEN
    -- kept schema-qualified, whatever the search_path of later refreshes
    options := jsonb_set(options, '{events,relation}', to_jsonb(ev.relation::text));
  END IF;

  INSERT INTO rfm.model (name, source, member_column, time_column, amount_column, options)
  VALUES (name, source, member_column, time_column, amount_column, options);

  EXECUTE format('CREATE SCHEMA %I', s);
  EXECUTE format('COMMENT ON SCHEMA %I IS %L', s, format('rfm model %s on %s', name, source));
  PERFORM rfm._model_objects(s, member_type, name, source);

  -- change capture: statement triggers with transition tables, on the source and on the browsing events
  PERFORM rfm._capture(s, name, source, member_column, member_type, 'capture_changes', 'source',
                       ARRAY[s || '_ins', s || '_upd', s || '_del', s || '_trunc']);
  IF ev.relation IS NOT NULL THEN
    -- their members' intent is rebuilt by the next refresh
    PERFORM rfm._capture(s, name, ev.relation, ev.member_column, member_type, 'capture_events', 'events',
                         ARRAY[s || '_ev_insert', s || '_ev_update', s || '_ev_delete', s || '_ev_truncate']);
  END IF;
  RETURN s;
END $$;
COMMENT ON FUNCTION rfm.create_model(text, regclass, name, name, name, jsonb) IS
  'Create model name on an orders table: schema rfm_<name> with members, labels, label_history, cutpoints, refreshes and the BI views, and change-capture triggers on the source';
CREATE OR REPLACE FUNCTION rfm.drop_model(name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(name);
  s text := 'rfm_' || name;
  t text;
  events regclass := to_regclass(m.options -> 'events' ->> 'relation');
BEGIN
  -- A dropped source leaves its oid in rfm.model: look the relation up in pg_class (to_regclass of the oid's
  -- text is not NULL since PostgreSQL 16, which accepts a bare number).
  IF EXISTS (SELECT FROM pg_class WHERE oid = m.source) THEN
    FOREACH t IN ARRAY ARRAY['_ins', '_upd', '_del', '_trunc'] LOOP
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', s || t, m.source);
    END LOOP;
  END IF;
  IF EXISTS (SELECT FROM pg_class WHERE oid = events) THEN
    FOREACH t IN ARRAY ARRAY['_ev_insert', '_ev_update', '_ev_delete', '_ev_truncate'] LOOP
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', s || t, events);
    END LOOP;
  END IF;
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s);
  DELETE FROM rfm.model WHERE rfm.model.name = drop_model.name;
END $$;
COMMENT ON FUNCTION rfm.drop_model(text) IS 'Drop a model: its schema, its triggers on the source and its catalog row';
CREATE OR REPLACE FUNCTION rfm._progress(model_name text, message text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE NOTICE 'rfm.refresh(%): %', model_name, message;
  PERFORM rfm.report_progress(format('rfm.refresh(%s): %s', model_name, message));
END $$;
COMMENT ON FUNCTION rfm._progress(text, text) IS 'Internal: report a refresh phase as a NOTICE and in pg_stat_activity';
CREATE OR REPLACE FUNCTION rfm._labels_at(model_name text, d date)
  RETURNS TABLE (member_id text, r_score integer, f_score integer, m_score integer, segment text,
                 value_segment text, napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT member_id::text, r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier
       FROM %I.label_history WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)', 'rfm_' || model_name)
    USING d;
END $$;
COMMENT ON FUNCTION rfm._labels_at(text, date) IS 'Internal: the labels of a model valid on a day, reconstructed from label_history';
CREATE OR REPLACE FUNCTION rfm._plan(settings jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  replaced jsonb := '{}';
  k text;
  v text;
BEGIN
  FOR k, v IN SELECT * FROM jsonb_each_text(settings) LOOP
    replaced := replaced || jsonb_build_object(k, current_setting(k));
    PERFORM set_config(k, v, true);
  END LOOP;
  RETURN replaced;
END $$;
COMMENT ON FUNCTION rfm._plan(jsonb) IS
  'Internal: set planner settings for one statement of a refresh (transaction-local); returns the values replaced, to restore them';
CREATE OR REPLACE FUNCTION rfm._bucket_values(s text, col text, relabel_some boolean) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  RETURN CASE WHEN relabel_some THEN
                format('SELECT l.%2$I AS v FROM %1$I.label_state l
                         WHERE l.%2$I >= $1 AND l.%2$I < $1 + 1
                           AND NOT EXISTS (SELECT 1 FROM _rfm_cand c WHERE c.member_id = l.member_id)
                        UNION ALL ', s, col) ELSE '' END
         || format('SELECT b.%1$I AS v FROM _rfm_base b WHERE b.last_day IS NOT NULL AND b.%1$I >= $1 AND b.%1$I < $1 + 1', col);
COMMENT ON FUNCTION rfm._bucket_values(text, text, boolean) IS
  'Internal: query of the monetary or gap values of one hist bucket during a refresh (relabel_some: unchanged members from label_state, relabelled ones from _rfm_base; else all from _rfm_base)';
CREATE OR REPLACE FUNCTION rfm._hist_nth(s text, dim "char", ranks bigint[], relabel_some boolean) RETURNS double precision[]
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  col text := CASE dim WHEN 'm' THEN 'monetary' WHEN 'g' THEN 'gap' END;
  vals float8[] := array_fill(NULL::float8, ARRAY[cardinality(ranks)]);
  got float8[];
  r record;
  buckets_sql text;
  values_sql text;
  wanted float8[];
BEGIN
  -- per bucket, the ranks that fall in it (as offsets in the bucket): one ordered read of the bucket's values
  -- from the first to the last of them (usually two neighbours: the order statistics of one quantile)
  buckets_sql := format('SELECT h.bucket, array_agg(k.i ORDER BY k.i) AS i, array_agg((k.rank - (h.cum - h.n))::bigint ORDER BY k.i) AS off
                           FROM unnest($2) WITH ORDINALITY k(rank, i)
                           JOIN (SELECT bucket, n, sum(n) OVER (ORDER BY bucket) AS cum FROM %I.hist WHERE dim = $1) h
                             ON k.rank >= h.cum - h.n AND k.rank < h.cum
                          GROUP BY h.bucket', s);
  IF col IS NOT NULL AND relabel_some THEN
    values_sql := rfm._bucket_values(s, col, true);
  ELSIF col IS NOT NULL THEN
    -- everyone relabelled: the values of all the buckets wanted in one pass over _rfm_base, not one per bucket
    EXECUTE 'SELECT array_agg(x.bucket) FROM (' || buckets_sql || ') x' INTO wanted USING dim, ranks;
    EXECUTE format('CREATE TEMP TABLE _rfm_bucket ON COMMIT DROP AS
                      SELECT b.%1$I AS v FROM _rfm_base b
                       WHERE b.last_day IS NOT NULL AND floor(b.%1$I) = ANY ($1)', col)
      USING wanted;
    values_sql := 'SELECT v FROM _rfm_bucket WHERE v >= $1 AND v < $1 + 1';
  END IF;
  FOR r IN EXECUTE buckets_sql USING dim, ranks LOOP
    IF col IS NULL THEN
      FOR j IN 1 .. cardinality(r.i) LOOP
        vals[r.i[j]] := r.bucket;
      END LOOP;
    ELSE
      EXECUTE format('SELECT array_agg(v ORDER BY v) FROM (SELECT v FROM (%s) x ORDER BY v OFFSET $2 LIMIT $3) t',
                     values_sql)
        INTO got USING r.bucket, (SELECT min(o) FROM unnest(r.off) o),
                       (SELECT max(o) - min(o) + 1 FROM unnest(r.off) o);
      FOR j IN 1 .. cardinality(r.i) LOOP
        vals[r.i[j]] := got[r.off[j] - (SELECT min(o) FROM unnest(r.off) o) + 1];
      END LOOP;
    END IF;
  END LOOP;
  IF col IS NOT NULL AND NOT relabel_some THEN
    DROP TABLE _rfm_bucket;
  END IF;
  RETURN vals;
END $$;
COMMENT ON FUNCTION rfm._hist_nth(text, "char", bigint[], boolean) IS
  'Internal: order statistics of a model''s hist during a refresh (value at each 0-based rank)';
CREATE OR REPLACE FUNCTION rfm._hist_quantiles(s text, dim "char", n bigint, probs double precision[], as_of date,
                                     relabel_some boolean)
  RETURNS double precision[]
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  h float8[] := ARRAY(SELECT p * (n - 1)::float8 FROM unnest(probs) WITH ORDINALITY u(p, i) ORDER BY i);
  ranks bigint[] := '{}';
  x float8[];
  result float8[] := '{}';
BEGIN
  IF n < 1 THEN
    RETURN NULL;
  END IF;
  FOR i IN 1 .. cardinality(h) LOOP
    ranks := ranks || floor(h[i])::bigint || ceil(h[i])::bigint;
  END LOOP;
  IF dim = 'l' THEN
    -- recency ascending is the last day descending
    ranks := ARRAY(SELECT n - 1 - r FROM unnest(ranks) WITH ORDINALITY u(r, i) ORDER BY i);
  END IF;
  x := rfm._hist_nth(s, dim, ranks, relabel_some);
  IF dim = 'l' THEN
    x := ARRAY(SELECT (as_of - DATE '2000-01-01') - v FROM unnest(x) WITH ORDINALITY u(v, i) ORDER BY i);
  END IF;
  FOR i IN 1 .. cardinality(h) LOOP
    result := result || (x[2 * i - 1] + (h[i] - floor(h[i])) * (x[2 * i] - x[2 * i - 1]));
  END LOOP;
  RETURN result;
END $$;
COMMENT ON FUNCTION rfm._hist_quantiles(text, "char", bigint, double precision[], date, boolean) IS
  'Internal: quantiles (R type 7, as rfm.breaks) from a model''s hist during a refresh; of recency for dimension l';
CREATE OR REPLACE FUNCTION rfm._hist_top(s text, k bigint, relabel_some boolean) RETURNS numeric
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  whole numeric;
  b record;
  part numeric;
BEGIN
  EXECUTE format('SELECT coalesce(sum(total), 0) FROM (SELECT total, sum(n) OVER (ORDER BY bucket DESC) AS cum
                                                         FROM %I.hist WHERE dim = ''m'') h WHERE cum <= $1', s)
    INTO whole USING k;
  EXECUTE format('SELECT bucket, $1 - (cum - n) AS rest FROM (SELECT bucket, n, sum(n) OVER (ORDER BY bucket DESC) AS cum
                                                               FROM %I.hist WHERE dim = ''m'') h
                   WHERE cum > $1 ORDER BY bucket DESC LIMIT 1', s)
    INTO b USING k;
  IF b.bucket IS NOT NULL AND b.rest > 0 THEN
    EXECUTE format('SELECT sum(v::numeric) FROM (SELECT v FROM (%s) x ORDER BY v DESC LIMIT $2) t',
                   rfm._bucket_values(s, 'monetary', relabel_some))
      INTO part USING b.bucket, b.rest;
    whole := whole + part;
  END IF;
  RETURN whole;
END $$;
COMMENT ON FUNCTION rfm._hist_top(text, bigint, boolean) IS
  'Internal: the exact sum of the k largest monetary values from a model''s hist during a refresh (top-20 % revenue share)';
CREATE OR REPLACE FUNCTION rfm._day_range(old_as_of date, x_old double precision, as_of date, x_new double precision) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  RETURN CASE WHEN x_old IS NULL OR x_new IS NULL THEN 'true'
              WHEN old_as_of = as_of AND x_old = x_new THEN NULL
              WHEN least(old_as_of - floor(least(greatest(x_old, -1e6), 1e6))::int,
                         as_of - floor(least(greatest(x_new, -1e6), 1e6))::int)
                   > greatest(old_as_of - ceil(least(greatest(x_old, -1e6), 1e6))::int,
                              as_of - ceil(least(greatest(x_new, -1e6), 1e6))::int) THEN NULL
              ELSE format('l.last_day BETWEEN %L AND %L',
                          least(old_as_of - floor(least(greatest(x_old, -1e6), 1e6))::int,
                                as_of - floor(least(greatest(x_new, -1e6), 1e6))::int),
                          greatest(old_as_of - ceil(least(greatest(x_old, -1e6), 1e6))::int,
                                   as_of - ceil(least(greatest(x_new, -1e6), 1e6))::int)) END;
COMMENT ON FUNCTION rfm._day_range(date, double precision, date, double precision) IS
  'Internal: the condition on label_state.last_day of the members a moving recency threshold may have crossed';
CREATE OR REPLACE FUNCTION rfm._value_range(col text, x_old double precision, x_new double precision) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3
  RETURN CASE WHEN x_old IS NULL OR x_new IS NULL THEN 'true'
              WHEN x_old = x_new THEN NULL
              WHEN col = 'frequency' THEN
                CASE WHEN ceil(least(x_old, x_new)) <= floor(greatest(x_old, x_new)) THEN
                  format('l.frequency BETWEEN %s AND %s', ceil(least(x_old, x_new))::bigint, floor(greatest(x_old, x_new))::bigint) END
              ELSE format('l.%I BETWEEN %L::float8 AND %L::float8', col, least(x_old, x_new), greatest(x_old, x_new)) END;
COMMENT ON FUNCTION rfm._value_range(text, double precision, double precision) IS
  'Internal: the condition on a label_state column of the members a moved threshold may have crossed';
CREATE OR REPLACE FUNCTION rfm.migration(name text, from_date date, to_date date, dimension text DEFAULT 'segment')
  RETURNS TABLE (from_label text, to_label text, members bigint, share_of_from numeric, revenue double precision)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(name);
BEGIN
  IF dimension IS NULL OR dimension NOT IN ('segment', 'value_segment', 'napl', 'nes', 'dciu', 'tier', 'r_score', 'f_score', 'm_score') THEN
    RAISE EXCEPTION 'unknown dimension "%"', dimension
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Dimensions: segment, value_segment, napl, nes, dciu, tier, r_score, f_score, m_score.';
  END IF;
  IF from_date IS NULL OR to_date IS NULL OR to_date <= from_date THEN
    RAISE EXCEPTION 'migration needs from_date < to_date (got % and %)', from_date, to_date
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Compare two refresh dates, the earlier first.';
  END IF;
  RETURN QUERY EXECUTE format($q$
    SELECT coalesce(f.label, '(entered)'), coalesce(t.label, '(exited)'), count(*),
           round(count(*) / sum(count(*)) OVER (PARTITION BY coalesce(f.label, '(entered)')), 4),
           coalesce(sum(rfm.monetary(mm.purchases, $2, make_interval(days => $2 - $1))), 0)
      FROM (SELECT member_id, coalesce(%2$I::text, '(none)') AS label FROM rfm._labels_at($3, $1)) f
      FULL JOIN (SELECT member_id, coalesce(%2$I::text, '(none)') AS label FROM rfm._labels_at($3, $2)) t
        ON t.member_id = f.member_id
      LEFT JOIN %1$I.members mm ON mm.member_id::text = coalesce(t.member_id, f.member_id)
     GROUP BY 1, 2 ORDER BY 1, 2$q$, 'rfm_' || name, dimension)
    USING from_date, to_date, name;
END $$;
COMMENT ON FUNCTION rfm.migration(text, date, date, text) IS
  'Members moving between the labels of a dimension from one date to another (from label_history), with (entered) and (exited), share of the origin label, and net spend in between';
CREATE OR REPLACE FUNCTION rfm.refresh(name text, as_of date DEFAULT current_date, "full" boolean DEFAULT false,
                            OUT members bigint, OUT rebuilt bigint, OUT changed bigint, OUT elapsed interval)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3 AS $$
DECLARE
  ctx rfm._refresh;
BEGIN
  ctx := rfm._refresh_prepare(name, as_of, "full");
  -- the mode: every state rebuilt, or the touched ones; everyone relabelled, or only some members
  ctx.rebuild_all := ctx.full_requested OR (ctx.m).needs_full;
  -- The labels of a member without new orders change only when a cut point, a reference or a day they depend
  -- on passes its values. Then a refresh relabels only the touched members, those whose next dated order or
  -- NES stage has come, and those that a moved threshold may have crossed; the others keep their row of
  -- label_state. Everyone is relabelled on a model's first refresh, after its source was truncated, when the
  -- options or the segment map changed, and when labels move for everyone with time or rank: a window, ntile
  -- scores, tiers (reviews), DCIU (decaying intent), lifetime value. A full refresh of a model whose labels
  -- can be kept so rebuilds every state from the source, and the members whose state differs from the one
  -- kept (new, changed or gone) are the touched ones: whatever the change capture saw or missed, the labels
  -- are those an incremental refresh after the same changes gives (the same as relabelling everyone).
  ctx.relabel_some := NOT (ctx.m).needs_full AND ctx.last_ref_refresh_id IS NOT NULL AND ctx.last_ref_params = ctx.params AND ctx.win IS NULL
          AND ctx.scoring <> 'ntile' AND ctx.tier_policy IS NULL AND ctx.ev_relation IS NULL AND NOT ctx.clv_on
          AND (ctx.scoring = 'fixed' OR num_nulls(ctx.last_ref_rb, ctx.last_ref_fb, ctx.last_ref_mb) = 0);
  ctx := rfm._refresh_states(ctx);         -- 1. member states
  ctx := rfm._refresh_candidates(ctx);     -- 2. the members to label and their facts
  ctx := rfm._refresh_cutpoints(ctx);      -- 3, 4. hist, references, cut points
  ctx := rfm._refresh_crossed(ctx);        -- 5. members a moved threshold may have crossed
  ctx := rfm._refresh_clv(ctx);            --    lifetime value (option clv)
  ctx := rfm._refresh_dciu(ctx);           --    DCIU cuts and lift (option events)
  ctx := rfm._refresh_labels(ctx);         -- 6. labels, the rows that differ
  ctx := rfm._refresh_flow(ctx);           -- 7. flow
  ctx := rfm._refresh_history(ctx);        -- 8. label_history
  ctx := rfm._refresh_label_state(ctx);    -- 9. label_totals, label_state
  ctx := rfm._refresh_record(ctx);         -- 10. the refresh, KPIs, cut points, transitions
  ctx := rfm._refresh_bi(ctx);             -- 11. tier watch list, BI views
  members := ctx.members;
  rebuilt := ctx.rebuilt;
  changed := ctx.changed;
  elapsed := clock_timestamp() - ctx.started;
END $$;
COMMENT ON FUNCTION rfm.refresh(text, date, boolean) IS
  'Refresh a model as of a day: rebuild the touched members'' states (all with full, the members whose state differs then counting as touched), relabel the members whose labels can have changed (everyone when labels move with time or rank), record label changes, cut points and KPIs, refresh the BI views; one transaction';
CREATE OR REPLACE FUNCTION rfm._refresh_prepare(model_name text, as_of_day date, rebuild boolean) RETURNS rfm._refresh
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ctx rfm._refresh;
  k record;
BEGIN
  ctx.name := model_name;
  ctx.as_of := as_of_day;
  ctx.full_requested := rebuild;
  ctx.s := 'rfm_' || model_name;
  ctx.started := clock_timestamp();
  -- joins of a few members with a big table (label_state, members, label_history) by its indexes: the planner
  -- would rather scan the big table and hash the few (its default random_page_cost assumes uncached pages),
  -- which costs a pass over all members
  ctx.index_joins := '{"enable_hashjoin": "off", "enable_mergejoin": "off"}';
  IF ctx.as_of IS NULL OR NOT isfinite(ctx.as_of) THEN
    RAISE EXCEPTION 'as_of must be a finite date, not %', coalesce(ctx.as_of::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Refresh as of a day, e.g. current_date.';
  END IF;
  ctx.m := rfm._model(ctx.name);
  -- one refresh of a model at a time; a second one waits for the first to commit
  PERFORM pg_advisory_xact_lock(hashtext('rfm.refresh'), hashtext(ctx.name));
  ctx.m := rfm._model(ctx.name);
  IF (ctx.m).layout < 3 THEN
    PERFORM rfm._progress(ctx.name, 'upgrading the model''s schema to the layout of rfm 1.2');
    PERFORM rfm._upgrade_model(ctx.m);
    ctx.m := rfm._model(ctx.name);
  END IF;

  -- the source must still be there, with its columns
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = (ctx.m).source) THEN
    RAISE EXCEPTION 'the source table of model "%" was dropped', ctx.name
      USING ERRCODE = 'undefined_table',
            HINT = 'Drop the model with rfm.drop_model and create it again on the new table; its labels and history are unchanged.';
  END IF;
  FOR k IN SELECT * FROM unnest(ARRAY[(ctx.m).member_column, (ctx.m).time_column, (ctx.m).amount_column]) c(col) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = (ctx.m).source AND attname = k.col AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" of %, the source of model "%", no longer exists', k.col, (ctx.m).source, ctx.name
        USING ERRCODE = 'undefined_column',
              HINT = 'Rename the column back, or drop the model and create it again with the new column names; its labels and history are unchanged.';
    END IF;
  END LOOP;
  ctx.amount_expr := CASE WHEN (SELECT atttypid FROM pg_attribute WHERE attrelid = (ctx.m).source AND attname = (ctx.m).amount_column) = 'money'::regtype
                      THEN format('o.%I::numeric', (ctx.m).amount_column) ELSE format('o.%I', (ctx.m).amount_column) END;

  EXECUTE format('SELECT max(as_of) FROM %I.refreshes', ctx.s) INTO ctx.last_as_of;
  IF ctx.as_of < ctx.last_as_of THEN
    RAISE EXCEPTION 'as_of % is before the last refresh of model "%" (%)', ctx.as_of, ctx.name, ctx.last_as_of
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Refreshes move forward in time; past labels are in label_history (see rfm.migration).';
  END IF;
  -- the refresh this one is compared with (flow, KPIs): the last one before as_of
  EXECUTE format('SELECT max(as_of) FROM %I.refreshes WHERE as_of < $1', ctx.s) INTO ctx.prev_as_of USING ctx.as_of;
  ctx.since_prev := make_interval(days => ctx.as_of - ctx.prev_as_of);

  ctx.win := (rfm._option(ctx.m, 'window') #>> '{}')::interval;
  ctx.bins := (rfm._option(ctx.m, 'bins') #>> '{}')::int;
  ctx.scoring := rfm._option(ctx.m, 'scoring') #>> '{}';
  ctx.seg_map := rfm._option(ctx.m, 'segment_map') #>> '{}';
  ctx.vref := rfm._option(ctx.m, 'value_reference');
  ctx.napl_w := (rfm._option(ctx.m, 'napl_window') #>> '{}')::interval;
  ctx.nes_mult := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'nes_multipliers'))::float8);
  ctx.nes_cycle := rfm._option(ctx.m, 'nes_cycle') #>> '{}';
  ctx.fallback := (rfm._option(ctx.m, 'nes_fallback') #>> '{}')::float8;
  ctx.tier_policy := rfm._option(ctx.m, 'tier_policy') #>> '{}';
  ctx.clv_on := (rfm._option(ctx.m, 'clv') #>> '{}')::boolean;
  ctx.clv_pnbd := rfm._option(ctx.m, 'clv_model') #>> '{}' = 'pnbd';
  ctx.clv_unit := (rfm._option(ctx.m, 'clv_unit_days') #>> '{}')::float8;
  ctx.clv_h := (rfm._option(ctx.m, 'clv_horizon') #>> '{}')::float8;
  ctx.clv_d := (rfm._option(ctx.m, 'clv_discount_rate') #>> '{}')::float8;
  -- browsing events (option events): checked like the source; intent is scored at the end of as_of
  SELECT * INTO ctx.ev_relation, ctx.ev_member_column, ctx.ev_event_column, ctx.ev_time_column, ctx.ev_time_type
    FROM rfm._events((ctx.m).options);
  IF ctx.ev_relation IS NOT NULL THEN
    ctx.intent_ts := (ctx.as_of + 1)::timestamptz;
    ctx.dciu_hl := (rfm._option(ctx.m, 'dciu_half_life') #>> '{}')::interval;
    ctx.dciu_hz := (rfm._option(ctx.m, 'dciu_horizon') #>> '{}')::interval;
    ctx.dciu_w := CASE WHEN rfm._option(ctx.m, 'dciu_weights') = 'null' THEN rfm.intent_default_weights()
                   ELSE rfm.intent_weights(rfm._option(ctx.m, 'dciu_weights')) END;
    SELECT format_type(atttypid, atttypmod) INTO ctx.member_type FROM pg_attribute
     WHERE attrelid = format('%I.members', ctx.s)::regclass AND attname = 'member_id';
    -- event names of the relation's own (option events.event_names: {"pv": "view"}) are mapped first; unless
    -- every state is rebuilt, only the touched members' events are read
    ctx.events_sql := format('SELECT e.%1$I::%2$s AS member_id,
                                 rfm.intent_agg(coalesce(%6$L::jsonb ->> e.%3$I::text, e.%3$I::text), e.%4$I::timestamptz) AS intent
                            FROM %5$s e WHERE e.%1$I IS NOT NULL %7$s GROUP BY 1',
                         ctx.ev_member_column, ctx.member_type, ctx.ev_event_column, ctx.ev_time_column, ctx.ev_relation,
                         coalesce((ctx.m).options -> 'events' -> 'event_names', '{}'),
                         CASE WHEN NOT (ctx.full_requested OR (ctx.m).needs_full)
                              THEN format('AND e.%I::%s IN (SELECT member_id FROM _rfm_touched)', ctx.ev_member_column, ctx.member_type)
                              ELSE '' END);
  END IF;

  -- what the labels depend on besides the data; when it changed since the last refresh, everyone is relabelled
  ctx.params := jsonb_build_object('options', (ctx.m).options, 'segment_map',
              (SELECT md5(string_agg(concat_ws(':', priority, segment, r_min, r_max, f_min, f_max, m_min, m_max), ','
                                     ORDER BY priority))
                 FROM rfm.segment_rule WHERE map = ctx.seg_map));
  EXECUTE format($q$
    SELECT r.refresh_id, r.as_of, r.members, r.params, r.fallback_cycle, r.value_reference,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'recency') AS rb,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'frequency') AS fb,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'monetary') AS mb
      FROM %1$I.refreshes r ORDER BY r.as_of DESC, r.refresh_id DESC LIMIT 1$q$, ctx.s)
    INTO ctx.last_ref_refresh_id, ctx.last_ref_as_of, ctx.last_ref_members, ctx.last_ref_params,
         ctx.last_ref_fallback_cycle, ctx.last_ref_value_reference, ctx.last_ref_rb, ctx.last_ref_fb, ctx.last_ref_mb;
  RETURN ctx;
END $$;
COMMENT ON FUNCTION rfm._refresh_prepare(text, date, boolean) IS
  'Internal: phase of rfm.refresh that checks its arguments, takes the model''s lock and reads the model, its options and its last refreshes';
CREATE OR REPLACE FUNCTION rfm._refresh_states(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  purchases_sql text;
  replaced jsonb;
BEGIN
  -- 1. member states: all of them, or only the members touched since the last refresh
  IF ctx.rebuild_all AND ctx.relabel_some THEN
    PERFORM rfm._progress(ctx.name, 'rebuilding every member state from ' || (ctx.m).source::text || ' to find those that changed');
    EXECUTE format('DELETE FROM %I.changes', ctx.s);
  ELSIF ctx.rebuild_all THEN
    PERFORM rfm._progress(ctx.name, 'rebuilding every member state from ' || (ctx.m).source::text);
    EXECUTE format('DELETE FROM %I.changes', ctx.s);
    -- loaded without its primary key, which is built afterwards (cheaper than keeping it, sorted or not)
    EXECUTE format('TRUNCATE %1$I.members; ALTER TABLE %1$I.members DROP CONSTRAINT members_pkey', ctx.s);
  ELSE
    EXECUTE format('CREATE TEMP TABLE _rfm_touched ON COMMIT DROP AS
                      WITH d AS (DELETE FROM %I.changes RETURNING member_id) SELECT DISTINCT member_id FROM d', ctx.s);
    GET DIAGNOSTICS ctx.rebuilt = ROW_COUNT;
    PERFORM rfm._progress(ctx.name, format('rebuilding %s touched member states', ctx.rebuilt));
    EXECUTE format('DELETE FROM %I.members WHERE member_id IN (SELECT member_id FROM _rfm_touched)', ctx.s);
  END IF;
  -- their purchases, and with events their browsing: members are then the buyers and the browsers. The orders
  -- are fed to the aggregate by member, time and amount: a day's spend is a sum of doubles, which depends on
  -- the order of its terms in the last bit, and this order is the same whatever the plan, so a member's state
  -- is the same whichever refresh rebuilt it (incremental equals full to the bit).
  purchases_sql := format('SELECT o.member_id, rfm.purchases_agg(o.t, o.a) AS purchases
                             FROM (SELECT o.%1$I AS member_id, o.%2$I AS t, %3$s AS a FROM %4$s o
                                    WHERE o.%1$I %5$s ORDER BY 1, 2, 3) o
                            GROUP BY 1 HAVING rfm.purchases_agg(o.t, o.a) IS NOT NULL',
                          (ctx.m).member_column, (ctx.m).time_column, ctx.amount_expr, (ctx.m).source,
                          CASE WHEN ctx.rebuild_all THEN 'IS NOT NULL' ELSE 'IN (SELECT member_id FROM _rfm_touched)' END);
  IF ctx.rebuild_all THEN
    -- every member: all the orders read in a row and sorted (an index on the member column, feeding an
    -- incremental sort, would read them in random order), then grouped as they come (a hash table of every
    -- member's aggregate state costs more than the grouping it saves): the states come in member order, and
    -- are merged with the states kept by their key (hashing all the new states instead, as the planner
    -- would, is slower), or written so for the comparison in 6 (the source is a table, so that join is the
    -- statement's only one). Measured in docs/bench-models.md ("Why the refresh is planned as it is").
    replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN '{"enable_hashjoin": "off"}' ELSE '{}' END::jsonb
                          || '{"enable_incremental_sort": "off"}');
  END IF;
  IF ctx.rebuild_all AND ctx.relabel_some THEN
    -- the states that differ from those kept (a new state, a changed one, or NULL: the member is gone)
    EXECUTE format('CREATE TEMP TABLE _rfm_touched ON COMMIT DROP AS
                      SELECT coalesce(n.member_id, o.member_id) AS member_id, n.purchases
                        FROM (%1$s) n FULL JOIN %2$I.members o ON o.member_id = n.member_id
                       WHERE n.member_id IS NULL OR o.member_id IS NULL
                          OR n.purchases OPERATOR(rfm.<>) o.purchases', purchases_sql, ctx.s);
    PERFORM rfm._plan(replaced);
    EXECUTE format('DELETE FROM %1$I.members WHERE member_id IN (SELECT member_id FROM _rfm_touched);
                    INSERT INTO %1$I.members (member_id, purchases)
                    SELECT member_id, purchases FROM _rfm_touched WHERE purchases IS NOT NULL ORDER BY 1', ctx.s);
    EXECUTE format('SELECT count(*) FROM %I.members', ctx.s) INTO ctx.rebuilt;
  ELSIF ctx.ev_relation IS NULL THEN
    EXECUTE format('INSERT INTO %I.members (member_id, purchases) %s %s', ctx.s, purchases_sql,
                   CASE WHEN NOT ctx.rebuild_all THEN 'ORDER BY 1' END);
  ELSE
    EXECUTE format('INSERT INTO %I.members (member_id, purchases, intent)
                     SELECT coalesce(p.member_id, i.member_id), p.purchases, i.intent
                       FROM (%s) p FULL JOIN (%s) i ON i.member_id = p.member_id %s',
                   ctx.s, purchases_sql, ctx.events_sql, CASE WHEN NOT ctx.rebuild_all THEN 'ORDER BY 1' END);
  END IF;
  IF ctx.rebuild_all AND NOT ctx.relabel_some THEN
    GET DIAGNOSTICS ctx.rebuilt = ROW_COUNT;
    PERFORM rfm._plan(replaced);
    EXECUTE format('ALTER TABLE %I.members ADD CONSTRAINT members_pkey PRIMARY KEY (member_id)', ctx.s);
    UPDATE rfm.model SET needs_full = false WHERE rfm.model.name = ctx.name;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_states(rfm._refresh) IS
  'Internal: phase of rfm.refresh that rebuilds the member states, every one or the touched members';
CREATE OR REPLACE FUNCTION rfm._refresh_candidates(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  base_sql text;
  replaced jsonb;
BEGIN
  -- 2. the facts and stages of the members to label, from their states: everyone's, or (relabel_some) those of the
  -- touched members and of those whose next dated order or NES stage has come (label_state.recheck)
  replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN ctx.index_joins ELSE '{}' END);
  IF ctx.relabel_some THEN
    EXECUTE format('CREATE TEMP TABLE _rfm_cand ON COMMIT DROP AS
                      SELECT member_id FROM _rfm_touched UNION SELECT member_id FROM %I.label_state WHERE recheck <= $1', ctx.s)
      USING ctx.as_of;
    ALTER TABLE _rfm_cand ADD PRIMARY KEY (member_id);
    ANALYZE _rfm_cand;
  END IF;
  -- members without a purchase by as_of (only orders dated later) are kept, unlabelled, for their recheck day
  base_sql := format($q$
    SELECT member_id, last_day,
           CASE WHEN last_day IS NOT NULL THEN frequency END AS frequency,
           CASE WHEN last_day IS NOT NULL THEN monetary END AS monetary, days,
           CASE WHEN days >= 2 THEN (last_day - first_day)::float8 / (days - 1) END AS gap,
           CASE WHEN last_day IS NOT NULL THEN since_prev END AS since_prev, napl,
           CASE WHEN days >= 2 THEN any_nes END AS repeat_nes, recheck, tier_st, dciu_score, btyd
      FROM (SELECT member_id, rfm.last_purchase(purchases, $1) AS last_day, rfm.first_purchase(purchases, $1) AS first_day,
                   rfm.frequency(purchases, $1, $2) AS frequency, rfm.monetary(purchases, $1, $2) AS monetary,
                   rfm.purchase_days(purchases, $1) AS days,
                   CASE WHEN $3 IS NULL THEN 0 ELSE rfm.monetary(purchases, $1, $3) END AS since_prev,
                   rfm.napl(purchases, $1, $4) AS napl, rfm.nes(purchases, $1, 1, $5, $6) AS any_nes,
                   rfm._recheck(purchases, $1, 1, $5, $6) AS recheck,
                   CASE WHEN $7 IS NOT NULL THEN rfm.tier_status(purchases, $1, $7) END AS tier_st,
                   CASE WHEN $8 IS NOT NULL THEN coalesce(rfm.intent_score(intent, $8, $9, $10, $11), 0) END AS dciu_score,
                   CASE WHEN $12 THEN rfm.btyd(purchases, $1, $13) END AS btyd
              FROM %I.members WHERE purchases IS NOT NULL %s) b$q$,
    ctx.s, CASE WHEN ctx.relabel_some THEN 'AND member_id IN (SELECT member_id FROM _rfm_cand)' ELSE '' END);
  EXECUTE 'CREATE TEMP TABLE _rfm_base ON COMMIT DROP AS ' || base_sql
    USING ctx.as_of, ctx.win, ctx.since_prev, ctx.napl_w, ctx.nes_mult, ctx.nes_cycle, ctx.tier_policy, ctx.intent_ts, ctx.dciu_hl, ctx.dciu_hz, ctx.dciu_w,
          ctx.clv_on, ctx.clv_unit;
  IF ctx.relabel_some THEN
    -- their rows at the last refresh
    EXECUTE format('CREATE TEMP TABLE _rfm_old ON COMMIT DROP AS
                      SELECT l.* FROM %I.label_state l JOIN _rfm_cand USING (member_id)', ctx.s);
  END IF;
  PERFORM rfm._plan(replaced);
END $$;
COMMENT ON FUNCTION rfm._refresh_candidates(rfm._refresh) IS
  'Internal: phase of rfm.refresh that reads the facts of the members to label from their states';
CREATE OR REPLACE FUNCTION rfm._refresh_crossed(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ranges text[];
  replaced jsonb;
BEGIN
  -- 5. (relabel_some) the members whose values a moved threshold may have crossed: recency cut points, the recency
  -- reference, the start of the NAPL window and one-time buyers' NES thresholds (on the last day);
  -- frequency and monetary cut points and references. They are labelled too, from their rows of label_state.
  IF ctx.relabel_some THEN
    ranges := ARRAY[
      rfm._day_range(ctx.last_ref_as_of, (ctx.last_ref_value_reference ->> 'recency')::float8, ctx.as_of, ctx.ref_r),
      rfm._value_range('frequency', (ctx.last_ref_value_reference ->> 'frequency')::float8, ctx.ref_f),
      rfm._value_range('monetary', (ctx.last_ref_value_reference ->> 'monetary')::float8, ctx.ref_m),
      CASE WHEN ctx.last_ref_as_of < ctx.as_of THEN
        format('l.last_day BETWEEN %L AND %L', (ctx.last_ref_as_of::timestamp - ctx.napl_w)::date, (ctx.as_of::timestamp - ctx.napl_w)::date + 1) END];
    FOR i IN 1 .. greatest(cardinality(ctx.rb), cardinality(ctx.last_ref_rb)) LOOP
      ranges := ranges || rfm._day_range(ctx.last_ref_as_of, ctx.last_ref_rb[i], ctx.as_of, ctx.rb[i])
                       || rfm._value_range('frequency', ctx.last_ref_fb[i], ctx.fb[i])
                       || rfm._value_range('monetary', ctx.last_ref_mb[i], ctx.mb[i]);
    END LOOP;
    FOR i IN 1 .. 3 LOOP
      ranges := ranges || ('l.days = 1 AND ' || rfm._day_range(ctx.last_ref_as_of, ctx.nes_mult[i] * ctx.last_ref_fallback_cycle, ctx.as_of,
                                                                ctx.nes_mult[i] * ctx.fallback));
    END LOOP;
    ranges := ARRAY(SELECT '(' || r || ')' FROM unnest(ranges) r WHERE r IS NOT NULL);
    RAISE DEBUG 'rfm.refresh(%): also relabelling the members where %', ctx.name, coalesce(array_to_string(ranges, ' OR '), 'nothing');
    replaced := rfm._plan(ctx.index_joins);
    IF cardinality(ranges) > 0 THEN
      EXECUTE format('CREATE TEMP TABLE _rfm_crossed ON COMMIT DROP AS
                        SELECT l.* FROM %I.label_state l
                         WHERE l.last_day IS NOT NULL AND (%s)
                           AND NOT EXISTS (SELECT 1 FROM _rfm_cand c WHERE c.member_id = l.member_id)',
                     ctx.s, array_to_string(ranges, ' OR '));
      INSERT INTO _rfm_cand SELECT member_id FROM _rfm_crossed;
      INSERT INTO _rfm_old SELECT * FROM _rfm_crossed;
      -- their facts are those of their rows (no order came: their recheck day has not); of what depends on the day,
      -- the NAPL stage is computed again, repeat buyers' NES stage has not moved (that is a recheck day), one-time
      -- buyers' NES follows in 6; the spend since the previous refresh is nothing, or the same on the same day
      INSERT INTO _rfm_base (member_id, last_day, frequency, monetary, days, gap, since_prev, napl, repeat_nes, recheck)
      SELECT x.member_id, x.last_day, x.frequency, x.monetary, x.days, x.gap,
             CASE WHEN ctx.last_as_of = ctx.as_of THEN x.since_prev ELSE 0 END, rfm._napl_of(x.days, x.last_day, ctx.as_of, ctx.napl_w),
             CASE WHEN x.days >= 2 THEN x.nes END, x.recheck
        FROM _rfm_crossed x;
      DROP TABLE _rfm_crossed;
    END IF;
    -- (the temporary tables are analyzed for the columns that later joins and filters read, no more: statistics
    -- of every column cost a tenth of an incremental refresh; docs/bench-models.md)
    ANALYZE _rfm_cand;
    ANALYZE _rfm_old (member_id);
    PERFORM rfm._plan(replaced);
  END IF;
  ANALYZE _rfm_base (member_id, last_day);
END $$;
COMMENT ON FUNCTION rfm._refresh_crossed(rfm._refresh) IS
  'Internal: phase of rfm.refresh that adds the members a moved threshold may have crossed to the candidates';
CREATE OR REPLACE FUNCTION rfm._refresh_cutpoints(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  hist_sql text;
  sums record;
  probs float8[];
BEGIN
  -- 3. hist: the distribution of last day, frequency, monetary and repeat buyers' gap over the labelled
  -- members, from which the references, cut points and the top-20 % revenue are read. Kept: the candidates'
  -- old facts out, their new ones in; or rebuilt.
  hist_sql := 'SELECT h.dim, h.bucket, h.total FROM %s x,
                 LATERAL (VALUES (''l''::"char", (x.last_day - DATE ''2000-01-01'')::float8, NULL::numeric),
                                 (''f'', x.frequency::float8, NULL), (''m'', floor(x.monetary), x.monetary::numeric),
                                 (''g'', floor(x.gap), NULL)) h(dim, bucket, total)
                WHERE x.last_day IS NOT NULL AND h.bucket IS NOT NULL';
  IF ctx.relabel_some THEN
    EXECUTE format('CREATE TEMP TABLE _rfm_hist ON COMMIT DROP AS
                      SELECT dim, bucket, sum(n)::bigint AS n, sum(total) AS total
                        FROM (SELECT dim, bucket, n, total FROM %1$I.hist
                              UNION ALL SELECT o.dim, o.bucket, -1, -o.total FROM (%2$s) o
                              UNION ALL SELECT b.dim, b.bucket, 1, b.total FROM (%3$s) b) u
                       GROUP BY dim, bucket HAVING sum(n) <> 0;
                    TRUNCATE %1$I.hist;
                    INSERT INTO %1$I.hist SELECT * FROM _rfm_hist ORDER BY dim, bucket',
                   ctx.s, format(hist_sql, '_rfm_old'), format(hist_sql, '_rfm_base'));
    DROP TABLE _rfm_hist;
  ELSE
    -- (each distinct monetary value is turned into numeric once: members share values, and the conversion is
    -- the dearest part)
    EXECUTE format('TRUNCATE %1$I.hist;
                    INSERT INTO %1$I.hist
                    SELECT dim, bucket, n, total FROM (
                      SELECT CASE WHEN GROUPING(last_day) = 0 THEN ''l'' WHEN GROUPING(frequency) = 0 THEN ''f''
                                  ELSE ''g'' END::"char" AS dim,
                             coalesce((last_day - DATE ''2000-01-01'')::float8, frequency::float8, floor(gap)) AS bucket,
                             count(*) AS n, NULL::numeric AS total
                        FROM _rfm_base WHERE last_day IS NOT NULL
                       GROUP BY GROUPING SETS ((last_day), (frequency), (floor(gap)))
                      UNION ALL
                      SELECT ''m'', floor(v), sum(k)::bigint, sum(v::numeric * k)
                        FROM (SELECT monetary AS v, count(*) AS k FROM _rfm_base WHERE last_day IS NOT NULL GROUP BY 1) d
                       GROUP BY 2) g
                     WHERE bucket IS NOT NULL ORDER BY dim, bucket', ctx.s);
  END IF;
  EXECUTE format('SELECT coalesce(sum(n) FILTER (WHERE dim = ''l''), 0)::bigint AS n,
                         sum(bucket::numeric * n) FILTER (WHERE dim = ''l'') AS sum_day,
                         sum(bucket::numeric * n) FILTER (WHERE dim = ''f'') AS sum_f,
                         sum(total) FILTER (WHERE dim = ''m'') AS sum_m,
                         coalesce(sum(n) FILTER (WHERE dim = ''g''), 0)::bigint AS n_repeat
                    FROM %I.hist', ctx.s) INTO sums;
  ctx.sum_m := sums.sum_m;
  ctx.members := sums.n;
  PERFORM rfm._progress(ctx.name, format('labelling %s members as of %s', ctx.members, ctx.as_of));

  -- 4. references, cut points, fallback cycle, top-20 % revenue: order statistics read from hist (the same
  -- values as rfm.breaks and percentile_cont over every member, to the bit)
  ctx.ref_r := ((sums.n * (ctx.as_of - DATE '2000-01-01') - sums.sum_day) / nullif(sums.n, 0))::float8;
  ctx.ref_f := (sums.sum_f / nullif(sums.n, 0))::float8;
  ctx.ref_m := (sums.sum_m / nullif(sums.n, 0))::float8;
  ctx.revenue := sums.sum_m::float8;
  IF jsonb_typeof(ctx.vref) = 'string' AND ctx.vref #>> '{}' = 'median' THEN
    ctx.ref_r := (rfm._hist_quantiles(ctx.s, 'l', sums.n, '{0.5}', ctx.as_of, ctx.relabel_some))[1];
    ctx.ref_f := (rfm._hist_quantiles(ctx.s, 'f', sums.n, '{0.5}', ctx.as_of, ctx.relabel_some))[1];
    ctx.ref_m := (rfm._hist_quantiles(ctx.s, 'm', sums.n, '{0.5}', ctx.as_of, ctx.relabel_some))[1];
  END IF;
  IF ctx.scoring = 'quantile' THEN
    probs := ARRAY(SELECT g::float8 / ctx.bins::float8 FROM generate_series(1, ctx.bins - 1) g);
    ctx.rb := rfm._hist_quantiles(ctx.s, 'l', sums.n, probs, ctx.as_of, ctx.relabel_some);
    ctx.fb := rfm._hist_quantiles(ctx.s, 'f', sums.n, probs, ctx.as_of, ctx.relabel_some);
    ctx.mb := rfm._hist_quantiles(ctx.s, 'm', sums.n, probs, ctx.as_of, ctx.relabel_some);
  END IF;
  IF ctx.fallback IS NULL THEN
    ctx.fallback := coalesce((rfm._hist_quantiles(ctx.s, 'g', sums.n_repeat, '{0.5}', ctx.as_of, ctx.relabel_some))[1], 30);
  END IF;
  ctx.top20 := rfm._hist_top(ctx.s, ceil(0.2 * sums.n)::bigint, ctx.relabel_some);
  IF jsonb_typeof(ctx.vref) = 'object' THEN
    ctx.ref_r := (ctx.vref ->> 'recency')::float8; ctx.ref_f := (ctx.vref ->> 'frequency')::float8; ctx.ref_m := (ctx.vref ->> 'monetary')::float8;
  END IF;
  IF ctx.scoring = 'fixed' THEN
    ctx.rb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'r_breaks'))::float8);
    ctx.fb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'f_breaks'))::float8);
    ctx.mb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'm_breaks'))::float8);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_cutpoints(rfm._refresh) IS
  'Internal: phase of rfm.refresh that updates hist and reads the references and cut points from it';
CREATE OR REPLACE FUNCTION rfm._refresh_clv(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF ctx.clv_on THEN
    -- lifetime value: the purchase and spend models fitted on everyone's repeat-buying summary at as_of. A fit
    -- that fails leaves the CLV columns NULL for this refresh (with a WARNING), not the refresh failed.
    PERFORM rfm._progress(ctx.name, 'fitting the lifetime value models');
    BEGIN
      IF ctx.clv_pnbd THEN
        ctx.fit_p := (SELECT rfm.pnbd_fit((btyd).x, (btyd).t_x, (btyd).t) FROM _rfm_base WHERE last_day IS NOT NULL);
      ELSE
        ctx.fit_b := (SELECT rfm.bgnbd_fit((btyd).x, (btyd).t_x, (btyd).t) FROM _rfm_base WHERE last_day IS NOT NULL);
      END IF;
      -- Gamma-Gamma needs positive spends: repeat buyers whose mean repeat spend is not positive (refunds, free
      -- orders) are left out of its fit, as lifetimes does, and get no clv
      ctx.fit_g := (SELECT rfm.gamma_gamma_fit((btyd).x, (btyd).monetary) FILTER (WHERE (btyd).monetary > 0)
                  FROM _rfm_base WHERE last_day IS NOT NULL);
      -- every member's predictions, here too: extreme parameters can make a prediction fail
      EXECUTE format('CREATE TEMP TABLE _rfm_clv ON COMMIT DROP AS
        SELECT member_id, rfm.p_alive(%1$s, (btyd).x, (btyd).t_x, (btyd).t) AS p_alive,
               rfm.expected_purchases(%1$s, $3, (btyd).x, (btyd).t_x, (btyd).t) AS expected_purchases,
               CASE WHEN (btyd).x = 0 OR (btyd).monetary > 0
                    THEN rfm.clv(%1$s, $4, (btyd).x, (btyd).t_x, (btyd).t, coalesce((btyd).monetary, 0), $3, $5) END AS clv
          FROM _rfm_base WHERE last_day IS NOT NULL', CASE WHEN ctx.clv_pnbd THEN '$2' ELSE '$1' END)
        USING ctx.fit_b, ctx.fit_p, ctx.clv_h, ctx.fit_g, ctx.clv_d;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'rfm.refresh(%): no lifetime value at %: %', ctx.name, ctx.as_of, SQLERRM
        USING HINT = 'The CLV columns stay NULL for this refresh; see docs/clv.md on fits that fail.';
      ctx.fit_b := NULL; ctx.fit_p := NULL; ctx.fit_g := NULL;
    END;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_clv(rfm._refresh) IS
  'Internal: phase of rfm.refresh that fits the lifetime value models and predicts (option clv)';
CREATE OR REPLACE FUNCTION rfm._refresh_dciu(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF ctx.ev_relation IS NOT NULL THEN
    -- DCIU cuts calibrated by replay: every member (buyers and browsers) scored at the start of the horizon,
    -- and who bought in it, and for how much; the lift of the buckets is published (dciu_lifts)
    PERFORM rfm._progress(ctx.name, format('calibrating DCIU on the %s up to %s', ctx.dciu_hz, ctx.as_of));
    EXECUTE format('CREATE TEMP TABLE _rfm_cal ON COMMIT DROP AS
      SELECT coalesce(rfm.intent_score(intent, $1, $2, $3, $4), 0) AS cal_score,
             coalesce(rfm.purchase_days(purchases, $5, $3), 0) > 0 AS cal_bought,
             coalesce(rfm.monetary(purchases, $5, $3), 0) AS cal_revenue
        FROM %I.members', ctx.s)
      USING ctx.intent_ts - ctx.dciu_hz, ctx.dciu_hl, ctx.dciu_hz, ctx.dciu_w, ctx.as_of;
    IF rfm._option(ctx.m, 'dciu_cuts') <> 'null' THEN
      ctx.dciu_cuts := ARRAY(SELECT jsonb_array_elements_text(rfm._option(ctx.m, 'dciu_cuts'))::float8);
    ELSE
      SELECT rfm.dciu_calibrate(c.cal_score, c.cal_bought) INTO ctx.dciu_cuts FROM _rfm_cal c;
    END IF;
    SELECT rfm.dciu_lift_agg(coalesce(rfm.dciu(c.cal_score, ctx.dciu_cuts), 'U'), c.cal_bought, c.cal_revenue) INTO ctx.lift FROM _rfm_cal c;
    DROP TABLE _rfm_cal;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_dciu(rfm._refresh) IS
  'Internal: phase of rfm.refresh that calibrates the DCIU cuts and their lift (option events)';
CREATE OR REPLACE FUNCTION rfm._refresh_labels(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  clv_sql text;
  score_sql text;
  lab_sql text;
  labels_differ text;
  row_differs text;
  old_rel text;
  replaced jsonb;
BEGIN
  -- 6. the new labels, beside the last refresh's of the same members (label_state: all of it, or the
  -- candidates' rows); changed = entered, exited or any label differs
  IF ctx.scoring = 'ntile' THEN
    -- equal-count bins; ties broken by member id, so the result is deterministic
    score_sql := 'ntile($6) OVER (ORDER BY recency DESC, member_id) AS r_score,
                  ntile($6) OVER (ORDER BY frequency, member_id) AS f_score,
                  ntile($6) OVER (ORDER BY monetary, member_id) AS m_score';
  ELSE
    score_sql := 'rfm.score(recency, $3, true) AS r_score, rfm.score(frequency, $4) AS f_score,
                  rfm.score(monetary, $5) AS m_score';
  END IF;
  -- a member's labels changed: it entered, it exited, or a label differs (n: new row, o: old row)
  labels_differ := '((o.last_day IS NOT NULL) <> (n.last_day IS NOT NULL)
                     OR (n.last_day IS NOT NULL
                         AND (n.r_score, n.f_score, n.m_score, n.segment, n.value_segment, n.napl, n.nes, n.dciu, n.tier)
                             IS DISTINCT FROM
                             (o.r_score, o.f_score, o.m_score, o.segment, o.value_segment, o.napl, o.nes, o.dciu, o.tier)))';
  -- a member's row of label_state must be written: anything in it differs (labels included)
  row_differs := '((o.frequency, o.monetary, o.r_score, o.f_score, o.m_score, o.segment, o.value_segment, o.napl, o.nes,
                    o.dciu, o.tier, o.p_alive, o.expected_purchases, o.clv, o.last_day, o.days, o.gap, o.since_prev, o.recheck)
                   IS DISTINCT FROM
                   (n.frequency, n.monetary, n.r_score, n.f_score, n.m_score, n.segment, n.value_segment, n.napl, n.nes,
                    n.dciu, n.tier, n.p_alive, n.expected_purchases, n.clv, n.last_day, n.days, n.gap, n.since_prev, n.recheck))';
  clv_sql := CASE WHEN to_regclass('pg_temp._rfm_clv') IS NULL THEN
                   'NULL::float8 AS p_alive, NULL::float8 AS expected_purchases, NULL::float8 AS clv'
                 ELSE 'c.p_alive, c.expected_purchases, c.clv' END;
  -- the new rows (labels and facts) of the members labelled here
  lab_sql := format('
    SELECT member_id, frequency, monetary, r_score, f_score, m_score,
           rfm.segment(r_score, f_score, m_score, $7) AS segment,
           rfm.value_segment(recency < $8, frequency >= $9, monetary >= $10) AS value_segment,
           napl,
           coalesce(repeat_nes, CASE WHEN recency <= $12 * $11 THEN ''N'' WHEN recency <= $13 * $11 THEN ''S1''
                                     WHEN recency <= $14 * $11 THEN ''S2'' ELSE ''S3'' END::rfm.nes_stage) AS nes,
           CASE WHEN $15 THEN coalesce(rfm.dciu(dciu_score, $16), ''U'')::text END AS dciu, (tier_st).tier AS tier,
           %s, last_day, days, gap, since_prev, recheck
      FROM (SELECT b.*, %s FROM (SELECT *, $1 - last_day AS recency FROM _rfm_base WHERE last_day IS NOT NULL) b) x %s
    UNION ALL
    SELECT member_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, recheck
      FROM _rfm_base WHERE last_day IS NULL', clv_sql, score_sql,
      CASE WHEN to_regclass('pg_temp._rfm_clv') IS NOT NULL THEN 'LEFT JOIN _rfm_clv c USING (member_id)' ELSE '' END);
  old_rel := CASE WHEN ctx.relabel_some THEN '_rfm_old' ELSE format('%I.label_state', ctx.s) END;
  -- the rows of label_state that differ (members whose labels changed: entered, exited, or any label differs;
  -- whose facts changed; new rows, rows whose state is gone), with their old parts: the flow and label_totals
  -- are the last ones corrected by these rows alone. On a refresh after the last one, members who spent since
  -- it are among them too (their spend is the revenue of the flow).
  -- After a rebuild that relabels everyone the new rows come in member order (members was written so, and
  -- _rfm_base read from it): merged with label_state's key, the sort finds them sorted (cheaper than hashing
  -- them; docs/bench-models.md). When only some members are relabelled (relabel_some), the rows are written in
  -- member order, the order in which label_state and label_history are then updated from them.
  replaced := rfm._plan(CASE WHEN ctx.rebuild_all AND NOT ctx.relabel_some AND ctx.ev_relation IS NULL AND ctx.scoring <> 'ntile'
                             THEN '{"enable_hashjoin": "off"}' ELSE '{}' END::jsonb);
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_changed ON COMMIT DROP AS
    SELECT coalesce(n.member_id, o.member_id) AS member_id, o.member_id IS NOT NULL AS had_row,
           n.member_id IS NOT NULL AS has_state, o.last_day IS NOT NULL AS was, n.last_day IS NOT NULL AS is_now,
           %2$s AS changed, n.frequency, n.monetary, n.r_score, n.f_score, n.m_score, n.segment, n.value_segment,
           n.napl, n.nes, n.dciu, n.tier, n.p_alive, n.expected_purchases, n.clv, n.last_day, n.days, n.gap,
           n.since_prev, n.recheck, o.since AS o_since, o.r_score AS o_r_score, o.f_score AS o_f_score,
           o.m_score AS o_m_score, o.segment AS o_segment, o.value_segment AS o_value_segment, o.napl AS o_napl,
           o.nes AS o_nes, o.dciu AS o_dciu, o.tier AS o_tier, o.last_day AS o_last_day, o.frequency AS o_frequency,
           o.monetary AS o_monetary, o.since_prev AS o_since_prev, NULL::date AS reopen
      FROM (%5$s) n FULL JOIN %1$s o ON o.member_id = n.member_id
     WHERE n.member_id IS NULL OR o.member_id IS NULL OR %3$s OR (%4$L AND n.since_prev <> 0) %6$s$q$,
    old_rel, labels_differ, row_differs, ctx.last_as_of IS NULL OR ctx.last_as_of < ctx.as_of, lab_sql,
    CASE WHEN ctx.relabel_some THEN 'ORDER BY 1' END)
    USING ctx.as_of, ctx.win, ctx.rb, ctx.fb, ctx.mb, ctx.bins, ctx.seg_map, ctx.ref_r, ctx.ref_f, ctx.ref_m, ctx.fallback, ctx.nes_mult[1], ctx.nes_mult[2], ctx.nes_mult[3],
          ctx.ev_relation IS NOT NULL, ctx.dciu_cuts;
  PERFORM rfm._plan(replaced);
  SELECT count(*) INTO ctx.changed FROM _rfm_changed c WHERE c.changed;
  ANALYZE _rfm_changed (member_id, changed, was, is_now, had_row, has_state, o_since);
  IF ctx.relabel_some THEN
    SELECT count(*) INTO ctx.relabelled FROM _rfm_base WHERE last_day IS NOT NULL;
  ELSE
    ctx.relabelled := ctx.members;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_labels(rfm._refresh) IS
  'Internal: phase of rfm.refresh that labels the members and keeps the rows that differ';
CREATE OR REPLACE FUNCTION rfm._refresh_flow(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  replaced jsonb;
BEGIN
  -- 7. the flow from the refresh before as_of to this one, per dimension (members and their spend in between),
  -- from the rows that differ. When the last refresh is the previous one: everyone stays where label_totals
  -- counts them, having spent nothing, except the rows that differ, whose old part is taken out and whose
  -- (old label, new label) is put in. A refresh that replaces the last one (same day) takes the last one's
  -- transitions, with the old part of the rows that differ (previous label from the history, old label) taken
  -- out and their new part put in.
  IF ctx.last_as_of < ctx.as_of OR ctx.last_as_of IS NULL THEN
    EXECUTE format($q$
      CREATE TEMP TABLE _rfm_moves ON COMMIT DROP AS
      SELECT p_present, t_present, f_segment, t_segment, f_value, t_value, f_napl, t_napl, f_nes, t_nes, f_tier, t_tier,
             f_dciu, t_dciu, sum(members) AS members, sum(revenue) AS revenue
        FROM (SELECT true AS p_present, true AS t_present, segment AS f_segment, segment AS t_segment,
                     value_segment AS f_value, value_segment AS t_value, napl AS f_napl, napl AS t_napl, nes AS f_nes,
                     nes AS t_nes, tier AS f_tier, tier AS t_tier, dciu AS f_dciu, dciu AS t_dciu, members, 0 AS revenue
                FROM %I.label_totals
              UNION ALL
              SELECT true, true, o_segment, o_segment, o_value_segment, o_value_segment, o_napl, o_napl, o_nes, o_nes,
                     o_tier, o_tier, o_dciu, o_dciu, -1, 0
                FROM _rfm_changed WHERE was
              UNION ALL
              SELECT was, is_now, o_segment, segment, o_value_segment, value_segment, o_napl, napl, o_nes, nes,
                     o_tier, tier, o_dciu, dciu, 1, CASE WHEN is_now THEN since_prev ELSE 0 END
                FROM _rfm_changed WHERE was OR is_now) u
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14$q$, ctx.s);
  ELSE
    replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN ctx.index_joins ELSE '{}' END);
    EXECUTE format($q$
      CREATE TEMP TABLE _rfm_moves ON COMMIT DROP AS
      SELECT p.member_id IS NOT NULL AS p_present, x.t_present, p.segment AS f_segment, x.segment AS t_segment,
             p.value_segment AS f_value, x.value_segment AS t_value, p.napl AS f_napl, x.napl AS t_napl,
             p.nes AS f_nes, x.nes AS t_nes, p.tier AS f_tier, x.tier AS t_tier, p.dciu AS f_dciu, x.dciu AS t_dciu,
             sum(x.sign) AS members, sum(x.revenue) AS revenue
        FROM (SELECT member_id, -1 AS sign, was AS t_present, o_segment AS segment, o_value_segment AS value_segment,
                     o_napl AS napl, o_nes AS nes, o_tier AS tier, o_dciu AS dciu,
                     CASE WHEN was THEN -o_since_prev ELSE 0 END AS revenue
                FROM _rfm_changed
              UNION ALL
              SELECT member_id, 1, is_now, segment, value_segment, napl, nes, tier, dciu,
                     CASE WHEN is_now THEN since_prev ELSE 0 END
                FROM _rfm_changed) x
        LEFT JOIN %I.label_history p
          ON p.member_id = x.member_id AND $1 IS NOT NULL AND p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1)
       WHERE p.member_id IS NOT NULL OR x.t_present
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14$q$, ctx.s)
      USING ctx.prev_as_of;
    PERFORM rfm._plan(replaced);
  END IF;
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_trans ON COMMIT DROP AS
    SELECT dimension, from_label, to_label, sum(members)::bigint AS members, sum(revenue) AS revenue
      FROM (SELECT d.dimension, d.from_label, d.to_label, mv.members, mv.revenue
              FROM _rfm_moves mv,
                   LATERAL (VALUES ('segment', mv.f_segment, mv.t_segment), ('value_segment', mv.f_value, mv.t_value),
                                   ('napl', mv.f_napl::text, mv.t_napl::text), ('nes', mv.f_nes::text, mv.t_nes::text),
                                   ('tier', mv.f_tier, mv.t_tier), ('dciu', mv.f_dciu, mv.t_dciu)) v(dimension, f, t),
                   LATERAL (SELECT v.dimension, CASE WHEN mv.p_present THEN coalesce(v.f, '(none)') ELSE '(entered)' END,
                                   CASE WHEN mv.t_present THEN coalesce(v.t, '(none)') ELSE '(exited)' END) d(dimension, from_label, to_label)
             WHERE (v.dimension <> 'tier' OR $1 IS NOT NULL) AND (v.dimension <> 'dciu' OR $2)
            UNION ALL
            SELECT dimension, from_label, to_label, members, revenue FROM %1$I.transitions
             WHERE $3 AND refresh_id = $4) u
     GROUP BY 1, 2, 3 HAVING sum(members) <> 0$q$, ctx.s)
    USING ctx.tier_policy, ctx.ev_relation IS NOT NULL, ctx.last_as_of = ctx.as_of, ctx.last_ref_refresh_id;
END $$;
COMMENT ON FUNCTION rfm._refresh_flow(rfm._refresh) IS
  'Internal: phase of rfm.refresh that computes the flow between the previous refresh and this one';
CREATE OR REPLACE FUNCTION rfm._refresh_record(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rid bigint;
BEGIN
  -- 10. the refresh, its KPIs (from the NAPL flow), cut points (members per score from label_totals), transitions
  EXECUTE format($q$
    INSERT INTO %1$I.refreshes (as_of, full_rebuild, started, finished, members, rebuilt, changed, fallback_cycle,
                                value_reference, revenue, active_rate, repurchase_rate, churn_rate, n_to_a_rate,
                                p_to_a_rate, top20_revenue_share, dciu_cuts, bgnbd, pnbd, gamma_gamma, params,
                                relabelled)
    SELECT $1, $2, $3, clock_timestamp(), $4, $5, $6, $7,
           jsonb_build_object('recency', $8, 'frequency', $9, 'monetary', $10),
           $11,
           coalesce(sum(members) FILTER (WHERE to_label IN ('N', 'A')), 0)
             / nullif(sum(members) FILTER (WHERE to_label <> '(exited)'), 0),
           coalesce(sum(members) FILTER (WHERE to_label IN ('A', 'P')), 0)
             / nullif(sum(members) FILTER (WHERE to_label <> '(exited)'), 0),
           coalesce(sum(members) FILTER (WHERE from_label IN ('N', 'A') AND to_label IN ('P', 'L', '(exited)')), 0)
             / nullif(sum(members) FILTER (WHERE from_label IN ('N', 'A')), 0),
           coalesce(sum(members) FILTER (WHERE from_label = 'N' AND to_label = 'A'), 0)
             / nullif(sum(members) FILTER (WHERE from_label = 'N'), 0),
           coalesce(sum(members) FILTER (WHERE from_label = 'P' AND to_label = 'A'), 0)
             / nullif(sum(members) FILTER (WHERE from_label = 'P'), 0),
           ($12 / nullif($13, 0))::float8,
           $14, $15, $16, $17, $18, $19
      FROM _rfm_trans WHERE dimension = 'napl'
    RETURNING refresh_id$q$, ctx.s)
    INTO rid
    USING ctx.as_of, ctx.rebuild_all, ctx.started, ctx.members, ctx.rebuilt, ctx.changed, ctx.fallback, ctx.ref_r, ctx.ref_f, ctx.ref_m, ctx.revenue, ctx.top20,
          ctx.sum_m, ctx.dciu_cuts, ctx.fit_b, ctx.fit_p, ctx.fit_g, ctx.params, ctx.relabelled;
  EXECUTE format($q$
    INSERT INTO %1$I.cutpoints
    SELECT $1, d.dimension, d.breaks, array_agg(coalesce(x.n, 0) ORDER BY g.score)
      FROM (VALUES ('recency', $2::float8[]), ('frequency', $3), ('monetary', $4)) d(dimension, breaks)
      CROSS JOIN generate_series(1, $5) g(score)
      LEFT JOIN (SELECT CASE WHEN GROUPING(r_score) = 0 THEN 'recency' WHEN GROUPING(f_score) = 0 THEN 'frequency'
                             ELSE 'monetary' END AS dimension, coalesce(r_score, f_score, m_score) AS score,
                        sum(members) AS n
                   FROM %1$I.label_totals GROUP BY GROUPING SETS ((r_score), (f_score), (m_score))) x
        ON x.dimension = d.dimension AND x.score = g.score
     GROUP BY d.dimension, d.breaks$q$, ctx.s)
    USING rid, ctx.rb, ctx.fb, ctx.mb, ctx.bins;
  EXECUTE format('INSERT INTO %I.transitions SELECT $1, dimension, from_label, to_label, members, revenue
                    FROM _rfm_trans ORDER BY 2, 3, 4', ctx.s)
    USING rid;
  IF ctx.lift IS NOT NULL THEN
    EXECUTE format('INSERT INTO %I.dciu_lifts SELECT $1, l.* FROM unnest($2) l', ctx.s) USING rid, ctx.lift;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_record(rfm._refresh) IS
  'Internal: phase of rfm.refresh that records the refresh, its KPIs, cut points and transitions';
CREATE OR REPLACE FUNCTION rfm._refresh_history(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  replaced jsonb;
BEGIN
  -- 8. history: a changed member's open row is closed at as_of, or replaced if it was opened at as_of (a refresh
  -- on the day of the last one replaces that refresh)
  PERFORM rfm._progress(ctx.name, format('recording %s label changes', ctx.changed));
  replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN ctx.index_joins ELSE '{}' END);
  IF ctx.as_of = ctx.last_as_of THEN
    EXECUTE format('DELETE FROM %1$I.cutpoints WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.transitions WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.dciu_lifts WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.refreshes WHERE as_of = $1', ctx.s) USING ctx.as_of;
    -- Driven by the changed members' keys: the history rows opened today are many after a busy first refresh
    -- of the day, and the statistics of label_history, unless autovacuum has come by, know none of them (a
    -- nested loop over them and a scan of _rfm_changed each was once planned from an estimate of one row).
    IF ctx.relabel_some THEN
      CREATE INDEX ON _rfm_changed (member_id);
    END IF;
    -- A member whose new labels are those it had before the refresh being replaced gets that row of its
    -- history back, open, as if only this refresh had run (since stays its valid_from); the rows opened by
    -- the replaced refresh go.
    -- (looked up member by member: label_history has no index on valid_to, and a join would scan all of it)
    EXECUTE format('UPDATE _rfm_changed c SET reopen =
                      (SELECT h.valid_from FROM %1$I.label_history h
                        WHERE h.member_id = c.member_id AND h.valid_to = $1
                          AND (h.r_score, h.f_score, h.m_score, h.segment, h.value_segment, h.napl, h.nes, h.dciu, h.tier)
                              IS NOT DISTINCT FROM
                              (c.r_score, c.f_score, c.m_score, c.segment, c.value_segment, c.napl, c.nes, c.dciu, c.tier)
                        ORDER BY h.valid_from DESC LIMIT 1)
                     WHERE c.changed AND c.is_now', ctx.s)
      USING ctx.as_of;
    EXECUTE format('DELETE FROM %1$I.label_history h USING _rfm_changed c
                     WHERE c.changed AND c.was AND c.o_since = $1 AND h.member_id = c.member_id AND h.valid_from = $1', ctx.s)
      USING ctx.as_of;
    EXECUTE format('UPDATE %1$I.label_history h SET valid_to = NULL FROM _rfm_changed c
                     WHERE c.reopen IS NOT NULL AND h.member_id = c.member_id AND h.valid_from = c.reopen', ctx.s);
  END IF;
  IF ctx.last_as_of IS NOT NULL THEN
    EXECUTE format('UPDATE %1$I.label_history h SET valid_to = $1 FROM _rfm_changed c
                     WHERE c.changed AND c.was AND c.o_since < $1 AND h.member_id = c.member_id AND h.valid_from = c.o_since', ctx.s)
      USING ctx.as_of;
  END IF;
  PERFORM rfm._plan(replaced);
  -- sorted by member id, so that index insertions are sequential; the first refresh (an empty history) loads
  -- it unsorted without indexes and builds them afterwards
  IF ctx.last_as_of IS NULL THEN
    EXECUTE format('ALTER TABLE %1$I.label_history DROP CONSTRAINT label_history_pkey;
                    DROP INDEX %1$I.label_history_valid_from_idx', ctx.s);
  END IF;
  EXECUTE format('INSERT INTO %1$I.label_history
                    SELECT member_id, $1, NULL, r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier
                      FROM _rfm_changed WHERE changed AND is_now AND reopen IS NULL %2$s', ctx.s,
                 CASE WHEN ctx.last_as_of IS NOT NULL THEN 'ORDER BY member_id' END) USING ctx.as_of;
  IF ctx.last_as_of IS NULL THEN
    EXECUTE format('ALTER TABLE %1$I.label_history ADD CONSTRAINT label_history_pkey PRIMARY KEY (member_id, valid_from);
                    CREATE INDEX label_history_valid_from_idx ON %1$I.label_history (valid_from)', ctx.s);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_history(rfm._refresh) IS
  'Internal: phase of rfm.refresh that records the label changes in label_history';
CREATE OR REPLACE FUNCTION rfm._refresh_label_state(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rows_sql text;
  bulk boolean;
  replaced jsonb;
BEGIN
  -- 9. label_totals (the members and sums per label combination: the old part of the rows that differ taken
  -- out, their new part put in) and label_state: rows whose state is gone deleted, rows that differ updated
  -- (`since`, the start of their history row, is as_of if a label changed), new rows inserted
  PERFORM rfm._progress(ctx.name, 'writing labels');
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_totals ON COMMIT DROP AS
    SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, sum(members)::bigint AS members,
           sum(sum_day) AS sum_day, sum(sum_frequency) AS sum_frequency, sum(sum_monetary) AS sum_monetary
      FROM (SELECT * FROM %1$I.label_totals
            UNION ALL
            SELECT o_r_score, o_f_score, o_m_score, o_segment, o_value_segment, o_napl, o_nes, o_dciu, o_tier, -1,
                   -(o_last_day - DATE '2000-01-01'), -o_frequency, -o_monetary::numeric
              FROM _rfm_changed WHERE was
            UNION ALL
            SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, 1,
                   last_day - DATE '2000-01-01', frequency, monetary::numeric
              FROM _rfm_changed WHERE is_now) u
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(members) <> 0;
    TRUNCATE %1$I.label_totals;
    INSERT INTO %1$I.label_totals SELECT * FROM _rfm_totals$q$, ctx.s);
  DROP TABLE _rfm_totals;
  -- label_state: when most of it is written (a new model, lifetime values that move for everyone) it is
  -- rewritten as a bulk load, its indexes built afterwards; otherwise row by row
  SELECT count(*) FILTER (WHERE c.has_state) > 0.25 * greatest(ctx.members, ctx.last_ref_members, 1) INTO bulk
    FROM _rfm_changed c;
  IF bulk THEN
    -- the rows that differ, and (unless this is the model's first refresh, when label_state is empty) the
    -- rows kept, set aside before label_state is emptied; loaded in member order without any index, the key
    -- and the others built afterwards
    rows_sql := 'SELECT member_id, frequency, monetary, r_score, f_score, m_score, segment, value_segment, napl, nes,
                        dciu, tier, p_alive, expected_purchases, clv, last_day, days, gap, since_prev, recheck,
                        CASE WHEN NOT changed THEN o_since WHEN last_day IS NOT NULL THEN coalesce(reopen, $1) END
                   FROM _rfm_changed WHERE has_state';
    IF ctx.last_as_of IS NOT NULL THEN
      EXECUTE format($q$
        CREATE TEMP TABLE _rfm_rows ON COMMIT DROP AS
        SELECT l.* FROM %1$I.label_state l WHERE NOT EXISTS (SELECT 1 FROM _rfm_changed c WHERE c.member_id = l.member_id)
        UNION ALL %2$s;
        TRUNCATE %1$I.label_state$q$, ctx.s, rows_sql)
        USING ctx.as_of;
      rows_sql := 'SELECT * FROM _rfm_rows';
    END IF;
    PERFORM rfm._label_state_indexes(ctx.s, false);
    EXECUTE format('ALTER TABLE %I.label_state DROP CONSTRAINT label_state_pkey', ctx.s);
    EXECUTE format('INSERT INTO %I.label_state %s ORDER BY member_id', ctx.s, rows_sql) USING ctx.as_of;
    EXECUTE format('ALTER TABLE %I.label_state ADD CONSTRAINT label_state_pkey PRIMARY KEY (member_id)', ctx.s);
    PERFORM rfm._label_state_indexes(ctx.s, true);
    IF to_regclass('pg_temp._rfm_rows') IS NOT NULL THEN
      DROP TABLE _rfm_rows;
    END IF;
  ELSE
    replaced := rfm._plan(CASE WHEN ctx.relabel_some THEN ctx.index_joins ELSE '{}' END);
    EXECUTE format('DELETE FROM %I.label_state l USING _rfm_changed c WHERE c.member_id = l.member_id AND NOT c.has_state', ctx.s);
    EXECUTE format($q$
      UPDATE %1$I.label_state o SET
        frequency = n.frequency, monetary = n.monetary, r_score = n.r_score, f_score = n.f_score, m_score = n.m_score,
        segment = n.segment, value_segment = n.value_segment, napl = n.napl, nes = n.nes, dciu = n.dciu, tier = n.tier,
        p_alive = n.p_alive, expected_purchases = n.expected_purchases, clv = n.clv, last_day = n.last_day,
        days = n.days, gap = n.gap, since_prev = n.since_prev, recheck = n.recheck,
        since = CASE WHEN NOT n.changed THEN o.since WHEN n.last_day IS NOT NULL THEN coalesce(n.reopen, $1) END
        FROM _rfm_changed n
       WHERE n.had_row AND n.has_state AND o.member_id = n.member_id;
      INSERT INTO %1$I.label_state
      SELECT member_id, frequency, monetary, r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier,
             p_alive, expected_purchases, clv, last_day, days, gap, since_prev, recheck,
             CASE WHEN last_day IS NOT NULL THEN coalesce(reopen, $1) END
        FROM _rfm_changed WHERE NOT had_row AND has_state ORDER BY member_id$q$, ctx.s)
      USING ctx.as_of;
    IF ctx.relabel_some AND ctx.last_as_of < ctx.as_of THEN
      -- the spend since the previous refresh of the members not labelled here is nothing (found through the
      -- partial index label_state_spent, so that the cost follows the day's buyers: each reset row is then a
      -- new row version with an entry in every index, but a scan of label_state with HOT updates instead costs
      -- a pass over every member whatever the day's activity, and loses on quiet days and large models;
      -- docs/bench-models.md)
      EXECUTE format('UPDATE %I.label_state l SET since_prev = 0
                       WHERE l.since_prev <> 0 AND NOT EXISTS (SELECT 1 FROM _rfm_cand c WHERE c.member_id = l.member_id)', ctx.s);
    END IF;
    PERFORM rfm._plan(replaced);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._refresh_label_state(rfm._refresh) IS
  'Internal: phase of rfm.refresh that writes label_totals and label_state';
CREATE OR REPLACE FUNCTION rfm._refresh_bi(INOUT ctx rfm._refresh)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k record;
BEGIN
  -- 11. the tier watch list and the BI views
  PERFORM rfm._progress(ctx.name, 'refreshing the BI views');
  IF ctx.tier_policy IS NULL THEN
    -- (emptied once the policy is removed from the options)
    EXECUTE format('DELETE FROM %I.tier_watch', ctx.s);
  ELSIF NOT ctx.relabel_some THEN
    EXECUTE format('TRUNCATE %1$I.tier_watch;
                    INSERT INTO %1$I.tier_watch
                    SELECT member_id, watch, (st).tier, (st).since, (st).next_review, (st).qualifying_spend,
                           (st).spend_to_keep, (st).next_tier, (st).spend_to_upgrade
                      FROM (SELECT member_id, tier_st AS st, rfm.tier_watch(tier_st, $1, $2, $3) AS watch
                              FROM _rfm_base WHERE (tier_st).tier IS NOT NULL) w
                     WHERE watch IS NOT NULL ORDER BY member_id', ctx.s)
      USING ctx.as_of, (rfm._option(ctx.m, 'tier_upgrade_gap') #>> '{}')::float8, (rfm._option(ctx.m, 'tier_risk_horizon') #>> '{}')::interval;
  END IF;
  EXECUTE format('REFRESH MATERIALIZED VIEW %1$I.segment_summary; REFRESH MATERIALIZED VIEW %1$I.lifecycle_summary;
                  REFRESH MATERIALIZED VIEW %1$I.flow; REFRESH MATERIALIZED VIEW %1$I.kpi;
                  REFRESH MATERIALIZED VIEW %1$I.dciu_lift; REFRESH MATERIALIZED VIEW %1$I.napl_dciu', ctx.s);
  DROP TABLE _rfm_base, _rfm_changed, _rfm_moves, _rfm_trans;
  -- (without a NOTICE for those this refresh did not make)
  FOR k IN SELECT t FROM unnest(ARRAY['_rfm_clv', '_rfm_old', '_rfm_cand', '_rfm_touched']) t
            WHERE to_regclass('pg_temp.' || t) IS NOT NULL LOOP
    EXECUTE format('DROP TABLE %I', k.t);
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._refresh_bi(rfm._refresh) IS
  'Internal: phase of rfm.refresh that writes the tier watch list and refreshes the BI views';
CREATE OR REPLACE FUNCTION rfm.next_run(schedule text, after timestamptz DEFAULT now()) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'rfm_next_run' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.next_run(text, timestamptz) IS
  'The first run of a schedule (cron expression, @daily etc., or interval) after a time; cron fields are read in the session TimeZone';
CREATE OR REPLACE FUNCTION rfm._wake_scheduler() RETURNS void
  AS 'MODULE_PATHNAME', 'rfm_wake_scheduler' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION rfm._wake_scheduler() IS
  'Internal: wake the scheduler''s launcher when the current transaction commits';
REVOKE ALL ON FUNCTION rfm._wake_scheduler() FROM PUBLIC;
CREATE OR REPLACE FUNCTION rfm._job_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'rfm_job_changed' LANGUAGE C;
COMMENT ON FUNCTION rfm._job_changed() IS
  'Internal: trigger of rfm.job that wakes the launcher when the change commits';
REVOKE ALL ON FUNCTION rfm._job_changed() FROM PUBLIC;
CREATE OR REPLACE FUNCTION rfm._job(id bigint) RETURNS rfm.job
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  j rfm.job;
BEGIN
  SELECT * INTO j FROM rfm.job WHERE job_id = id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'job % does not exist', id
      USING ERRCODE = 'undefined_object',
            HINT = coalesce('Jobs: ' || (SELECT string_agg(format('%s (model %s)', job_id, model), ', ' ORDER BY job_id) FROM rfm.job) || '.',
                            'Schedule a refresh with rfm.schedule(model, schedule).');
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION rfm._job(bigint) IS 'Internal: the job row of an id, or an error listing the jobs';
CREATE OR REPLACE FUNCTION rfm.schedule(model text, schedule text) RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(model);
  id bigint;
BEGIN
  IF schedule IS NULL THEN
    RAISE EXCEPTION 'schedule must not be NULL'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'To stop scheduled refreshes use rfm.unschedule(model).';
  END IF;
  PERFORM rfm.next_run(schedule, now());
  IF NOT pg_has_role(m.owner, 'USAGE') THEN
    RAISE EXCEPTION 'permission denied to schedule model "%"', model
      USING ERRCODE = 'insufficient_privilege', HINT = format('Only its owner %s or a superuser can schedule it.', m.owner);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = m.source) THEN
    RAISE EXCEPTION 'the source table of model "%" was dropped', model
      USING ERRCODE = 'undefined_table', HINT = 'Drop the model with rfm.drop_model and create it again on the new table.';
  END IF;
  IF NOT has_table_privilege(m.owner, m.source, 'SELECT') THEN
    RAISE EXCEPTION 'role % has no SELECT privilege on %, the source of model "%"', m.owner, m.source, model
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('Scheduled refreshes read the source as the model''s owner: GRANT SELECT ON %s TO %s.', m.source, m.owner);
  END IF;
  IF NOT coalesce((SELECT rolcanlogin FROM pg_roles WHERE oid = m.owner), false) THEN
    RAISE EXCEPTION 'role % cannot log in', m.owner
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('The scheduler connects as the model''s owner: ALTER ROLE %s LOGIN, or refresh the model with rfm.refresh from your own job runner.', m.owner);
  END IF;
  INSERT INTO rfm.job AS j (model, schedule, owner) VALUES (model, schedule, m.owner)
    ON CONFLICT ON CONSTRAINT job_model_key
    DO UPDATE SET schedule = excluded.schedule, owner = excluded.owner, active = true, next_run = NULL
    RETURNING j.job_id INTO id;
  RETURN id;
END $$;
COMMENT ON FUNCTION rfm.schedule(text, text) IS
  'Refresh a model on a schedule (cron expression, @daily etc., or interval), as the model''s owner; replaces its previous schedule; returns the job id';
CREATE OR REPLACE FUNCTION rfm.unschedule(model text) RETURNS boolean
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(model);
BEGIN
  IF NOT pg_has_role(m.owner, 'USAGE') THEN
    RAISE EXCEPTION 'permission denied to unschedule model "%"', model
      USING ERRCODE = 'insufficient_privilege', HINT = format('Only its owner %s or a superuser can unschedule it.', m.owner);
  END IF;
  DELETE FROM rfm.job j WHERE j.model = unschedule.model;
  RETURN FOUND;
END $$;
COMMENT ON FUNCTION rfm.unschedule(text) IS
  'Stop the scheduled refreshes of a model (its run history stays); false when it had no schedule';
CREATE OR REPLACE FUNCTION rfm._execute_run(id bigint) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r rfm.job_run;
  res record;
  msg text;
BEGIN
  SELECT * INTO r FROM rfm.job_run WHERE run_id = id;
  IF NOT FOUND OR r.status <> 'running' THEN
    RETURN r.status;
  END IF;
  BEGIN
    SELECT * INTO res FROM rfm.refresh(r.model);
    UPDATE rfm.job_run
       SET status = 'succeeded', ended = clock_timestamp(), members = res.members, rebuilt = res.rebuilt,
           changed = res.changed, elapsed = res.elapsed
     WHERE run_id = id AND status = 'running';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'run % was marked crashed while it ran', id;
    END IF;
    RETURN 'succeeded';
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    UPDATE rfm.job_run SET status = 'failed', ended = clock_timestamp(), message = msg
     WHERE run_id = id AND status = 'running';
    RETURN 'failed';
  END;
END $$;
COMMENT ON FUNCTION rfm._execute_run(bigint) IS
  'Internal: refresh the model of a running job_run row and record succeeded or failed (used by job workers and rfm.run_job)';
CREATE OR REPLACE FUNCTION rfm.run_job(job_id bigint) RETURNS rfm.job_run
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  j rfm.job := rfm._job(job_id);
  r rfm.job_run;
BEGIN
  INSERT INTO rfm.job_run (job_id, model, owner, pid) VALUES (j.job_id, j.model, j.owner, pg_backend_pid())
    RETURNING * INTO r;
  PERFORM rfm._execute_run(r.run_id);
  SELECT * INTO r FROM rfm.job_run WHERE run_id = r.run_id;
  RETURN r;
END $$;
COMMENT ON FUNCTION rfm.run_job(bigint) IS
  'Run a job now, in this session and transaction, with the caller''s rights; records and returns its job_run row (succeeded, or failed with the error)';
