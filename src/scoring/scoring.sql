/*
 * src/scoring/scoring.sql
 * RFM scores (breaks, score, bins), segment maps, value segments and display
 * labels.  C in breaks.c and segment.c.
 */

-- cut points: rfm.breaks, its state type and support functions are in breaks_state.sql and
-- src/model/model_last.sql (the state type rfm.breaks_state is made by src/model/model_1_7.sql, after this part)

CREATE FUNCTION rfm.score(value double precision, breaks double precision[], descending boolean DEFAULT false)
  RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.score(double precision, double precision[], boolean) IS
  '1 + the number of cut points strictly below value (a value equal to a cut point goes to the lower bin); descending reverses it, for recency';

CREATE FUNCTION rfm.bins(breaks double precision[], descending boolean DEFAULT false,
                         OUT score integer, OUT low double precision, OUT high double precision, OUT empty boolean)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'rfm_bins' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;
COMMENT ON FUNCTION rfm.bins(double precision[], boolean) IS
  'The value range (low, high] of every score of a breaks array, and whether it is empty because cut points coincide (a collapsed bin)';

-- segment maps: rows of rfm.segment_rule; the matching rule with the lowest priority wins
CREATE TABLE rfm.segment_rule (
  map text NOT NULL,
  segment text NOT NULL,
  priority integer NOT NULL,
  r_min integer NOT NULL, r_max integer NOT NULL,
  f_min integer NOT NULL, f_max integer NOT NULL,
  m_min integer NOT NULL, m_max integer NOT NULL,
  builtin boolean NOT NULL DEFAULT true,
  PRIMARY KEY (map, priority),
  CHECK (r_min <= r_max AND f_min <= f_max AND m_min <= m_max),
  CHECK (segment <> '')
);
COMMENT ON TABLE rfm.segment_rule IS
  'Segment maps over (r, f, m) scores: inclusive ranges; the matching rule with the lowest priority wins, no match is ''other''. Add a map by inserting rows';
COMMENT ON COLUMN rfm.segment_rule.map IS 'Name of the map (rfm10 and rfm11 are built in)';
COMMENT ON COLUMN rfm.segment_rule.segment IS 'Segment code returned by rfm.segment (display names in rfm.label, kind segment)';
COMMENT ON COLUMN rfm.segment_rule.priority IS 'Lower wins when several rules match';
COMMENT ON COLUMN rfm.segment_rule.builtin IS 'Row installed by the extension (not dumped by pg_dump); user rows are false';

CREATE FUNCTION rfm.segment(r integer, f integer, m integer, map text DEFAULT 'rfm10') RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_segment' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.segment(integer, integer, integer, text) IS
  'Named segment of (r, f, m) scores in a map of rfm.segment_rule (STABLE: it reads the table); ''other'' when no rule matches';

-- the 8-segment value model
CREATE FUNCTION rfm.value_segment(recent boolean, frequent boolean, high_spend boolean) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  -- an array lookup, not a CASE: the body is strict, so the planner inlines it
  RETURN ('{general_winback,general_develop,general_retain,general_value,'
          'important_winback,important_develop,important_retain,important_value}'::text[])
         [1 + recent::int + 2 * frequent::int + 4 * high_spend::int];
COMMENT ON FUNCTION rfm.value_segment(boolean, boolean, boolean) IS
  'The 8-segment value model (重要/一般 × 價值/發展/保持/挽留): important_value, important_develop, important_retain, important_winback, general_value, ...';

-- display names
CREATE TABLE rfm.label (
  kind text NOT NULL,
  code text NOT NULL,
  locale text NOT NULL,
  name text NOT NULL,
  description text,
  action text,
  builtin boolean NOT NULL DEFAULT true,
  PRIMARY KEY (kind, code, locale)
);
COMMENT ON TABLE rfm.label IS
  'Display name, one-line description and suggested action of every label code, per locale (en and zh-TW built in)';
COMMENT ON COLUMN rfm.label.kind IS 'segment, value_segment, napl, nes or dciu (or a kind of your own)';
COMMENT ON COLUMN rfm.label.code IS 'The code a label function returns, e.g. champions, P, S2';
COMMENT ON COLUMN rfm.label.locale IS 'en, zh-TW, or a locale of your own (see the rfm.locale setting)';
COMMENT ON COLUMN rfm.label.builtin IS 'Row installed by the extension (not dumped by pg_dump); user rows are false';

-- An unknown kind or locale is an error listing the known ones (checked only when no name is found, so a name
-- costs one lookup); an unknown code of a known kind, such as (none), is its own name.
CREATE FUNCTION rfm._label_check(kind text, locale text) RETURNS text
  LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM rfm.label l WHERE l.kind = _label_check.kind) THEN
    RAISE EXCEPTION 'unknown label kind "%"', kind
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Kinds: ' || (SELECT string_agg(DISTINCT l.kind, ', ' ORDER BY l.kind) FROM rfm.label l) || '.';
  END IF;
  IF NOT EXISTS (SELECT FROM rfm.label l WHERE l.locale = _label_check.locale) THEN
    RAISE EXCEPTION 'no display names in locale "%"', locale
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'SET rfm.locale to one of: ' || (SELECT string_agg(DISTINCT l.locale, ', ' ORDER BY l.locale) FROM rfm.label l)
                   || ' (or add names of your own to rfm.label).';
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION rfm._label_check(text, text) IS
  'Internal: raise an error for a label kind or a locale that rfm.label does not know (else NULL)';

CREATE FUNCTION rfm.label_name(kind text, code text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  RETURN coalesce(
    (SELECT l.name FROM rfm.label l WHERE l.kind = label_name.kind AND l.code = label_name.code
        AND l.locale = coalesce(current_setting('rfm.locale', true), 'en')),
    rfm._label_check(label_name.kind, coalesce(current_setting('rfm.locale', true), 'en')),
    (SELECT l.name FROM rfm.label l WHERE l.kind = label_name.kind AND l.code = label_name.code
        AND l.locale = 'en'),
    label_name.code);
COMMENT ON FUNCTION rfm.label_name(text, text) IS
  'Display name of a label code in the locale of the rfm.locale setting (default en), falling back to en, then to the code; an unknown kind or locale is an error';
