/*
 * src/campaign/campaign.sql
 * Campaign review (docs/campaigns.md): did a campaign sent to a model's members work, for which segments, and by
 * how much. The catalog (rfm.campaign, rfm.campaign_option) is in src/model/model_1_7.sql, its row security in
 * model_last.sql; the statistics (rfm.campaign_cell_agg, rfm.campaign_compare, rfm.srm_test) in campaign_stats.sql.
 *
 * Intention to treat: a member counts in the arm it was assigned to, whatever it did with the message. Its
 * response is an order (a row of amount >= 0) of the model's source in [assigned, assigned + window); its revenue
 * the net spend then; its covariate (CUPED) the net spend in [assigned - pre_period, assigned). A label dimension
 * is read from the model's label history as of the assignment day: the labels the campaign was targeted with.
 */

-- A campaign's options, checked: known names, usable values. Raises an error with a hint, else returns.
CREATE FUNCTION rfm._check_campaign_options(options jsonb) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k text;
  v jsonb;
BEGIN
  IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
    RAISE EXCEPTION 'campaign options must be a JSON object, not %', coalesce(jsonb_typeof(options), 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ''{"control_arm": "No E-Mail", "window": "14 days"}''.';
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(options) LOOP
    IF NOT EXISTS (SELECT FROM rfm.campaign_option WHERE name = k) THEN
      RAISE EXCEPTION 'unknown campaign option "%"', k
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Known options: ' || (SELECT string_agg(name, ', ' ORDER BY name) FROM rfm.campaign_option) || '.';
    END IF;
    IF v = 'null' THEN CONTINUE; END IF;
    BEGIN
      CASE k
        WHEN 'control_arm' THEN
          IF jsonb_typeof(v) <> 'string' THEN RAISE EXCEPTION 'not a string'; END IF;
        WHEN 'window', 'pre_period' THEN
          IF jsonb_typeof(v) <> 'string' OR (v #>> '{}')::interval < interval '1 day' THEN RAISE EXCEPTION 'not a window'; END IF;
        WHEN 'cost', 'allocation' THEN
          IF jsonb_typeof(v) <> 'object' OR EXISTS (SELECT FROM jsonb_each(v) e WHERE jsonb_typeof(e.value) <> 'number'
                                                       OR (e.value::text::float8 < 0) OR (k = 'allocation' AND e.value::text::float8 = 0)) THEN
            RAISE EXCEPTION 'not an object of numbers';
          END IF;
        WHEN 'margin_rate' THEN
          IF jsonb_typeof(v) <> 'number' OR v::text::float8 NOT BETWEEN 0 AND 1 THEN RAISE EXCEPTION 'out of range'; END IF;
        WHEN 'min_cell_size' THEN
          IF jsonb_typeof(v) <> 'number' OR v::text::int < 2 THEN RAISE EXCEPTION 'too small'; END IF;
        WHEN 'confidence' THEN
          IF jsonb_typeof(v) <> 'number' OR NOT (v::text::float8 > 0 AND v::text::float8 < 1) THEN RAISE EXCEPTION 'out of range'; END IF;
      END CASE;
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION 'invalid value % for campaign option "%"', v, k
        USING ERRCODE = 'invalid_parameter_value',
              HINT = (SELECT description FROM rfm.campaign_option WHERE name = k);
    END;
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._check_campaign_options(jsonb) IS 'Internal: validate campaign options (known names, usable values)';

-- A campaign's option, or its default.
CREATE FUNCTION rfm._campaign_option(c rfm.campaign, option text) RETURNS jsonb
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(nullif(c.options -> option, 'null'), (SELECT o.default_value FROM rfm.campaign_option o WHERE o.name = option))
$$;
COMMENT ON FUNCTION rfm._campaign_option(rfm.campaign, text) IS 'Internal: a campaign''s option, or its default';

-- A campaign by name, as the current role may see it.
CREATE FUNCTION rfm._campaign(campaign_name text) RETURNS rfm.campaign
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c rfm.campaign;
BEGIN
  SELECT * INTO c FROM rfm.campaign WHERE name = campaign_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'campaign "%" does not exist', campaign_name
      USING ERRCODE = 'undefined_object', HINT = 'Create it with rfm.create_campaign; rfm.campaign lists those of your roles.';
  END IF;
  RETURN c;
END $$;
COMMENT ON FUNCTION rfm._campaign(text) IS 'Internal: a campaign by name (an error with a hint if the current role cannot see it)';

CREATE FUNCTION rfm.create_campaign(name text, model text, assignments regclass, member_column name DEFAULT 'member_id',
                                    arm_column name DEFAULT 'arm', assigned_column name DEFAULT 'assigned_at',
                                    options jsonb DEFAULT '{}')
  RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(model);
BEGIN
  PERFORM rfm._check_owner(m, 'run a campaign on');
  IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
    RAISE EXCEPTION 'invalid campaign name "%"', name
      USING ERRCODE = 'invalid_name', HINT = 'A campaign name is lower case letters, digits and underscores, starting with a letter.';
  END IF;
  IF EXISTS (SELECT FROM rfm.campaign c WHERE c.name = create_campaign.name) THEN
    RAISE EXCEPTION 'campaign "%" already exists', name
      USING ERRCODE = 'duplicate_object', HINT = 'Drop it with rfm.drop_campaign(''' || name || ''') or choose another name.';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = assignments) THEN
    RAISE EXCEPTION 'assignments relation % does not exist', assignments::oid
      USING ERRCODE = 'undefined_table', HINT = 'Name a table or view with one row per member: member, arm, assignment time.';
  END IF;
  IF NOT has_table_privilege(assignments, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for assignments relation %', assignments
      USING ERRCODE = 'insufficient_privilege', HINT = 'The review reads it with your rights: you need SELECT on it.';
  END IF;
  PERFORM rfm._check_campaign_columns(assignments, member_column, arm_column, assigned_column);
  PERFORM rfm._check_campaign_options(options);
  INSERT INTO rfm.campaign (name, model, assignments, member_column, arm_column, assigned_column, options)
  VALUES (name, model, assignments, member_column, arm_column, assigned_column, options);
  RETURN name;
END $$;
COMMENT ON FUNCTION rfm.create_campaign(text, text, regclass, name, name, name, jsonb) IS
  'Register a campaign on a model (its owner only): the assignments relation holds one row per member with its arm and assignment time; options checked (rfm.campaign_option); returns the name';

-- The columns of an assignments relation: present, of types a review reads (a member column of a built-in type,
-- a text arm, a date or timestamp).
CREATE FUNCTION rfm._check_campaign_columns(assignments regclass, member_column name, arm_column name,
                                            assigned_column name) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  col record;
  typ regtype;
BEGIN
  FOR col IN SELECT * FROM (VALUES ('member', member_column), ('arm', arm_column), ('assigned', assigned_column)) v(role, colname) LOOP
    SELECT atttypid INTO typ FROM pg_attribute WHERE attrelid = assignments AND attname = col.colname AND attnum > 0 AND NOT attisdropped;
    IF typ IS NULL THEN
      RAISE EXCEPTION 'column "%" of assignments relation % does not exist', col.colname, assignments
        USING ERRCODE = 'undefined_column',
              HINT = format('Name the %s column: rfm.create_campaign(name, model, assignments, member_column, arm_column, assigned_column). Columns: %s.',
                            col.role, (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                                        WHERE attrelid = assignments AND attnum > 0 AND NOT attisdropped));
    END IF;
    IF NOT rfm._column_type_ok(typ, CASE col.role WHEN 'member' THEN 'member' WHEN 'arm' THEN 'event' ELSE 'time' END) THEN
      RAISE EXCEPTION '% column "%" of assignments relation % has type %', col.role, col.colname, assignments, typ
        USING ERRCODE = 'datatype_mismatch',
              HINT = CASE col.role WHEN 'member' THEN 'Use the member column''s type of the model''s source (a built-in type).'
                                   WHEN 'arm' THEN 'Use a text or varchar column for arm names.'
                                   ELSE 'Use a date, timestamp or timestamptz column.' END;
    END IF;
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._check_campaign_columns(regclass, name, name, name) IS
  'Internal: check the member, arm and assignment time columns of a campaign''s assignments relation';

-- Change a campaign's options (its owner only), checked as rfm.create_campaign checks them: the given keys replace
-- the campaign's, a key set to null goes back to its default.
CREATE FUNCTION rfm.alter_campaign(name text, options jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c rfm.campaign := rfm._campaign(name);
  merged jsonb;
BEGIN
  PERFORM rfm._check_owner(rfm._model(c.model), 'alter a campaign of');
  PERFORM rfm._check_campaign_options(options);
  merged := rfm._merge_options(c.options, options);
  UPDATE rfm.campaign SET options = merged WHERE rfm.campaign.name = alter_campaign.name;
  RETURN merged;
END $$;
COMMENT ON FUNCTION rfm.alter_campaign(text, jsonb) IS
  'Change a campaign''s options (checked; a key set to null goes back to its default); returns the options';

CREATE FUNCTION rfm.drop_campaign(name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c rfm.campaign := rfm._campaign(name);
BEGIN
  PERFORM rfm._check_owner(rfm._model(c.model), 'drop a campaign of');
  -- (a model made before 1.7 has the table from its first refresh on 1.7)
  IF to_regclass(format('%I.campaign_results', 'rfm_' || c.model)) IS NOT NULL THEN
    EXECUTE format('DELETE FROM %I.campaign_results WHERE campaign = $1', 'rfm_' || c.model) USING c.name;
  END IF;
  DELETE FROM rfm.campaign WHERE rfm.campaign.name = drop_campaign.name;
END $$;
COMMENT ON FUNCTION rfm.drop_campaign(text) IS 'Drop a campaign (its owner only) and its published reviews';

-- The review of a campaign: one row per (value of the dimension, treatment arm), each treatment arm against the
-- control arm of the same value. dimension: NULL (the whole campaign), a label of the model as of each member's
-- assignment day (segment, value_segment, napl, nes, tier, dciu), or a column of the assignments relation.
CREATE FUNCTION rfm.campaign_review(name text, dimension text DEFAULT NULL)
  RETURNS TABLE (dimension_value text, arm text, members bigint, responders bigint, control_members bigint,
                 control_responders bigint, response_rate double precision, control_response_rate double precision,
                 response_uplift double precision, response_uplift_low double precision,
                 response_uplift_high double precision, response_p double precision, revenue_per_member double precision,
                 control_revenue_per_member double precision, revenue_uplift double precision,
                 revenue_uplift_low double precision, revenue_uplift_high double precision, revenue_p double precision,
                 cuped_revenue_uplift double precision, cuped_revenue_uplift_low double precision,
                 cuped_revenue_uplift_high double precision, cuped_revenue_p double precision,
                 relative_revenue_lift double precision, relative_revenue_lift_low double precision,
                 relative_revenue_lift_high double precision, incremental_revenue double precision,
                 cost double precision, profit double precision, roi double precision, q_value double precision,
                 revenue_q_value double precision, members_not_in_model bigint, window_days_covered integer,
                 srm_p double precision, note text)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  c rfm.campaign := rfm._campaign(name);
  m rfm.model := rfm._model(c.model);
  s text := 'rfm_' || c.model;
  control text;
  win_days integer;
  win interval;
  pre interval;
  conf float8;
  min_cell bigint;
  margin float8;
  dim_sql text;
  dup record;
  arms text[];
  unknown text;
  last_as_of date;
  srm record;
  covered integer;
BEGIN
  control := rfm._campaign_option(c, 'control_arm') #>> '{}';
  win := (rfm._campaign_option(c, 'window') #>> '{}')::interval;
  win_days := ceil(extract(epoch FROM win) / 86400)::integer;
  pre := coalesce((rfm._campaign_option(c, 'pre_period') #>> '{}')::interval, win);
  conf := (rfm._campaign_option(c, 'confidence') #>> '{}')::float8;
  min_cell := (rfm._campaign_option(c, 'min_cell_size') #>> '{}')::bigint;
  margin := (rfm._campaign_option(c, 'margin_rate') #>> '{}')::float8;
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = c.assignments) THEN
    RAISE EXCEPTION 'the assignments relation of campaign "%" was dropped', name
      USING ERRCODE = 'undefined_table', HINT = 'Drop the campaign with rfm.drop_campaign and create it again on the new relation.';
  END IF;
  PERFORM rfm._check_campaign_columns(c.assignments, c.member_column, c.arm_column, c.assigned_column);

  -- one row per member, one control arm, known arms
  EXECUTE format('SELECT %1$I::text AS member, count(*) AS n FROM %2$s WHERE %1$I IS NOT NULL GROUP BY %1$I HAVING count(*) > 1
                   ORDER BY count(*) DESC, 1 LIMIT 1', c.member_column, c.assignments) INTO dup;
  IF dup.member IS NOT NULL THEN
    RAISE EXCEPTION 'member % is assigned % times in %', dup.member, dup.n, c.assignments
      USING ERRCODE = 'unique_violation', HINT = 'A campaign assigns each member once: keep one row per member (the first assignment).';
  END IF;
  EXECUTE format('SELECT array_agg(DISTINCT %1$I::text ORDER BY %1$I::text) FROM %2$s WHERE %1$I IS NOT NULL', c.arm_column, c.assignments)
    INTO arms;
  IF arms IS NULL OR NOT control = ANY (arms) THEN
    RAISE EXCEPTION 'campaign "%" has no control arm "%"', name, control
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Arms: %s. Name the control arm with rfm.alter_campaign(%L, ''{"control_arm": "..."}'').',
                          coalesce(array_to_string(arms, ', '), 'none'), name);
  END IF;
  IF rfm._campaign_option(c, 'allocation') <> 'null' THEN
    SELECT a INTO unknown FROM unnest(arms) a WHERE NOT rfm._campaign_option(c, 'allocation') ? a LIMIT 1;
    IF unknown IS NOT NULL THEN
      RAISE EXCEPTION 'arm "%" of campaign "%" is not in its option allocation', unknown, name
        USING ERRCODE = 'invalid_parameter_value',
              HINT = format('Arms: %s; give every arm its expected share, or set the option allocation to null (equal shares).', array_to_string(arms, ', '));
    END IF;
  END IF;

  -- the dimension: a label as of the assignment day, a column of the assignments, or none
  IF dimension IS NULL THEN
    dim_sql := '''(all)''';
  ELSIF dimension IN ('segment', 'value_segment', 'napl', 'nes', 'tier', 'dciu') THEN
    dim_sql := format('coalesce(h.%I::text, CASE WHEN h.member_id IS NULL THEN ''(not in model)'' ELSE ''(none)'' END)', dimension);
  ELSIF EXISTS (SELECT FROM pg_attribute WHERE attrelid = c.assignments AND attname = dimension AND attnum > 0 AND NOT attisdropped) THEN
    dim_sql := format('coalesce(a.%I::text, ''(null)'')', dimension);
  ELSE
    RAISE EXCEPTION 'unknown dimension "%" for campaign "%"', dimension, name
      USING ERRCODE = 'undefined_column',
            HINT = format('A label (segment, value_segment, napl, nes, tier, dciu), a column of %s (%s), or NULL for the whole campaign.',
                          c.assignments, (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                                           WHERE attrelid = c.assignments AND attnum > 0 AND NOT attisdropped));
  END IF;

  -- what the data covers: orders up to the model's last refresh
  EXECUTE format('SELECT max(as_of) FROM %I.refreshes', s) INTO last_as_of;
  IF last_as_of IS NULL THEN
    RAISE EXCEPTION 'model "%" of campaign "%" has not been refreshed', c.model, name
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = format('Refresh it first: SELECT * FROM rfm.refresh(%L);', c.model);
  END IF;

  -- per member: arm, dimension value, in the model at assignment, revenue in the window, spend before, response
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_campaign ON COMMIT DROP AS
    SELECT a.arm, a.dim, a.in_model, a.t0,
           coalesce(sum(o.amount) FILTER (WHERE o.t >= a.t0), 0) AS y,
           coalesce(sum(o.amount) FILTER (WHERE o.t < a.t0), 0) AS x,
           coalesce(bool_or(o.t >= a.t0 AND o.amount >= 0), false) AS responded
      FROM (SELECT a.%2$I AS member, a.%3$I::text AS arm, a.%4$I::timestamptz AS t0, %6$s AS dim,
                   h.member_id IS NOT NULL AS in_model
              FROM %1$s a
              LEFT JOIN %5$I.label_history h
                ON h.member_id = a.%2$I AND h.valid_from <= a.%4$I::date AND (h.valid_to IS NULL OR h.valid_to > a.%4$I::date)
             WHERE a.%2$I IS NOT NULL AND a.%3$I IS NOT NULL AND a.%4$I IS NOT NULL) a
      LEFT JOIN (SELECT o.%8$I AS member, %11$s AS t, o.%10$I::numeric AS amount FROM %7$s o) o
        ON o.member = a.member AND o.t >= a.t0 - $1 AND o.t < a.t0 + $2
     GROUP BY a.member, a.arm, a.dim, a.in_model, a.t0$q$,
    c.assignments, c.member_column, c.arm_column, c.assigned_column, s, dim_sql,
    m.source, m.member_column, m.time_column, m.amount_column, rfm._at_zone(m.source, m.time_column, 'o'))
    USING pre, win;

  -- days of the window the data covers (up to the end of the last refresh's day), for the latest assignment
  SELECT least(win_days, greatest(0, last_as_of + 1 - max(x.t0)::date)) INTO covered FROM _rfm_campaign x;
  IF covered < win_days THEN
    RAISE NOTICE 'campaign "%": the response window of the latest assignments is covered for % days only (model "%" refreshed up to %)',
      name, covered, c.model, last_as_of
      USING HINT = 'Review it again after the model''s refresh of the window''s last day.';
  END IF;

  -- the sample-ratio-mismatch test, over the whole campaign
  SELECT t.* INTO srm
    FROM (SELECT array_agg(n ORDER BY arm) AS observed,
                 array_agg(coalesce((rfm._campaign_option(c, 'allocation') ->> arm)::float8, 1) ORDER BY arm) AS expected
            FROM (SELECT x.arm, count(*) AS n FROM _rfm_campaign x GROUP BY x.arm) g) o,
         rfm.srm_test(o.observed, o.expected) t;

  RETURN QUERY
  WITH cells AS (
    SELECT x.dim, x.arm, rfm.campaign_cell_agg(x.y, x.x, x.responded) AS cell, count(*) FILTER (WHERE NOT x.in_model) AS outside
      FROM _rfm_campaign x GROUP BY x.dim, x.arm),
  pairs AS (
    SELECT t.dim, t.arm, t.cell AS tc, k.cell AS cc, t.outside + k.outside AS outside,
           (t.cell).members >= min_cell AND (k.cell).members >= min_cell AS testable
      FROM cells t JOIN cells k ON k.dim = t.dim AND k.arm = control
     WHERE t.arm <> control),
  tested AS (
    SELECT p.dim, p.arm, p.tc, p.cc, p.outside, p.testable,
           CASE WHEN p.testable THEN rfm.campaign_compare(p.tc, p.cc, conf) END AS r
      FROM pairs p),
  ranked AS (
    SELECT w.*, coalesce((rfm._campaign_option(c, 'cost') ->> w.arm)::float8, 0) * (w.tc).members AS arm_cost,
           count((w.r).response_p) OVER () AS m_response, row_number() OVER (ORDER BY (w.r).response_p NULLS LAST) AS k_response,
           count((w.r).revenue_p) OVER () AS m_revenue, row_number() OVER (ORDER BY (w.r).revenue_p NULLS LAST) AS k_revenue
      FROM tested w),
  -- Benjamini-Hochberg: q of the k-th smallest of m p-values = min over j >= k of p_j m / j
  q AS (
    SELECT w.*,
           min(least(1, (w.r).response_p * w.m_response / w.k_response))
             OVER (ORDER BY w.k_response DESC ROWS UNBOUNDED PRECEDING) AS q_response,
           min(least(1, (w.r).revenue_p * w.m_revenue / w.k_revenue))
             OVER (ORDER BY w.k_revenue DESC ROWS UNBOUNDED PRECEDING) AS q_revenue
      FROM ranked w)
  SELECT w.dim, w.arm, (w.tc).members, (w.tc).responders, (w.cc).members, (w.cc).responders,
         (w.tc).responders::float8 / nullif((w.tc).members, 0), (w.cc).responders::float8 / nullif((w.cc).members, 0),
         (w.r).response_uplift, (w.r).response_uplift_low, (w.r).response_uplift_high,
         (w.r).response_p,
         ((w.tc).sum_y / nullif((w.tc).members, 0))::float8, ((w.cc).sum_y / nullif((w.cc).members, 0))::float8,
         (w.r).revenue_uplift, (w.r).revenue_uplift_low, (w.r).revenue_uplift_high, (w.r).revenue_p,
         (w.r).cuped_revenue_uplift, (w.r).cuped_revenue_uplift_low, (w.r).cuped_revenue_uplift_high, (w.r).cuped_revenue_p,
         (w.r).relative_revenue_lift, (w.r).relative_revenue_lift_low, (w.r).relative_revenue_lift_high,
         (w.r).incremental_revenue,
         w.arm_cost, CASE WHEN margin IS NOT NULL THEN (w.r).incremental_revenue * margin - w.arm_cost END,
         CASE WHEN margin IS NOT NULL AND w.arm_cost > 0 THEN ((w.r).incremental_revenue * margin - w.arm_cost) / w.arm_cost END,
         CASE WHEN (w.r).response_p IS NOT NULL THEN w.q_response END,
         CASE WHEN (w.r).revenue_p IS NOT NULL THEN w.q_revenue END,
         w.outside, covered, srm.p,
         concat_ws('; ',
                   CASE WHEN NOT w.testable THEN format('cell below min_cell_size (%s): not tested', min_cell) END,
                   CASE WHEN srm.p < 0.001 THEN format('sample ratio mismatch (p = %s): the assignment is suspect', btrim(to_char(srm.p, '9.9EEEE'))) END,
                   CASE WHEN covered < win_days THEN format('window covered for %s days only', covered) END)
    FROM q w
   ORDER BY w.dim COLLATE "C", w.arm COLLATE "C";
  DROP TABLE _rfm_campaign;
END $$;
COMMENT ON FUNCTION rfm.campaign_review(text, text) IS
  'Review a campaign: per value of the dimension (NULL: whole campaign; a label as of each member''s assignment day; or a column of the assignments) and treatment arm, response and revenue per member against the control arm, uplifts with intervals and p-values, CUPED, relative lift, incremental revenue, profit, q-values (Benjamini-Hochberg), the sample-ratio-mismatch p-value';

-- Publish a campaign's reviews for the BI view campaign_reviews of its model: the whole campaign and every label
-- dimension the model has, replacing what was published before. Returns the rows written.
CREATE FUNCTION rfm.publish_campaign(name text) RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c rfm.campaign := rfm._campaign(name);
  m rfm.model := rfm._model(c.model);
  s text := 'rfm_' || c.model;
  d text;
  n bigint := 0;
  k bigint;
BEGIN
  PERFORM rfm._check_owner(m, 'publish a campaign of');
  IF m.layout < 4 THEN
    RAISE EXCEPTION 'model "%" was made by an older rfm and has no campaign_results yet', m.name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = format('Its next refresh brings it to the current layout: SELECT * FROM rfm.refresh(%L);', m.name);
  END IF;
  EXECUTE format('DELETE FROM %I.campaign_results WHERE campaign = $1', s) USING c.name;
  FOREACH d IN ARRAY ARRAY['(all)', 'segment', 'value_segment', 'napl', 'nes']
                     || CASE WHEN m.options ? 'tier_policy' THEN ARRAY['tier'] ELSE '{}' END
                     || CASE WHEN m.options ? 'events' THEN ARRAY['dciu'] ELSE '{}' END LOOP
    EXECUTE format('INSERT INTO %I.campaign_results SELECT $1, $2, now(), r.* FROM rfm.campaign_review($1, nullif($2, ''(all)'')) r', s)
      USING c.name, d;
    GET DIAGNOSTICS k = ROW_COUNT;
    n := n + k;
  END LOOP;
  RETURN n;
END $$;
COMMENT ON FUNCTION rfm.publish_campaign(text) IS
  'Write a campaign''s reviews (whole campaign and every label dimension of its model) into the model''s campaign_results, which the BI view campaign_reviews reads (its owner only); returns the rows written';
