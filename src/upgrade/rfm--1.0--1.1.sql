/*
 * rfm: update from 1.0 to 1.1.
 * Assembled by the Makefile (UPDATE_1_1_PARTS): this head, the parts that are
 * new in 1.1 as a fresh install runs them, src/model/model_1_1.sql (the
 * catalog changes, also part of a fresh install), and
 * src/model/model_functions.sql with CREATE OR REPLACE, so that the functions
 * of an updated installation are those of a fresh one. Models created by 1.0
 * are brought to the new layout by their next refresh (rfm._upgrade_model).
 * test/upgrade checks that an updated catalog equals a fresh install's.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.1'" to load this file. \quit

-- rfm._option (a SQL function with a standard body) depends on the row type of rfm.model, which
-- model_1_1.sql extends; it comes back with the other model functions below.
DROP FUNCTION rfm._option(rfm.model, text);

/*
 * src/tiers/tiers.sql
 * Tier ladders (rfm.tier_rule, the built-in ladder 'example') and their
 * replay: rfm.tier, rfm.tier_status, rfm.tier_check, rfm.tier_watch.
 * C in tiers.c; rules in docs/tiers.md.
 */
CREATE TABLE rfm.tier_rule (
  policy text NOT NULL,
  tier text NOT NULL,
  rank integer NOT NULL,
  min_spend numeric NOT NULL DEFAULT 0,
  min_orders integer,
  spend_window interval NOT NULL DEFAULT '1 year',
  review_every interval NOT NULL DEFAULT '1 year',
  review_anchor text NOT NULL DEFAULT 'anniversary',
  grace interval NOT NULL DEFAULT '0 days',
  one_step_down boolean NOT NULL DEFAULT false,
  builtin boolean NOT NULL DEFAULT true,
  PRIMARY KEY (policy, rank),
  UNIQUE (policy, tier),
  CONSTRAINT tier_rule_names_check CHECK (policy <> '' AND tier <> ''),
  CONSTRAINT tier_rule_min_spend_check CHECK (min_spend >= 0 AND min_spend < 'Infinity'),
  CONSTRAINT tier_rule_min_orders_check CHECK (min_orders > 0),
  CONSTRAINT tier_rule_review_anchor_check CHECK (review_anchor IN ('anniversary', 'calendar'))
);
COMMENT ON TABLE rfm.tier_rule IS
  'Tier ladders: the rows of a policy, by rank; the lowest rank is the entry tier (min_spend 0). Add a policy by inserting its tiers';
COMMENT ON COLUMN rfm.tier_rule.policy IS 'Name of the ladder (example is built in)';
COMMENT ON COLUMN rfm.tier_rule.tier IS 'Tier name returned by rfm.tier';
COMMENT ON COLUMN rfm.tier_rule.rank IS 'Order of the tiers, higher is better; unique in a policy';
COMMENT ON COLUMN rfm.tier_rule.min_spend IS 'Qualifying spend (net spend in the rolling spend_window) that reaches the tier; 0 for the entry tier, increasing with rank';
COMMENT ON COLUMN rfm.tier_rule.min_orders IS 'Alternative criterion: this many orders in the window also reach the tier (NULL = spend only)';
COMMENT ON COLUMN rfm.tier_rule.spend_window IS 'Rolling window of the qualifying spend (same on every tier of a policy)';
COMMENT ON COLUMN rfm.tier_rule.review_every IS 'Time between downgrade reviews (same on every tier of a policy)';
COMMENT ON COLUMN rfm.tier_rule.review_anchor IS 'anniversary: review_every after the last tier change; calendar: at the calendar boundaries of review_every (same on every tier)';
COMMENT ON COLUMN rfm.tier_rule.grace IS 'A downgrade decided at a review takes effect this long after it, unless the member qualifies again meanwhile (0 = at once)';
COMMENT ON COLUMN rfm.tier_rule.one_step_down IS 'At most one tier down per review';
COMMENT ON COLUMN rfm.tier_rule.builtin IS 'Row installed by the extension (not dumped by pg_dump); user rows are false';

-- the documented example ladder (docs/tiers.md)
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES
  ('example', 'base', 1, 0),
  ('example', 'silver', 2, 100),
  ('example', 'gold', 3, 250),
  ('example', 'platinum', 4, 500);
ALTER TABLE rfm.tier_rule ALTER COLUMN builtin SET DEFAULT false;
SELECT pg_catalog.pg_extension_config_dump('rfm.tier_rule', 'WHERE NOT builtin');
GRANT SELECT ON rfm.tier_rule TO PUBLIC;

CREATE TYPE rfm.tier_state AS (
  tier text,
  since date,
  next_review date,
  qualifying_spend double precision,
  spend_to_keep double precision,
  next_tier text,
  spend_to_upgrade double precision
);
COMMENT ON TYPE rfm.tier_state IS
  'A member''s tier at as_of: since when, the next review, the net spend in the window, the spend still needed by the next review to keep the tier, the next tier and the spend that reaches it';

CREATE FUNCTION rfm.tier_check(policy text) RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_tier_check' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.tier_check(text) IS
  'Validate a tier policy of rfm.tier_rule (an ERROR with a hint says what to fix) and describe it in one line';

CREATE FUNCTION rfm.tier(p rfm.purchases, as_of date, policy text) RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_tier' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.tier(rfm.purchases, date, text) IS
  'Tier of a member at as_of under a policy of rfm.tier_rule, replayed from the first purchase (STABLE: it reads the table); NULL before the first purchase';

CREATE FUNCTION rfm.tier_status(p rfm.purchases, as_of date, policy text) RETURNS rfm.tier_state
  AS 'MODULE_PATHNAME', 'rfm_tier_status' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.tier_status(rfm.purchases, date, text) IS
  '(tier, since, next_review, qualifying_spend, spend_to_keep, next_tier, spend_to_upgrade) at as_of under a policy, replayed; NULL before the first purchase';

CREATE FUNCTION rfm.tier_watch(s rfm.tier_state, as_of date, upgrade_gap double precision,
                               risk_horizon interval DEFAULT NULL) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN (s).spend_to_keep > 0
         AND (risk_horizon IS NULL OR (s).next_review <= as_of + risk_horizon) THEN 'at_risk'
    WHEN (s).spend_to_upgrade <= upgrade_gap THEN 'near_upgrade'
  END;
COMMENT ON FUNCTION rfm.tier_watch(rfm.tier_state, date, double precision, interval) IS
  'at_risk: short of the spend that keeps the tier at a next review within risk_horizon of as_of (NULL = any); near_upgrade: spend_to_upgrade <= upgrade_gap; else NULL';

-- a ladder is checked when the transaction that changes it commits
CREATE FUNCTION rfm._tier_rule_check() RETURNS trigger
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
CREATE CONSTRAINT TRIGGER tier_rule_check AFTER INSERT OR UPDATE OR DELETE ON rfm.tier_rule
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rfm._tier_rule_check();
COMMENT ON TRIGGER tier_rule_check ON rfm.tier_rule IS
  'Validates every changed policy at commit: ranks, increasing thresholds, one entry tier, shared review settings';
/*
 * src/intent/intent.sql
 * Purchase intent: the rfm.intent type, its aggregates, the intent score,
 * DCIU buckets, their explanation, calibration and lift (C in this folder).
 */

-- the type
CREATE TYPE rfm.intent;

CREATE FUNCTION rfm.intent_in(cstring) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_out(rfm.intent) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_intent_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_recv(internal) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_send(rfm.intent) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_intent_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE rfm.intent (
  INPUT = rfm.intent_in,
  OUTPUT = rfm.intent_out,
  RECEIVE = rfm.intent_recv,
  SEND = rfm.intent_send,
  INTERNALLENGTH = VARIABLE,
  ALIGNMENT = int4,
  STORAGE = extended
);

COMMENT ON TYPE rfm.intent IS
  'A member''s browsing events counted per event kind and hour (UTC). Text form {kind:YYYY-MM-DDTHHZ:count,...}';
COMMENT ON FUNCTION rfm.intent_in(cstring) IS 'Text input of rfm.intent (strictly validated)';
COMMENT ON FUNCTION rfm.intent_out(rfm.intent) IS 'Text output of rfm.intent (round-trips exactly)';
COMMENT ON FUNCTION rfm.intent_recv(internal) IS 'Binary input of rfm.intent (strictly validated)';
COMMENT ON FUNCTION rfm.intent_send(rfm.intent) IS 'Binary output of rfm.intent';

