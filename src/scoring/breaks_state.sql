/*
 * src/scoring/breaks_state.sql
 * The support functions of rfm.breaks, whose state is an rfm.breaks_state (made by src/model/model_1_7.sql,
 * which comes before this part): a real type rather than internal, so that Citus splits rfm.breaks into
 * partial aggregates on the workers and a combine on the coordinator. The aggregate itself is in
 * src/model/model_last.sql, after these functions (which an update replays after its catalog part).
 * C in breaks.c.
 */

CREATE FUNCTION rfm.breaks_trans(rfm.breaks_state, double precision, integer) RETURNS rfm.breaks_state
  AS 'MODULE_PATHNAME', 'rfm_breaks_state_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_combine(rfm.breaks_state, rfm.breaks_state) RETURNS rfm.breaks_state
  AS 'MODULE_PATHNAME', 'rfm_breaks_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_final(rfm.breaks_state) RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_breaks_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.breaks_trans(rfm.breaks_state, double precision, integer) IS
  'Transition function of rfm.breaks: the state with one more value (updated in place)';
COMMENT ON FUNCTION rfm.breaks_combine(rfm.breaks_state, rfm.breaks_state) IS
  'Combine function of rfm.breaks (parallel workers, Citus): the values of both states';
COMMENT ON FUNCTION rfm.breaks_final(rfm.breaks_state) IS 'Final function of rfm.breaks: the k/bins quantiles';
