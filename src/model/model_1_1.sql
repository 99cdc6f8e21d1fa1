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