-- equality and hashing
CREATE FUNCTION rfm.intent_eq(rfm.intent, rfm.intent) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_intent_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_ne(rfm.intent, rfm.intent) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_intent_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_hash(rfm.intent) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_intent_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rfm.= (
  LEFTARG = rfm.intent, RIGHTARG = rfm.intent, FUNCTION = rfm.intent_eq,
  COMMUTATOR = OPERATOR(rfm.=), NEGATOR = OPERATOR(rfm.<>),
  RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR rfm.<> (
  LEFTARG = rfm.intent, RIGHTARG = rfm.intent, FUNCTION = rfm.intent_ne,
  COMMUTATOR = OPERATOR(rfm.<>), NEGATOR = OPERATOR(rfm.=),
  RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS rfm.intent_hash_ops DEFAULT FOR TYPE rfm.intent USING hash AS
  OPERATOR 1 rfm.= (rfm.intent, rfm.intent),
  FUNCTION 1 rfm.intent_hash(rfm.intent);

COMMENT ON FUNCTION rfm.intent_eq(rfm.intent, rfm.intent) IS 'True when two intents have the same counts in the same hours';
COMMENT ON FUNCTION rfm.intent_ne(rfm.intent, rfm.intent) IS 'True when two intents differ';
COMMENT ON FUNCTION rfm.intent_hash(rfm.intent) IS 'Hash of an intent, for hash joins, grouping and EXCEPT';
COMMENT ON OPERATOR rfm.= (rfm.intent, rfm.intent) IS 'Same intent';
COMMENT ON OPERATOR rfm.<> (rfm.intent, rfm.intent) IS 'Different intent';
COMMENT ON OPERATOR CLASS rfm.intent_hash_ops USING hash IS 'Hash equality of intents';
COMMENT ON OPERATOR FAMILY rfm.intent_hash_ops USING hash IS 'Hash equality of intents';

-- aggregation: one row = one event
CREATE FUNCTION rfm.intent_trans(internal, text, timestamptz) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_union_trans(internal, rfm.intent) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_union_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_intent_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_final(internal) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION rfm.intent_trans(internal, text, timestamptz) IS 'Transition function of rfm.intent_agg';
COMMENT ON FUNCTION rfm.intent_union_trans(internal, rfm.intent) IS 'Transition function of rfm.intent_union';
COMMENT ON FUNCTION rfm.intent_combine(internal, internal) IS 'Combine function of the intent aggregates (parallel and partial aggregation)';
COMMENT ON FUNCTION rfm.intent_serialize(internal) IS 'Serialize function of the intent aggregates';
COMMENT ON FUNCTION rfm.intent_deserialize(bytea, internal) IS 'Deserialize function of the intent aggregates (validates the bytes)';
COMMENT ON FUNCTION rfm.intent_final(internal) IS 'Final function of the intent aggregates';

CREATE AGGREGATE rfm.intent_agg(event text, ts timestamptz) (
  SFUNC = rfm.intent_trans, STYPE = internal, SSPACE = 64,
  FINALFUNC = rfm.intent_final, COMBINEFUNC = rfm.intent_combine,
  SERIALFUNC = rfm.intent_serialize, DESERIALFUNC = rfm.intent_deserialize,
  PARALLEL = SAFE
);
CREATE AGGREGATE rfm.intent_union(rfm.intent) (
  SFUNC = rfm.intent_union_trans, STYPE = internal, SSPACE = 64,
  FINALFUNC = rfm.intent_final, COMBINEFUNC = rfm.intent_combine,
  SERIALFUNC = rfm.intent_serialize, DESERIALFUNC = rfm.intent_deserialize,
  PARALLEL = SAFE
);

COMMENT ON AGGREGATE rfm.intent_agg(text, timestamptz) IS
  'Events (view, search, favorite, cart_add, cart_remove, checkout, purchase) counted per kind and UTC hour; NULL rows ignored, other names are errors';
COMMENT ON AGGREGATE rfm.intent_union(rfm.intent) IS
  'Merge of intents (shards, incremental refresh): counts are summed';

-- scoring
CREATE FUNCTION rfm.intent_default_weights() RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_intent_default_weights' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_default_weights() IS
  'The built-in event weights {view, search, favorite, cart_add, cart_remove, checkout} = {1, 2, 3, 5, 0.5, 8}';

CREATE FUNCTION rfm.intent_weights(overrides jsonb) RETURNS double precision[]
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

CREATE FUNCTION rfm.intent_score(i rfm.intent, as_of timestamptz, half_life interval DEFAULT '3 days',
                                 horizon interval DEFAULT '14 days') RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_intent_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_score(i rfm.intent, as_of timestamptz, half_life interval, horizon interval,
                                 weights double precision[]) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_intent_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_score(rfm.intent, timestamptz, interval, interval) IS
  'Time-decayed weighted count of the events after the last purchase, in hours ended within (as_of - horizon, as_of]; default weights';
COMMENT ON FUNCTION rfm.intent_score(rfm.intent, timestamptz, interval, interval, double precision[]) IS
  'rfm.intent_score with weights {view, search, favorite, cart_add, cart_remove, checkout} (see rfm.intent_weights)';

CREATE TYPE rfm.dciu_bucket AS ENUM ('D', 'C', 'I', 'U');
COMMENT ON TYPE rfm.dciu_bucket IS
  'Purchase intent (91APP DCIU): D deciding, C considering, I interested, U uninterested (no counted event, or just bought)';

CREATE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[], half_life interval,
                         horizon interval) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[], half_life interval,
                         horizon interval, weights double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu(score double precision, cuts double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu_of_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[]) IS
  'DCIU bucket at as_of with cuts {I, C, D} (lower bounds, 0 < I < C < D), half-life 3 days, horizon 14 days, default weights';
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[], interval, interval) IS
  'DCIU bucket at as_of with cuts {I, C, D}, the given half-life and horizon, default weights';
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[], interval, interval, double precision[]) IS
  'DCIU bucket at as_of with cuts {I, C, D}, the given half-life, horizon and weights';
COMMENT ON FUNCTION rfm.dciu(double precision, double precision[]) IS
  'DCIU bucket of an intent score already computed: D >= cuts[3], C >= cuts[2], I >= cuts[1], else U';

CREATE FUNCTION rfm.dciu_explain(i rfm.intent, as_of timestamptz, cuts double precision[],
                                 half_life interval DEFAULT '3 days', horizon interval DEFAULT '14 days')
  RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_dciu_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_explain(i rfm.intent, as_of timestamptz, cuts double precision[],
                                 half_life interval, horizon interval, weights double precision[])
  RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_dciu_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_explain(rfm.intent, timestamptz, double precision[], interval, interval) IS
  'Why a member is in its DCIU bucket: the score, the cuts, and per event kind the events counted and their share of the score';
COMMENT ON FUNCTION rfm.dciu_explain(rfm.intent, timestamptz, double precision[], interval, interval, double precision[]) IS
  'rfm.dciu_explain with weights {view, search, favorite, cart_add, cart_remove, checkout}';

-- calibration: choose the cuts on replayed history
CREATE FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean, double precision, double precision)
  RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_final(internal) RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean) IS 'Transition function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean, double precision, double precision) IS
  'Transition function of rfm.dciu_calibrate with target shares';
COMMENT ON FUNCTION rfm.dciu_calibrate_combine(internal, internal) IS 'Combine function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_serialize(internal) IS 'Serialize function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_deserialize(bytea, internal) IS 'Deserialize function of rfm.dciu_calibrate (validates the bytes)';
COMMENT ON FUNCTION rfm.dciu_calibrate_final(internal) IS 'Final function of rfm.dciu_calibrate: picks the cuts';

