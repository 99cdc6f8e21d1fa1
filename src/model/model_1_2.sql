/*
 * src/model/model_1_2.sql
 * What rfm 1.2 changes in the models' catalog: incremental relabelling.
 * Part of a fresh install and of the update script from 1.1 alike.
 */

-- models created before 1.2 have layout 1 or 2: their next refresh brings them to 3 (rfm._upgrade_model)
ALTER TABLE rfm.model ALTER COLUMN layout SET DEFAULT 3;
COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 (older layouts are brought to 3 by the model''s next refresh)';

CREATE FUNCTION rfm._recheck(p rfm.purchases, as_of date, fallback_cycle double precision,
                             multipliers double precision[], cycle text) RETURNS date
  AS 'MODULE_PATHNAME', 'rfm_recheck' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm._recheck(rfm.purchases, date, double precision, double precision[], text) IS
  'Internal: the first day after as_of on which a model must relabel the member without new orders: its next entry, or the day a repeat buyer''s NES stage moves on';

CREATE FUNCTION rfm._napl_of(purchase_days integer, last_day date, as_of date, w interval) RETURNS rfm.napl_stage
  AS 'MODULE_PATHNAME', 'rfm_napl_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm._napl_of(integer, date, date, interval) IS
  'Internal: the NAPL stage from purchase days and last purchase day by as_of, as rfm.napl computes it (a model relabels members from label_state with it)';
