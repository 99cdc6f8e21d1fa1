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
