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

-- aggregation: rfm.intent_agg and rfm.intent_union have a state of type rfm.intent_state since 1.7 (made by
-- src/model/model_1_7.sql); their support functions are in src/intent/intent_state.sql, the aggregates in
-- src/model/model_last.sql

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
