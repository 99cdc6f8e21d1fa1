/*
 * src/intent/intent_state.sql
 * The support functions of rfm.intent_agg and rfm.intent_union, whose state is an rfm.intent_state (made by
 * src/model/model_1_7.sql, which comes before this part): a real type rather than internal, so that Citus splits
 * the aggregates into partial aggregates on the workers and a combine on the coordinator. The aggregates
 * themselves are in src/model/model_last.sql, after these functions (which an update replays after its catalog
 * part). C in intent_state.c.
 */

CREATE FUNCTION rfm.intent_trans(rfm.intent_state, text, timestamptz) RETURNS rfm.intent_state
  AS 'MODULE_PATHNAME', 'rfm_intent_state_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_union_trans(rfm.intent_state, rfm.intent) RETURNS rfm.intent_state
  AS 'MODULE_PATHNAME', 'rfm_intent_state_union_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_combine(rfm.intent_state, rfm.intent_state) RETURNS rfm.intent_state
  AS 'MODULE_PATHNAME', 'rfm_intent_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_final(rfm.intent_state) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_trans(rfm.intent_state, text, timestamptz) IS
  'Transition function of rfm.intent_agg: the state with one more event (updated in place)';
COMMENT ON FUNCTION rfm.intent_union_trans(rfm.intent_state, rfm.intent) IS
  'Transition function of rfm.intent_union: the state with the counts of one more value';
COMMENT ON FUNCTION rfm.intent_combine(rfm.intent_state, rfm.intent_state) IS
  'Combine function of the intent aggregates (parallel workers, Citus): counts summed';
COMMENT ON FUNCTION rfm.intent_final(rfm.intent_state) IS 'Final function of the intent aggregates: the rfm.intent value';
