/*
 * src/model/model_functions.sql
 * Models: rfm.create_model, change capture, rfm.refresh, label history,
 * rfm.migration and the BI views, rfm.drop_model.
 *
 * Only functions live here: the update script from 1.0 is built from this
 * file with CREATE OR REPLACE (see the Makefile), so a change here reaches
 * upgraded installations without being written twice.
 */

-- The model row of name, or an error that lists the models the caller sees.
CREATE FUNCTION rfm._model(model_name text) RETURNS rfm.model
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model;
BEGIN
  SELECT * INTO m FROM rfm.model WHERE name = model_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'model "%" does not exist', model_name
      USING ERRCODE = 'undefined_object',
            HINT = coalesce('Models: ' || (SELECT string_agg(name, ', ' ORDER BY name) FROM rfm.model) || '.',
                            'Create one with rfm.create_model(name, source).');
  END IF;
  RETURN m;
END $$;
COMMENT ON FUNCTION rfm._model(text) IS 'Internal: the model row of a name, or an error listing the models';

-- An option of a model: the model's value, else the default.
CREATE FUNCTION rfm._option(m rfm.model, option text) RETURNS jsonb
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  RETURN coalesce(m.options -> option, (SELECT default_value FROM rfm.model_option WHERE name = option));
COMMENT ON FUNCTION rfm._option(rfm.model, text) IS 'Internal: an option of a model, or its default';

-- Validate options: known names and usable values.
CREATE FUNCTION rfm._check_options(options jsonb) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k text;
  v jsonb;
