/*
 * src/lifecycle/lifecycle.sql
 * NAPL and NES lifecycle stages (C in lifecycle.c).
 */
CREATE TYPE rfm.napl_stage AS ENUM ('N', 'A', 'P', 'L');
COMMENT ON TYPE rfm.napl_stage IS
  '91APP lifecycle: N new (one purchase day, recent), A active (repeat buyer, recent), P potential (repeat buyer, lapsed), L lost (one purchase day, lapsed)';

CREATE FUNCTION rfm.napl(p rfm.purchases, as_of date, w interval DEFAULT '3 months') RETURNS rfm.napl_stage
  AS 'MODULE_PATHNAME', 'rfm_napl' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.napl(rfm.purchases, date, interval) IS
  'NAPL stage at as_of: repeat buyer = 2+ purchase days; recent = last purchase day in (as_of - w, as_of]; NULL without purchases';

CREATE TYPE rfm.nes_stage AS ENUM ('N', 'E0', 'S1', 'S2', 'S3');
COMMENT ON TYPE rfm.nes_stage IS
  'ORDERLY lifecycle against the member''s own purchase cycle: N new (within the cycle), E0 existing (core), S1 sleepy, S2 half-asleep, S3 asleep';

CREATE FUNCTION rfm.nes(p rfm.purchases, as_of date, fallback_cycle double precision,
                        multipliers double precision[] DEFAULT '{1,2,3}', cycle text DEFAULT 'mean')
  RETURNS rfm.nes_stage
  AS 'MODULE_PATHNAME', 'rfm_nes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.nes(rfm.purchases, date, double precision, double precision[], text) IS
  'NES stage at as_of: days since the last purchase against multipliers × the member''s cycle (mean or median gap; fallback_cycle for one purchase day)';

CREATE FUNCTION rfm.nes_explain(p rfm.purchases, as_of date, fallback_cycle double precision,
                                multipliers double precision[] DEFAULT '{1,2,3}', cycle text DEFAULT 'mean')
  RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_nes_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.nes_explain(rfm.purchases, date, double precision, double precision[], text) IS
  'Why a member is in its NES stage, e.g. "S2: 74 days since the last purchase = 2.3 × the member''s cycle of 32 days ..."';
