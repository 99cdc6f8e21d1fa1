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

-- Fitting aggregates: rfm.bgnbd_fit, rfm.pnbd_fit and rfm.gamma_gamma_fit, their state type rfm.clv_state and
-- support functions are in clv_state.sql and src/model/model_last.sql (the state type is made by
-- src/model/model_1_7.sql, after this part).

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