BEGIN
  IF jsonb_typeof(options) <> 'object' THEN
    RAISE EXCEPTION 'model options must be a JSON object, not %', jsonb_typeof(options)
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ''{"bins": 5, "napl_window": "90 days"}''.';
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(options) LOOP
    IF NOT EXISTS (SELECT 1 FROM rfm.model_option WHERE name = k) THEN
      RAISE EXCEPTION 'unknown model option "%"', k
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Known options: ' || (SELECT string_agg(name, ', ' ORDER BY name) FROM rfm.model_option) || '.';
    END IF;
    IF v = 'null' THEN CONTINUE; END IF;
    BEGIN
      CASE k
        WHEN 'window', 'napl_window' THEN
          -- a bare number would be read as seconds: a window is a string of at least a day
          IF jsonb_typeof(v) <> 'string' OR (v #>> '{}')::interval < interval '1 day' THEN RAISE EXCEPTION 'not a window'; END IF;
        WHEN 'bins' THEN
          IF (v #>> '{}')::int NOT BETWEEN 2 AND 10 THEN RAISE EXCEPTION 'out of range'; END IF;
        WHEN 'scoring' THEN
          IF v #>> '{}' NOT IN ('quantile', 'ntile', 'fixed') THEN RAISE EXCEPTION 'unknown'; END IF;
        WHEN 'r_breaks', 'f_breaks', 'm_breaks' THEN
          PERFORM rfm.score(0, ARRAY(SELECT jsonb_array_elements_text(v)::float8));
        WHEN 'segment_map' THEN
          IF NOT EXISTS (SELECT 1 FROM rfm.segment_rule WHERE map = v #>> '{}') THEN RAISE EXCEPTION 'unknown map'; END IF;
        WHEN 'value_reference' THEN
          IF jsonb_typeof(v) = 'string' THEN
            IF v #>> '{}' NOT IN ('mean', 'median') THEN RAISE EXCEPTION 'unknown'; END IF;
          ELSIF (v ->> 'recency')::float8 IS NULL OR (v ->> 'frequency')::float8 IS NULL
                OR (v ->> 'monetary')::float8 IS NULL THEN
            RAISE EXCEPTION 'incomplete';
          END IF;
        WHEN 'nes_multipliers' THEN
          PERFORM rfm.nes('{2000-01-01:1:1}', '2000-01-02', 1, ARRAY(SELECT jsonb_array_elements_text(v)::float8));
        WHEN 'nes_cycle' THEN
          IF v #>> '{}' NOT IN ('mean', 'median') THEN RAISE EXCEPTION 'unknown'; END IF;
        WHEN 'nes_fallback' THEN
          IF NOT (v #>> '{}')::float8 > 0 THEN RAISE EXCEPTION 'not positive'; END IF;
        WHEN 'tier_policy' THEN
          IF jsonb_typeof(v) <> 'string' THEN RAISE EXCEPTION 'not a name'; END IF;
        WHEN 'tier_upgrade_gap' THEN
          IF NOT (v #>> '{}')::float8 >= 0 THEN RAISE EXCEPTION 'negative'; END IF;
        WHEN 'tier_risk_horizon' THEN
          IF jsonb_typeof(v) <> 'string' OR (v #>> '{}')::interval < interval '0' THEN RAISE EXCEPTION 'negative'; END IF;
        WHEN 'events' THEN
          IF jsonb_typeof(v) <> 'object' OR jsonb_typeof(v -> 'relation') <> 'string'
             OR EXISTS (SELECT 1 FROM jsonb_object_keys(v) ek
                         WHERE ek NOT IN ('relation', 'member_column', 'event_column', 'time_column', 'event_names'))
             OR (v ? 'event_names' AND jsonb_typeof(v -> 'event_names') <> 'object') THEN
            RAISE EXCEPTION 'not an events object';
          END IF;
        WHEN 'dciu_half_life', 'dciu_horizon' THEN
          IF jsonb_typeof(v) <> 'string' OR (v #>> '{}')::interval <= interval '0' THEN RAISE EXCEPTION 'not positive'; END IF;
        WHEN 'dciu_cuts' THEN
          PERFORM rfm.dciu(0, ARRAY(SELECT jsonb_array_elements_text(v)::float8));
        WHEN 'dciu_weights' THEN
          PERFORM rfm.intent_weights(v);
        WHEN 'clv' THEN
          IF jsonb_typeof(v) <> 'boolean' THEN RAISE EXCEPTION 'not a boolean'; END IF;
        WHEN 'clv_model' THEN
          IF v #>> '{}' NOT IN ('bgnbd', 'pnbd') THEN RAISE EXCEPTION 'unknown'; END IF;
        WHEN 'clv_unit_days', 'clv_horizon' THEN
          IF NOT (v #>> '{}')::float8 > 0 OR (v #>> '{}')::float8 = 'infinity' THEN RAISE EXCEPTION 'not positive'; END IF;
        WHEN 'clv_discount_rate' THEN
          IF NOT (v #>> '{}')::float8 >= 0 OR (v #>> '{}')::float8 = 'infinity' THEN RAISE EXCEPTION 'negative'; END IF;
      END CASE;
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION 'invalid value % for model option "%"', v, k
        USING ERRCODE = 'invalid_parameter_value',
              HINT = (SELECT description FROM rfm.model_option WHERE name = k);
    END;
  END LOOP;
  -- the tier policy must exist and be valid (its own error lists the policies)
  IF options ->> 'tier_policy' IS NOT NULL THEN
    PERFORM rfm.tier_check(options ->> 'tier_policy');
  END IF;
  IF options ->> 'scoring' = 'fixed' AND NOT (options ? 'r_breaks' AND options ? 'f_breaks' AND options ? 'm_breaks') THEN
    RAISE EXCEPTION 'scoring "fixed" needs the options r_breaks, f_breaks and m_breaks'
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example "r_breaks": [30, 90, 180, 365].';
  END IF;
END $$;
COMMENT ON FUNCTION rfm._check_options(jsonb) IS 'Internal: validate model options (known names, usable values)';

-- The browsing events of a model (option events), checked: the relation exists and is a table the
-- caller can read and put triggers on, with its member, event and time columns. NULL without the option.
CREATE FUNCTION rfm._events(options jsonb, OUT relation regclass, OUT member_column name, OUT event_column name,
                            OUT time_column name, OUT time_type regtype)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ev jsonb := options -> 'events';
  col record;
BEGIN
  IF ev IS NULL OR ev = 'null' THEN
    RETURN;
  END IF;
  relation := to_regclass(ev ->> 'relation');
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = relation) THEN
    relation := NULL;  -- since PostgreSQL 16 to_regclass takes a bare number, whether or not such a relation exists
  END IF;
  IF relation IS NULL AND strpos(ev ->> 'relation', '.') = 0 THEN
    -- functions here see only pg_catalog: an unqualified name is looked up in the schemas the caller may use
    IF (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relname = ev ->> 'relation' AND c.relkind IN ('r', 'p') AND has_schema_privilege(n.oid, 'USAGE')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')) > 1 THEN
      RAISE EXCEPTION 'events relation "%" exists in several schemas', ev ->> 'relation'
        USING ERRCODE = 'ambiguous_alias', HINT = 'Qualify it with its schema: {"relation": "schema.table"}.';
    END IF;
    SELECT c.oid INTO relation FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = ev ->> 'relation' AND c.relkind IN ('r', 'p') AND has_schema_privilege(n.oid, 'USAGE')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema');
  END IF;
  IF relation IS NULL THEN
    RAISE EXCEPTION 'events relation "%" does not exist', ev ->> 'relation'
      USING ERRCODE = 'undefined_table', HINT = 'Name a table of browsing events in the option events: {"relation": "schema.table"}.';
  END IF;
  member_column := coalesce(ev ->> 'member_column', 'member_id');
  event_column := coalesce(ev ->> 'event_column', 'event');
  time_column := coalesce(ev ->> 'time_column', 'occurred_at');
  IF NOT has_table_privilege(relation, 'SELECT') OR NOT has_table_privilege(relation, 'TRIGGER') THEN
    RAISE EXCEPTION 'permission denied for events relation %', relation
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'The model reads the events with your rights and captures their changes with triggers: you need SELECT and TRIGGER on it.';
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = relation) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'events relation % is not a table', relation
      USING ERRCODE = 'wrong_object_type', HINT = 'Change capture needs triggers: use a table or a partitioned table.';
  END IF;
  FOR col IN SELECT * FROM (VALUES ('member_column', member_column), ('event_column', event_column), ('time_column', time_column)) v(role, colname) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = relation AND attname = col.colname AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" of events relation % does not exist', col.colname, relation
        USING ERRCODE = 'undefined_column',
              HINT = format('Name it in the option events: {"relation": "%s", "%s": "..."}. Columns: %s.', relation, col.role,
                            (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                              WHERE attrelid = relation AND attnum > 0 AND NOT attisdropped));
    END IF;
  END LOOP;
  SELECT atttypid::regtype INTO time_type FROM pg_attribute WHERE attrelid = relation AND attname = time_column;
  IF time_type NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
    RAISE EXCEPTION 'time column "%" of events relation % has type %, not a timestamp', time_column, relation, time_type
      USING ERRCODE = 'datatype_mismatch', HINT = 'Use a timestamptz column (a timestamp follows the session TimeZone).';
  END IF;
END $$;
COMMENT ON FUNCTION rfm._events(jsonb) IS
  'Internal: the browsing events of a model''s options (relation and columns), checked; NULL without the option events';

-- The objects of a model's schema that rfm 1.1 added: the transitions of every refresh, the flow view over
-- them, the tier watch list, the intent state and the DCIU and lifetime value columns, tables and views. Created by rfm.create_model, and by the first refresh of a model that
-- rfm 1.0 created (rfm._upgrade_model).
-- Layout 1 (rfm 1.0) -> 2 (rfm 1.1), run by rfm._upgrade_model on a model made by 1.0 (whose flow view it
-- has dropped): the objects 1.1 added to a model schema.
CREATE FUNCTION rfm._migrate_layout_1_to_2(s text, member_type text, model_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format($f$
    CREATE TABLE %1$I.transitions (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL, from_label text NOT NULL,
      to_label text NOT NULL, members bigint NOT NULL, revenue double precision NOT NULL,
      PRIMARY KEY (refresh_id, dimension, from_label, to_label));
    COMMENT ON TABLE %1$I.transitions IS 'Members moving between labels from the previous refresh to each refresh, with (entered) and (exited), and their net spend in between (model %3$s)';
    CREATE TABLE %1$I.tier_watch (
      member_id %2$s PRIMARY KEY, watch text NOT NULL, tier text NOT NULL, since date, next_review date,
      qualifying_spend double precision, spend_to_keep double precision, next_tier text, spend_to_upgrade double precision);
    COMMENT ON TABLE %1$I.tier_watch IS 'Members at risk of losing their tier at a review soon (at_risk) or close to the next tier (near_upgrade) at the last refresh, with their rfm.tier_status (model %3$s, option tier_policy)';
    CREATE MATERIALIZED VIEW %1$I.flow AS
      SELECT dimension, from_label, to_label, members,
             round(members / sum(members) OVER (PARTITION BY dimension, from_label), 4) AS share_of_from, revenue
        FROM %1$I.transitions WHERE refresh_id = (SELECT max(refresh_id) FROM %1$I.refreshes)
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.flow IS 'Members moving between labels from the previous to the last refresh, per dimension, with (entered) and (exited)';
    ALTER TABLE %1$I.members ADD COLUMN intent rfm.intent, ALTER COLUMN purchases DROP NOT NULL;
    COMMENT ON COLUMN %1$I.members.intent IS 'Browsing state (rfm.intent) from the events relation of option events; NULL without events';
    COMMENT ON COLUMN %1$I.members.purchases IS 'Purchase history (rfm.purchases); NULL for a member who has browsed (option events) but not bought';
    ALTER TABLE %1$I.labels ADD COLUMN p_alive double precision, ADD COLUMN expected_purchases double precision,
      ADD COLUMN clv double precision;
    COMMENT ON COLUMN %1$I.labels.p_alive IS 'Probability that the member is still active at as_of (option clv; BG/NBD or Pareto/NBD fitted at this refresh)';
    COMMENT ON COLUMN %1$I.labels.expected_purchases IS 'Expected repeat purchase days in the next clv_horizon time units (option clv)';
    COMMENT ON COLUMN %1$I.labels.clv IS 'Discounted expected spend over the next clv_horizon time units (option clv; Gamma-Gamma spend)';
    ALTER TABLE %1$I.refreshes ADD COLUMN bgnbd rfm.bgnbd, ADD COLUMN pnbd rfm.pnbd, ADD COLUMN gamma_gamma rfm.gamma_gamma;
    COMMENT ON COLUMN %1$I.refreshes.bgnbd IS 'The BG/NBD model fitted at this refresh (option clv, clv_model bgnbd): parameters, log-likelihood, members, iterations, gradient norm, converged';
    COMMENT ON COLUMN %1$I.refreshes.pnbd IS 'The Pareto/NBD model fitted at this refresh (option clv, clv_model pnbd)';
    COMMENT ON COLUMN %1$I.refreshes.gamma_gamma IS 'The Gamma-Gamma spend model fitted at this refresh (option clv)';
    ALTER TABLE %1$I.refreshes ADD COLUMN dciu_cuts double precision[];
    COMMENT ON COLUMN %1$I.refreshes.dciu_cuts IS 'DCIU cuts [I, C, D] on the intent score used by this refresh (calibrated, or the option dciu_cuts)';
    CREATE TABLE %1$I.dciu_lifts (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, bucket rfm.dciu_bucket NOT NULL, members bigint NOT NULL,
      share_of_members double precision, buyers bigint NOT NULL, share_of_buyers double precision,
      revenue double precision, share_of_revenue double precision, purchase_rate double precision, lift double precision,
      PRIMARY KEY (refresh_id, bucket));
    COMMENT ON TABLE %1$I.dciu_lifts IS 'Per refresh and DCIU bucket, the calibration replay: members bucketed by their intent score at as_of - dciu_horizon, and who bought in the horizon up to as_of (model %3$s)';
    CREATE MATERIALIZED VIEW %1$I.dciu_lift AS
      SELECT bucket, members, share_of_members, buyers, share_of_buyers, revenue, share_of_revenue, purchase_rate, lift
        FROM %1$I.dciu_lifts WHERE refresh_id = (SELECT max(refresh_id) FROM %1$I.refreshes)
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.dciu_lift IS 'DCIU lift of the last refresh: per bucket, share of members, of next-period buyers and revenue, purchase rate (option events)';
    CREATE MATERIALIZED VIEW %1$I.napl_dciu AS
      SELECT l.napl, l.dciu, count(*) AS members, round(count(*) / sum(count(*)) OVER (PARTITION BY l.napl), 4) AS share_of_napl,
             sum(l.monetary) AS revenue
        FROM %1$I.labels l WHERE l.dciu IS NOT NULL GROUP BY l.napl, l.dciu
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.napl_dciu IS 'Members per NAPL stage × DCIU bucket at the last refresh, e.g. the P members now in D or C (option events)';
  $f$, s, member_type, model_name);
END $$;
COMMENT ON FUNCTION rfm._migrate_layout_1_to_2(text, text, text) IS
  'Internal: bring a model schema of layout 1 (rfm 1.0) to layout 2 (rfm 1.1): transitions, flow over them, tier_watch, the intent, CLV and DCIU columns, dciu_lifts, dciu_lift, napl_dciu';

-- The objects of a model's schema, in the current layout (3; rfm.model.layout): the per-member states and
-- the captured changes, one row per refresh with its KPIs and fits, the labels with the facts they come from
-- (label_state, read through the view labels), their history, cut points, transitions, the distributions
-- and totals a refresh keeps up to date (hist, label_totals), and the BI views. Models made by older versions
-- are brought to it by rfm._upgrade_model. The column order of the tables is that of the models converted
-- from older layouts, so that both take the same rows.
CREATE FUNCTION rfm._model_objects(s text, member_type text, model_name text, source regclass) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format($f$
    CREATE TABLE %1$I.members (member_id %2$s PRIMARY KEY, purchases rfm.purchases, intent rfm.intent);
    COMMENT ON TABLE %1$I.members IS 'Per-member state of model %3$s: the purchase history (rfm.purchases) rebuilt from %4$s';
    COMMENT ON COLUMN %1$I.members.purchases IS 'Purchase history (rfm.purchases); NULL for a member who has browsed (option events) but not bought';
    COMMENT ON COLUMN %1$I.members.intent IS 'Browsing state (rfm.intent) from the events relation of option events; NULL without events';
    CREATE TABLE %1$I.refreshes (
      refresh_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, as_of date NOT NULL, full_rebuild boolean NOT NULL,
      started timestamptz NOT NULL, finished timestamptz NOT NULL, members bigint NOT NULL, rebuilt bigint NOT NULL,
      changed bigint NOT NULL, fallback_cycle double precision, value_reference jsonb NOT NULL,
      revenue double precision, active_rate double precision, repurchase_rate double precision,
      churn_rate double precision, n_to_a_rate double precision, p_to_a_rate double precision,
      top20_revenue_share double precision, bgnbd rfm.bgnbd, pnbd rfm.pnbd, gamma_gamma rfm.gamma_gamma,
      dciu_cuts double precision[], params jsonb, relabelled bigint, clv_status text);
    COMMENT ON TABLE %1$I.refreshes IS 'One row per refresh of model %3$s';
    COMMENT ON COLUMN %1$I.refreshes.bgnbd IS 'The BG/NBD model fitted at this refresh (option clv, clv_model bgnbd): parameters, log-likelihood, members, iterations, gradient norm, converged';
    COMMENT ON COLUMN %1$I.refreshes.pnbd IS 'The Pareto/NBD model fitted at this refresh (option clv, clv_model pnbd)';
    COMMENT ON COLUMN %1$I.refreshes.gamma_gamma IS 'The Gamma-Gamma spend model fitted at this refresh (option clv)';
    COMMENT ON COLUMN %1$I.refreshes.dciu_cuts IS 'DCIU cuts [I, C, D] on the intent score used by this refresh (calibrated, or the option dciu_cuts)';
    COMMENT ON COLUMN %1$I.refreshes.relabelled IS 'Members whose labels this refresh computed (the others cannot have changed and kept theirs); NULL before rfm 1.2';
    COMMENT ON COLUMN %1$I.refreshes.params IS 'What the labels of this refresh depend on besides the data: the model''s options and its segment map; when it changes, the next refresh relabels every member';
    -- fillfactor 90: room on each page for the new version of a row a refresh rewrites or closes (none of
    -- the columns it changes is in an index: the update stays on the page and adds no index entry)
    CREATE TABLE %1$I.label_state (
      member_id %2$s, frequency integer, monetary double precision,
      r_score integer, f_score integer, m_score integer, segment text, value_segment text,
      napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text,
      p_alive double precision, expected_purchases double precision, clv double precision,
      last_day date, days integer, gap double precision, since_prev double precision, recheck date, since date,
      CONSTRAINT label_state_pkey PRIMARY KEY (member_id)) WITH (fillfactor = 90);
    COMMENT ON COLUMN %1$I.label_state.p_alive IS 'Probability that the member is still active at as_of (option clv; BG/NBD or Pareto/NBD fitted at this refresh)';
    COMMENT ON COLUMN %1$I.label_state.expected_purchases IS 'Expected repeat purchase days in the next clv_horizon time units (option clv)';
    COMMENT ON COLUMN %1$I.label_state.clv IS 'Discounted expected spend over the next clv_horizon time units (option clv; Gamma-Gamma spend)';
    CREATE TABLE %1$I.label_history (
      member_id %2$s NOT NULL, valid_from date NOT NULL, valid_to date,
      r_score integer, f_score integer, m_score integer, segment text, value_segment text,
      napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text,
      PRIMARY KEY (member_id, valid_from)) WITH (fillfactor = 90);
    CREATE INDEX ON %1$I.label_history (valid_from);
    COMMENT ON TABLE %1$I.label_history IS 'Label changes as validity ranges [valid_from, valid_to): the labels of any past refresh (model %3$s)';
    CREATE TABLE %1$I.cutpoints (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL,
      breaks double precision[], members_per_score bigint[] NOT NULL, PRIMARY KEY (refresh_id, dimension));
    COMMENT ON TABLE %1$I.cutpoints IS 'Cut points (NULL for ntile scoring) and members per score of every refresh (model %3$s)';
    CREATE TABLE %1$I.transitions (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL, from_label text NOT NULL,
      to_label text NOT NULL, members bigint NOT NULL, revenue double precision NOT NULL,
      PRIMARY KEY (refresh_id, dimension, from_label, to_label));
    COMMENT ON TABLE %1$I.transitions IS 'Members moving between labels from the previous refresh to each refresh, with (entered) and (exited), and their net spend in between (model %3$s)';
    CREATE TABLE %1$I.tier_watch (
      member_id %2$s PRIMARY KEY, watch text NOT NULL, tier text NOT NULL, since date, next_review date,
      qualifying_spend numeric, spend_to_keep numeric, next_tier text, spend_to_upgrade numeric);
    COMMENT ON TABLE %1$I.tier_watch IS 'Members at risk of losing their tier at a review soon (at_risk) or close to the next tier (near_upgrade) at the last refresh, with their rfm.tier_status (model %3$s, option tier_policy)';
    CREATE TABLE %1$I.dciu_lifts (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, bucket rfm.dciu_bucket NOT NULL, members bigint NOT NULL,
      share_of_members double precision, buyers bigint NOT NULL, share_of_buyers double precision,
      revenue double precision, share_of_revenue double precision, purchase_rate double precision, lift double precision,
      PRIMARY KEY (refresh_id, bucket));
    COMMENT ON TABLE %1$I.dciu_lifts IS 'Per refresh and DCIU bucket, the calibration replay: members bucketed by their intent score at as_of - dciu_horizon, and who bought in the horizon up to as_of (model %3$s)';
  $f$, s, member_type, model_name, source);
  PERFORM rfm._label_state_objects(s, model_name);
  PERFORM rfm._label_state_indexes(s, true);
  -- on Citus, where members, label_state and label_history are distributed with the source (rfm._distribute_model):
  -- the work tables of the refreshes, distributed with them (a refresh's joins of its candidates and of the rows
  -- it writes with the model's tables then run shard by shard on the workers; docs/scale-out.md). Empty between
  -- refreshes. work_changed has label_state's columns (since the old one) and the flags of the rows that differ.
  -- Keyed by member: the joins a refresh runs with hash and merge joins off (rfm._plan(ctx.index_joins), sent to
  -- the workers) look a member up in them by their index, whichever side the planner drives from (a same-day
  -- refresh's history rows of the day, which the statistics may not know yet, say: rfm._refresh_history).
  IF rfm._by_member(source, (SELECT m.member_column FROM rfm.model m WHERE m.name = model_name)) THEN
    EXECUTE format($f$
      CREATE TABLE %1$I.work_candidates (member_id %2$s PRIMARY KEY);
      COMMENT ON TABLE %1$I.work_candidates IS 'Work table of model %3$s''s refreshes (Citus): the members a refresh relabels, distributed with label_state; empty between refreshes';
      COMMENT ON COLUMN %1$I.work_candidates.member_id IS 'A member the refresh relabels (touched, due for a recheck, or crossed by a moved threshold)';
      CREATE TABLE %1$I.work_changed (LIKE %1$I.label_state);
      ALTER TABLE %1$I.work_changed RENAME since TO o_since;
      ALTER TABLE %1$I.work_changed ADD COLUMN had_row boolean, ADD COLUMN has_state boolean, ADD COLUMN was boolean,
        ADD COLUMN is_now boolean, ADD COLUMN changed boolean, ADD COLUMN reopen date, ADD PRIMARY KEY (member_id);
      COMMENT ON TABLE %1$I.work_changed IS 'Work table of model %3$s''s refreshes (Citus): the rows of label_state a refresh writes (their new values, with the flags below), distributed with label_state and label_history; empty between refreshes';
      COMMENT ON COLUMN %1$I.work_changed.o_since IS 'since of the member''s row of label_state before the refresh (the start of its open history row)';
      COMMENT ON COLUMN %1$I.work_changed.had_row IS 'The member had a row of label_state';
      COMMENT ON COLUMN %1$I.work_changed.has_state IS 'The member has a state (a row of members) now';
      COMMENT ON COLUMN %1$I.work_changed.was IS 'The member was labelled before the refresh';
      COMMENT ON COLUMN %1$I.work_changed.is_now IS 'The member is labelled now';
      COMMENT ON COLUMN %1$I.work_changed.changed IS 'The member''s labels changed (entered, exited, or a label differs): its history gets a row';
      COMMENT ON COLUMN %1$I.work_changed.reopen IS 'valid_from of the history row a refresh on the day of the last one opens again (its labels are back)';
    $f$, s, member_type, model_name);
  END IF;
  PERFORM rfm._bi_views(s, (SELECT m FROM rfm.model m WHERE m.name = model_name));
END $$;
COMMENT ON FUNCTION rfm._model_objects(text, text, text, regclass) IS
  'Internal: create the objects of a new model''s schema in the current layout (tables, label_state''s indexes, the labels view, the BI views)';

-- The objects of layout 3 over label_state: the comments of its table and of the columns layout 3 added, the
-- labels view, hist, label_totals and the summaries over label_totals (empty; a refresh fills them). Made by
-- rfm._model_objects for a new model and by rfm._migrate_layout_2_to_3 for an older one, once label_state has
-- its columns.
CREATE FUNCTION rfm._label_state_objects(s text, model_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format($f$
    COMMENT ON TABLE %1$I.label_state IS 'Labels of every member with a purchase history at the last refresh, with the facts they were computed from (model %2$s; read them through the view labels)';
    COMMENT ON COLUMN %1$I.label_state.last_day IS 'Last purchase day by the last refresh''s as_of (NULL: only orders dated after it; such a member has no labels yet)';
    COMMENT ON COLUMN %1$I.label_state.days IS 'Purchase days by as_of';
    COMMENT ON COLUMN %1$I.label_state.gap IS 'Mean gap between purchase days (repeat buyers): the median of these is the NES fallback cycle';
    COMMENT ON COLUMN %1$I.label_state.since_prev IS 'Net spend since the refresh before the last one (the revenue of the flow)';
    COMMENT ON COLUMN %1$I.label_state.recheck IS 'Day from which the member must be labelled again without new orders (next dated entry, next NES stage of a repeat buyer)';
    COMMENT ON COLUMN %1$I.label_state.since IS 'valid_from of the member''s open label_history row';
    CREATE TABLE %1$I.hist (dim "char" NOT NULL, bucket double precision NOT NULL, n bigint NOT NULL, total numeric,
                            PRIMARY KEY (dim, bucket));
    COMMENT ON TABLE %1$I.hist IS 'Members per value at the last refresh (dim l: last purchase day - 2000-01-01, f: frequency; m: monetary and g: repeat buyers'' mean gap, by whole units, with the exact sum in total): the cut points, references and top-20 %% revenue are read from it';
    CREATE TABLE %1$I.label_totals (
      r_score integer, f_score integer, m_score integer, segment text, value_segment text, napl rfm.napl_stage,
      nes rfm.nes_stage, dciu text, tier text, members bigint NOT NULL, sum_day numeric NOT NULL,
      sum_frequency numeric NOT NULL, sum_monetary numeric NOT NULL);
    COMMENT ON TABLE %1$I.label_totals IS 'Members, and sums of last purchase day (- 2000-01-01), frequency and monetary, per combination of labels at the last refresh (model %2$s): the summaries are read from it';
  $f$, s, model_name);
END $$;
COMMENT ON FUNCTION rfm._label_state_objects(text, text) IS
  'Internal: create the objects of layout 3 over a model''s label_state: comments, the labels view, hist, label_totals, the summaries';

-- The grants of a relation, other than its owner's own, as GRANT statements on target (NULL when none): kept when
-- a view is made again.
CREATE FUNCTION rfm._grants_sql(rel regclass, target text) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT string_agg(format('GRANT %s ON %s TO %s%s', x.privilege_type, target,
                           CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END,
                           CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), '; ')
    FROM pg_class c, aclexplode(c.relacl) x
   WHERE c.oid = rel AND x.grantee <> c.relowner
$$;
COMMENT ON FUNCTION rfm._grants_sql(regclass, text) IS
  'Internal: the grants of a relation (but its owner''s) as GRANT statements on another name, to keep them when a view is made again';

-- The scale of a model's money columns in its BI objects: the decimals of the source's amount column (numeric
-- with a scale: that scale, at most 4; integers: 0), else 2 (cents).
CREATE FUNCTION rfm._money_scale(source regclass, amount_column name) RETURNS integer
  LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce((SELECT CASE WHEN a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN 0
                               WHEN a.atttypid = 'numeric'::regtype AND a.atttypmod >= 4 THEN least(((a.atttypmod - 4) & 65535), 4)
                               ELSE 2 END
                     FROM pg_attribute a WHERE a.attrelid = source AND a.attname = amount_column AND NOT a.attisdropped), 2)
$$;
COMMENT ON FUNCTION rfm._money_scale(regclass, name) IS
  'Internal: decimals of a model''s money in its BI objects (the numeric scale of the source''s amount column, at most 4; 0 for integers; else 2)';

-- The BI objects of a model (docs/models.md): plain views over its tables, so that information_schema and a JDBC
-- driver's DatabaseMetaData list them with their columns; label codes as text (a varchar parameter compares with
-- them), money as numeric rounded to the source's decimals (rfm._money_scale), shares as numeric to 4 decimals,
-- display names looked up when read, in the reader's rfm.locale. Made when a model is made, and made again by
-- the step to layout 4 (over the materialized views of older layouts), each view's grants kept. A view of yours
-- over one of them makes that an error (docs/upgrade.md: drop it first). On a Citus coordinator the views stay
-- local, over the model's local tables: made without Citus' DDL propagation (which would warn, per view, that it
-- cannot propagate them; a setting of the function only, and a placeholder where Citus is not loaded).
CREATE FUNCTION rfm._bi_views(s text, m rfm.model) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET citus.enable_ddl_propagation = off AS $$
DECLARE
  sc integer := rfm._money_scale(m.source, m.amount_column);
  v record;
  g text;
  grants jsonb := '{}';
BEGIN
  -- made by this layout: the per-refresh label totals and the browsers who never bought (option events)
  EXECUTE format($f$
    CREATE TABLE IF NOT EXISTS %1$I.refresh_totals (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL, label text NOT NULL,
      members bigint NOT NULL, revenue numeric NOT NULL, PRIMARY KEY (refresh_id, dimension, label));
    COMMENT ON TABLE %1$I.refresh_totals IS 'Members and the sum of their monetary value per label and dimension at every refresh since rfm 1.7 (model %2$s)';
    CREATE TABLE IF NOT EXISTS %1$I.campaign_results (
      campaign text NOT NULL, dimension text NOT NULL, published timestamptz NOT NULL,
      dimension_value text,
      arm text,
      members bigint,
      responders bigint,
      control_members bigint,
      control_responders bigint,
      response_rate double precision,
      control_response_rate double precision,
      response_uplift double precision,
      response_uplift_low double precision,
      response_uplift_high double precision,
      response_p double precision,
      revenue_per_member double precision,
      control_revenue_per_member double precision,
      revenue_uplift double precision,
      revenue_uplift_low double precision,
      revenue_uplift_high double precision,
      revenue_p double precision,
      cuped_revenue_uplift double precision,
      cuped_revenue_uplift_low double precision,
      cuped_revenue_uplift_high double precision,
      cuped_revenue_p double precision,
      relative_revenue_lift double precision,
      relative_revenue_lift_low double precision,
      relative_revenue_lift_high double precision,
      incremental_revenue double precision,
      cost double precision,
      profit double precision,
      roi double precision,
      q_value double precision,
      revenue_q_value double precision,
      members_not_in_model bigint,
      window_days_covered integer,
      srm_p double precision,
      note text);
    COMMENT ON TABLE %1$I.campaign_results IS 'Reviews of the campaigns on model %2$s as rfm.publish_campaign wrote them (rfm.campaign_review for the whole campaign and every label dimension)';
    CREATE TABLE IF NOT EXISTS %1$I.prospects (member_id %3$s PRIMARY KEY, dciu text NOT NULL, intent_score double precision NOT NULL);
    COMMENT ON TABLE %1$I.prospects IS 'Members who browsed (option events) but have no purchase by the last refresh''s as_of, with their DCIU bucket then (model %2$s)';
  $f$, s, m.name, (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = format('%I.members', s)::regclass AND attname = 'member_id'));
  FOR v IN SELECT c.oid, c.relname, c.relkind FROM pg_class c
            WHERE c.relnamespace = s::regnamespace AND c.relkind IN ('v', 'm')
              AND c.relname IN ('labels', 'kpi', 'flow', 'dciu_lift', 'segment_summary', 'lifecycle_summary', 'napl_dciu',
                                'value_segment_summary', 'value_segment_history', 'label_counts', 'flow_sankey',
                                'campaign_reviews')
            ORDER BY c.oid DESC LOOP
    grants := grants || jsonb_build_object(v.relname, rfm._grants_sql(v.oid, format('%I.%I', s, v.relname)));
    EXECUTE format('DROP %s %I.%I', CASE v.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, s, v.relname);
  END LOOP;
  -- (refreshes.clv_status came with rfm 1.7)
  IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = format('%I.refreshes', s)::regclass AND attname = 'clv_status') THEN
    EXECUTE format('ALTER TABLE %I.refreshes ADD COLUMN clv_status text', s);
  END IF;
  EXECUTE format($f$
    CREATE VIEW %1$I.labels AS
      SELECT l.member_id, r.as_of, r.as_of - l.last_day AS recency, l.frequency, round(l.monetary::numeric, %3$s) AS monetary,
             l.r_score, l.f_score, l.m_score, l.segment, l.value_segment, l.napl::text AS napl, l.nes::text AS nes, l.dciu,
             l.tier, l.p_alive, l.expected_purchases, round(l.clv::numeric, %3$s) AS clv, r.clv_status
        FROM %1$I.label_state l,
             (SELECT max(as_of) AS as_of,
                     (SELECT x.clv_status FROM %1$I.refreshes x ORDER BY x.as_of DESC, x.refresh_id DESC LIMIT 1) AS clv_status
                FROM %1$I.refreshes) r
       WHERE l.last_day IS NOT NULL
      UNION ALL
      SELECT p.member_id, r.as_of, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, p.dciu, NULL, NULL, NULL, NULL, NULL
        FROM %1$I.prospects p, (SELECT max(as_of) AS as_of FROM %1$I.refreshes) r;
    COMMENT ON VIEW %1$I.labels IS 'Labels of every member with a purchase by the last refresh''s as_of, and the DCIU bucket of those who only browsed (model %2$s)';

    CREATE VIEW %1$I.kpi AS
      SELECT r.refresh_id, r.as_of, r.members, round(r.revenue::numeric, %3$s) AS revenue, p.as_of AS period_start,
             CASE WHEN p.as_of IS NOT NULL THEN round(t.revenue::numeric, %3$s) END AS period_revenue,
             round(r.active_rate::numeric, 4) AS active_rate, round(r.repurchase_rate::numeric, 4) AS repurchase_rate,
             round(r.churn_rate::numeric, 4) AS churn_rate, round(r.n_to_a_rate::numeric, 4) AS n_to_a_rate,
             round(r.p_to_a_rate::numeric, 4) AS p_to_a_rate, round(r.top20_revenue_share::numeric, 4) AS top20_revenue_share
        FROM %1$I.refreshes r
        LEFT JOIN LATERAL (SELECT max(x.as_of) AS as_of FROM %1$I.refreshes x WHERE x.as_of < r.as_of) p ON true
        LEFT JOIN LATERAL (SELECT sum(x.revenue) AS revenue FROM %1$I.transitions x
                            WHERE x.refresh_id = r.refresh_id AND x.dimension = 'napl') t ON true;
    COMMENT ON VIEW %1$I.kpi IS 'One row per refresh of model %2$s: members, revenue in the window and in the period since the refresh before, active rate, repurchase rate, churn, N→A conversion, P→A wake-up, revenue share of the top 20 %% of members';

    CREATE VIEW %1$I.flow AS
      SELECT t.dimension, t.from_label, t.to_label, t.members,
             round(t.members / sum(t.members) OVER (PARTITION BY t.dimension, t.from_label), 4) AS share_of_from,
             round(t.revenue::numeric, %3$s) AS revenue
        FROM %1$I.transitions t WHERE t.refresh_id = (SELECT max(x.refresh_id) FROM %1$I.refreshes x);
    COMMENT ON VIEW %1$I.flow IS 'Members moving between labels from the previous to the last refresh of model %2$s, per dimension, with (entered) and (exited)';

    CREATE VIEW %1$I.segment_summary AS
      SELECT t.segment, rfm.label_name('segment', t.segment) AS segment_name, sum(t.members)::bigint AS members,
             round(sum(t.members) / sum(sum(t.members)) OVER (), 4) AS share_of_members,
             round(sum(t.sum_monetary), %3$s) AS revenue,
             round(sum(t.sum_monetary) / nullif(sum(sum(t.sum_monetary)) OVER (), 0), 4) AS share_of_revenue,
             round((sum(t.members) * (max(r.as_of) - DATE '2000-01-01') - sum(t.sum_day)) / sum(t.members), 2) AS avg_recency,
             round(sum(t.sum_frequency) / sum(t.members), 2) AS avg_frequency,
             round(sum(t.sum_monetary) / sum(t.members), %3$s) AS avg_monetary
        FROM %1$I.label_totals t, (SELECT max(as_of) AS as_of FROM %1$I.refreshes) r
       GROUP BY t.segment;
    COMMENT ON VIEW %1$I.segment_summary IS 'Members, revenue and average R/F/M per segment at the last refresh of model %2$s';

    CREATE VIEW %1$I.lifecycle_summary AS
      SELECT t.napl::text AS napl, t.nes::text AS nes, t.value_segment, sum(t.members)::bigint AS members,
             round(sum(t.sum_monetary), %3$s) AS revenue
        FROM %1$I.label_totals t GROUP BY t.napl, t.nes, t.value_segment;
    COMMENT ON VIEW %1$I.lifecycle_summary IS 'Members and revenue per NAPL stage × NES stage × value segment at the last refresh of model %2$s';

    CREATE VIEW %1$I.value_segment_history AS
      SELECT r.refresh_id, r.as_of, v.sort_order, v.value_segment,
             rfm.label_name('value_segment', v.value_segment) AS value_segment_name, coalesce(t.members, 0) AS members,
             round(coalesce(t.members, 0) / nullif(sum(t.members) OVER (PARTITION BY r.refresh_id), 0), 4) AS share_of_members,
             round(coalesce(t.revenue, 0), %3$s) AS revenue,
             round(coalesce(t.revenue, 0) / nullif(sum(t.revenue) OVER (PARTITION BY r.refresh_id), 0), 4) AS share_of_revenue
        FROM %1$I.refreshes r
        CROSS JOIN (VALUES (1, 'important_value'), (2, 'important_develop'), (3, 'important_retain'), (4, 'important_winback'),
                           (5, 'general_value'), (6, 'general_develop'), (7, 'general_retain'), (8, 'general_winback'))
                     v(sort_order, value_segment)
        LEFT JOIN %1$I.refresh_totals t ON t.refresh_id = r.refresh_id AND t.dimension = 'value_segment' AND t.label = v.value_segment
       WHERE EXISTS (SELECT FROM %1$I.refresh_totals x WHERE x.refresh_id = r.refresh_id);
    COMMENT ON VIEW %1$I.value_segment_history IS 'The 8-segment value model (重要/一般 × 價值/發展/保持/挽留) at every refresh of model %2$s since rfm 1.7: members, revenue and their shares per value segment and refresh, names in the reader''s rfm.locale';

    CREATE VIEW %1$I.value_segment_summary AS
      SELECT h.as_of, h.sort_order, h.value_segment, h.value_segment_name, h.members, h.share_of_members, h.revenue,
             h.share_of_revenue
        FROM %1$I.value_segment_history h
       WHERE h.refresh_id = (SELECT x.refresh_id FROM %1$I.refreshes x ORDER BY x.as_of DESC, x.refresh_id DESC LIMIT 1)
       ORDER BY h.sort_order;
    COMMENT ON VIEW %1$I.value_segment_summary IS 'The 8-segment value model (重要/一般 × 價值/發展/保持/挽留) at the last refresh of model %2$s: members, revenue and their shares per value segment, in the order of the source material, names in the reader''s rfm.locale';

    CREATE VIEW %1$I.label_counts AS
      SELECT r.as_of, t.dimension, t.to_label AS label, rfm._chart_name(t.dimension, t.to_label) AS label_name,
             sum(t.members)::bigint AS members
        FROM %1$I.transitions t JOIN %1$I.refreshes r USING (refresh_id)
       WHERE t.to_label <> '(exited)'
       GROUP BY r.as_of, t.dimension, t.to_label;
    COMMENT ON VIEW %1$I.label_counts IS 'Members per label at every refresh of model %2$s, per dimension: members per stage over time';

    CREATE VIEW %1$I.campaign_reviews AS
      SELECT r.campaign, r.dimension, r.dimension_value, rfm._chart_name(r.dimension, r.dimension_value) AS dimension_value_name,
             r.arm, r.members, r.responders, r.control_members, r.control_responders, r.response_rate, r.control_response_rate, r.response_uplift, r.response_uplift_low, r.response_uplift_high, r.response_p, r.revenue_per_member, r.control_revenue_per_member, r.revenue_uplift, r.revenue_uplift_low, r.revenue_uplift_high, r.revenue_p, r.cuped_revenue_uplift, r.cuped_revenue_uplift_low, r.cuped_revenue_uplift_high, r.cuped_revenue_p, r.relative_revenue_lift, r.relative_revenue_lift_low, r.relative_revenue_lift_high, r.incremental_revenue, r.cost, r.profit, r.roi, r.q_value, r.revenue_q_value, r.members_not_in_model, r.window_days_covered, r.srm_p, r.note, r.published
        FROM %1$I.campaign_results r;
    COMMENT ON VIEW %1$I.campaign_reviews IS 'The published reviews of every campaign on model %2$s, per dimension value (labels as of each member''s assignment day) and treatment arm against control, display names in the reader''s rfm.locale (rfm.publish_campaign writes them)';

    CREATE VIEW %1$I.flow_sankey AS
      SELECT p.as_of AS from_date, r.as_of AS to_date, t.dimension, t.from_label, t.to_label,
             rfm._chart_name(t.dimension, t.from_label) AS from_name, rfm._chart_name(t.dimension, t.to_label) AS to_name,
             rfm._chart_name(t.dimension, t.from_label) || ' · ' || coalesce(p.as_of::text, '') AS source_node,
             rfm._chart_name(t.dimension, t.to_label) || ' · ' || r.as_of::text AS target_node,
             t.members, round(t.revenue::numeric, %3$s) AS revenue
        FROM %1$I.transitions t JOIN %1$I.refreshes r USING (refresh_id)
        LEFT JOIN LATERAL (SELECT max(x.as_of) AS as_of FROM %1$I.refreshes x WHERE x.as_of < r.as_of) p ON true;
    COMMENT ON VIEW %1$I.flow_sankey IS 'Members moving between labels from each refresh to the next of model %2$s, per dimension, ready for a Sankey chart: dates, display names in the reader''s locale, node names that differ by side';
  $f$, s, m.name, sc);
  -- the DCIU views only where there is DCIU (the option events, which a model keeps from its creation)
  IF m.options ? 'events' THEN
    EXECUTE format($f$
    CREATE VIEW %1$I.dciu_lift AS
      SELECT d.bucket::text AS bucket, d.members, round(d.share_of_members::numeric, 4) AS share_of_members, d.buyers,
             round(d.share_of_buyers::numeric, 4) AS share_of_buyers, round(d.revenue::numeric, %3$s) AS revenue,
             round(d.share_of_revenue::numeric, 4) AS share_of_revenue, round(d.purchase_rate::numeric, 4) AS purchase_rate,
             round(d.lift::numeric, 4) AS lift
        FROM %1$I.dciu_lifts d WHERE d.refresh_id = (SELECT max(x.refresh_id) FROM %1$I.refreshes x);
    COMMENT ON VIEW %1$I.dciu_lift IS 'DCIU lift of the last refresh of model %2$s: per bucket, share of members, of next-period buyers and revenue, purchase rate (option events)';

    CREATE VIEW %1$I.napl_dciu AS
      SELECT x.napl, x.dciu, sum(x.members)::bigint AS members,
             round(sum(x.members) / sum(sum(x.members)) OVER (PARTITION BY x.napl), 4) AS share_of_napl,
             round(sum(x.revenue), %3$s) AS revenue
        FROM (SELECT t.napl::text AS napl, t.dciu, t.members, t.sum_monetary AS revenue FROM %1$I.label_totals t WHERE t.dciu IS NOT NULL
              UNION ALL
              SELECT NULL, p.dciu, 1, 0 FROM %1$I.prospects p) x
       GROUP BY x.napl, x.dciu;
    COMMENT ON VIEW %1$I.napl_dciu IS 'Members per NAPL stage × DCIU bucket at the last refresh of model %2$s, e.g. the P members now in D or C; napl NULL: browsers who never bought (option events)';
    $f$, s, m.name, sc);
  END IF;
  -- (the grants of a view made again; none for one no longer made)
  FOR g IN SELECT e.value FROM jsonb_each_text(grants) e
            WHERE e.value IS NOT NULL AND to_regclass(format('%I.%I', s, e.key)) IS NOT NULL LOOP
    EXECUTE g;
  END LOOP;
  PERFORM rfm._bi_comments(s);
END $$;
COMMENT ON FUNCTION rfm._bi_views(text, rfm.model) IS
  'Internal: (re)create a model''s BI views (labels, kpi, flow, dciu_lift, the summaries, the chart views) as plain views, their grants kept, and the tables they read that layout 4 added';

-- A COMMENT on every column of the objects BI tools read (the labels view, the summaries, flow, kpi, DCIU lift,
-- the chart views, the tier watch list, the tables the views read), which Metabase, Superset or a JDBC
-- DatabaseMetaData show as each column's description. Set on the objects that exist; run by rfm._bi_views.
CREATE FUNCTION rfm._bi_comments(s text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c record;
  money CONSTANT text := ', in the source''s units, rounded to the decimals of its amount column (2 for floating point)';
BEGIN
  FOR c IN
    SELECT r.rel, v.col, replace(v.note, ' $money', money) AS note
      FROM (VALUES
        ('labels', 'member_id', 'Member id (the source''s member column)'),
        ('labels', 'as_of', 'Day of the last refresh: the labels hold as of it'),
        ('labels', 'recency', 'Days from the last purchase to as_of (NULL: a browser who never bought)'),
        ('labels', 'frequency', 'Purchase days in the window (all history without the option window)'),
        ('labels', 'monetary', 'Net spend in the window (all history without the option window) $money'),
        ('labels', 'r_score', 'Recency score, 1 (longest ago) to bins (most recent)'),
        ('labels', 'f_score', 'Frequency score, 1 (fewest purchase days) to bins'),
        ('labels', 'm_score', 'Monetary score, 1 (lowest spend) to bins'),
        ('labels', 'segment', 'RFM segment code of the segment map (rfm.label_name(''segment'', code) for its name)'),
        ('labels', 'value_segment', 'Value segment code of the 8-segment model (重要/一般 × 價值/發展/保持/挽留)'),
        ('labels', 'napl', 'NAPL lifecycle stage (91APP): N new, A active, P potential (lapsed repeat buyer), L lost'),
        ('labels', 'nes', 'NES stage against the member''s own purchase cycle (ORDERLY): N new (within the cycle), E0 existing (core), S1 sleepy, S2 half-asleep, S3 asleep'),
        ('labels', 'dciu', 'DCIU purchase intent bucket from browsing (D deciding, C considering, I interested, U uninterested; option events); the only label of a browser who never bought'),
        ('labels', 'tier', 'Membership tier (option tier_policy)'),
        ('labels', 'p_alive', 'Probability the member is still a customer (option clv; NULL when the fit did not converge)'),
        ('labels', 'expected_purchases', 'Expected purchases over the option clv_horizon (option clv)'),
        ('labels', 'clv', 'Lifetime value over the option clv_horizon, discounted (option clv) $money'),
        ('labels', 'clv_status', 'Lifetime value at the last refresh (option clv): ok, or why p_alive, expected_purchases and clv are NULL (a fit that did not converge, or failed); NULL without the option'),
        ('refreshes', 'clv_status', 'Lifetime value at this refresh (option clv): ok, or why labels carry none (a fit that did not converge, or failed); NULL without the option'),
        ('segment_summary', 'segment', 'RFM segment code'),
        ('segment_summary', 'segment_name', 'Display name of the segment in the reader''s rfm.locale, looked up when read'),
        ('segment_summary', 'members', 'Members in the segment at the last refresh'),
        ('segment_summary', 'share_of_members', 'members / all labelled members, 4 decimals'),
        ('segment_summary', 'revenue', 'Sum of the members'' monetary value $money'),
        ('segment_summary', 'share_of_revenue', 'revenue / all members'' revenue, 4 decimals'),
        ('segment_summary', 'avg_recency', 'Mean days since the last purchase, 2 decimals'),
        ('segment_summary', 'avg_frequency', 'Mean purchase days, 2 decimals'),
        ('segment_summary', 'avg_monetary', 'Mean monetary value $money'),
        ('lifecycle_summary', 'napl', 'NAPL lifecycle stage (N, A, P, L)'),
        ('lifecycle_summary', 'nes', 'NES stage (N, E0, S1, S2, S3)'),
        ('lifecycle_summary', 'value_segment', 'Value segment code'),
        ('lifecycle_summary', 'members', 'Members with these three labels at the last refresh'),
        ('lifecycle_summary', 'revenue', 'Sum of their monetary value $money'),
        ('napl_dciu', 'napl', 'NAPL lifecycle stage; NULL for the browsers who never bought (table prospects)'),
        ('napl_dciu', 'dciu', 'DCIU purchase intent bucket (option events)'),
        ('napl_dciu', 'members', 'Members with this NAPL stage and DCIU bucket at the last refresh'),
        ('napl_dciu', 'share_of_napl', 'members / all members of the NAPL stage, 4 decimals'),
        ('napl_dciu', 'revenue', 'Sum of their monetary value $money'),
        ('flow', 'dimension', 'The label moved on: segment, value_segment, napl, nes, tier or dciu'),
        ('flow', 'from_label', 'Label at the previous refresh, or (entered) for a member new since'),
        ('flow', 'to_label', 'Label at the last refresh, or (exited) for a member gone since'),
        ('flow', 'members', 'Members who moved from from_label to to_label'),
        ('flow', 'share_of_from', 'members / all members of from_label, 4 decimals'),
        ('flow', 'revenue', 'Their net spend between the previous refresh and the last one $money'),
        ('kpi', 'refresh_id', 'The refresh (refreshes.refresh_id)'),
        ('kpi', 'as_of', 'Day of the refresh'),
        ('kpi', 'members', 'Members with a purchase by as_of'),
        ('kpi', 'revenue', 'Sum of the members'' monetary value at this refresh: spend in the window (all history without one), not per period $money'),
        ('kpi', 'period_start', 'Day of the refresh before (the period is period_start < day <= as_of); NULL for the first refresh'),
        ('kpi', 'period_revenue', 'Net spend of the period from period_start to as_of, for a revenue-per-period chart; NULL for the first refresh $money'),
        ('kpi', 'active_rate', 'Share of members in NAPL stage N or A, 4 decimals'),
        ('kpi', 'repurchase_rate', 'Share of members in NAPL stage A or P (bought more than once), 4 decimals'),
        ('kpi', 'churn_rate', 'Share of the previous refresh''s N and A members now P, L or gone, 4 decimals'),
        ('kpi', 'n_to_a_rate', 'Share of the previous refresh''s new (N) members now active (A), 4 decimals'),
        ('kpi', 'p_to_a_rate', 'Share of the previous refresh''s potential (P) members active again (A), 4 decimals'),
        ('kpi', 'top20_revenue_share', 'Share of revenue of the top 20 % of members by monetary value, 4 decimals'),
        ('dciu_lift', 'bucket', 'DCIU bucket (D, C, I, U)'),
        ('dciu_lift', 'members', 'Members (buyers and browsers who never bought) in the bucket at the start of the horizon'),
        ('dciu_lift', 'share_of_members', 'members / all members, 4 decimals'),
        ('dciu_lift', 'buyers', 'Of them, members who bought within the horizon'),
        ('dciu_lift', 'share_of_buyers', 'buyers / all buyers, 4 decimals'),
        ('dciu_lift', 'revenue', 'Their spend within the horizon $money'),
        ('dciu_lift', 'share_of_revenue', 'revenue / all revenue, 4 decimals'),
        ('dciu_lift', 'purchase_rate', 'buyers / members, 4 decimals'),
        ('dciu_lift', 'lift', 'purchase_rate / the purchase rate of all members, 4 decimals'),
        ('value_segment_summary', 'as_of', 'Day of the last refresh'),
        ('value_segment_summary', 'sort_order', '1 (important_value, 重要價值客戶) to 8 (general_winback, 一般挽留客戶): the order of the 8-segment table'),
        ('value_segment_summary', 'value_segment', 'Value segment code (rfm.value_segment)'),
        ('value_segment_summary', 'value_segment_name', 'Display name in the reader''s rfm.locale (rfm.label_name), looked up when read'),
        ('value_segment_summary', 'members', 'Members in the segment (0 when none)'),
        ('value_segment_summary', 'share_of_members', 'members / all labelled members, 4 decimals'),
        ('value_segment_summary', 'revenue', 'Sum of the members'' monetary value (their spend in the model''s window, all history without one) $money'),
        ('value_segment_summary', 'share_of_revenue', 'revenue / all members'' revenue, 4 decimals'),
        ('value_segment_history', 'refresh_id', 'The refresh (refreshes.refresh_id)'),
        ('value_segment_history', 'as_of', 'Day of the refresh'),
        ('value_segment_history', 'sort_order', '1 (important_value, 重要價值客戶) to 8 (general_winback, 一般挽留客戶)'),
        ('value_segment_history', 'value_segment', 'Value segment code (rfm.value_segment)'),
        ('value_segment_history', 'value_segment_name', 'Display name in the reader''s rfm.locale, looked up when read'),
        ('value_segment_history', 'members', 'Members in the segment at the refresh (0 when none)'),
        ('value_segment_history', 'share_of_members', 'members / all labelled members at the refresh, 4 decimals'),
        ('value_segment_history', 'revenue', 'Sum of the members'' monetary value at the refresh $money'),
        ('value_segment_history', 'share_of_revenue', 'revenue / all members'' revenue at the refresh, 4 decimals'),
        ('label_counts', 'as_of', 'Day of the refresh'),
        ('label_counts', 'dimension', 'segment, value_segment, napl, nes, tier or dciu'),
        ('label_counts', 'label', 'Label code ((none) for a member without one)'),
        ('label_counts', 'label_name', 'Display name in the reader''s rfm.locale, looked up when read'),
        ('label_counts', 'members', 'Members with the label at the refresh'),
        ('flow_sankey', 'from_date', 'Day of the refresh before (NULL for the first refresh, whose members all entered)'),
        ('flow_sankey', 'to_date', 'Day of the refresh'),
        ('flow_sankey', 'dimension', 'segment, value_segment, napl, nes, tier or dciu'),
        ('flow_sankey', 'from_label', 'Label code at from_date, or (entered)'),
        ('flow_sankey', 'to_label', 'Label code at to_date, or (exited)'),
        ('flow_sankey', 'from_name', 'Display name of from_label in the reader''s rfm.locale'),
        ('flow_sankey', 'to_name', 'Display name of to_label in the reader''s rfm.locale'),
        ('flow_sankey', 'source_node', 'from_name and from_date: a node of the left side of a Sankey chart'),
        ('flow_sankey', 'target_node', 'to_name and to_date: a node of the right side (never equal to a left one)'),
        ('flow_sankey', 'members', 'Members who moved'),
        ('flow_sankey', 'revenue', 'Their net spend between the two refreshes $money'),
        ('refresh_totals', 'refresh_id', 'The refresh (refreshes.refresh_id)'),
        ('refresh_totals', 'dimension', 'segment, value_segment, napl, nes, tier or dciu'),
        ('refresh_totals', 'label', 'Label code ((none) for a member without one)'),
        ('refresh_totals', 'members', 'Members with the label at the refresh'),
        ('refresh_totals', 'revenue', 'Sum of their monetary value, exact'),
        ('prospects', 'member_id', 'Member id of a browser without a purchase by as_of'),
        ('prospects', 'dciu', 'DCIU bucket at the last refresh (D, C, I, U)'),
        ('prospects', 'intent_score', 'The intent score the bucket was read from (rfm.intent_score)'),
        ('campaign_reviews', 'campaign', 'The campaign (rfm.campaign.name)'),
        ('campaign_reviews', 'dimension', 'What the rows are split by: (all), a label as of each member''s assignment day (segment, value_segment, napl, nes, tier, dciu), or a column of the assignments'),
        ('campaign_reviews', 'dimension_value', 'The value of the dimension: a label code, (not in model) for members without labels at their assignment, or (all)'),
        ('campaign_reviews', 'dimension_value_name', 'Display name of dimension_value in the reader''s rfm.locale'),
        ('campaign_reviews', 'arm', 'The treatment arm compared with the control arm'),
        ('campaign_reviews', 'members', 'Members assigned to the arm (intention to treat)'),
        ('campaign_reviews', 'responders', 'Of them, members with an order in the response window'),
        ('campaign_reviews', 'control_members', 'Members assigned to the control arm'),
        ('campaign_reviews', 'control_responders', 'Of them, members with an order in the response window'),
        ('campaign_reviews', 'response_rate', 'responders / members'),
        ('campaign_reviews', 'control_response_rate', 'control_responders / control_members'),
        ('campaign_reviews', 'response_uplift', 'response_rate - control_response_rate'),
        ('campaign_reviews', 'response_uplift_low', 'Lower limit of the response uplift (Newcombe hybrid score interval, at the campaign''s confidence level)'),
        ('campaign_reviews', 'response_uplift_high', 'Upper limit of the response uplift (Newcombe hybrid score interval)'),
        ('campaign_reviews', 'response_p', 'Two-sided p-value of the response uplift (two-proportion z-test, pooled variance)'),
        ('campaign_reviews', 'revenue_per_member', 'Net spend in the response window per member of the arm, zeros included, in the source''s units'),
        ('campaign_reviews', 'control_revenue_per_member', 'The same for the control arm'),
        ('campaign_reviews', 'revenue_uplift', 'revenue_per_member - control_revenue_per_member'),
        ('campaign_reviews', 'revenue_uplift_low', 'Lower limit of the revenue uplift (Welch t interval)'),
        ('campaign_reviews', 'revenue_uplift_high', 'Upper limit of the revenue uplift (Welch t interval)'),
        ('campaign_reviews', 'revenue_p', 'Two-sided p-value of the revenue uplift (Welch t-test, Welch-Satterthwaite degrees of freedom)'),
        ('campaign_reviews', 'cuped_revenue_uplift', 'Revenue uplift after CUPED adjustment on the pre-period spend (theta pooled over the two arms)'),
        ('campaign_reviews', 'cuped_revenue_uplift_low', 'Lower limit of the CUPED revenue uplift'),
        ('campaign_reviews', 'cuped_revenue_uplift_high', 'Upper limit of the CUPED revenue uplift'),
        ('campaign_reviews', 'cuped_revenue_p', 'Two-sided p-value of the CUPED revenue uplift'),
        ('campaign_reviews', 'relative_revenue_lift', 'revenue_per_member / control_revenue_per_member - 1'),
        ('campaign_reviews', 'relative_revenue_lift_low', 'Lower limit of the relative lift (delta method)'),
        ('campaign_reviews', 'relative_revenue_lift_high', 'Upper limit of the relative lift (delta method)'),
        ('campaign_reviews', 'incremental_revenue', 'revenue_uplift x members: the revenue the arm added over control'),
        ('campaign_reviews', 'cost', 'Cost of the arm: its members x the option cost of the arm'),
        ('campaign_reviews', 'profit', 'incremental_revenue x the option margin_rate - cost (NULL without margin_rate)'),
        ('campaign_reviews', 'roi', 'profit / cost (NULL without margin_rate or cost)'),
        ('campaign_reviews', 'q_value', 'Benjamini-Hochberg q-value of response_p across the rows of the review'),
        ('campaign_reviews', 'revenue_q_value', 'Benjamini-Hochberg q-value of revenue_p across the rows of the review'),
        ('campaign_reviews', 'members_not_in_model', 'Members of the arm and of control without labels in the model at their assignment day (counted in, shown apart)'),
        ('campaign_reviews', 'window_days_covered', 'Days of the response window the data covers for the latest assignment (up to the model''s last refresh)'),
        ('campaign_reviews', 'srm_p', 'p-value of the sample-ratio-mismatch chi-square test of the whole campaign against the expected allocation'),
        ('campaign_reviews', 'note', 'Why a row is not tested, a sample-ratio mismatch, a window not fully covered'),
        ('campaign_reviews', 'published', 'When rfm.publish_campaign wrote the row'),
        ('tier_watch', 'member_id', 'Member id'),
        ('tier_watch', 'watch', 'at_risk (may lose the tier at a review soon) or near_upgrade (close to the next tier)'),
        ('tier_watch', 'tier', 'Current tier'),
        ('tier_watch', 'since', 'Day the member reached the tier'),
        ('tier_watch', 'next_review', 'Day of the next tier review'),
        ('tier_watch', 'qualifying_spend', 'Spend counted for the tier so far $money'),
        ('tier_watch', 'spend_to_keep', 'Spend still needed by the review to keep the tier $money'),
        ('tier_watch', 'next_tier', 'The next tier up'),
        ('tier_watch', 'spend_to_upgrade', 'Spend still needed to reach the next tier $money')) v(rel, col, note),
           -- (the table of the published campaign reviews has the view's columns)
           LATERAL (SELECT v.rel UNION ALL SELECT 'campaign_results' WHERE v.rel = 'campaign_reviews') r(rel)
     WHERE EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = to_regclass(format('%I.%I', s, r.rel))
                      AND a.attname = v.col AND NOT a.attisdropped) LOOP
    EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', s, c.rel, c.col, c.note);
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._bi_comments(text) IS
  'Internal: comment every column of a model''s BI objects (labels, summaries, flow, kpi, dciu_lift, chart views, tier_watch, the tables they read)';

-- A label's display name in the reader's locale for the chart views: the label kinds of rfm.label, (entered),
-- (exited) and (none) as kind flow, a tier (a name of the tier policy's own) as it is.
CREATE FUNCTION rfm._chart_name(dimension text, label text) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN label IN ('(entered)', '(exited)', '(none)') THEN rfm.label_name('flow', label)
              WHEN dimension IN ('segment', 'value_segment', 'napl', 'nes', 'dciu') THEN rfm.label_name(dimension, label)
              ELSE label END
$$;
COMMENT ON FUNCTION rfm._chart_name(text, text) IS
  'Internal: display name of a label of the chart views (flow kinds and tiers included), in the reader''s rfm.locale';


-- The secondary indexes of a model's label_state, through which a refresh finds the members to relabel
-- (last day, monetary, recheck day, spend since the previous refresh) and reads the values of a hist bucket
-- (monetary, gap): created (make) or dropped, around a bulk load.
CREATE FUNCTION rfm._label_state_indexes(s text, make boolean) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ix record;
BEGIN
  -- one index per statement (Citus sends a distributed table's DDL to the workers as the statement's text, and
  -- takes one command at a time)
  FOR ix IN SELECT * FROM (VALUES ('label_state_last_day', '(last_day)'), ('label_state_monetary', '(monetary)'),
                                  ('label_state_gap', '(gap) WHERE gap IS NOT NULL'),
                                  ('label_state_recheck', '(recheck) WHERE recheck IS NOT NULL'),
                                  ('label_state_spent', '(member_id) WHERE since_prev <> 0')) v(name, def) LOOP
    IF make THEN
      EXECUTE format('CREATE INDEX %I ON %I.label_state %s', ix.name, s, ix.def);
    ELSE
      EXECUTE format('DROP INDEX %I.%I', s, ix.name);
    END IF;
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._label_state_indexes(text, boolean) IS
  'Internal: create or drop the secondary indexes of a model''s label_state (around a bulk load)';

-- Layout 2 (rfm 1.1) -> 3 (rfm 1.2 on), for labelling in proportion to what changes: the labels table becomes
-- label_state (recency replaced by the last purchase day, so that a refresh rewrites only the rows whose
-- labels or facts change; plus what the refresh needs to find them) and labels a view of it; hist (the
-- distribution of last purchase day, frequency, monetary and repeat buyers' mean gap, from which the cut
-- points and references are read) and label_totals (members and sums per label combination, from which the
-- summaries are read) are kept up to date by every refresh. Run by rfm._upgrade_model on a model made by 1.0
-- or 1.1, whose labels it carries over (its refresh then rebuilds everything).
CREATE FUNCTION rfm._migrate_layout_2_to_3(s text, model_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format($f$
    DROP MATERIALIZED VIEW %1$I.segment_summary, %1$I.lifecycle_summary, %1$I.napl_dciu;
    ALTER TABLE %1$I.labels RENAME TO label_state;
    ALTER INDEX %1$I.labels_pkey RENAME TO label_state_pkey;
    ALTER TABLE %1$I.label_state ADD COLUMN last_day date, ADD COLUMN days integer, ADD COLUMN gap double precision,
      ADD COLUMN since_prev double precision, ADD COLUMN recheck date, ADD COLUMN since date;
    UPDATE %1$I.label_state l SET last_day = l.as_of - l.recency, since = h.valid_from
      FROM %1$I.label_history h WHERE h.member_id = l.member_id AND h.valid_to IS NULL;
    ALTER TABLE %1$I.label_state DROP COLUMN as_of, DROP COLUMN recency, SET (fillfactor = 90);
    -- room on each page for the new version of a row closed by a refresh (valid_to is in no index: the update
    -- stays on the page and adds no index entry)
    ALTER TABLE %1$I.label_history SET (fillfactor = 90);
    ALTER TABLE %1$I.refreshes ADD COLUMN params jsonb, ADD COLUMN relabelled bigint;
    COMMENT ON COLUMN %1$I.refreshes.relabelled IS 'Members whose labels this refresh computed (the others cannot have changed and kept theirs); NULL before rfm 1.2';
    COMMENT ON COLUMN %1$I.refreshes.params IS 'What the labels of this refresh depend on besides the data: the model''s options and its segment map; when it changes, the next refresh relabels every member';
  $f$, s, model_name);
  PERFORM rfm._label_state_objects(s, model_name);
  EXECUTE format($f$
    -- carried over labels (an older model): the spend of their last flow, and their totals; the next refresh
    -- corrects both by the rows that differ
    UPDATE %1$I.label_state l
       SET since_prev = CASE WHEN r.prev_as_of IS NULL THEN 0
                             ELSE rfm.monetary(m.purchases, r.as_of, make_interval(days => r.as_of - r.prev_as_of)) END
      FROM %1$I.members m,
           (SELECT as_of, lag(as_of) OVER (ORDER BY as_of) AS prev_as_of FROM %1$I.refreshes ORDER BY as_of DESC LIMIT 1) r
     WHERE m.member_id = l.member_id AND l.last_day IS NOT NULL;
    INSERT INTO %1$I.label_totals
    SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, count(*),
           sum(last_day - DATE '2000-01-01'), sum(frequency), sum(monetary::numeric)
      FROM %1$I.label_state WHERE last_day IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
  $f$, s);
  PERFORM rfm._label_state_indexes(s, true);
END $$;
COMMENT ON FUNCTION rfm._migrate_layout_2_to_3(text, text) IS
  'Internal: bring a model schema of layout 2 (rfm 1.1) to layout 3 (rfm 1.2 on): label_state with the labels view over it, hist, label_totals, the summaries over label_totals';

-- Bring a model that an older rfm created to the current layout. From 1.0 (layout 1): the flow view becomes
-- a view of the new transitions table, which is filled for the past refreshes from the history (as
-- rfm.migration computes them), and the tier_watch table is added. From 1.1 (layout 2): the objects of
-- rfm._migrate_layout_2_to_3, and the model is marked for a full rebuild, which fills them. Run by the model's
-- next refresh, with the refresher's rights; the new objects are given to the model's owner like the rest
-- of its schema.
CREATE FUNCTION rfm._upgrade_model(m rfm.model) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s text := 'rfm_' || m.name;
  member_type text;
  r record;
  o text;
BEGIN
  SELECT format_type(atttypid, atttypmod) INTO member_type
    FROM pg_attribute WHERE attrelid = format('%I.members', s)::regclass AND attname = 'member_id';
  IF m.layout < 2 THEN
    EXECUTE format('DROP MATERIALIZED VIEW %I.flow', s);
    PERFORM rfm._migrate_layout_1_to_2(s, member_type, m.name);
    FOR r IN EXECUTE format('SELECT refresh_id, as_of, lag(as_of) OVER (ORDER BY as_of) AS prev FROM %I.refreshes', s) LOOP
      IF r.prev IS NULL THEN
        -- the first refresh: everyone entered
        EXECUTE format($q$
          INSERT INTO %I.transitions
          SELECT $1, d.dimension, '(entered)', coalesce(d.label, '(none)'), count(*), 0
            FROM rfm._labels_at($2, $3) h,
                 LATERAL (VALUES ('segment', h.segment), ('value_segment', h.value_segment), ('napl', h.napl::text),
                                 ('nes', h.nes::text)) d(dimension, label)
           GROUP BY 1, 2, 3, 4$q$, s)
          USING r.refresh_id, m.name, r.as_of;
      ELSE
        EXECUTE format($q$
          INSERT INTO %I.transitions
          SELECT $1, d.dimension, mg.from_label, mg.to_label, mg.members, mg.revenue
            FROM unnest(ARRAY['segment', 'value_segment', 'napl', 'nes']) d(dimension),
                 rfm.migration($2, $3, $4, d.dimension) mg$q$, s)
          USING r.refresh_id, m.name, r.prev, r.as_of;
      END IF;
    END LOOP;
  END IF;
  IF m.layout < 3 THEN
    PERFORM rfm._migrate_layout_2_to_3(s, m.name);
    UPDATE rfm.model SET needs_full = true WHERE name = m.name;
  END IF;
  IF m.layout < 4 THEN
    PERFORM rfm._migrate_layout_3_to_4(m);
  END IF;
  -- whatever this created belongs to the model's owner, like the rest of its schema
  FOR o IN SELECT format('ALTER %s %s OWNER TO %s', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END,
                         c.oid::regclass, m.owner)
             FROM pg_class c
            WHERE c.relnamespace = s::regnamespace AND c.relkind IN ('r', 'm', 'v') AND c.relowner <> m.owner LOOP
    EXECUTE o;
  END LOOP;
  UPDATE rfm.model SET layout = 4 WHERE name = m.name;
END $$;
COMMENT ON FUNCTION rfm._upgrade_model(rfm.model) IS
  'Internal: bring a model created by an older rfm to the current layout (1.0: transitions, flow over them, tier_watch; 1.1: label_state, hist, label_totals); run by its next refresh';

-- The types a model reads from the relations of others (its source, its events): built-in types only, whose
-- casts, operators and output functions are PostgreSQL's own. A domain, an enum or a type of the relation's
-- owner could bring casts and functions of theirs, which a refresh, or the capture for every writer, would run.
CREATE FUNCTION rfm._column_type_ok(typ regtype, what text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE what
           WHEN 'member' THEN typ IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'numeric'::regtype,
                                      'text'::regtype, 'character varying'::regtype, 'character'::regtype, 'uuid'::regtype)
           WHEN 'time' THEN typ IN ('date'::regtype, 'timestamp with time zone'::regtype, 'timestamp without time zone'::regtype)
           WHEN 'amount' THEN typ IN ('numeric'::regtype, 'double precision'::regtype, 'real'::regtype, 'integer'::regtype,
                                      'bigint'::regtype, 'smallint'::regtype, 'money'::regtype)
           WHEN 'event' THEN typ IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype)
         END
$$;
COMMENT ON FUNCTION rfm._column_type_ok(regtype, text) IS
  'Internal: whether a column type may be read by a model as its member, time, amount or event column (built-in types only)';

-- A relation a model reads (its source, or its events), checked for the current role: a table (or a
-- partitioned table) without inheritance children, readable without row security, whose columns have types
-- rfm reads (rfm._column_type_ok). Run by rfm.create_model and, under lock, by every refresh; raises an error
-- with a hint, else returns.
CREATE FUNCTION rfm._check_relation(relation regclass, columns text[], roles text[], what text) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c pg_class;
  typ regtype;
BEGIN
  SELECT * INTO c FROM pg_class WHERE oid = relation;
  IF c.relkind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '% % is not a table', what, relation
      USING ERRCODE = 'wrong_object_type', HINT = 'Change capture needs triggers: use a table or a partitioned table.';
  END IF;
  IF NOT has_table_privilege(relation, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for relation %', relation
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('The model reads the %s with its owner''s rights: %I needs SELECT on it.', what, current_user);
  END IF;
  -- writes to an inheritance child are not seen by the parent's triggers (a partitioned table's are: its
  -- statement triggers see rows routed to its partitions, and a partition is written through it)
  IF c.relkind = 'r' AND EXISTS (SELECT FROM pg_inherits WHERE inhparent = relation) THEN
    RAISE EXCEPTION '% % has inheritance children', what, relation
      USING ERRCODE = 'feature_not_supported',
            HINT = format('Writes to a child (%s) would not be captured: use a partitioned table, or a table without children.',
                          (SELECT string_agg(inhrelid::regclass::text, ', ') FROM pg_inherits WHERE inhparent = relation));
  END IF;
  -- row security would filter what the model reads, and run the policies' functions with the model owner's
  -- rights: a refresh reads with row_security = off, which is an error where a policy applies
  IF c.relrowsecurity AND (c.relforcerowsecurity OR c.relowner <> current_user::regrole)
     AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION '% % has row-level security, which applies to role %', what, relation, current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A model reads every row of it, and never runs the policies'' functions: give the model''s owner a table without row security (a copy, or a role with BYPASSRLS).';
  END IF;
  FOR i IN 1 .. array_length(columns, 1) LOOP
    SELECT atttypid INTO typ FROM pg_attribute WHERE attrelid = relation AND attname = columns[i] AND attnum > 0 AND NOT attisdropped;
    IF typ IS NULL THEN
      RAISE EXCEPTION 'column "%" of % does not exist', columns[i], relation
        USING ERRCODE = 'undefined_column',
              HINT = format('Name the %s column%s. Columns: %s.', roles[i],
                            CASE WHEN what = 'source' THEN ': rfm.create_model(name, source, member_column, time_column, amount_column)' ELSE '' END,
                            (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                              WHERE attrelid = relation AND attnum > 0 AND NOT attisdropped));
    END IF;
    IF NOT rfm._column_type_ok(typ, roles[i]) THEN
      RAISE EXCEPTION '% column "%" has type %, %', roles[i], columns[i], typ,
                      CASE roles[i] WHEN 'time' THEN 'not a date or timestamp' WHEN 'amount' THEN 'not a number'
                                    ELSE format('which a model does not read (%s %s)', what, relation) END
        USING ERRCODE = 'datatype_mismatch',
              HINT = CASE roles[i]
                       WHEN 'member' THEN 'Use a member column of a built-in type: smallint, integer, bigint, numeric, text, varchar, char or uuid (not a domain, an enum or a type of your own, whose casts would run with the model''s rights).'
                       WHEN 'time' THEN 'Use a date, timestamp or timestamptz column (timestamptz days follow the session TimeZone).'
                       WHEN 'amount' THEN 'Use a numeric, double precision or integer column.'
                       ELSE 'Use a text or varchar column for event names.' END;
    END IF;
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._check_relation(regclass, text[], text[], text) IS
  'Internal: check a relation a model reads (a table without inheritance children or row security for the current role, columns of built-in types)';

-- Whether a relation is a Citus distributed (or reference) table: its writes go to shards on other nodes, where
-- a model's capture triggers fire (rfm._capture, rfm._capture_changes) and queue into a distributed table
-- (docs/scale-out.md). False where Citus is not installed.
CREATE FUNCTION rfm._distributed(relation regclass) RETURNS boolean
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  found boolean;
BEGIN
  IF relation IS NULL OR to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1)' INTO found USING relation;
  RETURN found;
END $$;
COMMENT ON FUNCTION rfm._distributed(regclass) IS
  'Internal: whether a relation is a Citus distributed or reference table (its capture triggers fire on the shards and queue into a distributed table)';

-- Whether a relation is a Citus table hash-distributed by the column: a model on such a source has its
-- per-member tables distributed with it (rfm._distribute_model). False where Citus is not installed.
CREATE FUNCTION rfm._by_member(relation regclass, member_column name) RETURNS boolean
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  found boolean;
BEGIN
  IF NOT rfm._distributed(relation) THEN
    RETURN false;
  END IF;
  EXECUTE $q$SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1 AND partmethod = 'h'
                              AND pg_catalog.column_to_column_name(logicalrelid, partkey) = $2)$q$
    INTO found USING relation, member_column;
  RETURN found;
END $$;
COMMENT ON FUNCTION rfm._by_member(regclass, name) IS
  'Internal: whether a relation is a Citus table hash-distributed by the given column (a model''s per-member tables are then distributed with it)';

-- The segment maps and tier ladders of this node (rfm.segment_rule, rfm.tier_rule: the rows that are not built in)
-- written on every Citus worker, where rfm.segment and rfm.tier read them when a query of a distributed table runs
-- them there. Each worker's rows replaced in one transaction of its own (Citus' run_command_on_workers): a change
-- rolled back on the coordinator after its copy stays on the workers until the next copy. Made by the trigger
-- rules_sync after every change of the rules on a coordinator; by hand after adding a node.
CREATE FUNCTION rfm.sync_rules() RETURNS TABLE (node text, result text)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cmd text;
BEGIN
  IF to_regproc('pg_catalog.run_command_on_workers') IS NULL THEN
    RAISE EXCEPTION 'rfm.sync_rules copies the rules to Citus workers, and Citus is not installed here'
      USING ERRCODE = 'feature_not_supported',
            HINT = 'On one node rfm.segment and rfm.tier read rfm.segment_rule and rfm.tier_rule where they are.';
  END IF;
  cmd := format('SELECT rfm._apply_rules(%L, %L)',
                (SELECT coalesce(jsonb_agg(r), '[]') FROM rfm.segment_rule r WHERE NOT r.builtin),
                (SELECT coalesce(jsonb_agg(r), '[]') FROM rfm.tier_rule r WHERE NOT r.builtin));
  RETURN QUERY EXECUTE $q$SELECT w.nodename || ':' || w.nodeport, CASE WHEN w.success THEN w.result ELSE 'failed: ' || w.result END
                            FROM pg_catalog.run_command_on_workers($1) w ORDER BY 1$q$ USING cmd;
END $$;
COMMENT ON FUNCTION rfm.sync_rules() IS
  'Copy the segment maps and tier ladders that are not built in to every Citus worker (done after every change of the rules on a coordinator; by hand after adding a node): one row per worker';

-- On a worker, from rfm.sync_rules: the rules that are not built in replaced by those given (rows of rfm.segment_rule
-- and rfm.tier_rule as JSON arrays), in one transaction; what there is then, in words.
CREATE FUNCTION rfm._apply_rules(segment_rules jsonb, tier_rules jsonb) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM rfm.segment_rule WHERE NOT builtin;
  DELETE FROM rfm.tier_rule WHERE NOT builtin;
  INSERT INTO rfm.segment_rule SELECT * FROM jsonb_populate_recordset(NULL::rfm.segment_rule, segment_rules);
  INSERT INTO rfm.tier_rule SELECT * FROM jsonb_populate_recordset(NULL::rfm.tier_rule, tier_rules);
  RETURN (SELECT count(*) FROM rfm.segment_rule WHERE NOT builtin) || ' segment rules, '
         || (SELECT count(*) FROM rfm.tier_rule WHERE NOT builtin) || ' tier rules';
END $$;
COMMENT ON FUNCTION rfm._apply_rules(jsonb, jsonb) IS
  'Internal: replace the rules that are not built in by those given (run on each Citus worker by rfm.sync_rules)';

-- Trigger of rfm.segment_rule and rfm.tier_rule: on a Citus coordinator with workers, their rules copied to the
-- workers (rfm.sync_rules); a worker that cannot be reached is a WARNING, the change stands.
CREATE FUNCTION rfm._rules_changed() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  coordinator boolean := false;
  failed text;
BEGIN
  IF to_regproc('pg_catalog.citus_is_coordinator') IS NOT NULL THEN
    EXECUTE 'SELECT pg_catalog.citus_is_coordinator() AND EXISTS (SELECT FROM pg_catalog.pg_dist_node WHERE groupid <> 0)'
      INTO coordinator;
  END IF;
  IF coordinator THEN
    SELECT string_agg(s.node || ' ' || s.result, ', ') INTO failed FROM rfm.sync_rules() s WHERE s.result LIKE 'failed: %';
    IF failed IS NOT NULL THEN
      RAISE WARNING 'the rules were not copied to every Citus worker: %', failed
        USING HINT = 'Run SELECT * FROM rfm.sync_rules() when the workers can be reached.';
    END IF;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION rfm._rules_changed() IS
  'Internal: trigger of rfm.segment_rule and rfm.tier_rule that copies the rules to the Citus workers (rfm.sync_rules)';

-- The change queue of a model on a Citus distributed source (or events relation): rfm.cq_<model>, a distributed
-- table of member ids. NULL when there is none.
CREATE FUNCTION rfm._queue_of(model_name text) RETURNS regclass
  LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT to_regclass(format('rfm.%I', 'cq_' || model_name))
$$;
COMMENT ON FUNCTION rfm._queue_of(text) IS
  'Internal: the distributed change queue of a model on a Citus distributed relation (rfm.cq_<model>), or NULL';

-- The change capture of a model on a Citus distributed source (or events relation), made by rfm.create_model: the
-- queue rfm.cq_<model>, co-located with the relation when it is distributed by the member column (the capture
-- on a shard then queues on the same node), else distributed by itself, which the model's owner may read and
-- empty; and the capture triggers, made on every shard. Both with the rights of the extension's owner, as
-- rfm._drop_capture drops them: Citus refuses a transaction in which two roles change co-located shards, and
-- only a table's owner may drop its triggers. For a model that exists and has no queue yet (made for it, in
-- the model owner's transaction, after the checks of the source and the events that rfm.create_model makes).
CREATE FUNCTION rfm._capture_distributed(model_name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model;
  ev record;
  relation regclass;
  member_column name;
  mode jsonb;
  q text := format('rfm.%I', 'cq_' || model_name);
BEGIN
  SELECT * INTO m FROM rfm.model WHERE name = model_name;
  IF NOT FOUND OR rfm._queue_of(model_name) IS NOT NULL THEN
    RAISE EXCEPTION 'model "%" does not exist or has its change queue', model_name
      USING ERRCODE = 'object_in_use', HINT = 'rfm.create_model makes the capture of a model.';
  END IF;
  PERFORM rfm._check_session(m, 'capture the changes of');
  ev := rfm._events(m.options);
  IF NOT rfm._distributed(m.source) AND NOT rfm._distributed(ev.relation) THEN
    RAISE EXCEPTION 'model "%" reads no Citus distributed relation', model_name
      USING ERRCODE = 'object_in_use', HINT = 'rfm.create_model makes the capture of a model.';
  END IF;
  -- every access to the shards in this transaction with these rights and over one connection per node (Citus
  -- refuses DDL on shards another role or connection read in the same transaction)
  mode := rfm._plan('{"citus.multi_shard_modify_mode": "sequential"}');
  IF ev.relation IS NOT NULL THEN
    PERFORM rfm._check_event_names(ev.relation, ev.event_column, m.options);
  END IF;
  relation := CASE WHEN rfm._distributed(m.source) THEN m.source ELSE ev.relation END;
  member_column := CASE WHEN rfm._distributed(m.source) THEN m.member_column ELSE ev.member_column END;
  EXECUTE format('CREATE TABLE %s (member_id %s)', q,
                 (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = m.source AND attname = m.member_column));
  EXECUTE format('COMMENT ON TABLE %s IS %L', q,
                 format('Members of model %s touched on the shards of %s since its last refresh (Citus: the capture triggers run on the workers)',
                        model_name, relation));
  EXECUTE format('COMMENT ON COLUMN %s.member_id IS %L', q, 'A touched member''s id');
  EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''member_id'', colocate_with => $2)'
    USING q, CASE WHEN rfm._by_member(relation, member_column) THEN relation::text ELSE 'default' END;
  EXECUTE format('GRANT SELECT, DELETE ON %s TO %s', q, m.owner);
  PERFORM rfm._capture('rfm_' || model_name, model_name, m.source, m.member_column, rfm._capture_triggers('rfm_' || model_name, false));
  IF ev.relation IS NOT NULL THEN
    PERFORM rfm._capture('rfm_' || model_name, model_name, ev.relation, ev.member_column, rfm._capture_triggers('rfm_' || model_name, true));
  END IF;
  PERFORM rfm._distribute_model(m);
  PERFORM rfm._plan(mode);
END $$;
COMMENT ON FUNCTION rfm._capture_distributed(text) IS
  'Internal: the change capture of a new model on a Citus distributed relation (its distributed queue rfm.cq_<model> and the triggers on the shards)';

-- A new model's per-member tables (members, label_state, label_history, and the work tables of its refreshes)
-- made Citus distributed tables,
-- co-located with its source when that is hash-distributed by the member column: a member's state, labels and
-- history then live in the shards of the same hash range as its orders, on the same node, and the state rebuild
-- (orders grouped by member into members) runs whole on the workers. Run by rfm._capture_distributed with the
-- rights of the extension's owner, who makes the queue and the triggers in the same transaction (Citus refuses a
-- transaction in which two roles change co-located shards), for the tables of the model's schema that its
-- owner owns. Elsewhere nothing: the tables stay on the coordinator (docs/scale-out.md).
CREATE FUNCTION rfm._distribute_model(m rfm.model) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t regclass;
  tab text;
BEGIN
  IF NOT rfm._distributed(m.source) THEN
    RETURN;
  END IF;
  IF NOT rfm._by_member(m.source, m.member_column) THEN
    RAISE NOTICE 'the tables of model "%" stay on the coordinator: % is not distributed by its member column "%"',
                 m.name, m.source, m.member_column
      USING HINT = 'Distribute the orders by member (create_distributed_table(..., ''member column'')) for the per-member work to run on the workers.';
    RETURN;
  END IF;
  FOREACH tab IN ARRAY ARRAY['members', 'label_state', 'label_history', 'work_candidates', 'work_changed'] LOOP
    t := to_regclass(format('%I.%I', 'rfm_' || m.name, tab));
    IF t IS NULL OR (SELECT relowner FROM pg_class WHERE oid = t) <> m.owner THEN
      RAISE EXCEPTION 'model "%" has no table % of its owner''s', m.name, tab
        USING ERRCODE = 'object_in_use', HINT = 'rfm.create_model makes a model''s tables.';
    END IF;
    EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''member_id'', colocate_with => $2)' USING t::text, m.source::text;
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._distribute_model(rfm.model) IS
  'Internal: make a new model''s members, label_state, label_history and work tables Citus distributed tables co-located with its source (when that is distributed by the member column)';

-- Change capture, for every model: one trigger function, rfm's (owned by the extension's owner, which no other
-- role can replace), fired by statement triggers on a model's source and events. It runs with its owner's
-- rights, so that the writers of the relation need no right on the model, and runs no code but its own: it
-- records the touched members' ids as text (no cast: their column is of a built-in type, checked in the same
-- statement; a column of another type marks the model for a full rebuild, which refuses it with a hint) in
-- rfm.change_queue, read by the model's owner at its next refresh; on TRUNCATE it marks the model for a full
-- rebuild. Arguments: the model and the member column. Attached elsewhere than on the model's own relations
-- it does nothing.
CREATE FUNCTION rfm._capture_changes() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model;
  typ regtype;
  ids text[];
  target text;
BEGIN
  SELECT * INTO m FROM rfm.model WHERE name = TG_ARGV[0];
  IF TG_NARGS = 3 AND TG_OP <> 'TRUNCATE' AND (NOT FOUND OR TG_RELID <> m.source) THEN
    -- a shard of a Citus distributed relation, on a worker (where rfm.model has no rows)
    target := rfm._queue_target(TG_RELID, TG_ARGV[2], rfm._queue_of(TG_ARGV[0]));
    IF target IS NOT NULL THEN
      -- the members, read here: the transition tables are not visible to a distributed insert, which Citus plans
      -- as a query of its own; as text, back to the queue's type (that of the member column, a built-in type)
      EXECUTE format('SELECT array_agg(DISTINCT x.id::text) FROM (%s) x(id) WHERE x.id IS NOT NULL',
                     CASE TG_OP WHEN 'INSERT' THEN format('SELECT %I FROM new_rows', TG_ARGV[1])
                                WHEN 'DELETE' THEN format('SELECT %I FROM old_rows', TG_ARGV[1])
                                ELSE format('SELECT %1$I FROM old_rows UNION ALL SELECT %1$I FROM new_rows', TG_ARGV[1]) END)
        INTO ids;
      IF ids IS NOT NULL THEN
        SELECT atttypid INTO typ FROM pg_attribute WHERE attrelid = rfm._queue_of(TG_ARGV[0]) AND attname = 'member_id';
        EXECUTE format('INSERT INTO %s (member_id) SELECT unnest($1)::%s', target, typ) USING ids;
      END IF;
    END IF;
    RETURN NULL;
  END IF;
  IF NOT FOUND OR (TG_RELID <> m.source AND TG_RELID IS DISTINCT FROM (
        SELECT c.oid FROM pg_class c WHERE c.oid = to_regclass(m.options -> 'events' ->> 'relation'))) THEN
    RETURN NULL;
  END IF;
  SELECT atttypid INTO typ FROM pg_attribute WHERE attrelid = TG_RELID AND attname = TG_ARGV[1] AND attnum > 0 AND NOT attisdropped;
  IF TG_OP = 'TRUNCATE' OR typ IS NULL OR NOT rfm._column_type_ok(typ, 'member') THEN
    UPDATE rfm.model SET needs_full = true WHERE name = m.name AND NOT needs_full;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    EXECUTE format('INSERT INTO rfm.change_queue (model, member_id)
                    SELECT DISTINCT $1, r.%1$I::text FROM new_rows r WHERE r.%1$I IS NOT NULL', TG_ARGV[1]) USING m.name;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    EXECUTE format('INSERT INTO rfm.change_queue (model, member_id)
                    SELECT DISTINCT $1, r.%1$I::text FROM old_rows r WHERE r.%1$I IS NOT NULL', TG_ARGV[1]) USING m.name;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION rfm._capture_changes() IS
  'Internal: trigger function of every model''s change capture: records the members a statement touched in rfm.change_queue, or on the shards of a Citus distributed relation in the model''s distributed change_queue (arguments: model, member column, and for a distributed relation its name)';

-- Where a capture trigger fired on table shard queues its members: NULL unless shard is one of the shards of the
-- Citus distributed relation named by the text the trigger was created with, on this node (listed in Citus'
-- metadata, synced to every node, in its schema and owned by its owner: no other role can make such a table, so a
-- trigger attached by someone else to a table of theirs named like a shard queues nothing). Else the queue's shard
-- of the same hash range when the queue is co-located with the relation and that shard is here (a local insert,
-- in the writer's transaction), or the distributed queue itself (an insert Citus routes). (Citus hides shards from
-- pg_class in the sessions of clients: a write by a client connected to a worker runs this in such a session.)
CREATE FUNCTION rfm._queue_target(shard oid, relation text, queue regclass) RETURNS text
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET citus.override_table_visibility = off AS $$
DECLARE
  target text;
  shard_id bigint;
BEGIN
  IF to_regclass('pg_catalog.pg_dist_shard') IS NULL OR to_regclass(relation) IS NULL OR queue IS NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE 'SELECT d.shardid FROM pg_catalog.pg_dist_shard d, pg_class s, pg_class r
            WHERE s.oid = $1 AND r.oid = $2 AND d.logicalrelid = r.oid
              AND d.shardid = substring(s.relname from ''_(\d+)$'')::bigint
              AND s.relnamespace = r.relnamespace AND s.relowner = r.relowner'
    INTO shard_id USING shard, to_regclass(relation);
  IF shard_id IS NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE 'SELECT pg_catalog.shard_name(q.logicalrelid, q.shardid)
             FROM pg_catalog.pg_dist_shard s
             JOIN pg_catalog.pg_dist_partition ps ON ps.logicalrelid = s.logicalrelid
             JOIN pg_catalog.pg_dist_partition pq ON pq.logicalrelid = $2 AND pq.colocationid = ps.colocationid
             JOIN pg_catalog.pg_dist_shard q ON q.logicalrelid = $2 AND q.shardminvalue = s.shardminvalue
            WHERE s.shardid = $1'
    INTO target USING shard_id, queue;
  RETURN CASE WHEN to_regclass(target) IS NOT NULL THEN target ELSE queue::text END;
END $$;
COMMENT ON FUNCTION rfm._queue_target(oid, text, regclass) IS
  'Internal: where a capture trigger on a shard of a Citus distributed relation queues its members (the co-located shard of the queue on this node, or the distributed queue), NULL elsewhere';

-- The four statement triggers of a model's change capture on one relation (its source or its events), named
-- s_ins, s_upd, s_del, s_trunc (events: s_ev_insert ...); any older ones of the same names replaced.
CREATE FUNCTION rfm._capture(s text, model_name text, relation regclass, member_column name, trigger_names text[])
  RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ops CONSTANT text[] := ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];
  distributed CONSTANT boolean := rfm._distributed(relation);
  unsafe jsonb;
BEGIN
  -- On a Citus distributed relation the triggers are made on every shard (and on the shards it gets later,
  -- moved or split): Citus asks for citus.enable_unsafe_triggers to make them, set for this function only. They
  -- fire on the workers and queue the members in the model's distributed queue, rfm.cq_<model> (third argument: the
  -- relation, for rfm._queue_target); TRUNCATE fires on the coordinator too, where it marks the model.
  IF distributed THEN
    unsafe := rfm._plan('{"citus.enable_unsafe_triggers": "on"}');
  END IF;
  FOR i IN 1 .. 4 LOOP
    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = relation AND tgname = trigger_names[i]) THEN
      EXECUTE format('DROP TRIGGER %I ON %s', trigger_names[i], relation);
    END IF;
    EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION rfm._capture_changes(%L, %L%s)',
                   trigger_names[i], ops[i], relation,
                   CASE ops[i] WHEN 'INSERT' THEN 'REFERENCING NEW TABLE AS new_rows'
                               WHEN 'UPDATE' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                               WHEN 'DELETE' THEN 'REFERENCING OLD TABLE AS old_rows' ELSE '' END,
                   model_name, member_column, CASE WHEN distributed THEN format(', %L', relation::text) ELSE '' END);
  END LOOP;
  IF distributed THEN
    PERFORM rfm._plan(unsafe);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._capture(text, text, regclass, name, text[]) IS
  'Internal: the change-capture statement triggers of a model on its source or its events';

-- The names of a model's capture triggers on its source and on its events.
CREATE FUNCTION rfm._capture_triggers(s text, events boolean) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN events THEN ARRAY[s || '_ev_insert', s || '_ev_update', s || '_ev_delete', s || '_ev_truncate']
              ELSE ARRAY[s || '_ins', s || '_upd', s || '_del', s || '_trunc'] END
$$;
COMMENT ON FUNCTION rfm._capture_triggers(text, boolean) IS 'Internal: the names of a model''s capture triggers';

-- A model's change capture as rfm 1.7 makes it: rfm._capture_changes and rfm.change_queue instead of a trigger
-- function of the model's owner (SECURITY DEFINER, which the owner could rewrite to run as any writer of the
-- source, and which cast the member column to a type the source's owner could change) and s.changes, whose
-- rows move to the queue. Run for every model by the update to 1.7, as the superuser updating (so that no
-- owner's function fires for writers after it), from src/model/model_last.sql; a no-op where it is done.
-- (Nothing here creates an object in the model's schema: inside an extension script it would become a member
-- of the extension.)
CREATE FUNCTION rfm._migrate_capture(m rfm.model) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s text := 'rfm_' || m.name;
BEGIN
  IF to_regclass(format('%I.changes', s)) IS NOT NULL THEN
    EXECUTE format('INSERT INTO rfm.change_queue (model, member_id)
                    SELECT DISTINCT $1, member_id::text FROM %I.changes WHERE member_id IS NOT NULL', s) USING m.name;
    EXECUTE format('DROP TABLE %I.changes', s);
  END IF;
  -- (the triggers are replaced where they still call the model's own function)
  IF EXISTS (SELECT FROM pg_class WHERE oid = m.source) AND NOT rfm._distributed(m.source)
     AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = m.source AND tgname = s || '_ins'
                                              AND tgfoid = 'rfm._capture_changes()'::regprocedure) THEN
    PERFORM rfm._capture(s, m.name, m.source, m.member_column, rfm._capture_triggers(s, false));
  END IF;
  IF EXISTS (SELECT FROM pg_class WHERE oid = to_regclass(m.options -> 'events' ->> 'relation'))
     AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = to_regclass(m.options -> 'events' ->> 'relation')
                                              AND tgname = s || '_ev_insert' AND tgfoid = 'rfm._capture_changes()'::regprocedure) THEN
    PERFORM rfm._capture(s, m.name, to_regclass(m.options -> 'events' ->> 'relation'),
                         coalesce(m.options -> 'events' ->> 'member_column', 'member_id'), rfm._capture_triggers(s, true));
  END IF;
  EXECUTE format('DROP FUNCTION IF EXISTS %1$I.capture_changes(); DROP FUNCTION IF EXISTS %1$I.capture_events()', s);
END $$;
COMMENT ON FUNCTION rfm._migrate_capture(rfm.model) IS
  'Internal: bring a model''s change capture to rfm 1.7 (rfm._capture_changes and rfm.change_queue); run for every model by the update to 1.7';

-- Layout 3 (rfm 1.2 to 1.6) -> 4 (rfm 1.7), run by rfm._upgrade_model at the model's next refresh, as its
-- owner: the change capture of 1.7 (done by the update already), refreshes.clv_status and the labels view
-- with it, the view value_segment_summary.
CREATE FUNCTION rfm._migrate_layout_3_to_4(m rfm.model) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM rfm._migrate_capture(m);
  EXECUTE format('ALTER TABLE %I.tier_watch ALTER COLUMN qualifying_spend TYPE numeric, ALTER COLUMN spend_to_keep TYPE numeric,
                                             ALTER COLUMN spend_to_upgrade TYPE numeric', 'rfm_' || m.name);
  PERFORM rfm._bi_views('rfm_' || m.name, m);
END $$;
COMMENT ON FUNCTION rfm._migrate_layout_3_to_4(rfm.model) IS
  'Internal: layout 3 (rfm 1.2 to 1.6) to 4 (rfm 1.7) of a model: change capture, clv_status, value_segment_summary; run by its next refresh';

-- Every event name of an events relation, once mapped by the option events.event_names, must be one rfm knows:
-- one pass over the relation (on Citus over one connection per node: Citus makes no schema or DDL in the same
-- transaction after a parallel query of the shards).
CREATE FUNCTION rfm._check_event_names(relation regclass, event_column name, options jsonb) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  bad_event text;
  mode jsonb := CASE WHEN rfm._distributed(relation) THEN rfm._plan('{"citus.multi_shard_modify_mode": "sequential"}') END;
BEGIN
  EXECUTE format($q$SELECT n FROM (SELECT DISTINCT coalesce($1 ->> e.%1$I::text, e.%1$I::text) AS n
                                      FROM %2$s e WHERE e.%1$I IS NOT NULL) x
                     WHERE n NOT IN ('view', 'search', 'favorite', 'cart_add', 'cart_remove', 'checkout', 'purchase')
                     ORDER BY n LIMIT 1$q$, event_column, relation)
    INTO bad_event USING coalesce(options -> 'events' -> 'event_names', '{}');
  IF mode IS NOT NULL THEN
    PERFORM rfm._plan(mode);
  END IF;
  IF bad_event IS NOT NULL THEN
    RAISE EXCEPTION 'events relation % has event "%", which rfm does not know', relation, bad_event
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Accepted events: view, search, favorite, cart_add, cart_remove, checkout, purchase.',
            HINT = format('Map your event names in the option events: {"events": {"relation": "%s", "event_names": {"%s": "<the accepted event it means>"}}}.',
                          relation, bad_event);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._check_event_names(regclass, name, jsonb) IS
  'Internal: refuse an events relation with an event name rfm does not know (after the option events.event_names), with a hint';

CREATE FUNCTION rfm.create_model(name text, source regclass, member_column name DEFAULT 'member_id',
                                 time_column name DEFAULT 'ordered_at', amount_column name DEFAULT 'amount',
                                 options jsonb DEFAULT '{}')
  RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s text := 'rfm_' || name;
  member_type text;
  ev record;
  on_citus boolean;
  propagation jsonb;
BEGIN
  PERFORM rfm._check_model_row(name, source, member_column, time_column, amount_column, options);
  IF EXISTS (SELECT 1 FROM rfm.model m WHERE m.name = create_model.name) OR to_regnamespace(s) IS NOT NULL THEN
    RAISE EXCEPTION 'model "%" already exists', name
      USING ERRCODE = 'duplicate_object', HINT = 'Drop it with rfm.drop_model(''' || name || ''') or choose another name.';
  END IF;
  -- an incremental refresh re-reads the touched members' orders: without an index led by the member column
  -- that is a scan of the whole source
  IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = source AND a.attname = member_column) THEN
    RAISE NOTICE 'source % has no index on its member column "%"', source, member_column
      USING HINT = format('Incremental refreshes read the touched members'' orders through it; without one they scan the whole table: CREATE INDEX ON %s (%I).',
                          source, member_column);
  END IF;
  ev := rfm._events(options);
  on_citus := rfm._distributed(source) OR rfm._distributed(ev.relation);
  IF ev.relation IS NOT NULL THEN
    -- every event name, once mapped by the option events.event_names, must be one rfm knows: found here rather
    -- than by the first refresh (on a Citus distributed relation with the capture, rfm._capture_distributed)
    IF NOT on_citus THEN
      PERFORM rfm._check_event_names(ev.relation, ev.event_column, options);
    END IF;
    -- kept schema-qualified, whatever the search_path of later refreshes
    options := jsonb_set(options, '{events,relation}', to_jsonb(ev.relation::text));
  END IF;

  -- the catalog row (its owner is the current role; row security checks the row again)
  INSERT INTO rfm.model (name, source, member_column, time_column, amount_column, options)
  VALUES (name, source, member_column, time_column, amount_column, options);

  SELECT format_type(atttypid, atttypmod) INTO member_type FROM pg_attribute WHERE attrelid = source AND attname = member_column;
  -- (on Citus the schema is made on the workers with the model's distributed tables, by rfm._capture_distributed:
  -- one role changes the nodes in this transaction)
  IF on_citus THEN
    propagation := rfm._plan('{"citus.enable_ddl_propagation": "off"}');
  END IF;
  EXECUTE format('CREATE SCHEMA %I', s);
  EXECUTE format('COMMENT ON SCHEMA %I IS %L', s, format('rfm model %s (its source and options: rfm.model, for its owner''s roles)', name));
  IF propagation IS NOT NULL THEN
    PERFORM rfm._plan(propagation);
  END IF;
  PERFORM rfm._model_objects(s, member_type, name, source);

  -- change capture: statement triggers with transition tables, on the source and on the browsing events; on a
  -- Citus distributed relation they fire on its shards, on the workers, and queue the members in a distributed
  -- table of the model, co-located with the source where it is distributed by the member column
  IF on_citus THEN
    -- (and the model's per-member tables distributed with the source)
    PERFORM rfm._capture_distributed(name);
  ELSE
    PERFORM rfm._capture(s, name, source, member_column, rfm._capture_triggers(s, false));
    IF ev.relation IS NOT NULL THEN
      -- their members' intent is rebuilt by the next refresh
      PERFORM rfm._capture(s, name, ev.relation, ev.member_column, rfm._capture_triggers(s, true));
    END IF;
  END IF;
  RETURN s;
END $$;
COMMENT ON FUNCTION rfm.create_model(text, regclass, name, name, name, jsonb) IS
  'Create model name on an orders table: schema rfm_<name> with members, labels, label_history, cutpoints, refreshes and the BI views, and change-capture triggers on the source';

-- A new row of rfm.model as the current role may write it (rfm.create_model, and the row security of
-- rfm.model, so that no direct INSERT gets around it): a valid name, a source the role may read and put
-- triggers on (rfm._check_relation), valid options, an events relation checked the same way. Raises an error
-- with a hint, else returns true.
CREATE FUNCTION rfm._check_model_row(name text, source regclass, member_column name, time_column name,
                                     amount_column name, options jsonb) RETURNS boolean
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ev record;
BEGIN
  IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,58}$' THEN
    RAISE EXCEPTION 'invalid model name "%"', name
      USING ERRCODE = 'invalid_name',
            HINT = 'A model name is lower case letters, digits and underscores, starting with a letter (at most 59 characters): it names schema rfm_<name>.';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = source) THEN
    RAISE EXCEPTION 'source % does not exist', source::oid
      USING ERRCODE = 'undefined_table', HINT = 'Name an existing table of orders.';
  END IF;
  PERFORM rfm._check_relation(source, ARRAY[member_column, time_column, amount_column], ARRAY['member', 'time', 'amount'], 'source');
  IF NOT has_table_privilege(source, 'TRIGGER') THEN
    RAISE EXCEPTION 'permission denied to create triggers on %', source
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Change capture puts statement triggers on the source: its owner can GRANT TRIGGER on it to you.';
  END IF;
  PERFORM rfm._check_options(options);
  ev := rfm._events(options);
  IF ev.relation IS NOT NULL THEN
    PERFORM rfm._check_relation(ev.relation, ARRAY[ev.member_column, ev.event_column, ev.time_column],
                                ARRAY['member', 'event', 'time'], 'events relation');
  END IF;
  RETURN true;
END $$;
COMMENT ON FUNCTION rfm._check_model_row(text, regclass, name, name, name, jsonb) IS
  'Internal: check a row of rfm.model as the current role may write it (source, columns, options, events); used by the row security of rfm.model';

-- An update of a row of rfm.model by its owner (the columns PUBLIC may update: options, needs_full, layout):
-- options checked as rfm.create_model checks them, the events option unchanged. For the row security of
-- rfm.model. Raises an error with a hint, else returns true.
CREATE FUNCTION rfm._check_model_update(name text, options jsonb) RETURNS boolean
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  old_options jsonb;
BEGIN
  SELECT m.options INTO old_options FROM rfm.model m WHERE m.name = _check_model_update.name;
  IF old_options IS DISTINCT FROM options THEN
    PERFORM rfm._check_options(options);
    IF old_options -> 'events' IS DISTINCT FROM options -> 'events' THEN
      RAISE EXCEPTION 'the option events of model "%" cannot be changed', name
        USING ERRCODE = 'feature_not_supported',
              HINT = 'Its change capture is on the events relation it was made with: create another model for other events.';
    END IF;
  END IF;
  RETURN true;
END $$;
COMMENT ON FUNCTION rfm._check_model_update(text, jsonb) IS
  'Internal: check an update of a row of rfm.model by its owner (valid options, events unchanged); used by the row security of rfm.model';

-- Options changed by rfm.alter_model and rfm.alter_campaign: the given keys replace the old ones, a key set to
-- null is removed (it goes back to its default).
CREATE FUNCTION rfm._merge_options(old jsonb, changes jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
  RETURN (SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM jsonb_each(old || changes) e(k, v) WHERE v <> 'null');
COMMENT ON FUNCTION rfm._merge_options(jsonb, jsonb) IS
  'Internal: options after a change (the given keys replace the old ones; a key set to null goes back to its default)';

-- Change a model's options, checked as rfm.create_model checks them: the given keys replace the model's,
-- a key set to null goes back to its default; everyone is relabelled at the next refresh.
CREATE FUNCTION rfm.alter_model(name text, options jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(name);
  merged jsonb;
BEGIN
  PERFORM rfm._check_owner(m, 'alter');
  IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
    RAISE EXCEPTION 'model options must be a JSON object, not %', coalesce(jsonb_typeof(options), 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ''{"bins": 5, "napl_window": "90 days"}''.';
  END IF;
  merged := rfm._merge_options(m.options, options);
  UPDATE rfm.model SET options = merged WHERE rfm.model.name = alter_model.name;
  RETURN merged;
END $$;
COMMENT ON FUNCTION rfm.alter_model(text, jsonb) IS
  'Change a model''s options (checked as rfm.create_model checks them; a key set to null goes back to its default); returns the options';

-- Convert a model to the current type of its source's member column (after the source's owner changed it,
-- e.g. integer to bigint or text): the member ids of the model's tables are converted through their text,
-- its views over them made again as they were (definition, options, comments, grants), and its next refresh
-- rebuilds every member. The writers of the source are never refused meanwhile: the capture queues ids as text.
CREATE FUNCTION rfm.alter_member_type(name text) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(name);
  s text := 'rfm_' || name;
  typ text;
  v record;
  t record;
  views jsonb := '[]';
BEGIN
  PERFORM rfm._check_owner(m, 'convert');
  IF rfm._queue_of(name) IS NOT NULL THEN
    -- (its queue on the shards, distributed by member id, keeps the type it was made with: Citus changes no
    -- distribution column's type)
    RAISE EXCEPTION 'model "%" reads a Citus distributed relation, whose change queue cannot change its member type', name
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Drop the model with rfm.drop_model and create it again on the converted relation (docs/scale-out.md).';
  END IF;
  PERFORM FROM rfm.model WHERE rfm.model.name = alter_member_type.name FOR NO KEY UPDATE;
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = m.source) THEN
    RAISE EXCEPTION 'the source table of model "%" was dropped', name
      USING ERRCODE = 'undefined_table', HINT = 'Drop the model with rfm.drop_model and create it again on the new table.';
  END IF;
  IF has_table_privilege(m.source, 'SELECT') THEN
    EXECUTE format('LOCK TABLE %s IN ACCESS SHARE MODE', m.source);
  END IF;
  PERFORM rfm._check_relation(m.source, ARRAY[m.member_column, m.time_column, m.amount_column],
                              ARRAY['member', 'time', 'amount'], 'source');
  SELECT format_type(atttypid, atttypmod) INTO typ FROM pg_attribute WHERE attrelid = m.source AND attname = m.member_column;
  -- the views over the model's tables, set aside as they are
  FOR v IN SELECT c.oid, c.relname, pg_get_viewdef(c.oid) AS def, c.reloptions, obj_description(c.oid, 'pg_class') AS comment,
                  (SELECT coalesce(jsonb_object_agg(a.attname, d.description), '{}') FROM pg_attribute a
                     JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
                    WHERE a.attrelid = c.oid) AS column_comments,
                  rfm._grants_sql(c.oid, format('%I.%I', s, c.relname)) AS grants
             FROM pg_class c WHERE c.relnamespace = s::regnamespace AND c.relkind = 'v' ORDER BY c.oid LOOP
    views := views || jsonb_build_array(to_jsonb(v));
  END LOOP;
  FOR v IN SELECT * FROM jsonb_array_elements(views) e(x) ORDER BY (x ->> 'oid')::oid DESC LOOP
    EXECUTE format('DROP VIEW %I.%I', s, v.x ->> 'relname');
  END LOOP;
  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE c.relnamespace = s::regnamespace AND c.relkind IN ('r', 'p') AND a.attname = 'member_id' AND NOT a.attisdropped
              AND format_type(a.atttypid, a.atttypmod) <> typ LOOP
    EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN member_id TYPE %s USING member_id::text::%s', s, t.relname, typ, typ);
  END LOOP;
  FOR v IN SELECT * FROM jsonb_array_elements(views) e(x) ORDER BY (x ->> 'oid')::oid LOOP
    EXECUTE format('CREATE VIEW %I.%I %s AS %s', s, v.x ->> 'relname',
                   CASE WHEN v.x -> 'reloptions' <> 'null'
                        THEN format('WITH (%s)', (SELECT string_agg(o, ', ') FROM jsonb_array_elements_text(v.x -> 'reloptions') o)) END,
                   rtrim(v.x ->> 'def', ';'));
    EXECUTE format('COMMENT ON VIEW %I.%I IS %L', s, v.x ->> 'relname', v.x ->> 'comment');
    EXECUTE coalesce((SELECT string_agg(format('COMMENT ON COLUMN %I.%I.%I IS %L', s, v.x ->> 'relname', c.key, c.value), '; ')
                        FROM jsonb_each_text(v.x -> 'column_comments') c), 'SELECT');
    EXECUTE coalesce(v.x ->> 'grants', 'SELECT');
  END LOOP;
  UPDATE rfm.model SET needs_full = true WHERE rfm.model.name = alter_member_type.name;
  RETURN typ;
END $$;
COMMENT ON FUNCTION rfm.alter_member_type(text) IS
  'Convert a model to the current type of its source''s member column (its owner only): member ids converted, views made again; the next refresh rebuilds every member; returns the type';

-- Refuse a role other than the model's owner: refreshes, job runs, drops and changes act with the owner's
-- rights only (a superuser's would let code of the owner's, such as a trigger on one of the model's tables,
-- run as the superuser).
CREATE FUNCTION rfm._check_owner(m rfm.model, action text) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF m.owner <> current_user::regrole THEN
    RAISE EXCEPTION 'only the owner of model "%" (%) can % it', m.name, m.owner, action
      USING ERRCODE = 'insufficient_privilege',
            HINT = CASE WHEN pg_has_role(m.owner, 'MEMBER')
                        THEN format('Act as the owner: SET ROLE %s (a model''s work runs with its owner''s rights only).', m.owner)
                        ELSE format('Ask its owner %s.', m.owner) END;
  END IF;
END $$;
COMMENT ON FUNCTION rfm._check_owner(rfm.model, text) IS
  'Internal: refuse a role other than the model''s owner (with a hint to SET ROLE where it can)';

-- In the functions that run with rfm's rights on a model's behalf (rfm._capture_distributed, rfm._drop_capture),
-- where current_user is rfm's owner: refuse a session that could not act as the model's owner (its login role,
-- which neither SET ROLE nor SECURITY DEFINER changes, must be a member of the owner's role, as SET ROLE needs).
CREATE FUNCTION rfm._check_session(m rfm.model, action text) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT pg_has_role(session_user, m.owner, 'MEMBER') THEN
    RAISE EXCEPTION 'only the owner of model "%" can % it', m.name, action
      USING ERRCODE = 'insufficient_privilege', HINT = 'rfm.create_model and rfm.drop_model do this for the model''s owner.';
  END IF;
END $$;
COMMENT ON FUNCTION rfm._check_session(rfm.model, text) IS
  'Internal: in a function running with rfm''s rights for a model, refuse a session whose login role is not a member of the model''s owner';

CREATE FUNCTION rfm.drop_model(name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(name);
BEGIN
  PERFORM rfm._check_owner(m, 'drop');
  -- the capture triggers on the source (and the events), which only the tables' owners may drop: by rfm (on Citus
  -- with the model's distributed queue, and its schema with the distributed tables: one role changes a
  -- co-location group's shards in a transaction); then the schema, and the row (which goes after the schema)
  PERFORM rfm._drop_capture(name);
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', 'rfm_' || name);
  DELETE FROM rfm.change_queue WHERE model = drop_model.name;
  DELETE FROM rfm.model WHERE rfm.model.name = drop_model.name;
END $$;
COMMENT ON FUNCTION rfm.drop_model(text) IS 'Drop a model (its owner only): its schema, its triggers on the source and its catalog row';

-- The capture triggers of a model being dropped (by rfm.drop_model, for a session that may act as its owner) or
-- of one that no longer exists, on whatever relation they are. Runs as the extension's owner: dropping a trigger
-- needs the table's ownership, and the model's owner usually only has TRIGGER on it. Touches only rfm's own
-- triggers. On Citus it drops the model's distributed queue too (rfm._capture_distributed), and its schema.
CREATE FUNCTION rfm._drop_capture(model_name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record;
  unsafe jsonb;
  mode jsonb;
BEGIN
  -- (rfm.drop_model calls it before it drops the model's schema and row; else only for a model that is gone)
  PERFORM rfm._check_session(m, 'drop the change capture of') FROM rfm.model m WHERE m.name = model_name;
  IF rfm._queue_of(model_name) IS NOT NULL THEN
    -- (over one connection per node, as rfm._capture_distributed made them: Citus refuses DDL on shards that
    -- several connections used in the same transaction; the caller's setting is given back at the end)
    mode := rfm._plan('{"citus.multi_shard_modify_mode": "sequential"}');
    -- the model's schema with its distributed tables (rfm._distribute_model), with the same rights, before its
    -- owner would: when it is the schema of the role the queue was granted to (the model's owner)
    IF (SELECT n.nspowner FROM pg_namespace n WHERE n.oid = to_regnamespace('rfm_' || model_name))
       IN (SELECT x.grantee FROM pg_class q, aclexplode(q.relacl) x WHERE q.oid = rfm._queue_of(model_name) AND x.privilege_type = 'DELETE') THEN
      EXECUTE format('DROP SCHEMA %I CASCADE', 'rfm_' || model_name);
    END IF;
    EXECUTE format('DROP TABLE %s', rfm._queue_of(model_name));
  END IF;
  FOR t IN SELECT tgname, tgrelid::regclass AS rel FROM pg_trigger
            WHERE tgfoid = 'rfm._capture_changes()'::regprocedure
              AND tgname = ANY (rfm._capture_triggers('rfm_' || model_name, false) || rfm._capture_triggers('rfm_' || model_name, true)) LOOP
    -- (dropped on the shards too: Citus asks for this setting to drop a trigger of a distributed table)
    unsafe := CASE WHEN rfm._distributed(t.rel) THEN rfm._plan('{"citus.enable_unsafe_triggers": "on"}') END;
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
    IF unsafe IS NOT NULL THEN
      PERFORM rfm._plan(unsafe);
    END IF;
  END LOOP;
  IF mode IS NOT NULL THEN
    PERFORM rfm._plan(mode);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._drop_capture(text) IS
  'Internal: drop the capture triggers of a model that no longer exists (run by rfm.drop_model)';

-- Progress of a refresh: NOTICE (seen at client_min_messages = notice) and pg_stat_activity. rfm.report_progress
-- is not for PUBLIC (it would show any text as the caller's query); this function runs it with the rights of the
-- extension's owner and only ever shows "rfm.refresh(<model>): <message>".
CREATE FUNCTION rfm._progress(model_name text, message text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE NOTICE 'rfm.refresh(%): %', model_name, message;
  PERFORM rfm.report_progress(format('rfm.refresh(%s): %s', model_name, message));
END $$;
COMMENT ON FUNCTION rfm._progress(text, text) IS 'Internal: report a refresh phase as a NOTICE and in pg_stat_activity';

-- The labels of a model valid on day d, from its label history.
CREATE FUNCTION rfm._labels_at(model_name text, d date)
  RETURNS TABLE (member_id text, r_score integer, f_score integer, m_score integer, segment text,
                 value_segment text, napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT member_id::text, r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier
       FROM %I.label_history WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)', 'rfm_' || model_name)
    USING d;
END $$;
COMMENT ON FUNCTION rfm._labels_at(text, date) IS 'Internal: the labels of a model valid on a day, reconstructed from label_history';

-- Settings for a few statements: the planner's for one statement of a refresh, Citus' for the steps that make or
-- drop a model's objects on the workers. Sets each (transaction-local) and returns the values they replace, to be
-- given back afterwards with rfm._plan(replaced) (set_config returns the new value, not the one replaced).
-- Where Citus is loaded they are set with SET LOCAL under citus.propagate_set_commands = 'local' (for these
-- statements only), so that Citus sends them to the workers in the transaction too: the tasks of a refresh's
-- statements on distributed tables are planned with the same settings as the coordinator's plans.
CREATE FUNCTION rfm._plan(settings jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  replaced jsonb := '{}';
  propagation text := current_setting('citus.propagate_set_commands', true);
  k text;
  v text;
BEGIN
  IF propagation IS NOT NULL AND propagation <> 'local' THEN
    SET LOCAL citus.propagate_set_commands TO local;
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each_text(settings) LOOP
    IF k !~ '^[a-z_]+(\.[a-z_]+)?$' THEN
      RAISE EXCEPTION 'not a setting name: %', k USING ERRCODE = 'invalid_parameter_value';
    END IF;
    replaced := replaced || jsonb_build_object(k, current_setting(k));
    EXECUTE format('SET LOCAL %s TO %L', k, v);
  END LOOP;
  IF propagation IS NOT NULL AND propagation <> 'local' THEN
    PERFORM set_config('citus.propagate_set_commands', propagation, true);
  END IF;
  RETURN replaced;
END $$;
COMMENT ON FUNCTION rfm._plan(jsonb) IS
  'Internal: set settings (planner, Citus) for a few statements (transaction-local); returns the values replaced, to restore them';

-- The values of monetary or gap in bucket [b, b + 1) at a refresh under way, as a query with parameter $1 = b.
-- (Run by rfm._hist_nth and rfm._hist_top with citus.local_table_join_policy = 'prefer-distributed', a
-- placeholder where Citus is not loaded: on Citus, where label_state is distributed, the bucket's few rows are
-- brought to the coordinator and joined with _rfm_cand there, instead of _rfm_cand sent to every shard: 415 ms
-- down to 11 ms for one bucket with 20,000 candidates and 32 shards.)
-- A refresh that relabels some members (_rfm_cand): label_state's values (by its index) for the members whose
-- facts are unchanged, _rfm_base's for those it recomputed. One that relabels everyone: _rfm_base's.
CREATE FUNCTION rfm._bucket_values(s text, col text, relabel_some boolean) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  RETURN CASE WHEN relabel_some THEN
                format('SELECT l.%2$I AS v FROM %1$I.label_state l LEFT JOIN _rfm_cand c ON c.member_id = l.member_id
                         WHERE l.%2$I >= $1 AND l.%2$I < $1 + 1 AND c.member_id IS NULL
                        UNION ALL ', s, col) ELSE '' END
         || format('SELECT b.%1$I AS v FROM _rfm_base b WHERE b.last_day IS NOT NULL AND b.%1$I >= $1 AND b.%1$I < $1 + 1', col);
COMMENT ON FUNCTION rfm._bucket_values(text, text, boolean) IS
  'Internal: query of the monetary or gap values of one hist bucket during a refresh (relabel_some: unchanged members from label_state, relabelled ones from _rfm_base; else all from _rfm_base)';

-- Order statistics from a model's hist during a refresh: the value at each 0-based rank of dimension dim
-- (ascending). Whole-valued dimensions (l, f) are their bucket; for m and g the values of the bucket are
-- read in order (rfm._bucket_values).
CREATE FUNCTION rfm._hist_nth(s text, dim "char", ranks bigint[], relabel_some boolean) RETURNS double precision[]
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
  SET citus.local_table_join_policy = 'prefer-distributed' AS $$
DECLARE
  col text := CASE dim WHEN 'm' THEN 'monetary' WHEN 'g' THEN 'gap' END;
  vals float8[] := array_fill(NULL::float8, ARRAY[cardinality(ranks)]);
  got float8[];
  r record;
  buckets_sql text;
  values_sql text;
  wanted float8[];
BEGIN
  -- per bucket, the ranks that fall in it (as offsets in the bucket): one ordered read of the bucket's values
  -- from the first to the last of them (usually two neighbours: the order statistics of one quantile)
  buckets_sql := format('SELECT h.bucket, array_agg(k.i ORDER BY k.i) AS i, array_agg((k.rank - (h.cum - h.n))::bigint ORDER BY k.i) AS off
                           FROM unnest($2) WITH ORDINALITY k(rank, i)
                           JOIN (SELECT bucket, n, sum(n) OVER (ORDER BY bucket) AS cum FROM %I.hist WHERE dim = $1) h
                             ON k.rank >= h.cum - h.n AND k.rank < h.cum
                          GROUP BY h.bucket', s);
  IF col IS NOT NULL AND relabel_some THEN
    values_sql := rfm._bucket_values(s, col, true);
  ELSIF col IS NOT NULL THEN
    -- everyone relabelled: the values of all the buckets wanted in one pass over _rfm_base, not one per bucket
    EXECUTE 'SELECT array_agg(x.bucket) FROM (' || buckets_sql || ') x' INTO wanted USING dim, ranks;
    EXECUTE format('CREATE TEMP TABLE _rfm_bucket ON COMMIT DROP AS
                      SELECT b.%1$I AS v FROM _rfm_base b
                       WHERE b.last_day IS NOT NULL AND floor(b.%1$I) = ANY ($1)', col)
      USING wanted;
    values_sql := 'SELECT v FROM _rfm_bucket WHERE v >= $1 AND v < $1 + 1';
  END IF;
  FOR r IN EXECUTE buckets_sql USING dim, ranks LOOP
    IF col IS NULL THEN
      FOR j IN 1 .. cardinality(r.i) LOOP
        vals[r.i[j]] := r.bucket;
      END LOOP;
    ELSE
      EXECUTE format('SELECT array_agg(v ORDER BY v) FROM (SELECT v FROM (%s) x ORDER BY v OFFSET $2 LIMIT $3) t',
                     values_sql)
        INTO got USING r.bucket, (SELECT min(o) FROM unnest(r.off) o),
                       (SELECT max(o) - min(o) + 1 FROM unnest(r.off) o);
      FOR j IN 1 .. cardinality(r.i) LOOP
        vals[r.i[j]] := got[r.off[j] - (SELECT min(o) FROM unnest(r.off) o) + 1];
      END LOOP;
    END IF;
  END LOOP;
  IF col IS NOT NULL AND NOT relabel_some THEN
    DROP TABLE _rfm_bucket;
  END IF;
  RETURN vals;
END $$;
COMMENT ON FUNCTION rfm._hist_nth(text, "char", bigint[], boolean) IS
  'Internal: order statistics of a model''s hist during a refresh (value at each 0-based rank)';

-- Quantiles from a model's hist during a refresh, at probabilities probs among n members, computed as
-- rfm.breaks and percentile_cont compute them (R type 7: h = p (n - 1), x[floor h] + (h - floor h)
-- (x[ceil h] - x[floor h]), the same floating-point operations), so that they equal what a full refresh
-- computes from every member. For dimension l they are quantiles of recency, as_of - last day.
CREATE FUNCTION rfm._hist_quantiles(s text, dim "char", n bigint, probs double precision[], as_of date,
                                     relabel_some boolean)
  RETURNS double precision[]
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  h float8[] := ARRAY(SELECT p * (n - 1)::float8 FROM unnest(probs) WITH ORDINALITY u(p, i) ORDER BY i);
  ranks bigint[] := '{}';
  x float8[];
  result float8[] := '{}';
BEGIN
  IF n < 1 THEN
    RETURN NULL;
  END IF;
  FOR i IN 1 .. cardinality(h) LOOP
    ranks := ranks || floor(h[i])::bigint || ceil(h[i])::bigint;
  END LOOP;
  IF dim = 'l' THEN
    -- recency ascending is the last day descending
    ranks := ARRAY(SELECT n - 1 - r FROM unnest(ranks) WITH ORDINALITY u(r, i) ORDER BY i);
  END IF;
  x := rfm._hist_nth(s, dim, ranks, relabel_some);
  IF dim = 'l' THEN
    x := ARRAY(SELECT (as_of - DATE '2000-01-01') - v FROM unnest(x) WITH ORDINALITY u(v, i) ORDER BY i);
  END IF;
  FOR i IN 1 .. cardinality(h) LOOP
    result := result || (x[2 * i - 1] + (h[i] - floor(h[i])) * (x[2 * i] - x[2 * i - 1]));
  END LOOP;
  RETURN result;
END $$;
COMMENT ON FUNCTION rfm._hist_quantiles(text, "char", bigint, double precision[], date, boolean) IS
  'Internal: quantiles (R type 7, as rfm.breaks) from a model''s hist during a refresh; of recency for dimension l';

-- The sum of the k largest monetary values from a model's hist during a refresh: whole buckets from the top,
-- then the largest values of the bucket where the k-th falls. Exact (numeric), as a full refresh sums them.
CREATE FUNCTION rfm._hist_top(s text, k bigint, relabel_some boolean) RETURNS numeric
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
  SET citus.local_table_join_policy = 'prefer-distributed' AS $$
DECLARE
  whole numeric;
  b record;
  part numeric;
BEGIN
  EXECUTE format('SELECT coalesce(sum(total), 0) FROM (SELECT total, sum(n) OVER (ORDER BY bucket DESC) AS cum
                                                         FROM %I.hist WHERE dim = ''m'') h WHERE cum <= $1', s)
    INTO whole USING k;
  EXECUTE format('SELECT bucket, $1 - (cum - n) AS rest FROM (SELECT bucket, n, sum(n) OVER (ORDER BY bucket DESC) AS cum
                                                               FROM %I.hist WHERE dim = ''m'') h
                   WHERE cum > $1 ORDER BY bucket DESC LIMIT 1', s)
    INTO b USING k;
  IF b.bucket IS NOT NULL AND b.rest > 0 THEN
    EXECUTE format('SELECT sum(v::numeric) FROM (SELECT v FROM (%s) x ORDER BY v DESC LIMIT $2) t',
                   rfm._bucket_values(s, 'monetary', relabel_some))
      INTO part USING b.bucket, b.rest;
    whole := whole + part;
  END IF;
  RETURN whole;
END $$;
COMMENT ON FUNCTION rfm._hist_top(text, bigint, boolean) IS
  'Internal: the exact sum of the k largest monetary values from a model''s hist during a refresh (top-20 % revenue share)';

-- The members whose last purchase day may be on the other side of a threshold of recency than at the last
-- refresh: the threshold was x_old days before old_as_of and is x_new days before as_of (a condition such as
-- recency < x or recency <= x, i.e. last_day > as_of - x or >= as_of - x, flips only for the whole days
-- between the two, both included). NULL when there is no such day; 'true' when a threshold is unknown.
-- Thresholds beyond a million days are clamped (nobody's recency reaches them).
CREATE FUNCTION rfm._day_range(old_as_of date, x_old double precision, as_of date, x_new double precision) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  RETURN CASE WHEN x_old IS NULL OR x_new IS NULL THEN 'true'
              WHEN old_as_of = as_of AND x_old = x_new THEN NULL
              WHEN least(old_as_of - floor(least(greatest(x_old, -1e6), 1e6))::int,
                         as_of - floor(least(greatest(x_new, -1e6), 1e6))::int)
                   > greatest(old_as_of - ceil(least(greatest(x_old, -1e6), 1e6))::int,
                              as_of - ceil(least(greatest(x_new, -1e6), 1e6))::int) THEN NULL
              ELSE format('l.last_day BETWEEN %L AND %L',
                          least(old_as_of - floor(least(greatest(x_old, -1e6), 1e6))::int,
                                as_of - floor(least(greatest(x_new, -1e6), 1e6))::int),
                          greatest(old_as_of - ceil(least(greatest(x_old, -1e6), 1e6))::int,
                                   as_of - ceil(least(greatest(x_new, -1e6), 1e6))::int)) END;
COMMENT ON FUNCTION rfm._day_range(date, double precision, date, double precision) IS
  'Internal: the condition on label_state.last_day of the members a moving recency threshold may have crossed';

-- The members whose value of col may be on the other side of a threshold than at the last refresh (a
-- condition such as col > x or col >= x flips only for values between the old and the new threshold,
-- both included). Integer columns (frequency) need a whole value in between; NULL when there is none,
-- 'true' when a threshold is unknown.
CREATE FUNCTION rfm._value_range(col text, x_old double precision, x_new double precision) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3
  RETURN CASE WHEN x_old IS NULL OR x_new IS NULL THEN 'true'
              WHEN x_old = x_new THEN NULL
              WHEN col = 'frequency' THEN
                CASE WHEN ceil(least(x_old, x_new)) <= floor(greatest(x_old, x_new)) THEN
                  format('l.frequency BETWEEN %s AND %s', ceil(least(x_old, x_new))::bigint, floor(greatest(x_old, x_new))::bigint) END
              ELSE format('l.%I BETWEEN %L::float8 AND %L::float8', col, least(x_old, x_new), greatest(x_old, x_new)) END;
COMMENT ON FUNCTION rfm._value_range(text, double precision, double precision) IS
  'Internal: the condition on a label_state column of the members a moved threshold may have crossed';

CREATE FUNCTION rfm.migration(name text, from_date date, to_date date, dimension text DEFAULT 'segment')
  RETURNS TABLE (from_label text, to_label text, members bigint, share_of_from numeric, revenue double precision)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(name);
  last_as_of date;
BEGIN
  IF dimension IS NULL OR dimension NOT IN ('segment', 'value_segment', 'napl', 'nes', 'dciu', 'tier', 'r_score', 'f_score', 'm_score') THEN
    RAISE EXCEPTION 'unknown dimension "%"', dimension
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Dimensions: segment, value_segment, napl, nes, dciu, tier, r_score, f_score, m_score.';
  END IF;
  IF from_date IS NULL OR to_date IS NULL OR to_date <= from_date THEN
    RAISE EXCEPTION 'migration needs from_date < to_date (got % and %)', from_date, to_date
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Compare two refresh dates, the earlier first.';
  END IF;
  -- labels are known up to the last refresh: a later date would silently repeat it
  EXECUTE format('SELECT max(as_of) FROM %I.refreshes', 'rfm_' || name) INTO last_as_of;
  IF to_date > last_as_of THEN
    RAISE EXCEPTION 'to_date % is after the last refresh of model "%" (%)', to_date, name, last_as_of
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Refresh the model as of that day first, or compare dates up to its last refresh.';
  END IF;
  -- (the spend summed exactly, whatever order a plan, or Citus' nodes, bring the members in)
  RETURN QUERY EXECUTE format($q$
    SELECT coalesce(f.label, '(entered)'), coalesce(t.label, '(exited)'), count(*),
           round(count(*) / sum(count(*)) OVER (PARTITION BY coalesce(f.label, '(entered)')), 4),
           coalesce(sum(rfm.monetary(mm.purchases, $2, make_interval(days => $2 - $1))::numeric)::float8, 0)
      FROM (SELECT member_id, coalesce(%2$I::text, '(none)') AS label FROM rfm._labels_at($3, $1)) f
      FULL JOIN (SELECT member_id, coalesce(%2$I::text, '(none)') AS label FROM rfm._labels_at($3, $2)) t
        ON t.member_id = f.member_id
      LEFT JOIN %1$I.members mm ON mm.member_id::text = coalesce(t.member_id, f.member_id)
     GROUP BY 1, 2 ORDER BY 1, 2$q$, 'rfm_' || name, dimension)
    USING from_date, to_date, name;
END $$;
COMMENT ON FUNCTION rfm.migration(text, date, date, text) IS
  'Members moving between the labels of a dimension from one date to another (from label_history), with (entered) and (exited), share of the origin label, and net spend in between';