CREATE AGGREGATE rfm.dciu_calibrate(score double precision, bought boolean) (
  SFUNC = rfm.dciu_calibrate_trans, STYPE = internal,
  FINALFUNC = rfm.dciu_calibrate_final, FINALFUNC_MODIFY = READ_WRITE,
  COMBINEFUNC = rfm.dciu_calibrate_combine,
  SERIALFUNC = rfm.dciu_calibrate_serialize, DESERIALFUNC = rfm.dciu_calibrate_deserialize,
  PARALLEL = SAFE
);
CREATE AGGREGATE rfm.dciu_calibrate(score double precision, bought boolean, d_share double precision,
                                    c_share double precision) (
  SFUNC = rfm.dciu_calibrate_trans, STYPE = internal,
  FINALFUNC = rfm.dciu_calibrate_final, FINALFUNC_MODIFY = READ_WRITE,
  COMBINEFUNC = rfm.dciu_calibrate_combine,
  SERIALFUNC = rfm.dciu_calibrate_serialize, DESERIALFUNC = rfm.dciu_calibrate_deserialize,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm.dciu_calibrate(double precision, boolean) IS
  'DCIU cuts {I, C, D} from (score at a past time, bought afterwards) per member: D the top 2.5 %, C the next 5 %, I the other positive scores, purchase rates ordered D > C > I > U';
COMMENT ON AGGREGATE rfm.dciu_calibrate(double precision, boolean, double precision, double precision) IS
  'rfm.dciu_calibrate with the target shares of D and C (fractions of all members)';

-- lift: what each bucket is worth in the next period
CREATE TYPE rfm.dciu_lift_row AS (
  bucket rfm.dciu_bucket,
  members bigint,
  share_of_members double precision,
  buyers bigint,
  share_of_buyers double precision,
  revenue double precision,
  share_of_revenue double precision,
  purchase_rate double precision,
  lift double precision);
COMMENT ON TYPE rfm.dciu_lift_row IS
  'One bucket of a DCIU lift table: members, next-period buyers and revenue, their shares of the totals, the purchase rate and its ratio to the overall rate';

CREATE FUNCTION rfm.dciu_lift_trans(internal, rfm.dciu_bucket, boolean, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_lift_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_lift_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_lift_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_lift_final(internal) RETURNS rfm.dciu_lift_row[]
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_lift_trans(internal, rfm.dciu_bucket, boolean, double precision) IS 'Transition function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_combine(internal, internal) IS 'Combine function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_serialize(internal) IS 'Serialize function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_deserialize(bytea, internal) IS 'Deserialize function of rfm.dciu_lift_agg (validates the bytes)';
COMMENT ON FUNCTION rfm.dciu_lift_final(internal) IS 'Final function of rfm.dciu_lift_agg';

CREATE AGGREGATE rfm.dciu_lift_agg(bucket rfm.dciu_bucket, bought boolean, revenue double precision) (
  SFUNC = rfm.dciu_lift_trans, STYPE = internal,
  FINALFUNC = rfm.dciu_lift_final, COMBINEFUNC = rfm.dciu_lift_combine,
  SERIALFUNC = rfm.dciu_lift_serialize, DESERIALFUNC = rfm.dciu_lift_deserialize,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm.dciu_lift_agg(rfm.dciu_bucket, boolean, double precision) IS
  'DCIU lift table, one rfm.dciu_lift_row per bucket (D, C, I, U): per member its bucket at a past time, whether it bought and its revenue afterwards';
/*
 * Lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma (SPEC section 5).
 * C in clv_math.c (special functions, likelihoods, optimiser, formulas),
 * clv_fit.c (aggregates) and clv_predict.c.  docs/clv.md has the formulas.
 */

-- Models.  The fit diagnostics follow the SPEC fields: iterations (BFGS
-- iterations over all starts), grad_norm (norm of the gradient of ll on the
-- log-parameters at the result), converged.
CREATE TYPE rfm.bgnbd AS (r double precision, alpha double precision, a double precision, b double precision,
  ll double precision, n bigint, iterations integer, grad_norm double precision, converged boolean);
CREATE TYPE rfm.pnbd AS (r double precision, alpha double precision, s double precision, beta double precision,
  ll double precision, n bigint, iterations integer, grad_norm double precision, converged boolean);
CREATE TYPE rfm.gamma_gamma AS (p double precision, q double precision, v double precision,
  ll double precision, n bigint, iterations integer, grad_norm double precision, converged boolean);
COMMENT ON TYPE rfm.bgnbd IS
  'A BG/NBD model (Fader, Hardie & Lee 2005): r, alpha (purchase rate), a, b (dropout); ll the log-likelihood of the fit over n members, then the fit diagnostics';
COMMENT ON TYPE rfm.pnbd IS
  'A Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): r, alpha (purchase rate), s, beta (lifetime); ll the log-likelihood of the fit over n members, then the fit diagnostics';
COMMENT ON TYPE rfm.gamma_gamma IS
  'A Gamma-Gamma spend model (Fader, Hardie & Lee 2005): p, q, v (gamma in the papers); ll the log-likelihood over n repeaters, then the fit diagnostics';

-- Models from given parameters (no fit: ll, n and the diagnostics are NULL).
CREATE FUNCTION rfm.bgnbd(r double precision, alpha double precision, a double precision, b double precision)
  RETURNS rfm.bgnbd LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(r, alpha, a, b, NULL, NULL, NULL, NULL, NULL)::rfm.bgnbd;
CREATE FUNCTION rfm.pnbd(r double precision, alpha double precision, s double precision, beta double precision)
  RETURNS rfm.pnbd LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(r, alpha, s, beta, NULL, NULL, NULL, NULL, NULL)::rfm.pnbd;
CREATE FUNCTION rfm.gamma_gamma(p double precision, q double precision, v double precision)
  RETURNS rfm.gamma_gamma LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(p, q, v, NULL, NULL, NULL, NULL, NULL)::rfm.gamma_gamma;
COMMENT ON FUNCTION rfm.bgnbd(double precision, double precision, double precision, double precision) IS
  'A BG/NBD model with the given parameters (e.g. published ones), for the prediction functions';
COMMENT ON FUNCTION rfm.pnbd(double precision, double precision, double precision, double precision) IS
  'A Pareto/NBD model with the given parameters (e.g. published ones), for the prediction functions';
COMMENT ON FUNCTION rfm.gamma_gamma(double precision, double precision, double precision) IS
  'A Gamma-Gamma model with the given parameters (e.g. published ones), for rfm.expected_spend and rfm.clv';

-- Fitting aggregates.  The state is the distinct (x, t_x, t) cells with
-- member counts; NULL rows are skipped (and counted).
CREATE FUNCTION rfm.clv_btyd_trans(internal, double precision, double precision, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_btyd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.clv_gg_trans(internal, double precision, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_gg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.clv_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.clv_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_clv_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.bgnbd_final(internal) RETURNS rfm.bgnbd
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.pnbd_final(internal) RETURNS rfm.pnbd
  AS 'MODULE_PATHNAME', 'rfm_pnbd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.gamma_gamma_final(internal) RETURNS rfm.gamma_gamma
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

CREATE AGGREGATE rfm.bgnbd_fit(x double precision, t_x double precision, t double precision) (
  SFUNC = rfm.clv_btyd_trans, STYPE = internal, SSPACE = 4096,
  FINALFUNC = rfm.bgnbd_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  SERIALFUNC = rfm.clv_serialize, DESERIALFUNC = rfm.clv_deserialize,
  PARALLEL = SAFE);
CREATE AGGREGATE rfm.pnbd_fit(x double precision, t_x double precision, t double precision) (
  SFUNC = rfm.clv_btyd_trans, STYPE = internal, SSPACE = 4096,
  FINALFUNC = rfm.pnbd_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  SERIALFUNC = rfm.clv_serialize, DESERIALFUNC = rfm.clv_deserialize,
  PARALLEL = SAFE);
CREATE AGGREGATE rfm.gamma_gamma_fit(x double precision, monetary double precision) (
  SFUNC = rfm.clv_gg_trans, STYPE = internal, SSPACE = 4096,
  FINALFUNC = rfm.gamma_gamma_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  SERIALFUNC = rfm.clv_serialize, DESERIALFUNC = rfm.clv_deserialize,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE rfm.bgnbd_fit(double precision, double precision, double precision) IS
  'Maximum likelihood BG/NBD fit over members (x, t_x, t); rows with a NULL are skipped; WARNING and converged = false when the fit does not converge';
COMMENT ON AGGREGATE rfm.pnbd_fit(double precision, double precision, double precision) IS
  'Maximum likelihood Pareto/NBD fit over members (x, t_x, t); rows with a NULL are skipped; WARNING and converged = false when the fit does not converge';
COMMENT ON AGGREGATE rfm.gamma_gamma_fit(double precision, double precision) IS
  'Maximum likelihood Gamma-Gamma fit over repeaters (x, mean repeat spend); rows with x = 0 or a NULL are skipped';

-- Predictions.  STRICT: a NULL model or argument gives NULL.
CREATE FUNCTION rfm.p_alive(m rfm.bgnbd, x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.p_alive(m rfm.pnbd, x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_purchases(m rfm.bgnbd, horizon double precision,
    x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_purchases(m rfm.pnbd, horizon double precision,
    x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_purchases(m rfm.bgnbd, horizon double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_purchases(m rfm.pnbd, horizon double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_spend(g rfm.gamma_gamma, x double precision, monetary double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv(m rfm.bgnbd, g rfm.gamma_gamma, x double precision, t_x double precision, t double precision,
    monetary double precision, horizon double precision, discount_rate double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv(m rfm.pnbd, g rfm.gamma_gamma, x double precision, t_x double precision, t double precision,
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
/*
 * src/model/model_1_1.sql
 * What rfm 1.1 changes in the models' catalog. Part of a fresh install and of
 * the update script from 1.0 alike, so both end with the same catalog.
 */

-- models created by 1.0 have layout 1: their next refresh brings them to 2 (rfm._upgrade_model)
ALTER TABLE rfm.model ADD COLUMN layout integer NOT NULL DEFAULT 1;
ALTER TABLE rfm.model ALTER COLUMN layout SET DEFAULT 2;
COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = created by rfm 1.0 (brought to 2 by its next refresh), 2 = rfm 1.1';

INSERT INTO rfm.model_option VALUES
  ('tier_policy', 'null', 'policy of rfm.tier_rule for the tier label (e.g. "example"); null = no tiers'),
  ('tier_upgrade_gap', '50', 'tier_watch lists a member as near_upgrade when the spend that reaches the next tier is at most this'),
  ('tier_risk_horizon', '"30 days"', 'tier_watch lists a member as at_risk when short of the spend that keeps the tier at a review within this interval (null = any review)');

INSERT INTO rfm.model_option VALUES
  ('events', 'null', 'browsing events for the DCIU label: {"relation": "events", "member_column": "member_id", "event_column": "event", "time_column": "occurred_at", "event_names": {"pv": "view"}} (column names default to these; event_names maps names of your own to those of rfm.intent_agg); null = no DCIU'),
  ('dciu_half_life', '"3 days"', 'half-life of the intent score (rfm.intent_score)'),
  ('dciu_horizon', '"14 days"', 'horizon of the intent score, and the period over which the DCIU cuts are calibrated'),
  ('dciu_cuts', 'null', 'fixed DCIU cuts [I, C, D] on the intent score; null = calibrated at each refresh on the model''s own history'),
  ('dciu_weights', 'null', 'event weights of the intent score, as rfm.intent_weights takes them ({"cart_add": 8}); null = the defaults');

INSERT INTO rfm.model_option VALUES
  ('clv', 'false', 'fit a lifetime value model at each refresh (calibration end = as_of) and add p_alive, expected_purchases and clv to labels'),
  ('clv_model', '"bgnbd"', 'purchase model of the lifetime value: bgnbd (BG/NBD) or pnbd (Pareto/NBD); spend is always Gamma-Gamma'),
  ('clv_unit_days', '7', 'time unit of the lifetime value fits in days (7 = weeks, as in the literature)'),
  ('clv_horizon', '52', 'horizon of expected_purchases and clv, in time units'),
  ('clv_discount_rate', '0', 'discount rate of clv per time unit (0.0019 a week is about 10 % a year)');
/*
 * src/model/model_functions.sql
 * Models: rfm.create_model, change capture, rfm.refresh, label history,
 * rfm.migration and the BI views, rfm.drop_model.
 *
 * Only functions live here: the update script from 1.0 is built from this
 * file with CREATE OR REPLACE (see the Makefile), so a change here reaches
 * upgraded installations without being written twice.
 */

-- The model row of name, or an error that lists the models the caller sees.
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

-- An option of a model: the model's value, else the default.
CREATE OR REPLACE FUNCTION rfm._option(m rfm.model, option text) RETURNS jsonb
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  RETURN coalesce(m.options -> option, (SELECT default_value FROM rfm.model_option WHERE name = option));
COMMENT ON FUNCTION rfm._option(rfm.model, text) IS 'Internal: an option of a model, or its default';

-- Validate options: known names and usable values.
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

-- The browsing events of a model (option events), checked: the relation exists and is a table the
-- caller can read and put triggers on, with its member, event and time columns. NULL without the option.
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

-- The objects of a model's schema that rfm 1.1 added: the transitions of every refresh, the flow view over
-- them, the tier watch list, the intent state and the DCIU and lifetime value columns, tables and views. Created by rfm.create_model, and by the first refresh of a model that
-- rfm 1.0 created (rfm._upgrade_model).
CREATE OR REPLACE FUNCTION rfm._model_objects_1_1(s text, member_type text, model_name text) RETURNS void
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
COMMENT ON FUNCTION rfm._model_objects_1_1(text, text, text) IS
  'Internal: create the objects rfm 1.1 added to a model schema: transitions, flow over them, tier_watch, the intent, CLV and DCIU columns, dciu_lifts, dciu_lift, napl_dciu';

-- Bring a model that rfm 1.0 created to the current layout: the flow view becomes a view of the new
-- transitions table, which is filled for the past refreshes from the history (as rfm.migration computes
-- them), and the tier_watch table is added. Run by the model's next refresh, with the refresher's rights;
-- the new objects are given to the model's owner like the rest of its schema.
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
  EXECUTE format('DROP MATERIALIZED VIEW %I.flow', s);
  PERFORM rfm._model_objects_1_1(s, member_type, m.name);
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
  -- whatever this created belongs to the model's owner, like the rest of its schema
  FOR o IN SELECT format('ALTER %s %s OWNER TO %s', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                         c.oid::regclass, m.owner)
             FROM pg_class c
            WHERE c.relnamespace = s::regnamespace AND c.relkind IN ('r', 'm') AND c.relowner <> m.owner LOOP
    EXECUTE o;
  END LOOP;
  UPDATE rfm.model SET layout = 2 WHERE name = m.name;
END $$;
COMMENT ON FUNCTION rfm._upgrade_model(rfm.model) IS
  'Internal: bring a model created by rfm 1.0 to the current layout (transitions, flow over them, tier_watch); run by its next refresh';

-- Change capture of a model on one relation: trigger function s.func(), owned by the model's owner and
-- SECURITY DEFINER (search_path pinned) so that roles writing the relation need no rights on the model,
-- which records the members a statement touched (their column cast to the model's member type) in
-- s.changes, or marks the model for a full rebuild on TRUNCATE; and its four statement triggers, named by
-- trigger_names for INSERT, UPDATE, DELETE and TRUNCATE.
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
  ev := rfm._events(options);
  IF ev.relation IS NOT NULL THEN
    -- kept schema-qualified, whatever the search_path of later refreshes
    options := jsonb_set(options, '{events,relation}', to_jsonb(ev.relation::text));
  END IF;

  INSERT INTO rfm.model (name, source, member_column, time_column, amount_column, options)
  VALUES (name, source, member_column, time_column, amount_column, options);

  EXECUTE format('CREATE SCHEMA %I', s);
  EXECUTE format('COMMENT ON SCHEMA %I IS %L', s, format('rfm model %s on %s', name, source));
  EXECUTE format($f$
    CREATE TABLE %1$I.members (member_id %2$s PRIMARY KEY, purchases rfm.purchases NOT NULL);
    COMMENT ON TABLE %1$I.members IS 'Per-member state of model %3$s: the purchase history (rfm.purchases) rebuilt from %4$s';
    CREATE TABLE %1$I.changes (member_id %2$s);
    COMMENT ON TABLE %1$I.changes IS 'Members touched in %4$s since the last refresh (filled by statement triggers)';
    CREATE TABLE %1$I.refreshes (
      refresh_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, as_of date NOT NULL, full_rebuild boolean NOT NULL,
      started timestamptz NOT NULL, finished timestamptz NOT NULL, members bigint NOT NULL, rebuilt bigint NOT NULL,
      changed bigint NOT NULL, fallback_cycle double precision, value_reference jsonb NOT NULL,
      revenue double precision, active_rate double precision, repurchase_rate double precision,
      churn_rate double precision, n_to_a_rate double precision, p_to_a_rate double precision,
      top20_revenue_share double precision);
    COMMENT ON TABLE %1$I.refreshes IS 'One row per refresh of model %3$s';
    CREATE TABLE %1$I.labels (
      member_id %2$s PRIMARY KEY, as_of date NOT NULL, recency integer, frequency integer, monetary double precision,
      r_score integer, f_score integer, m_score integer, segment text, value_segment text,
      napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text);
    COMMENT ON TABLE %1$I.labels IS 'Labels of every member with a purchase by the last refresh''s as_of (model %3$s)';
    CREATE TABLE %1$I.label_history (
      member_id %2$s NOT NULL, valid_from date NOT NULL, valid_to date,
      r_score integer, f_score integer, m_score integer, segment text, value_segment text,
      napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text,
      PRIMARY KEY (member_id, valid_from));
    CREATE INDEX ON %1$I.label_history (valid_from);
    COMMENT ON TABLE %1$I.label_history IS 'Label changes as validity ranges [valid_from, valid_to): the labels of any past refresh (model %3$s)';
    CREATE TABLE %1$I.cutpoints (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL,
      breaks double precision[], members_per_score bigint[] NOT NULL, PRIMARY KEY (refresh_id, dimension));
    COMMENT ON TABLE %1$I.cutpoints IS 'Cut points (NULL for ntile scoring) and members per score of every refresh (model %3$s)';
  $f$, s, member_type, name, source);

  -- BI views over the labels and their history
  EXECUTE format($f$
    CREATE MATERIALIZED VIEW %1$I.segment_summary AS
      SELECT l.segment, rfm.label_name('segment', l.segment) AS segment_name, count(*) AS members,
             round(count(*) / sum(count(*)) OVER (), 4) AS share_of_members,
             sum(l.monetary) AS revenue, sum(l.monetary) / nullif(sum(sum(l.monetary)) OVER (), 0) AS share_of_revenue,
             avg(l.recency) AS avg_recency, avg(l.frequency) AS avg_frequency, avg(l.monetary) AS avg_monetary
        FROM %1$I.labels l GROUP BY l.segment WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.segment_summary IS 'Members, revenue and average R/F/M per segment at the last refresh';
    CREATE MATERIALIZED VIEW %1$I.lifecycle_summary AS
      SELECT l.napl, l.nes, l.value_segment, count(*) AS members, sum(l.monetary) AS revenue
        FROM %1$I.labels l GROUP BY l.napl, l.nes, l.value_segment WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.lifecycle_summary IS 'Members and revenue per NAPL stage × NES stage × value segment at the last refresh';
    CREATE MATERIALIZED VIEW %1$I.kpi AS
      SELECT refresh_id, as_of, members, revenue, active_rate, repurchase_rate, churn_rate,
             n_to_a_rate, p_to_a_rate, top20_revenue_share
        FROM %1$I.refreshes WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.kpi IS 'One row per refresh: members, revenue, active rate, repurchase rate, churn, N→A conversion, P→A wake-up, revenue share of the top 20 %% of members';
  $f$, s, name);

  PERFORM rfm._model_objects_1_1(s, member_type, name);

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
BEGIN
  IF to_regclass(m.source::text) IS NOT NULL THEN
    FOREACH t IN ARRAY ARRAY['_ins', '_upd', '_del', '_trunc'] LOOP
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', s || t, m.source);
    END LOOP;
  END IF;
  IF to_regclass(m.options -> 'events' ->> 'relation') IS NOT NULL THEN
    FOREACH t IN ARRAY ARRAY['_ev_insert', '_ev_update', '_ev_delete', '_ev_truncate'] LOOP
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', s || t, to_regclass(m.options -> 'events' ->> 'relation'));
    END LOOP;
  END IF;
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s);
  DELETE FROM rfm.model WHERE rfm.model.name = drop_model.name;
END $$;
COMMENT ON FUNCTION rfm.drop_model(text) IS 'Drop a model: its schema, its triggers on the source and its catalog row';

-- Progress of a refresh: NOTICE (seen at client_min_messages = notice) and pg_stat_activity.
CREATE OR REPLACE FUNCTION rfm._progress(model_name text, message text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE NOTICE 'rfm.refresh(%): %', model_name, message;
  PERFORM rfm.report_progress(format('rfm.refresh(%s): %s', model_name, message));
END $$;
COMMENT ON FUNCTION rfm._progress(text, text) IS 'Internal: report a refresh phase as a NOTICE and in pg_stat_activity';

-- The labels of a model valid on day d, from its label history.
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

CREATE OR REPLACE FUNCTION rfm.refresh(name text, as_of date DEFAULT current_date, "full" boolean DEFAULT false,
                            OUT members bigint, OUT rebuilt bigint, OUT changed bigint, OUT elapsed interval)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model;
  s text := 'rfm_' || name;
  started timestamptz := clock_timestamp();
  last_as_of date;
  prev_as_of date;
  since_prev interval;
  amount_expr text;
  win interval;
  bins int;
  scoring text;
  seg_map text;
  vref jsonb;
  napl_w interval;
  nes_mult float8[];
  nes_cycle text;
  fallback float8;
  rb float8[]; fb float8[]; mb float8[];
  ref_r float8; ref_f float8; ref_m float8;
  revenue float8;
  tier_policy text;
  ev record;
  events_sql text;
  purchases_sql text;
  rebuild_all boolean;
  member_type text;
  intent_ts timestamptz;
  dciu_hl interval;
  dciu_hz interval;
  dciu_w float8[];
  dciu_cuts float8[];
  lift rfm.dciu_lift_row[];
  clv_on boolean;
  clv_pnbd boolean;
  clv_unit float8;
  clv_h float8;
  clv_d float8;
  fit_b rfm.bgnbd;
  fit_p rfm.pnbd;
  fit_g rfm.gamma_gamma;
  clv_sql text;
  score_sql text;
  rid bigint;
  k record;
BEGIN
  IF as_of IS NULL OR NOT isfinite(as_of) THEN
    RAISE EXCEPTION 'as_of must be a finite date, not %', coalesce(as_of::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Refresh as of a day, e.g. current_date.';
  END IF;
  m := rfm._model(name);
  -- one refresh of a model at a time; a second one waits for the first to commit
  PERFORM pg_advisory_xact_lock(hashtext('rfm.refresh'), hashtext(name));
  m := rfm._model(name);
  IF m.layout < 2 THEN
    PERFORM rfm._progress(name, 'upgrading the model''s schema to the layout of rfm 1.1');
    PERFORM rfm._upgrade_model(m);
  END IF;

  -- the source must still be there, with its columns
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = m.source) THEN
    RAISE EXCEPTION 'the source table of model "%" was dropped', name
      USING ERRCODE = 'undefined_table',
            HINT = 'Drop the model with rfm.drop_model and create it again on the new table; its labels and history are unchanged.';
  END IF;
  FOR k IN SELECT * FROM unnest(ARRAY[m.member_column, m.time_column, m.amount_column]) c(col) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = m.source AND attname = k.col AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" of %, the source of model "%", no longer exists', k.col, m.source, name
        USING ERRCODE = 'undefined_column',
              HINT = 'Rename the column back, or drop the model and create it again with the new column names; its labels and history are unchanged.';
    END IF;
  END LOOP;
  amount_expr := CASE WHEN (SELECT atttypid FROM pg_attribute WHERE attrelid = m.source AND attname = m.amount_column) = 'money'::regtype
                      THEN format('o.%I::numeric', m.amount_column) ELSE format('o.%I', m.amount_column) END;

  EXECUTE format('SELECT max(as_of) FROM %I.refreshes', s) INTO last_as_of;
  IF as_of < last_as_of THEN
    RAISE EXCEPTION 'as_of % is before the last refresh of model "%" (%)', as_of, name, last_as_of
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Refreshes move forward in time; past labels are in label_history (see rfm.migration).';
  END IF;
  -- the refresh this one is compared with (flow, KPIs): the last one before as_of
  EXECUTE format('SELECT max(as_of) FROM %I.refreshes WHERE as_of < $1', s) INTO prev_as_of USING as_of;
  since_prev := make_interval(days => as_of - prev_as_of);

  win := (rfm._option(m, 'window') #>> '{}')::interval;
  bins := (rfm._option(m, 'bins') #>> '{}')::int;
  scoring := rfm._option(m, 'scoring') #>> '{}';
  seg_map := rfm._option(m, 'segment_map') #>> '{}';
  vref := rfm._option(m, 'value_reference');
  napl_w := (rfm._option(m, 'napl_window') #>> '{}')::interval;
  nes_mult := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'nes_multipliers'))::float8);
  nes_cycle := rfm._option(m, 'nes_cycle') #>> '{}';
  fallback := (rfm._option(m, 'nes_fallback') #>> '{}')::float8;
  tier_policy := rfm._option(m, 'tier_policy') #>> '{}';
  clv_on := (rfm._option(m, 'clv') #>> '{}')::boolean;
  clv_pnbd := rfm._option(m, 'clv_model') #>> '{}' = 'pnbd';
  clv_unit := (rfm._option(m, 'clv_unit_days') #>> '{}')::float8;
  clv_h := (rfm._option(m, 'clv_horizon') #>> '{}')::float8;
  clv_d := (rfm._option(m, 'clv_discount_rate') #>> '{}')::float8;
  -- browsing events (option events): checked like the source; intent is scored at the end of as_of
  ev := rfm._events(m.options);
  IF ev.relation IS NOT NULL THEN
    intent_ts := (as_of + 1)::timestamptz;
    dciu_hl := (rfm._option(m, 'dciu_half_life') #>> '{}')::interval;
    dciu_hz := (rfm._option(m, 'dciu_horizon') #>> '{}')::interval;
    dciu_w := CASE WHEN rfm._option(m, 'dciu_weights') = 'null' THEN rfm.intent_default_weights()
                   ELSE rfm.intent_weights(rfm._option(m, 'dciu_weights')) END;
    SELECT format_type(atttypid, atttypmod) INTO member_type FROM pg_attribute
     WHERE attrelid = format('%I.members', s)::regclass AND attname = 'member_id';
    -- event names of the relation's own (option events.event_names: {"pv": "view"}) are mapped first
    events_sql := format('SELECT e.%1$I::%2$s AS member_id,
                                 rfm.intent_agg(coalesce(%6$L::jsonb ->> e.%3$I::text, e.%3$I::text), e.%4$I::timestamptz) AS intent
                            FROM %5$s e WHERE e.%1$I IS NOT NULL /* touched */ GROUP BY 1',
                         ev.member_column, member_type, ev.event_column, ev.time_column, ev.relation,
                         coalesce(m.options -> 'events' -> 'event_names', '{}'));
  END IF;

  -- 1. member states: all of them, or only the members touched since the last refresh
  rebuild_all := "full" OR m.needs_full;
  IF rebuild_all THEN
    PERFORM rfm._progress(name, 'rebuilding every member state from ' || m.source::text);
    EXECUTE format('DELETE FROM %I.changes', s);
    EXECUTE format('TRUNCATE %I.members', s);
  ELSE
    EXECUTE format('CREATE TEMP TABLE _rfm_touched ON COMMIT DROP AS
                      WITH d AS (DELETE FROM %I.changes RETURNING member_id) SELECT DISTINCT member_id FROM d', s);
    GET DIAGNOSTICS rebuilt = ROW_COUNT;
    PERFORM rfm._progress(name, format('rebuilding %s touched member states', rebuilt));
    EXECUTE format('DELETE FROM %I.members WHERE member_id IN (SELECT member_id FROM _rfm_touched)', s);
  END IF;
  -- their purchases, and with events their browsing: members are then the buyers and the browsers
  purchases_sql := format('SELECT o.%1$I AS member_id, rfm.purchases_agg(o.%2$I, %3$s) AS purchases FROM %4$s o
                            WHERE o.%1$I %5$s GROUP BY 1 HAVING rfm.purchases_agg(o.%2$I, %3$s) IS NOT NULL',
                          m.member_column, m.time_column, amount_expr, m.source,
                          CASE WHEN rebuild_all THEN 'IS NOT NULL' ELSE 'IN (SELECT member_id FROM _rfm_touched)' END);
  IF ev.relation IS NULL THEN
    EXECUTE format('INSERT INTO %I.members (member_id, purchases) %s ORDER BY 1', s, purchases_sql);
  ELSE
    EXECUTE format('INSERT INTO %I.members (member_id, purchases, intent)
                     SELECT coalesce(p.member_id, i.member_id), p.purchases, i.intent
                       FROM (%s) p FULL JOIN (%s) i ON i.member_id = p.member_id
                      ORDER BY 1',
                   s, purchases_sql,
                   CASE WHEN rebuild_all THEN events_sql
                        ELSE replace(events_sql, '/* touched */',
                                     format('AND e.%I::%s IN (SELECT member_id FROM _rfm_touched)', ev.member_column, member_type)) END);
  END IF;
  IF rebuild_all THEN
    GET DIAGNOSTICS rebuilt = ROW_COUNT;
    UPDATE rfm.model SET needs_full = false WHERE rfm.model.name = refresh.name;
  ELSE
    DROP TABLE _rfm_touched;
  END IF;

  -- 2. everyone with a purchase by as_of is labelled. One pass over the states computes everything that
  -- needs them: R/F/M, NAPL, and the NES stage of repeat buyers (one-time buyers' NES depends on the
  -- fallback cycle, known only after this pass).
  EXECUTE format('CREATE TEMP TABLE _rfm_base ON COMMIT DROP AS
    SELECT member_id, rfm.recency(purchases, $1) AS recency,
           rfm.frequency(purchases, $1, $2) AS frequency, rfm.monetary(purchases, $1, $2) AS monetary,
           rfm.purchase_days(purchases, $1) AS days,
           rfm.last_purchase(purchases, $1) - rfm.first_purchase(purchases, $1) AS span,
           CASE WHEN $3 IS NULL THEN 0 ELSE rfm.monetary(purchases, $1, $3) END AS since_prev,
           rfm.napl(purchases, $1, $4) AS napl,
           CASE WHEN rfm.purchase_days(purchases, $1) >= 2 THEN rfm.nes(purchases, $1, 1, $5, $6) END AS repeat_nes,
           CASE WHEN $7 IS NOT NULL THEN rfm.tier_status(purchases, $1, $7) END AS tier_st,
           CASE WHEN $8 IS NOT NULL THEN coalesce(rfm.intent_score(intent, $8, $9, $10, $11), 0) END AS dciu_score,
           CASE WHEN $12 THEN rfm.btyd(purchases, $1, $13) END AS btyd
      FROM %I.members WHERE rfm.last_purchase(purchases, $1) IS NOT NULL', s)
    USING as_of, win, since_prev, napl_w, nes_mult, nes_cycle, tier_policy, intent_ts, dciu_hl, dciu_hz, dciu_w,
          clv_on, clv_unit;
  GET DIAGNOSTICS members = ROW_COUNT;
  PERFORM rfm._progress(name, format('labelling %s members as of %s', members, as_of));
  IF fallback IS NULL THEN
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY span::float8 / (days - 1)) INTO fallback
      FROM _rfm_base WHERE days >= 2;
    fallback := coalesce(fallback, 30);
  END IF;
  SELECT avg(recency), avg(frequency), avg(monetary), sum(monetary) INTO ref_r, ref_f, ref_m, revenue FROM _rfm_base;
  IF jsonb_typeof(vref) = 'object' THEN
    ref_r := (vref ->> 'recency')::float8; ref_f := (vref ->> 'frequency')::float8; ref_m := (vref ->> 'monetary')::float8;
  ELSIF vref #>> '{}' = 'median' THEN
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY recency), percentile_cont(0.5) WITHIN GROUP (ORDER BY frequency),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY monetary) INTO ref_r, ref_f, ref_m FROM _rfm_base;
  END IF;
  IF scoring = 'quantile' THEN
    SELECT rfm.breaks(recency, bins), rfm.breaks(frequency, bins), rfm.breaks(monetary, bins)
      INTO rb, fb, mb FROM _rfm_base;
  ELSIF scoring = 'fixed' THEN
    rb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'r_breaks'))::float8);
    fb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'f_breaks'))::float8);
    mb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'm_breaks'))::float8);
  END IF;
  IF clv_on THEN
    -- lifetime value: the purchase and spend models fitted on everyone's repeat-buying summary at as_of. A fit
    -- that fails leaves the CLV columns NULL for this refresh (with a WARNING), not the refresh failed.
    PERFORM rfm._progress(name, 'fitting the lifetime value models');
    BEGIN
      IF clv_pnbd THEN
        fit_p := (SELECT rfm.pnbd_fit((btyd).x, (btyd).t_x, (btyd).t) FROM _rfm_base);
      ELSE
        fit_b := (SELECT rfm.bgnbd_fit((btyd).x, (btyd).t_x, (btyd).t) FROM _rfm_base);
      END IF;
      -- Gamma-Gamma needs positive spends: repeat buyers whose mean repeat spend is not positive (refunds, free
      -- orders) are left out of its fit, as lifetimes does, and get no clv
      fit_g := (SELECT rfm.gamma_gamma_fit((btyd).x, (btyd).monetary) FILTER (WHERE (btyd).monetary > 0) FROM _rfm_base);
      -- every member's predictions, here too: extreme parameters can make a prediction fail
      EXECUTE format('CREATE TEMP TABLE _rfm_clv ON COMMIT DROP AS
        SELECT member_id, rfm.p_alive(%1$s, (btyd).x, (btyd).t_x, (btyd).t) AS p_alive,
               rfm.expected_purchases(%1$s, $3, (btyd).x, (btyd).t_x, (btyd).t) AS expected_purchases,
               CASE WHEN (btyd).x = 0 OR (btyd).monetary > 0
                    THEN rfm.clv(%1$s, $4, (btyd).x, (btyd).t_x, (btyd).t, coalesce((btyd).monetary, 0), $3, $5) END AS clv
          FROM _rfm_base', CASE WHEN clv_pnbd THEN '$2' ELSE '$1' END)
        USING fit_b, fit_p, clv_h, fit_g, clv_d;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'rfm.refresh(%): no lifetime value at %: %', name, as_of, SQLERRM
        USING HINT = 'The CLV columns stay NULL for this refresh; see docs/clv.md on fits that fail.';
      fit_b := NULL; fit_p := NULL; fit_g := NULL;
    END;
  END IF;
  IF ev.relation IS NOT NULL THEN
    -- DCIU cuts calibrated by replay: every member (buyers and browsers) scored at the start of the horizon,
    -- and who bought in it, and for how much; the lift of the buckets is published (dciu_lifts)
    PERFORM rfm._progress(name, format('calibrating DCIU on the %s up to %s', dciu_hz, as_of));
    EXECUTE format('CREATE TEMP TABLE _rfm_cal ON COMMIT DROP AS
      SELECT coalesce(rfm.intent_score(intent, $1, $2, $3, $4), 0) AS cal_score,
             coalesce(rfm.purchase_days(purchases, $5, $3), 0) > 0 AS cal_bought,
             coalesce(rfm.monetary(purchases, $5, $3), 0) AS cal_revenue
        FROM %I.members', s)
      USING intent_ts - dciu_hz, dciu_hl, dciu_hz, dciu_w, as_of;
    IF rfm._option(m, 'dciu_cuts') <> 'null' THEN
      dciu_cuts := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'dciu_cuts'))::float8);
    ELSE
      SELECT rfm.dciu_calibrate(c.cal_score, c.cal_bought) INTO dciu_cuts FROM _rfm_cal c;
    END IF;
    SELECT rfm.dciu_lift_agg(coalesce(rfm.dciu(c.cal_score, dciu_cuts), 'U'), c.cal_bought, c.cal_revenue) INTO lift FROM _rfm_cal c;
    DROP TABLE _rfm_cal;
  END IF;
  IF scoring = 'ntile' THEN
    -- equal-count bins; ties broken by member id, so the result is deterministic
    score_sql := 'ntile($6) OVER (ORDER BY recency DESC, member_id) AS r_score,
                  ntile($6) OVER (ORDER BY frequency, member_id) AS f_score,
                  ntile($6) OVER (ORDER BY monetary, member_id) AS m_score';
  ELSE
    score_sql := 'rfm.score(recency, $3, true) AS r_score, rfm.score(frequency, $4) AS f_score,
                  rfm.score(monetary, $5) AS m_score';
  END IF;
  clv_sql := CASE WHEN to_regclass('pg_temp._rfm_clv') IS NULL THEN
                   'NULL::float8 AS p_alive, NULL::float8 AS expected_purchases, NULL::float8 AS clv'
                 ELSE 'c.p_alive, c.expected_purchases, c.clv' END;
  EXECUTE format('CREATE TEMP TABLE _rfm_new ON COMMIT DROP AS
    SELECT member_id, $1::date AS as_of, recency, frequency, monetary, r_score, f_score, m_score,
           rfm.segment(r_score, f_score, m_score, $7) AS segment,
           rfm.value_segment(recency < $8, frequency >= $9, monetary >= $10) AS value_segment,
           napl,
           coalesce(repeat_nes, CASE WHEN recency <= $12 * $11 THEN ''N'' WHEN recency <= $13 * $11 THEN ''S1''
                                     WHEN recency <= $14 * $11 THEN ''S2'' ELSE ''S3'' END::rfm.nes_stage) AS nes,
           CASE WHEN $15 THEN coalesce(rfm.dciu(dciu_score, $16), ''U'')::text END AS dciu, (tier_st).tier AS tier,
           %s, since_prev
      FROM (SELECT b.*, %s FROM _rfm_base b) x %s', clv_sql, score_sql,
      CASE WHEN to_regclass('pg_temp._rfm_clv') IS NOT NULL THEN 'LEFT JOIN _rfm_clv c USING (member_id)' ELSE '' END)
    USING as_of, win, rb, fb, mb, bins, seg_map, ref_r, ref_f, ref_m, fallback, nes_mult[1], nes_mult[2], nes_mult[3],
          ev.relation IS NOT NULL, dciu_cuts;
  ANALYZE _rfm_new;

  -- 3. history: members whose labels differ from the last refresh's (the labels table holds them, as do
  -- the open history rows)
  PERFORM rfm._progress(name, 'recording label changes');
  EXECUTE format('CREATE TEMP TABLE _rfm_changed ON COMMIT DROP AS
    SELECT coalesce(n.member_id, h.member_id) AS member_id, n.member_id IS NOT NULL AS present
      FROM _rfm_new n FULL JOIN %I.labels h ON h.member_id = n.member_id
     WHERE h.member_id IS NULL OR n.member_id IS NULL
        OR (n.r_score, n.f_score, n.m_score, n.segment, n.value_segment, n.napl, n.nes, n.dciu, n.tier)
           IS DISTINCT FROM (h.r_score, h.f_score, h.m_score, h.segment, h.value_segment, h.napl, h.nes, h.dciu, h.tier)', s);
  GET DIAGNOSTICS changed = ROW_COUNT;
  ANALYZE _rfm_changed;

  -- 4. every (previous labels, new labels) combination with its members and their spend in between: the
  -- source of the flow and of the KPIs that compare two refreshes. When the last refresh is the previous
  -- one, its labels are the labels table and only the changed members can have moved: the others count
  -- as staying where they are. A refresh that replaces that day's compares with the one before, from the
  -- history.
  IF last_as_of < as_of THEN
    EXECUTE format($q$
      CREATE TEMP TABLE _rfm_moves ON COMMIT DROP AS
      SELECT was, is_now, f_segment, t_segment, f_value, t_value, f_napl, t_napl, f_nes, t_nes, f_tier, t_tier,
             f_dciu, t_dciu, sum(members) AS members, sum(revenue) AS revenue
        FROM (SELECT true AS was, true AS is_now, n.segment AS f_segment, n.segment AS t_segment,
                     n.value_segment AS f_value, n.value_segment AS t_value, n.napl AS f_napl, n.napl AS t_napl,
                     n.nes AS f_nes, n.nes AS t_nes, n.tier AS f_tier, n.tier AS t_tier, n.dciu AS f_dciu, n.dciu AS t_dciu,
                     count(*) AS members, coalesce(sum(n.since_prev), 0) AS revenue
                FROM _rfm_new n WHERE NOT EXISTS (SELECT 1 FROM _rfm_changed c WHERE c.member_id = n.member_id)
               GROUP BY 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
              UNION ALL
              SELECT p.member_id IS NOT NULL, n.member_id IS NOT NULL, p.segment, n.segment, p.value_segment,
                     n.value_segment, p.napl, n.napl, p.nes, n.nes, p.tier, n.tier, p.dciu, n.dciu,
                     count(*), coalesce(sum(n.since_prev), 0)
                FROM _rfm_changed c LEFT JOIN %1$I.labels p ON p.member_id = c.member_id
                     LEFT JOIN _rfm_new n ON n.member_id = c.member_id
               GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14) u
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14$q$, s);
  ELSE
    EXECUTE format($q$
      CREATE TEMP TABLE _rfm_moves ON COMMIT DROP AS
      SELECT p.member_id IS NOT NULL AS was, n.member_id IS NOT NULL AS is_now,
             p.segment AS f_segment, n.segment AS t_segment, p.value_segment AS f_value, n.value_segment AS t_value,
             p.napl AS f_napl, n.napl AS t_napl, p.nes AS f_nes, n.nes AS t_nes, p.tier AS f_tier, n.tier AS t_tier,
             p.dciu AS f_dciu, n.dciu AS t_dciu, count(*) AS members, coalesce(sum(n.since_prev), 0) AS revenue
        FROM (SELECT member_id, segment, value_segment, napl, nes, tier, dciu FROM %I.label_history
               WHERE $1 IS NOT NULL AND valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)) p
        FULL JOIN _rfm_new n ON n.member_id = p.member_id
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14$q$, s)
      USING prev_as_of;
  END IF;

  -- the history proper: a changed member's open row is closed at as_of, or replaced if it was opened at
  -- as_of (a refresh on the day of the last one replaces that refresh)
  IF as_of = last_as_of THEN
    EXECUTE format('DELETE FROM %1$I.cutpoints WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.transitions WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.dciu_lifts WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.refreshes WHERE as_of = $1', s) USING as_of;
    EXECUTE format('DELETE FROM %1$I.label_history h USING _rfm_changed c
                     WHERE h.member_id = c.member_id AND h.valid_to IS NULL AND h.valid_from = $1', s) USING as_of;
  END IF;
  EXECUTE format('UPDATE %1$I.label_history h SET valid_to = $1 FROM _rfm_changed c
                   WHERE h.member_id = c.member_id AND h.valid_to IS NULL', s) USING as_of;
  -- sorted by member id, so that index insertions are sequential
  EXECUTE format('INSERT INTO %1$I.label_history
                    SELECT n.member_id, $1, NULL, n.r_score, n.f_score, n.m_score, n.segment, n.value_segment,
                           n.napl, n.nes, n.dciu, n.tier
                      FROM _rfm_new n JOIN _rfm_changed c ON c.member_id = n.member_id ORDER BY n.member_id', s) USING as_of;

  -- 5. the refresh, its KPIs, cut points and transitions
  EXECUTE format($q$
    INSERT INTO %1$I.refreshes (as_of, full_rebuild, started, finished, members, rebuilt, changed, fallback_cycle,
                                value_reference, revenue, active_rate, repurchase_rate, churn_rate, n_to_a_rate,
                                p_to_a_rate, top20_revenue_share, dciu_cuts, bgnbd, pnbd, gamma_gamma)
    SELECT $1, $2, $3, clock_timestamp(), $4, $5, $6, $7,
           jsonb_build_object('recency', $8, 'frequency', $9, 'monetary', $10),
           $11,
           coalesce(sum(members) FILTER (WHERE t_napl IN ('N', 'A')), 0)
             / nullif(sum(members) FILTER (WHERE t_napl IS NOT NULL), 0),
           coalesce(sum(members) FILTER (WHERE t_napl IN ('A', 'P')), 0)
             / nullif(sum(members) FILTER (WHERE t_napl IS NOT NULL), 0),
           coalesce(sum(members) FILTER (WHERE f_napl IN ('N', 'A') AND (t_napl IS NULL OR t_napl IN ('P', 'L'))), 0)
             / nullif(sum(members) FILTER (WHERE f_napl IN ('N', 'A')), 0),
           coalesce(sum(members) FILTER (WHERE f_napl = 'N' AND t_napl = 'A'), 0)
             / nullif(sum(members) FILTER (WHERE f_napl = 'N'), 0),
           coalesce(sum(members) FILTER (WHERE f_napl = 'P' AND t_napl = 'A'), 0)
             / nullif(sum(members) FILTER (WHERE f_napl = 'P'), 0),
           (SELECT sum(monetary) FROM (SELECT monetary FROM _rfm_new ORDER BY monetary DESC LIMIT ceil(0.2 * $4)) t)
             / nullif($11, 0),
           $12, $13, $14, $15
      FROM _rfm_moves
    RETURNING refresh_id$q$, s)
    INTO rid
    USING as_of, rebuild_all, started, members, rebuilt, changed, fallback, ref_r, ref_f, ref_m, revenue, dciu_cuts,
          fit_b, fit_p, fit_g;
  -- members per score of the three dimensions in one pass
  EXECUTE format($q$
    INSERT INTO %1$I.cutpoints
    SELECT $1, d.dimension, d.breaks, array_agg(coalesce(x.n, 0) ORDER BY g.score)
      FROM (VALUES ('recency', $2::float8[]), ('frequency', $3), ('monetary', $4)) d(dimension, breaks)
      CROSS JOIN generate_series(1, $5) g(score)
      LEFT JOIN (SELECT CASE WHEN GROUPING(r_score) = 0 THEN 'recency' WHEN GROUPING(f_score) = 0 THEN 'frequency'
                             ELSE 'monetary' END AS dimension, coalesce(r_score, f_score, m_score) AS score, count(*) AS n
                   FROM _rfm_new GROUP BY GROUPING SETS ((r_score), (f_score), (m_score))) x
        ON x.dimension = d.dimension AND x.score = g.score
     GROUP BY d.dimension, d.breaks$q$, s)
    USING rid, rb, fb, mb, bins;
  EXECUTE format($q$
    INSERT INTO %1$I.transitions
    SELECT $1, d.dimension, d.from_label, d.to_label, sum(mv.members), sum(mv.revenue)
      FROM _rfm_moves mv,
           LATERAL (VALUES ('segment', mv.f_segment, mv.t_segment), ('value_segment', mv.f_value, mv.t_value),
                           ('napl', mv.f_napl::text, mv.t_napl::text), ('nes', mv.f_nes::text, mv.t_nes::text),
                           ('tier', mv.f_tier, mv.t_tier), ('dciu', mv.f_dciu, mv.t_dciu)) v(dimension, f, t),
           LATERAL (SELECT v.dimension, CASE WHEN mv.was THEN coalesce(v.f, '(none)') ELSE '(entered)' END,
                           CASE WHEN mv.is_now THEN coalesce(v.t, '(none)') ELSE '(exited)' END) d(dimension, from_label, to_label)
     WHERE (v.dimension <> 'tier' OR $2 IS NOT NULL) AND (v.dimension <> 'dciu' OR $3)
     GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4$q$, s)
    USING rid, tier_policy, ev.relation IS NOT NULL;
  IF lift IS NOT NULL THEN
    EXECUTE format('INSERT INTO %I.dciu_lifts SELECT $1, l.* FROM unnest($2) l', s) USING rid, lift;
  END IF;

  -- 6. labels and the BI views
  PERFORM rfm._progress(name, 'refreshing labels and BI views');
  EXECUTE format('TRUNCATE %I.labels', s);
  EXECUTE format('INSERT INTO %I.labels
                    SELECT member_id, as_of, recency, frequency, monetary, r_score, f_score, m_score, segment,
                           value_segment, napl, nes, dciu, tier, p_alive, expected_purchases, clv
                      FROM _rfm_new ORDER BY member_id', s);
  EXECUTE format('TRUNCATE %1$I.tier_watch;
                  INSERT INTO %1$I.tier_watch
                  SELECT member_id, watch, (st).tier, (st).since, (st).next_review, (st).qualifying_spend,
                         (st).spend_to_keep, (st).next_tier, (st).spend_to_upgrade
                    FROM (SELECT member_id, tier_st AS st, rfm.tier_watch(tier_st, $1, $2, $3) AS watch
                            FROM _rfm_base WHERE (tier_st).tier IS NOT NULL) w
                   WHERE watch IS NOT NULL ORDER BY member_id', s)
    USING as_of, (rfm._option(m, 'tier_upgrade_gap') #>> '{}')::float8, (rfm._option(m, 'tier_risk_horizon') #>> '{}')::interval;
  EXECUTE format('REFRESH MATERIALIZED VIEW %1$I.segment_summary; REFRESH MATERIALIZED VIEW %1$I.lifecycle_summary;
                  REFRESH MATERIALIZED VIEW %1$I.flow; REFRESH MATERIALIZED VIEW %1$I.kpi;
                  REFRESH MATERIALIZED VIEW %1$I.dciu_lift; REFRESH MATERIALIZED VIEW %1$I.napl_dciu', s);
  DROP TABLE _rfm_base, _rfm_new, _rfm_changed, _rfm_moves;
  DROP TABLE IF EXISTS _rfm_clv;
  elapsed := clock_timestamp() - started;
END $$;
COMMENT ON FUNCTION rfm.refresh(text, date, boolean) IS
  'Refresh a model as of a day: rebuild the touched members'' states (all with full), relabel everyone, record label changes, cut points and KPIs, refresh the BI views; one transaction';

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
/*
 * src/scheduler/scheduler.sql
 * The scheduler: rfm.job (a refresh schedule per model), rfm.job_run (the
 * run history), rfm.schedule, rfm.unschedule, rfm.run_job and rfm.next_run.
 * The launcher and job workers (launcher.c, job.c) need rfm in
 * shared_preload_libraries; everything here works without it.
 *
 * Jobs run as the model's owner.  Both tables have row-level security: a
 * role sees and changes the rows of the roles it is a member of, and a job's
 * owner must be its model's owner, so no role can make a job run as another.
 */

CREATE FUNCTION rfm.next_run(schedule text, after timestamptz DEFAULT now()) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'rfm_next_run' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.next_run(text, timestamptz) IS
  'The first run of a schedule (cron expression, @daily etc., or interval) after a time; cron fields are read in the session TimeZone';

CREATE FUNCTION rfm._wake_scheduler() RETURNS void
  AS 'MODULE_PATHNAME', 'rfm_wake_scheduler' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION rfm._wake_scheduler() IS
  'Internal: wake the scheduler''s launcher when the current transaction commits';
REVOKE ALL ON FUNCTION rfm._wake_scheduler() FROM PUBLIC;

CREATE FUNCTION rfm._job_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'rfm_job_changed' LANGUAGE C;
COMMENT ON FUNCTION rfm._job_changed() IS
  'Internal: trigger of rfm.job that wakes the launcher when the change commits';
REVOKE ALL ON FUNCTION rfm._job_changed() FROM PUBLIC;

CREATE TABLE rfm.job (
  job_id bigserial PRIMARY KEY,
  model text NOT NULL UNIQUE REFERENCES rfm.model (name) ON DELETE CASCADE,
  schedule text NOT NULL CHECK (rfm.next_run(schedule, '2000-01-01 00:00+00') IS NOT NULL),
  owner regrole NOT NULL,
  active boolean NOT NULL DEFAULT true,
  next_run timestamptz,
  created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rfm.job IS 'Scheduled refreshes: one job per model, run by the scheduler as the model''s owner';
COMMENT ON COLUMN rfm.job.schedule IS 'Cron expression (minute hour day-of-month month day-of-week, server TimeZone), @hourly/@daily/@weekly/@monthly/@yearly, or an interval';
COMMENT ON COLUMN rfm.job.owner IS 'The role the job runs as: the model''s owner';
COMMENT ON COLUMN rfm.job.active IS 'false: the launcher skips the job (UPDATE rfm.job SET active = false)';
COMMENT ON COLUMN rfm.job.next_run IS 'When the job runs next; NULL until the launcher has computed it';
ALTER TABLE rfm.job ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_owner ON rfm.job
  USING (pg_catalog.pg_has_role(owner, 'USAGE'))
  WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE')
              AND EXISTS (SELECT FROM rfm.model m WHERE m.name = job.model AND m.owner = job.owner));
GRANT SELECT, INSERT, UPDATE, DELETE ON rfm.job TO PUBLIC;
COMMENT ON SEQUENCE rfm.job_job_id_seq IS 'Job ids of rfm.job';
GRANT USAGE ON SEQUENCE rfm.job_job_id_seq TO PUBLIC;
CREATE TRIGGER job_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rfm.job
  FOR EACH STATEMENT EXECUTE FUNCTION rfm._job_changed();
SELECT pg_catalog.pg_extension_config_dump('rfm.job', '');
SELECT pg_catalog.pg_extension_config_dump('rfm.job_job_id_seq', '');

CREATE TABLE rfm.job_run (
  run_id bigserial PRIMARY KEY,
  job_id bigint REFERENCES rfm.job ON DELETE SET NULL,
  model text NOT NULL,
  owner regrole NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'crashed')),
  pid integer,
  scheduled timestamptz,
  started timestamptz NOT NULL DEFAULT now(),
  ended timestamptz,
  message text,
  members bigint,
  rebuilt bigint,
  changed bigint,
  elapsed interval
);
CREATE INDEX job_run_job_started ON rfm.job_run (job_id, started);
CREATE INDEX job_run_running ON rfm.job_run (model) WHERE status = 'running';
CREATE INDEX job_run_ended ON rfm.job_run (ended);
COMMENT ON TABLE rfm.job_run IS 'Runs of scheduled refreshes: running, succeeded, failed (with the error) or crashed, with the refresh''s counts; kept for rfm.history_retention';
COMMENT ON COLUMN rfm.job_run.status IS 'running, succeeded, failed (message is the error) or crashed (the worker or the server stopped during the run)';
COMMENT ON COLUMN rfm.job_run.scheduled IS 'The time the run was due (NULL for rfm.run_job); started - scheduled is how late it started';
COMMENT ON COLUMN rfm.job_run.pid IS 'Process id of the backend that ran the refresh';
COMMENT ON COLUMN rfm.job_run.elapsed IS 'Duration of the refresh as rfm.refresh reported it';
COMMENT ON INDEX rfm.job_run_job_started IS 'Runs of a job in time order';
COMMENT ON INDEX rfm.job_run_running IS 'Runs in progress, by model (the launcher never starts a second run of a model)';
COMMENT ON INDEX rfm.job_run_ended IS 'Finished runs by end time (history retention)';
ALTER TABLE rfm.job_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_run_owner ON rfm.job_run
  USING (pg_catalog.pg_has_role(owner, 'USAGE')) WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE'));
GRANT SELECT, INSERT, UPDATE ON rfm.job_run TO PUBLIC;
COMMENT ON SEQUENCE rfm.job_run_run_id_seq IS 'Run ids of rfm.job_run';
GRANT USAGE ON SEQUENCE rfm.job_run_run_id_seq TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('rfm.job_run', '');
SELECT pg_catalog.pg_extension_config_dump('rfm.job_run_run_id_seq', '');

-- The job row of an id, or an error.
CREATE FUNCTION rfm._job(id bigint) RETURNS rfm.job
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

CREATE FUNCTION rfm.schedule(model text, schedule text) RETURNS bigint
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

CREATE FUNCTION rfm.unschedule(model text) RETURNS boolean
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

-- Run a job's refresh and record the result on its "running" row, in the
-- caller's transaction: succeeded with the counts, or failed with the error
-- (the refresh rolled back).  A row no longer running is left alone.
CREATE FUNCTION rfm._execute_run(id bigint) RETURNS text
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

CREATE FUNCTION rfm.run_job(job_id bigint) RETURNS rfm.job_run
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

-- A launcher waiting for CREATE EXTENSION rfm starts at once.
SELECT rfm._wake_scheduler();
