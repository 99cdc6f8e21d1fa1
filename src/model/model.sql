/*
 * src/model/model.sql
 * Models, their catalog as rfm 1.0 made it: rfm.model and rfm.model_option.
 * What later versions change in it is in model_<version>.sql (run by a fresh
 * install and by the update script alike); the functions are in
 * model_functions.sql (which an update script replaces as a whole).
 *
 * A model named x lives in schema rfm_x, owned by the role that created it.
 * Everything runs with the caller's rights (SECURITY INVOKER), except the
 * per-model change-capture trigger function, which is SECURITY DEFINER
 * (owned by the model's owner, search_path pinned) so that roles writing
 * the orders table need no rights on the model's schema.
 */

CREATE FUNCTION rfm.report_progress(message text) RETURNS void
  AS 'MODULE_PATHNAME', 'rfm_report_progress' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION rfm.report_progress(text) IS
  'Internal: show a progress message as this backend''s query in pg_stat_activity (not for PUBLIC since rfm 1.6; rfm.refresh reports through rfm._progress)';

CREATE TABLE rfm.model (
  name text PRIMARY KEY,
  source regclass NOT NULL,
  member_column name NOT NULL,
  time_column name NOT NULL,
  amount_column name NOT NULL,
  options jsonb NOT NULL DEFAULT '{}',
  owner regrole NOT NULL DEFAULT current_user::regrole,
  needs_full boolean NOT NULL DEFAULT true,
  created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rfm.model IS 'Models created by rfm.create_model: source, columns, options; one schema rfm_<name> each';
COMMENT ON COLUMN rfm.model.needs_full IS 'Next refresh rebuilds every member (new model, or the source was truncated)';
ALTER TABLE rfm.model ENABLE ROW LEVEL SECURITY;
CREATE POLICY model_owner ON rfm.model
  USING (pg_catalog.pg_has_role(owner, 'USAGE')) WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE'));
GRANT SELECT, INSERT, UPDATE, DELETE ON rfm.model TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('rfm.model', '');

-- The options a model knows, with their defaults and meaning.
CREATE TABLE rfm.model_option (
  name text PRIMARY KEY,
  default_value jsonb,
  description text NOT NULL
);
COMMENT ON TABLE rfm.model_option IS 'The options of rfm.create_model, their defaults and meaning';
INSERT INTO rfm.model_option VALUES
  ('window', 'null', 'RFM window for frequency and monetary (an interval such as "1 year"); null = all history up to as_of'),
  ('bins', '5', 'number of RFM scores (2..10)'),
  ('scoring', '"quantile"', 'quantile (rfm.breaks cut points, ties share a score), ntile (equal-count bins, ties broken by member id) or fixed'),
  ('r_breaks', 'null', 'fixed recency cut points in days (scoring fixed), ascending'),
  ('f_breaks', 'null', 'fixed frequency cut points (scoring fixed), ascending'),
  ('m_breaks', 'null', 'fixed monetary cut points (scoring fixed), ascending'),
  ('segment_map', '"rfm10"', 'map of rfm.segment_rule used for the segment label'),
  ('value_reference', '"mean"', 'reference of the value segments: mean, median, or {"recency": days, "frequency": orders, "monetary": spend}'),
  ('napl_window', '"3 months"', 'NAPL window'),
  ('nes_multipliers', '[1, 2, 3]', 'NES multipliers of the cycle (e.g. [2, 2.5, 3])'),
  ('nes_cycle', '"mean"', 'NES cycle: mean or median gap'),
  ('nes_fallback', 'null', 'NES cycle of one-time buyers in days; null = the median cycle of the repeat buyers');
GRANT SELECT ON rfm.model_option TO PUBLIC;

