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
