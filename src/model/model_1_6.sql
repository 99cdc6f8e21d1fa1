/*
 * src/model/model_1_6.sql
 * What rfm 1.6 changes in the models' catalog: nothing in their tables (their layout stays 3). It runs on
 * PostgreSQL 15 to 18 and without preloading (the library, not the catalog, changed); in SQL, drop_model and
 * the events option look relations up in pg_class, since to_regclass of a bare number is no longer NULL from
 * PostgreSQL 16 on. Those are function bodies, which the update script replaces
 * (with every function of the install script: scripts/replayable.awk). Part of a fresh install and of the update script from 1.5 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.6 (older layouts are brought to 3 by the model''s next refresh)';

-- The context of a refresh, passed from each phase of rfm.refresh to the next (src/model/refresh*.sql)
CREATE TYPE rfm._refresh AS (
  -- the call
  name text, s text, m rfm.model, as_of date, full_requested boolean, started timestamptz,
  -- the last refreshes
  last_as_of date, prev_as_of date, since_prev interval,
  last_ref_refresh_id bigint, last_ref_as_of date, last_ref_members bigint, last_ref_params jsonb,
  last_ref_fallback_cycle double precision, last_ref_value_reference jsonb,
  last_ref_rb double precision[], last_ref_fb double precision[], last_ref_mb double precision[],
  -- the source and the options
  amount_expr text, win interval, bins integer, scoring text, seg_map text, vref jsonb, napl_w interval,
  nes_mult double precision[], nes_cycle text, fallback double precision, tier_policy text, params jsonb,
  ev_relation regclass, ev_member_column name, ev_event_column name, ev_time_column name, ev_time_type regtype,
  member_type text, events_sql text, intent_ts timestamptz, dciu_hl interval, dciu_hz interval,
  dciu_w double precision[], clv_on boolean, clv_pnbd boolean, clv_unit double precision, clv_h double precision,
  clv_d double precision,
  -- the mode: every state rebuilt; only the members whose labels can have changed relabelled (else everyone)
  rebuild_all boolean, relabel_some boolean, index_joins jsonb,
  -- what the phases found
  rb double precision[], fb double precision[], mb double precision[], ref_r double precision,
  ref_f double precision, ref_m double precision, revenue double precision, top20 numeric, sum_m numeric,
  dciu_cuts double precision[], lift rfm.dciu_lift_row[], fit_b rfm.bgnbd, fit_p rfm.pnbd, fit_g rfm.gamma_gamma,
  members bigint, rebuilt bigint, changed bigint, relabelled bigint);
COMMENT ON TYPE rfm._refresh IS
  'Internal: the context of a refresh, passed from each phase of rfm.refresh to the next';

-- rfm.report_progress shows any text as the caller's query in pg_stat_activity: internal, run by
-- rfm._progress (SECURITY DEFINER), which prefixes it with the refresh and the model
REVOKE ALL ON FUNCTION rfm.report_progress(text) FROM PUBLIC;
