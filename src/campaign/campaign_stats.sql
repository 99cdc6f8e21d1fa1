/*
 * src/campaign/campaign_stats.sql
 * Campaign review, the statistical core (C in this folder): distributions, the exact sufficient statistics
 * of a cell of members (rfm.campaign_cell_agg), the comparison of a treatment cell with a control cell
 * (rfm.campaign_compare) and the sample-ratio-mismatch check (rfm.srm_test). docs/campaigns.md, "Statistics".
 * The types rfm.campaign_state, rfm.campaign_cell and rfm.campaign_comparison are in src/model/model_1_7.sql (made before the
 * functions, by a fresh install and an update alike), the aggregate rfm.campaign_cell_agg in model_last.sql
 * (after its support functions).
 */

-- distributions (C99 erfc, incomplete beta and gamma: distributions.c)
CREATE FUNCTION rfm.normal_cdf(z double precision) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_normal_cdf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.normal_quantile(p double precision) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_normal_quantile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.student_t_cdf(t double precision, df double precision) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_student_t_cdf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.student_t_quantile(p double precision, df double precision) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_student_t_quantile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.chi_square_cdf(x double precision, df double precision) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_chi_square_cdf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.normal_cdf(double precision) IS
  'Standard normal cumulative distribution Phi(z); for an upper tail use normal_cdf(-z), exact to the last digits down to 1e-300';
COMMENT ON FUNCTION rfm.normal_quantile(double precision) IS
  'Standard normal quantile: z with Phi(z) = p, 0 < p < 1';
COMMENT ON FUNCTION rfm.student_t_cdf(double precision, double precision) IS
  'Student t cumulative distribution P(T <= t) with df > 0 degrees of freedom (real, as Welch''s); student_t_cdf(-t, df) is the upper tail';
COMMENT ON FUNCTION rfm.student_t_quantile(double precision, double precision) IS
  'Student t quantile: t with P(T <= t) = p, 0 < p < 1, df > 0 (real)';
COMMENT ON FUNCTION rfm.chi_square_cdf(double precision, double precision) IS
  'Chi-square cumulative distribution P(X <= x) with df > 0 degrees of freedom';

-- the sufficient statistics of a cell of members: exact sums (y, x to 4 decimals, squares and products to 8)

CREATE FUNCTION rfm.campaign_cell_trans(rfm.campaign_state, numeric, numeric, boolean) RETURNS rfm.campaign_state
  AS 'MODULE_PATHNAME', 'rfm_campaign_trans_numeric' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.campaign_cell_trans(rfm.campaign_state, double precision, double precision, boolean)
  RETURNS rfm.campaign_state
  AS 'MODULE_PATHNAME', 'rfm_campaign_trans_float8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.campaign_cell_combine(rfm.campaign_state, rfm.campaign_state) RETURNS rfm.campaign_state
  AS 'MODULE_PATHNAME', 'rfm_campaign_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.campaign_cell_final(rfm.campaign_state) RETURNS rfm.campaign_cell
  AS 'MODULE_PATHNAME', 'rfm_campaign_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.campaign_cell_trans(rfm.campaign_state, numeric, numeric, boolean) IS
  'Transition function of rfm.campaign_cell_agg(numeric, numeric, boolean): the state with one member more';
COMMENT ON FUNCTION rfm.campaign_cell_trans(rfm.campaign_state, double precision, double precision, boolean) IS
  'Transition function of rfm.campaign_cell_agg(double precision, double precision, boolean): the state with one member more';
COMMENT ON FUNCTION rfm.campaign_cell_combine(rfm.campaign_state, rfm.campaign_state) IS
  'Combine function of rfm.campaign_cell_agg (parallel aggregation, Citus): two states pooled, exactly';
COMMENT ON FUNCTION rfm.campaign_cell_final(rfm.campaign_state) IS
  'Final function of rfm.campaign_cell_agg: the state as an rfm.campaign_cell';

CREATE FUNCTION rfm.campaign_cell_add(a rfm.campaign_cell, b rfm.campaign_cell) RETURNS rfm.campaign_cell
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT ROW(a.members + b.members, a.responders + b.responders, a.sum_y + b.sum_y, a.sum_y2 + b.sum_y2,
                   a.sum_x + b.sum_x, a.sum_x2 + b.sum_x2, a.sum_xy + b.sum_xy)::rfm.campaign_cell $$;
COMMENT ON FUNCTION rfm.campaign_cell_add(rfm.campaign_cell, rfm.campaign_cell) IS
  'Two cells pooled: counts and sums added (exact)';

-- the comparison of a treatment cell with a control cell

CREATE FUNCTION rfm.campaign_compare(treatment rfm.campaign_cell, control rfm.campaign_cell,
                                     confidence double precision DEFAULT 0.95) RETURNS rfm.campaign_comparison
  AS 'MODULE_PATHNAME', 'rfm_campaign_compare' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.campaign_compare(rfm.campaign_cell, rfm.campaign_cell, double precision) IS
  'Uplift of a treatment cell over a control cell with two-sided intervals at the given confidence and p-values; degenerate cells give NULLs';

CREATE FUNCTION rfm.srm_test(observed bigint[], expected_shares double precision[],
                             OUT chi_square double precision, OUT df integer, OUT p double precision)
  AS 'MODULE_PATHNAME', 'rfm_srm_test' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.srm_test(bigint[], double precision[]) IS
  'Sample-ratio mismatch: Pearson chi-square of the members per arm against the expected shares (normalized), df = arms - 1, and its p-value';
