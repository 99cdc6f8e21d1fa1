/*
 * src/clv/clv_state.sql
 * The support functions of the lifetime value fits rfm.bgnbd_fit, rfm.pnbd_fit and rfm.gamma_gamma_fit, whose
 * state is an rfm.clv_state (made by src/model/model_1_7.sql, which comes before this part): the distinct
 * (x, t_x, t) cells, for Gamma-Gamma (x, monetary), with member counts; NULL rows are skipped (and counted).
 * A real type rather than internal, so that Citus splits the fits into partial aggregates on the workers and
 * a combine on the coordinator. The aggregates are in src/model/model_last.sql, after these functions (which
 * an update replays after its catalog part). C in clv_fit.c.
 */

CREATE FUNCTION rfm.clv_btyd_trans(rfm.clv_state, double precision, double precision, double precision)
  RETURNS rfm.clv_state
  AS 'MODULE_PATHNAME', 'rfm_clv_state_btyd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.clv_gg_trans(rfm.clv_state, double precision, double precision) RETURNS rfm.clv_state
  AS 'MODULE_PATHNAME', 'rfm_clv_state_gg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.clv_combine(rfm.clv_state, rfm.clv_state) RETURNS rfm.clv_state
  AS 'MODULE_PATHNAME', 'rfm_clv_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.bgnbd_final(rfm.clv_state) RETURNS rfm.bgnbd
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.pnbd_final(rfm.clv_state) RETURNS rfm.pnbd
  AS 'MODULE_PATHNAME', 'rfm_pnbd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.gamma_gamma_final(rfm.clv_state) RETURNS rfm.gamma_gamma
  AS 'MODULE_PATHNAME', 'rfm_gamma_gamma_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.clv_btyd_trans(rfm.clv_state, double precision, double precision, double precision) IS
  'Transition function of rfm.bgnbd_fit and rfm.pnbd_fit: counts the member in its (x, t_x, t) cell';
COMMENT ON FUNCTION rfm.clv_gg_trans(rfm.clv_state, double precision, double precision) IS
  'Transition function of rfm.gamma_gamma_fit: counts a repeater in its (x, monetary) cell';
COMMENT ON FUNCTION rfm.clv_combine(rfm.clv_state, rfm.clv_state) IS
  'Combine function of the lifetime value fits (parallel workers, Citus): adds the cell counts';
COMMENT ON FUNCTION rfm.bgnbd_final(rfm.clv_state) IS 'Final function of rfm.bgnbd_fit: the maximum likelihood fit';
COMMENT ON FUNCTION rfm.pnbd_final(rfm.clv_state) IS 'Final function of rfm.pnbd_fit: the maximum likelihood fit';
COMMENT ON FUNCTION rfm.gamma_gamma_final(rfm.clv_state) IS 'Final function of rfm.gamma_gamma_fit: the maximum likelihood fit';
