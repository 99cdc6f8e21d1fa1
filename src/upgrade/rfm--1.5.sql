/*
 * rfm: member segmentation for retail inside PostgreSQL.
 * This script is assembled by the Makefile from the .sql files of src/, in
 * the order of SQL_PARTS; each part sits beside the C it declares.
 */
\echo Use "CREATE EXTENSION rfm" to load this file. \quit

COMMENT ON SCHEMA rfm IS
  'rfm: RFM scores and segments, NAPL and NES lifecycle stages, DCIU purchase intent, tiers, lifetime value and member flow, computed inside the database';

-- Every role may use rfm's types and functions; what a role may read or
-- change is decided by the privileges of its own tables and models.
GRANT USAGE ON SCHEMA rfm TO PUBLIC;
/*
 * src/purchases/purchases.sql
 * The rfm.purchases type, its aggregates and its accessors (C in this folder).
 */

-- the type
CREATE TYPE rfm.purchases;

CREATE FUNCTION rfm.purchases_in(cstring) RETURNS rfm.purchases
  AS 'MODULE_PATHNAME', 'rfm_purchases_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_out(rfm.purchases) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_purchases_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_recv(internal) RETURNS rfm.purchases
  AS 'MODULE_PATHNAME', 'rfm_purchases_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_send(rfm.purchases) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_purchases_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE rfm.purchases (
  INPUT = rfm.purchases_in,
  OUTPUT = rfm.purchases_out,
  RECEIVE = rfm.purchases_recv,
  SEND = rfm.purchases_send,
  INTERNALLENGTH = VARIABLE,
  ALIGNMENT = double,
  STORAGE = extended
);

COMMENT ON TYPE rfm.purchases IS
  'A member''s purchase history, one entry per day: (day, orders, net spend). Text form {YYYY-MM-DD:orders:spend,...}';
COMMENT ON FUNCTION rfm.purchases_in(cstring) IS 'Text input of rfm.purchases (strictly validated)';
COMMENT ON FUNCTION rfm.purchases_out(rfm.purchases) IS 'Text output of rfm.purchases (round-trips exactly)';
COMMENT ON FUNCTION rfm.purchases_recv(internal) IS 'Binary input of rfm.purchases (strictly validated)';
COMMENT ON FUNCTION rfm.purchases_send(rfm.purchases) IS 'Binary output of rfm.purchases';

-- equality and hashing, so that histories can be grouped, compared and used in EXCEPT
CREATE FUNCTION rfm.purchases_eq(rfm.purchases, rfm.purchases) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_purchases_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_ne(rfm.purchases, rfm.purchases) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_purchases_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_hash(rfm.purchases) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_purchases_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rfm.= (
  LEFTARG = rfm.purchases, RIGHTARG = rfm.purchases, FUNCTION = rfm.purchases_eq,
  COMMUTATOR = OPERATOR(rfm.=), NEGATOR = OPERATOR(rfm.<>),
  RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR rfm.<> (
  LEFTARG = rfm.purchases, RIGHTARG = rfm.purchases, FUNCTION = rfm.purchases_ne,
  COMMUTATOR = OPERATOR(rfm.<>), NEGATOR = OPERATOR(rfm.=),
  RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS rfm.purchases_hash_ops DEFAULT FOR TYPE rfm.purchases USING hash AS
  OPERATOR 1 rfm.= (rfm.purchases, rfm.purchases),
  FUNCTION 1 rfm.purchases_hash(rfm.purchases);

COMMENT ON FUNCTION rfm.purchases_eq(rfm.purchases, rfm.purchases) IS 'True when two histories have the same days, orders and spend';
COMMENT ON FUNCTION rfm.purchases_ne(rfm.purchases, rfm.purchases) IS 'True when two histories differ';
COMMENT ON FUNCTION rfm.purchases_hash(rfm.purchases) IS 'Hash of a history, for hash joins, grouping and EXCEPT';
COMMENT ON OPERATOR rfm.= (rfm.purchases, rfm.purchases) IS 'Same history';
COMMENT ON OPERATOR rfm.<> (rfm.purchases, rfm.purchases) IS 'Different history';
COMMENT ON OPERATOR CLASS rfm.purchases_hash_ops USING hash IS 'Hash equality of purchase histories';
COMMENT ON OPERATOR FAMILY rfm.purchases_hash_ops USING hash IS 'Hash equality of purchase histories';

-- aggregation: one row = one order (amount >= 0) or one refund (amount < 0)
CREATE FUNCTION rfm.purchases_trans(internal, date, numeric) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_trans_date_numeric' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_trans(internal, date, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_trans_date_float8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- timestamptz inputs depend on the session TimeZone, hence STABLE
CREATE FUNCTION rfm.purchases_trans(internal, timestamptz, numeric) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_trans_tstz_numeric' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_trans(internal, timestamptz, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_trans_tstz_float8' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_union_trans(internal, rfm.purchases) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_union_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_purchases_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_purchases_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_final(internal) RETURNS rfm.purchases
  AS 'MODULE_PATHNAME', 'rfm_purchases_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION rfm.purchases_trans(internal, date, numeric) IS 'Transition function of rfm.purchases_agg(date, numeric)';
COMMENT ON FUNCTION rfm.purchases_trans(internal, date, double precision) IS 'Transition function of rfm.purchases_agg(date, double precision)';
COMMENT ON FUNCTION rfm.purchases_trans(internal, timestamptz, numeric) IS 'Transition function of rfm.purchases_agg(timestamptz, numeric)';
COMMENT ON FUNCTION rfm.purchases_trans(internal, timestamptz, double precision) IS 'Transition function of rfm.purchases_agg(timestamptz, double precision)';
COMMENT ON FUNCTION rfm.purchases_union_trans(internal, rfm.purchases) IS 'Transition function of rfm.purchases_union';
COMMENT ON FUNCTION rfm.purchases_combine(internal, internal) IS 'Combine function of the purchases aggregates (parallel and partial aggregation)';
COMMENT ON FUNCTION rfm.purchases_serialize(internal) IS 'Serialize function of the purchases aggregates';
COMMENT ON FUNCTION rfm.purchases_deserialize(bytea, internal) IS 'Deserialize function of the purchases aggregates (validates the bytes)';
COMMENT ON FUNCTION rfm.purchases_final(internal) IS 'Final function of the purchases aggregates';

CREATE AGGREGATE rfm.purchases_agg(ts date, amount numeric) (
  SFUNC = rfm.purchases_trans, STYPE = internal, SSPACE = 96,
  FINALFUNC = rfm.purchases_final, COMBINEFUNC = rfm.purchases_combine,
  SERIALFUNC = rfm.purchases_serialize, DESERIALFUNC = rfm.purchases_deserialize,
  PARALLEL = SAFE
);
CREATE AGGREGATE rfm.purchases_agg(ts date, amount double precision) (
  SFUNC = rfm.purchases_trans, STYPE = internal, SSPACE = 96,
  FINALFUNC = rfm.purchases_final, COMBINEFUNC = rfm.purchases_combine,
  SERIALFUNC = rfm.purchases_serialize, DESERIALFUNC = rfm.purchases_deserialize,
  PARALLEL = SAFE
);
CREATE AGGREGATE rfm.purchases_agg(ts timestamptz, amount numeric) (
  SFUNC = rfm.purchases_trans, STYPE = internal, SSPACE = 96,
  FINALFUNC = rfm.purchases_final, COMBINEFUNC = rfm.purchases_combine,
  SERIALFUNC = rfm.purchases_serialize, DESERIALFUNC = rfm.purchases_deserialize,
  PARALLEL = SAFE
);
CREATE AGGREGATE rfm.purchases_agg(ts timestamptz, amount double precision) (
  SFUNC = rfm.purchases_trans, STYPE = internal, SSPACE = 96,
  FINALFUNC = rfm.purchases_final, COMBINEFUNC = rfm.purchases_combine,
  SERIALFUNC = rfm.purchases_serialize, DESERIALFUNC = rfm.purchases_deserialize,
  PARALLEL = SAFE
);
CREATE AGGREGATE rfm.purchases_union(rfm.purchases) (
  SFUNC = rfm.purchases_union_trans, STYPE = internal, SSPACE = 96,
  FINALFUNC = rfm.purchases_final, COMBINEFUNC = rfm.purchases_combine,
  SERIALFUNC = rfm.purchases_serialize, DESERIALFUNC = rfm.purchases_deserialize,
  PARALLEL = SAFE
);

COMMENT ON AGGREGATE rfm.purchases_agg(date, numeric) IS
  'Purchase history of the orders (amount >= 0) and refunds (amount < 0) aggregated; NULL rows ignored, empty input gives NULL';
COMMENT ON AGGREGATE rfm.purchases_agg(date, double precision) IS
  'Purchase history of the orders (amount >= 0) and refunds (amount < 0) aggregated; NULL rows ignored, empty input gives NULL';
COMMENT ON AGGREGATE rfm.purchases_agg(timestamptz, numeric) IS
  'Purchase history of the orders aggregated; order times become days in the session TimeZone';
COMMENT ON AGGREGATE rfm.purchases_agg(timestamptz, double precision) IS
  'Purchase history of the orders aggregated; order times become days in the session TimeZone';
COMMENT ON AGGREGATE rfm.purchases_union(rfm.purchases) IS
  'Merge of purchase histories (shards, incremental refresh): days are summed';

-- accessors; as_of NULL = no cut-off, w NULL = all history up to as_of
CREATE FUNCTION rfm.first_purchase(p rfm.purchases, as_of date) RETURNS date
  AS 'MODULE_PATHNAME', 'rfm_first_purchase' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.last_purchase(p rfm.purchases, as_of date) RETURNS date
  AS 'MODULE_PATHNAME', 'rfm_last_purchase' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.recency(p rfm.purchases, as_of date) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_recency' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.frequency(p rfm.purchases, as_of date, w interval DEFAULT NULL) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_frequency' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.purchase_days(p rfm.purchases, as_of date, w interval DEFAULT NULL) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_purchase_days' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.monetary(p rfm.purchases, as_of date, w interval DEFAULT NULL) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_monetary' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION rfm.first_purchase(rfm.purchases, date) IS 'First purchase day on or before as_of (NULL: none)';
COMMENT ON FUNCTION rfm.last_purchase(rfm.purchases, date) IS 'Last purchase day on or before as_of (NULL: none)';
COMMENT ON FUNCTION rfm.recency(rfm.purchases, date) IS 'Days from the last purchase day on or before as_of to as_of (NULL when as_of is NULL)';
COMMENT ON FUNCTION rfm.frequency(rfm.purchases, date, interval) IS 'Orders in the window (as_of - w, as_of]';
COMMENT ON FUNCTION rfm.purchase_days(rfm.purchases, date, interval) IS 'Distinct purchase days in the window (as_of - w, as_of]';
COMMENT ON FUNCTION rfm.monetary(rfm.purchases, date, interval) IS 'Net spend (orders minus refunds) in the window (as_of - w, as_of]';

CREATE TYPE rfm.btyd_summary AS (x integer, t_x double precision, t double precision, monetary double precision);
COMMENT ON TYPE rfm.btyd_summary IS
  'Repeat-buying summary of the BTYD literature: x repeat purchase days, t_x age at last purchase, t age at calibration end (in units), monetary mean repeat spend';

CREATE FUNCTION rfm.btyd(p rfm.purchases, calibration_end date, unit_days double precision DEFAULT 7)
  RETURNS rfm.btyd_summary
  AS 'MODULE_PATHNAME', 'rfm_btyd' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.btyd(rfm.purchases, date, double precision) IS
  '(x, t_x, t, monetary) at calibration_end, in units of unit_days days (default weeks), as lifetimes/BTYD compute them';

CREATE FUNCTION rfm.entries(p rfm.purchases, OUT day date, OUT orders integer, OUT spend double precision)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'rfm_entries' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION rfm.entries(rfm.purchases) IS 'The stored days of a history as rows (day, orders, net spend); orders = 0 marks a refund-only day';
/*
 * src/scoring/scoring.sql
 * RFM scores (breaks, score, bins), segment maps, value segments and display
 * labels.  C in breaks.c and segment.c.
 */

-- cut points
CREATE FUNCTION rfm.breaks_trans(internal, double precision, integer) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_breaks_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_breaks_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_breaks_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_breaks_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.breaks_final(internal) RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_breaks_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE rfm.breaks(value double precision, bins integer) (
  SFUNC = rfm.breaks_trans, STYPE = internal, SSPACE = 1024,
  FINALFUNC = rfm.breaks_final, FINALFUNC_MODIFY = READ_WRITE,
  COMBINEFUNC = rfm.breaks_combine,
  SERIALFUNC = rfm.breaks_serialize, DESERIALFUNC = rfm.breaks_deserialize,
  PARALLEL = SAFE
);
COMMENT ON FUNCTION rfm.breaks_trans(internal, double precision, integer) IS 'Transition function of rfm.breaks';
COMMENT ON FUNCTION rfm.breaks_combine(internal, internal) IS 'Combine function of rfm.breaks';
COMMENT ON FUNCTION rfm.breaks_serialize(internal) IS 'Serialize function of rfm.breaks';
COMMENT ON FUNCTION rfm.breaks_deserialize(bytea, internal) IS 'Deserialize function of rfm.breaks (validates the bytes)';
COMMENT ON FUNCTION rfm.breaks_final(internal) IS 'Final function of rfm.breaks: the k/bins quantiles';
COMMENT ON AGGREGATE rfm.breaks(double precision, integer) IS
  'The bins-1 cut points of a score: the k/bins quantiles (R type 7, as percentile_cont); NULLs ignored';

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

CREATE FUNCTION rfm.label_name(kind text, code text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  RETURN coalesce(
    (SELECT l.name FROM rfm.label l WHERE l.kind = label_name.kind AND l.code = label_name.code
        AND l.locale = coalesce(current_setting('rfm.locale', true), 'en')),
    (SELECT l.name FROM rfm.label l WHERE l.kind = label_name.kind AND l.code = label_name.code
        AND l.locale = 'en'),
    label_name.code);
COMMENT ON FUNCTION rfm.label_name(text, text) IS
  'Display name of a label code in the locale of the rfm.locale setting (default en), falling back to en, then to the code';
/*
 * src/scoring/segment_maps.sql
 * Built-in segment maps: rows of rfm.segment_rule (created in scoring.sql).
 * rfm.segment(r, f, m, map) returns the segment of the matching rule with the
 * lowest priority, or 'other' when no rule matches.  Ranges are inclusive,
 * scores 1..5 (5 = most recent / most frequent / highest spend).
 * Sources and every judgement call are in docs/segments.md.
 */

-- rfm10: the 10 segments of the R package rsquaredacademy/rfm (v0.3.0), as
-- its vignette, README and function examples define them.  The package gives
-- each customer the first rule that matches (rfm >= 0.2.2, issue #67), so
-- priority = the package's order.  10 of the 125 cells match no rule: 'other'.
INSERT INTO rfm.segment_rule (map, segment, priority, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
  ('rfm10', 'champions',           1, 5, 5, 5, 5, 5, 5),
  ('rfm10', 'potential_loyalist',  2, 3, 5, 3, 5, 2, 5),
  ('rfm10', 'loyal',               3, 2, 4, 2, 4, 2, 4),
  ('rfm10', 'promising',           4, 3, 4, 1, 3, 3, 5),
  ('rfm10', 'new_customers',       5, 4, 5, 1, 3, 1, 5),
  ('rfm10', 'cant_lose_them',      6, 1, 2, 3, 4, 4, 5),
  ('rfm10', 'at_risk',             7, 1, 2, 2, 5, 4, 5),
  ('rfm10', 'need_attention',      8, 1, 3, 3, 5, 3, 5),
  ('rfm10', 'about_to_sleep',      9, 2, 3, 1, 3, 1, 4),
  ('rfm10', 'lost',               10, 1, 1, 1, 5, 1, 5);

-- rfm10_legacy: the older rsquaredacademy/rfm map (README and examples up to
-- v0.2.x, still in the package's tests/testthat/test-rfm-segment.R).  Under
-- first-match it never yields new_customers, promising or cant_lose_them
-- (earlier, wider rules cover them) and leaves 36 cells 'other'; shipped
-- only to reproduce results computed with that map.
INSERT INTO rfm.segment_rule (map, segment, priority, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
  ('rfm10_legacy', 'champions',           1, 4, 5, 4, 5, 4, 5),
  ('rfm10_legacy', 'loyal',               2, 2, 5, 3, 5, 3, 5),
  ('rfm10_legacy', 'potential_loyalist',  3, 3, 5, 1, 3, 1, 3),
  ('rfm10_legacy', 'new_customers',       4, 4, 5, 1, 1, 1, 1),
  ('rfm10_legacy', 'promising',           5, 3, 4, 1, 1, 1, 1),
  ('rfm10_legacy', 'need_attention',      6, 2, 3, 2, 3, 2, 3),
  ('rfm10_legacy', 'about_to_sleep',      7, 2, 3, 1, 2, 1, 2),
  ('rfm10_legacy', 'at_risk',             8, 1, 2, 2, 5, 2, 5),
  ('rfm10_legacy', 'cant_lose_them',      9, 1, 1, 4, 5, 4, 5),
  ('rfm10_legacy', 'lost',               10, 1, 2, 1, 2, 1, 2);

-- rfm11: the widely copied 11-segment map that lists every RFM code.  One rule
-- per cell (r_min = r_max, ...), so all 125 cells are covered exactly once and
-- priority never decides anything; it only has to be unique per map.
-- Cells marked D1..D3 are where the public copies disagree or leave a cell
-- out; docs/segments.md gives each decision and its reason.
INSERT INTO rfm.segment_rule (map, segment, priority, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
  -- champions: 7 cells
  ('rfm11', 'champions', 1, 5, 5, 5, 5, 5, 5),        -- 555
  ('rfm11', 'champions', 2, 5, 5, 5, 5, 4, 4),        -- 554
  ('rfm11', 'champions', 3, 5, 5, 4, 4, 5, 5),        -- 545
  ('rfm11', 'champions', 4, 5, 5, 4, 4, 4, 4),        -- 544
  ('rfm11', 'champions', 5, 4, 4, 5, 5, 5, 5),        -- 455
  ('rfm11', 'champions', 6, 4, 4, 5, 5, 4, 4),        -- 454
  ('rfm11', 'champions', 7, 4, 4, 4, 4, 5, 5),        -- 445
  -- loyal: 8 cells
  ('rfm11', 'loyal', 8, 5, 5, 4, 4, 3, 3),            -- 543
  ('rfm11', 'loyal', 9, 4, 4, 4, 4, 4, 4),            -- 444
  ('rfm11', 'loyal', 10, 4, 4, 3, 3, 5, 5),           -- 435
  ('rfm11', 'loyal', 11, 3, 3, 5, 5, 5, 5),           -- 355
  ('rfm11', 'loyal', 12, 3, 3, 5, 5, 4, 4),           -- 354
  ('rfm11', 'loyal', 13, 3, 3, 4, 4, 5, 5),           -- 345
  ('rfm11', 'loyal', 14, 3, 3, 4, 4, 4, 4),           -- 344
  ('rfm11', 'loyal', 15, 3, 3, 3, 3, 5, 5),           -- 335
  -- potential_loyalist: 24 cells
  ('rfm11', 'potential_loyalist', 16, 5, 5, 5, 5, 3, 3),  -- 553
  ('rfm11', 'potential_loyalist', 17, 5, 5, 5, 5, 2, 2),  -- 552
  ('rfm11', 'potential_loyalist', 18, 5, 5, 5, 5, 1, 1),  -- 551
  ('rfm11', 'potential_loyalist', 19, 5, 5, 4, 4, 2, 2),  -- 542
  ('rfm11', 'potential_loyalist', 20, 5, 5, 4, 4, 1, 1),  -- 541
  ('rfm11', 'potential_loyalist', 21, 5, 5, 3, 3, 3, 3),  -- 533
  ('rfm11', 'potential_loyalist', 22, 5, 5, 3, 3, 2, 2),  -- 532
  ('rfm11', 'potential_loyalist', 23, 5, 5, 3, 3, 1, 1),  -- 531
  ('rfm11', 'potential_loyalist', 24, 4, 4, 5, 5, 3, 3),  -- 453
  ('rfm11', 'potential_loyalist', 25, 4, 4, 5, 5, 2, 2),  -- 452
  ('rfm11', 'potential_loyalist', 26, 4, 4, 5, 5, 1, 1),  -- 451
  ('rfm11', 'potential_loyalist', 27, 4, 4, 4, 4, 2, 2),  -- 442
  ('rfm11', 'potential_loyalist', 28, 4, 4, 4, 4, 1, 1),  -- 441
  ('rfm11', 'potential_loyalist', 29, 4, 4, 3, 3, 3, 3),  -- 433
  ('rfm11', 'potential_loyalist', 30, 4, 4, 3, 3, 2, 2),  -- 432
  ('rfm11', 'potential_loyalist', 31, 4, 4, 3, 3, 1, 1),  -- 431
  ('rfm11', 'potential_loyalist', 32, 4, 4, 2, 2, 3, 3),  -- 423
  ('rfm11', 'potential_loyalist', 33, 3, 3, 5, 5, 3, 3),  -- 353
  ('rfm11', 'potential_loyalist', 34, 3, 3, 5, 5, 2, 2),  -- 352
  ('rfm11', 'potential_loyalist', 35, 3, 3, 5, 5, 1, 1),  -- 351
  ('rfm11', 'potential_loyalist', 36, 3, 3, 4, 4, 2, 2),  -- 342
  ('rfm11', 'potential_loyalist', 37, 3, 3, 4, 4, 1, 1),  -- 341
  ('rfm11', 'potential_loyalist', 38, 3, 3, 3, 3, 3, 3),  -- 333
  ('rfm11', 'potential_loyalist', 39, 3, 3, 2, 2, 3, 3),  -- 323
  -- new_customers: 7 cells
  ('rfm11', 'new_customers', 40, 5, 5, 1, 1, 2, 2),   -- 512
  ('rfm11', 'new_customers', 41, 5, 5, 1, 1, 1, 1),   -- 511
  ('rfm11', 'new_customers', 42, 4, 4, 2, 2, 2, 2),   -- 422
  ('rfm11', 'new_customers', 43, 4, 4, 2, 2, 1, 1),   -- 421 (D1)
  ('rfm11', 'new_customers', 44, 4, 4, 1, 1, 2, 2),   -- 412 (D1)
  ('rfm11', 'new_customers', 45, 4, 4, 1, 1, 1, 1),   -- 411
  ('rfm11', 'new_customers', 46, 3, 3, 1, 1, 1, 1),   -- 311
  -- promising: 16 cells
  ('rfm11', 'promising', 47, 5, 5, 2, 2, 5, 5),       -- 525
  ('rfm11', 'promising', 48, 5, 5, 2, 2, 4, 4),       -- 524
  ('rfm11', 'promising', 49, 5, 5, 2, 2, 3, 3),       -- 523
  ('rfm11', 'promising', 50, 5, 5, 2, 2, 2, 2),       -- 522
  ('rfm11', 'promising', 51, 5, 5, 2, 2, 1, 1),       -- 521
  ('rfm11', 'promising', 52, 5, 5, 1, 1, 5, 5),       -- 515
  ('rfm11', 'promising', 53, 5, 5, 1, 1, 4, 4),       -- 514
  ('rfm11', 'promising', 54, 5, 5, 1, 1, 3, 3),       -- 513
  ('rfm11', 'promising', 55, 4, 4, 2, 2, 5, 5),       -- 425
  ('rfm11', 'promising', 56, 4, 4, 2, 2, 4, 4),       -- 424
  ('rfm11', 'promising', 57, 4, 4, 1, 1, 5, 5),       -- 415
  ('rfm11', 'promising', 58, 4, 4, 1, 1, 4, 4),       -- 414
  ('rfm11', 'promising', 59, 4, 4, 1, 1, 3, 3),       -- 413
  ('rfm11', 'promising', 60, 3, 3, 1, 1, 5, 5),       -- 315
  ('rfm11', 'promising', 61, 3, 3, 1, 1, 4, 4),       -- 314
  ('rfm11', 'promising', 62, 3, 3, 1, 1, 3, 3),       -- 313
  -- need_attention: 8 cells
  ('rfm11', 'need_attention', 63, 5, 5, 3, 3, 5, 5),  -- 535
  ('rfm11', 'need_attention', 64, 5, 5, 3, 3, 4, 4),  -- 534
  ('rfm11', 'need_attention', 65, 4, 4, 4, 4, 3, 3),  -- 443
  ('rfm11', 'need_attention', 66, 4, 4, 3, 3, 4, 4),  -- 434
  ('rfm11', 'need_attention', 67, 3, 3, 4, 4, 3, 3),  -- 343
  ('rfm11', 'need_attention', 68, 3, 3, 3, 3, 4, 4),  -- 334
  ('rfm11', 'need_attention', 69, 3, 3, 2, 2, 5, 5),  -- 325
  ('rfm11', 'need_attention', 70, 3, 3, 2, 2, 4, 4),  -- 324
  -- about_to_sleep: 8 cells
  ('rfm11', 'about_to_sleep', 71, 3, 3, 3, 3, 1, 1),  -- 331
  ('rfm11', 'about_to_sleep', 72, 3, 3, 2, 2, 1, 1),  -- 321
  ('rfm11', 'about_to_sleep', 73, 3, 3, 1, 1, 2, 2),  -- 312
  ('rfm11', 'about_to_sleep', 74, 2, 2, 5, 5, 1, 1),  -- 251 (D2)
  ('rfm11', 'about_to_sleep', 75, 2, 2, 4, 4, 1, 1),  -- 241 (D2)
  ('rfm11', 'about_to_sleep', 76, 2, 2, 3, 3, 1, 1),  -- 231 (D2)
  ('rfm11', 'about_to_sleep', 77, 2, 2, 2, 2, 1, 1),  -- 221
  ('rfm11', 'about_to_sleep', 78, 2, 2, 1, 1, 3, 3),  -- 213
  -- at_risk: 22 cells
  ('rfm11', 'at_risk', 79, 2, 2, 5, 5, 5, 5),         -- 255
  ('rfm11', 'at_risk', 80, 2, 2, 5, 5, 4, 4),         -- 254
  ('rfm11', 'at_risk', 81, 2, 2, 5, 5, 3, 3),         -- 253
  ('rfm11', 'at_risk', 82, 2, 2, 5, 5, 2, 2),         -- 252
  ('rfm11', 'at_risk', 83, 2, 2, 4, 4, 5, 5),         -- 245
  ('rfm11', 'at_risk', 84, 2, 2, 4, 4, 4, 4),         -- 244
  ('rfm11', 'at_risk', 85, 2, 2, 4, 4, 3, 3),         -- 243
  ('rfm11', 'at_risk', 86, 2, 2, 4, 4, 2, 2),         -- 242
  ('rfm11', 'at_risk', 87, 2, 2, 3, 3, 5, 5),         -- 235
  ('rfm11', 'at_risk', 88, 2, 2, 3, 3, 4, 4),         -- 234
  ('rfm11', 'at_risk', 89, 2, 2, 2, 2, 5, 5),         -- 225
  ('rfm11', 'at_risk', 90, 2, 2, 2, 2, 4, 4),         -- 224
  ('rfm11', 'at_risk', 91, 1, 1, 5, 5, 3, 3),         -- 153
  ('rfm11', 'at_risk', 92, 1, 1, 5, 5, 2, 2),         -- 152
  ('rfm11', 'at_risk', 93, 1, 1, 4, 4, 5, 5),         -- 145
  ('rfm11', 'at_risk', 94, 1, 1, 4, 4, 3, 3),         -- 143
  ('rfm11', 'at_risk', 95, 1, 1, 4, 4, 2, 2),         -- 142
  ('rfm11', 'at_risk', 96, 1, 1, 3, 3, 5, 5),         -- 135
  ('rfm11', 'at_risk', 97, 1, 1, 3, 3, 4, 4),         -- 134
  ('rfm11', 'at_risk', 98, 1, 1, 3, 3, 3, 3),         -- 133
  ('rfm11', 'at_risk', 99, 1, 1, 2, 2, 5, 5),         -- 125 (D3)
  ('rfm11', 'at_risk', 100, 1, 1, 2, 2, 4, 4),        -- 124
  -- cant_lose_them: 8 cells
  ('rfm11', 'cant_lose_them', 101, 2, 2, 1, 1, 5, 5),  -- 215
  ('rfm11', 'cant_lose_them', 102, 2, 2, 1, 1, 4, 4),  -- 214
  ('rfm11', 'cant_lose_them', 103, 1, 1, 5, 5, 5, 5),  -- 155
  ('rfm11', 'cant_lose_them', 104, 1, 1, 5, 5, 4, 4),  -- 154
  ('rfm11', 'cant_lose_them', 105, 1, 1, 4, 4, 4, 4),  -- 144
  ('rfm11', 'cant_lose_them', 106, 1, 1, 1, 1, 5, 5),  -- 115
  ('rfm11', 'cant_lose_them', 107, 1, 1, 1, 1, 4, 4),  -- 114
  ('rfm11', 'cant_lose_them', 108, 1, 1, 1, 1, 3, 3),  -- 113
  -- hibernating: 11 cells
  ('rfm11', 'hibernating', 109, 3, 3, 3, 3, 2, 2),    -- 332
  ('rfm11', 'hibernating', 110, 3, 3, 2, 2, 2, 2),    -- 322
  ('rfm11', 'hibernating', 111, 2, 2, 3, 3, 3, 3),    -- 233
  ('rfm11', 'hibernating', 112, 2, 2, 3, 3, 2, 2),    -- 232
  ('rfm11', 'hibernating', 113, 2, 2, 2, 2, 3, 3),    -- 223
  ('rfm11', 'hibernating', 114, 2, 2, 2, 2, 2, 2),    -- 222
  ('rfm11', 'hibernating', 115, 2, 2, 1, 1, 2, 2),    -- 212
  ('rfm11', 'hibernating', 116, 2, 2, 1, 1, 1, 1),    -- 211
  ('rfm11', 'hibernating', 117, 1, 1, 3, 3, 2, 2),    -- 132
  ('rfm11', 'hibernating', 118, 1, 1, 2, 2, 3, 3),    -- 123
  ('rfm11', 'hibernating', 119, 1, 1, 2, 2, 2, 2),    -- 122
  -- lost: 6 cells
  ('rfm11', 'lost', 120, 1, 1, 5, 5, 1, 1),           -- 151
  ('rfm11', 'lost', 121, 1, 1, 4, 4, 1, 1),           -- 141
  ('rfm11', 'lost', 122, 1, 1, 3, 3, 1, 1),           -- 131
  ('rfm11', 'lost', 123, 1, 1, 2, 2, 1, 1),           -- 121
  ('rfm11', 'lost', 124, 1, 1, 1, 1, 2, 2),           -- 112
  ('rfm11', 'lost', 125, 1, 1, 1, 1, 1, 1);           -- 111
/*
 * src/scoring/labels.sql
 * Built-in display names of every label code: rows of rfm.label (created in
 * scoring.sql), locales en and zh-TW.  name = display name, description = who
 * is in it (one line), action = a suggested marketing action (one line).
 * rfm.label_name(kind, code) picks the locale from the rfm.locale setting.
 * The codes and their definitions: SPEC sections 2-4 and docs/segments.md.
 */

-- kind segment: codes returned by rfm.segment (maps rfm10, rfm11, ...)
INSERT INTO rfm.label (kind, code, locale, name, description, action) VALUES
  ('segment', 'champions', 'en', 'Champions',
   'Top scores on all three: bought very recently, buy often and spend the most.',
   'Reward with VIP perks and early access to launches; ask for reviews and referrals.'),
  ('segment', 'loyal', 'en', 'Loyal',
   'Buy often with high spend and bought fairly recently; the tier just below champions.',
   'Show a clear path to the next member tier and cross-sell higher-value items.'),
  ('segment', 'potential_loyalist', 'en', 'Potential Loyalist',
   'Recent buyers with middling frequency or spend who could become loyal with a push.',
   'Send a second-item or bundle offer and invite them into the points program.'),
  ('segment', 'new_customers', 'en', 'New Customers',
   'Bought very recently, but only once or twice and with low spend so far.',
   'Start an onboarding series with a welcome coupon valid on the next order within 30 days.'),
  ('segment', 'promising', 'en', 'Promising',
   'Fairly recent buyers with few orders, usually with a decent spend per order.',
   'Recommend items related to their first purchase with a limited-time repeat coupon.'),
  ('segment', 'need_attention', 'en', 'Need Attention',
   'Middling recency with above-average frequency and spend; activity is starting to slip.',
   'Send personalised picks with a time-limited offer before they drift further.'),
  ('segment', 'about_to_sleep', 'en', 'About To Sleep',
   'Below-average recency, frequency and spend; drifting toward inactivity.',
   'Reactivate with bestsellers and a small discount; keep the send frequency low.'),
  ('segment', 'at_risk', 'en', 'At Risk',
   'Used to buy often or spend well, but have not bought for a long time.',
   'Run a win-back campaign: a personal message plus an incentive they will notice.'),
  ('segment', 'cant_lose_them', 'en', 'Can''t Lose Them',
   'High spenders, often frequent too, whose last purchase is long ago.',
   'Reach out one to one (call or direct message) with an exclusive offer; ask why they left.'),
  ('segment', 'hibernating', 'en', 'Hibernating',
   'Last purchase long ago, with low frequency and low spend.',
   'Include only in low-cost seasonal campaigns; test a single reactivation offer.'),
  ('segment', 'lost', 'en', 'Lost',
   'Lowest recency: no purchase for the longest time, mostly with low frequency and spend.',
   'Send one last win-back email, then stop paid outreach and exclude them from ad audiences.'),
  ('segment', 'other', 'en', 'Other',
   'A score combination that no rule of the chosen map covers.',
   'Review the map: add a rule for these cells or treat them like the nearest segment.'),

  ('segment', 'champions', 'zh-TW', '冠軍客戶',
   '最近剛買、購買最頻繁且消費金額最高的頂尖會員。',
   '給予VIP禮遇與新品搶先購，邀請撰寫評價並推薦親友。'),
  ('segment', 'loyal', 'zh-TW', '忠誠客戶',
   '購買頻繁、消費高，近期也有購買，僅次於冠軍客戶。',
   '讓會員看見升等路徑，並推薦更高單價的商品。'),
  ('segment', 'potential_loyalist', 'zh-TW', '潛力忠誠客戶',
   '近期有消費，頻率或金額中等，推一把就可能成為忠誠客戶。',
   '推送第二件優惠或組合價，邀請加入會員集點方案。'),
  ('segment', 'new_customers', 'zh-TW', '新客戶',
   '最近剛購買，但只買過一兩次，消費金額還不高。',
   '啟動新客歡迎旅程，提供30天內下一筆訂單可用的折價券。'),
  ('segment', 'promising', 'zh-TW', '具潛力客戶',
   '近期有購買但次數不多，單筆消費通常不差。',
   '依首購商品推薦相關品項，搭配限時回購折價券。'),
  ('segment', 'need_attention', 'zh-TW', '需關注客戶',
   '最近消費時間居中，頻率與金額高於平均，活躍度開始下滑。',
   '趁還沒流失，推送個人化推薦與限時優惠。'),
  ('segment', 'about_to_sleep', 'zh-TW', '即將沉睡客戶',
   '最近消費時間、頻率與金額都低於平均，正逐漸不活躍。',
   '以熱銷商品和小額折扣喚醒，並降低發送頻率。'),
  ('segment', 'at_risk', 'zh-TW', '流失風險客戶',
   '過去常買或消費不少，但已經很久沒有購買。',
   '發動挽回活動：個人化訊息搭配有感的優惠。'),
  ('segment', 'cant_lose_them', 'zh-TW', '不能流失的客戶',
   '高消費（多半也高頻）的會員，但上次購買已相當久遠。',
   '由專人電話或一對一訊息聯繫，給專屬優惠並了解離開原因。'),
  ('segment', 'hibernating', 'zh-TW', '休眠客戶',
   '很久沒有購買，購買頻率與消費金額也都偏低。',
   '只納入低成本的節慶活動，測試一次喚醒優惠即可。'),
  ('segment', 'lost', 'zh-TW', '流失客戶',
   '最近消費分數最低：最久沒有購買，頻率與金額多半也低。',
   '寄出最後一次挽回信，之後停止付費觸及並從廣告受眾中排除。'),
  ('segment', 'other', 'zh-TW', '其他',
   '所選分群規則沒有涵蓋的分數組合。',
   '檢查分群規則：為這些組合新增規則，或比照最接近的分群處理。');

-- kind value_segment: codes returned by rfm.value_segment (重要/一般 × 價值/發展/保持/挽留).
-- recent = recency below the reference, frequent / high spend = at or above it
-- (reference: mean by default, or median, or a fixed value).
INSERT INTO rfm.label (kind, code, locale, name, description, action) VALUES
  ('value_segment', 'important_value', 'en', 'Important Value',
   'Recent, frequent and high spend: better than the reference on all three.',
   'Protect with VIP service, exclusive previews and loyalty rewards; avoid blanket discounts.'),
  ('value_segment', 'important_develop', 'en', 'Important Develop',
   'Recent and high spend but not frequent: large baskets, few orders.',
   'Lift purchase frequency with replenishment reminders and a next-order incentive.'),
  ('value_segment', 'important_retain', 'en', 'Important Retain',
   'Frequent and high spend but not recent: a valuable buyer going quiet.',
   'Check in personally and make a tailored offer to keep them buying.'),
  ('value_segment', 'important_winback', 'en', 'Important Win-back',
   'High spend but neither recent nor frequent: a big past spender slipping away.',
   'Run a targeted win-back with a strong time-limited incentive and a personal touch.'),
  ('value_segment', 'general_value', 'en', 'General Value',
   'Recent and frequent, but spend below the reference.',
   'Raise basket size with bundles, free-shipping thresholds and add-on offers.'),
  ('value_segment', 'general_develop', 'en', 'General Develop',
   'Recent but not frequent, with spend below the reference; often new buyers.',
   'Nurture with onboarding content and a small coupon for the second purchase.'),
  ('value_segment', 'general_retain', 'en', 'General Retain',
   'Frequent but not recent, with spend below the reference.',
   'Remind them through low-cost channels (LINE, email) with everyday promotions.'),
  ('value_segment', 'general_winback', 'en', 'General Win-back',
   'Below the reference on all three: not recent, not frequent, low spend.',
   'Keep to low-cost mass campaigns; do not spend much on reactivation.'),

  ('value_segment', 'important_value', 'zh-TW', '重要價值客戶',
   '近期有消費、頻率高且金額高，三項都優於基準。',
   '以VIP服務、專屬預購與忠誠回饋維繫，避免全面打折。'),
  ('value_segment', 'important_develop', 'zh-TW', '重要發展客戶',
   '近期有消費且金額高，但購買頻率低：單次買很多、次數少。',
   '以補貨提醒與下次購買獎勵提高回購頻率。'),
  ('value_segment', 'important_retain', 'zh-TW', '重要保持客戶',
   '頻率高且金額高，但近期沒有消費：有價值的會員正在變冷。',
   '主動關懷聯繫，提供量身訂做的優惠留住他們。'),
  ('value_segment', 'important_winback', 'zh-TW', '重要挽留客戶',
   '金額高，但近期沒買、頻率也低：高消費會員正在流失。',
   '專人溝通搭配有感的限時優惠，全力挽回。'),
  ('value_segment', 'general_value', 'zh-TW', '一般價值客戶',
   '近期有消費且頻率高，但消費金額低於基準。',
   '以組合價、免運門檻與加價購提高客單價。'),
  ('value_segment', 'general_develop', 'zh-TW', '一般發展客戶',
   '近期有消費但頻率低、金額低於基準，多為新客。',
   '提供新手引導內容與第二次購買的小額折價券。'),
  ('value_segment', 'general_retain', 'zh-TW', '一般保持客戶',
   '頻率高但近期沒有消費，金額低於基準。',
   '透過LINE、電子報等低成本管道提醒日常優惠。'),
  ('value_segment', 'general_winback', 'zh-TW', '一般挽留客戶',
   '三項都低於基準：近期沒買、頻率低、金額低。',
   '只納入低成本的大眾活動，不投入高額喚醒成本。');

-- kind napl: rfm.napl stages (91APP).  Window w, default 3 months before as_of.
INSERT INTO rfm.label (kind, code, locale, name, description, action) VALUES
  ('napl', 'N', 'en', 'New',
   'Exactly one purchase day so far, and it falls inside the window (default 3 months).',
   'Welcome journey: thank-you note, usage tips and a coupon that drives the second purchase.'),
  ('napl', 'A', 'en', 'Active',
   'Two or more purchase days, the latest inside the window.',
   'Keep them engaged with member-only deals, bonus points and new-arrival alerts.'),
  ('napl', 'P', 'en', 'Potential (dormant)',
   'Two or more purchase days but none inside the window: a repeat buyer gone quiet.',
   'Wake them with reminders of past favorites and a time-limited welcome-back offer.'),
  ('napl', 'L', 'en', 'Lost',
   'Exactly one purchase day, older than the window: a one-time buyer who never came back.',
   'Make one low-cost reactivation try (email or LINE), then drop them from paid retargeting.'),

  ('napl', 'N', 'zh-TW', '新客（首購）',
   '至今只有一個購買日，且落在觀察期間內（預設3個月）。',
   '新客旅程：感謝訊息、使用教學，附上促成第二次購買的折價券。'),
  ('napl', 'A', 'zh-TW', '活躍客',
   '有兩個以上購買日，最近一次落在觀察期間內。',
   '以會員專屬優惠、點數加倍與新品通知維持互動。'),
  ('napl', 'P', 'zh-TW', '沉睡客',
   '有兩個以上購買日，但觀察期間內沒有購買：回購客轉為沉睡。',
   '以過去常買商品的個人化提醒與限時回歸優惠喚醒。'),
  ('napl', 'L', 'zh-TW', '流失客',
   '只有一個購買日且早於觀察期間：買過一次就沒再回來。',
   '以電子報或LINE做一次低成本喚回，之後移出付費再行銷名單。');

-- kind nes: rfm.nes stages (ORDERLY).  c = the member's purchase cycle (fallback
-- cycle for one purchase day), r = days since the last purchase, multipliers m1 < m2 < m3.
INSERT INTO rfm.label (kind, code, locale, name, description, action) VALUES
  ('nes', 'N', 'en', 'New',
   'One purchase day, and days since it are at most m1 times the fallback cycle (default 1x).',
   'Steer the second purchase within one cycle: onboarding tips plus a repeat coupon.'),
  ('nes', 'E0', 'en', 'Existing (core)',
   'Two or more purchase days; days since the last are at most m1 times their own cycle.',
   'Keep the rhythm: replenishment reminders and points timed to their purchase cycle.'),
  ('nes', 'S1', 'en', 'Sleepy',
   'Days since the last purchase between m1 and m2 times the cycle (default 1-2x): overdue.',
   'Nudge gently with a reminder of their usual items and a small incentive.'),
  ('nes', 'S2', 'en', 'Half-asleep',
   'Days since the last purchase between m2 and m3 times the cycle (default 2-3x).',
   'Send a stronger welcome-back offer across several channels before they fall asleep.'),
  ('nes', 'S3', 'en', 'Asleep',
   'Days since the last purchase beyond m3 times the cycle (default over 3x): churned.',
   'Run one deep win-back campaign, then cap spending on members who stay silent.'),

  ('nes', 'N', 'zh-TW', '新客',
   '只有一個購買日，距今天數不超過 m1 倍的預設週期（預設1倍）。',
   '在一個週期內引導第二次購買：新手教學加回購折價券。'),
  ('nes', 'E0', 'zh-TW', '主力客（既有）',
   '兩個以上購買日，距上次購買不超過 m1 倍的自身回購週期。',
   '順著購買節奏發送補貨提醒與點數回饋。'),
  ('nes', 'S1', 'zh-TW', '瞌睡客',
   '距上次購買介於 m1 到 m2 倍週期（預設1～2倍），已超過該回購的時間。',
   '以常買商品提醒搭配小額誘因，輕推回購。'),
  ('nes', 'S2', 'zh-TW', '半睡客',
   '距上次購買介於 m2 到 m3 倍週期（預設2～3倍）。',
   '在完全沉睡前，以多管道送出力道較強的回歸優惠。'),
  ('nes', 'S3', 'zh-TW', '沉睡客',
   '距上次購買超過 m3 倍週期（預設3倍以上），依自身節奏已算流失。',
   '進行一次深度喚醒活動，對持續沒有回應的會員控制投入成本。');

-- kind dciu: rfm.dciu buckets (91APP).  Score = time-decayed weighted count of the
-- browse, search, favorite, cart and checkout events after the last purchase,
-- within the horizon; cuts = {I, C, D} lower bounds.
INSERT INTO rfm.label (kind, code, locale, name, description, action) VALUES
  ('dciu', 'D', 'en', 'Deciding',
   'Intent score at or above the D cut: heavy recent cart and checkout activity, close to buying.',
   'Remove friction now: cart reminder, free shipping or a small limited-time discount.'),
  ('dciu', 'C', 'en', 'Considering',
   'Intent score from the C cut up to the D cut: comparing items, high interest.',
   'Send the items they viewed with reviews, back-in-stock or price-drop alerts.'),
  ('dciu', 'I', 'en', 'Interested',
   'Intent score from the I cut up to the C cut: some browsing or searching, unclear intent.',
   'Show personalised recommendations and content; keep incentives modest.'),
  ('dciu', 'U', 'en', 'Uninterested',
   'Intent score below the I cut (0 without events), including members who just bought.',
   'Skip promotional pushes; send recent buyers an order follow-up and cross-sell later.'),

  ('dciu', 'D', 'zh-TW', '決策',
   '意圖分數達 D 門檻：近期大量加入購物車與結帳動作，即將下單。',
   '立即排除阻力：購物車提醒、免運或小額限時折扣。'),
  ('dciu', 'C', 'zh-TW', '考慮',
   '意圖分數介於 C 與 D 門檻之間：正在比較商品，興趣很高。',
   '推送瀏覽過的商品、評價、到貨或降價通知，協助做決定。'),
  ('dciu', 'I', 'zh-TW', '興趣',
   '意圖分數介於 I 與 C 門檻之間：有瀏覽或搜尋，但意圖還不明確。',
   '提供個人化推薦與內容，優惠力道保持適中。'),
  ('dciu', 'U', 'zh-TW', '無興趣',
   '意圖分數低於 I 門檻（沒有行為時為0），包含剛完成購買的會員。',
   '暫停促銷推播；剛購買者改發訂單關懷，之後再交叉銷售。');
/*
 * src/scoring/scoring_end.sql
 * After the built-in rows: rows users add are not built in, and pg_dump
 * keeps them (and only them).
 */
ALTER TABLE rfm.segment_rule ALTER COLUMN builtin SET DEFAULT false;
ALTER TABLE rfm.label ALTER COLUMN builtin SET DEFAULT false;
SELECT pg_catalog.pg_extension_config_dump('rfm.segment_rule', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('rfm.label', 'WHERE NOT builtin');
GRANT SELECT ON rfm.segment_rule, rfm.label TO PUBLIC;
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
  'ORDERLY lifecycle against the member''s own purchase cycle: N new, E0 active, S1 dozing, S2 half asleep, S3 asleep';

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
/*
 * src/intent/intent.sql
 * Purchase intent: the rfm.intent type, its aggregates, the intent score,
 * DCIU buckets, their explanation, calibration and lift (C in this folder).
 */

-- the type
CREATE TYPE rfm.intent;

CREATE FUNCTION rfm.intent_in(cstring) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_out(rfm.intent) RETURNS cstring
  AS 'MODULE_PATHNAME', 'rfm_intent_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_recv(internal) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_send(rfm.intent) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_intent_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE rfm.intent (
  INPUT = rfm.intent_in,
  OUTPUT = rfm.intent_out,
  RECEIVE = rfm.intent_recv,
  SEND = rfm.intent_send,
  INTERNALLENGTH = VARIABLE,
  ALIGNMENT = int4,
  STORAGE = extended
);

COMMENT ON TYPE rfm.intent IS
  'A member''s browsing events counted per event kind and hour (UTC). Text form {kind:YYYY-MM-DDTHHZ:count,...}';
COMMENT ON FUNCTION rfm.intent_in(cstring) IS 'Text input of rfm.intent (strictly validated)';
COMMENT ON FUNCTION rfm.intent_out(rfm.intent) IS 'Text output of rfm.intent (round-trips exactly)';
COMMENT ON FUNCTION rfm.intent_recv(internal) IS 'Binary input of rfm.intent (strictly validated)';
COMMENT ON FUNCTION rfm.intent_send(rfm.intent) IS 'Binary output of rfm.intent';

-- equality and hashing
CREATE FUNCTION rfm.intent_eq(rfm.intent, rfm.intent) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_intent_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_ne(rfm.intent, rfm.intent) RETURNS boolean
  AS 'MODULE_PATHNAME', 'rfm_intent_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_hash(rfm.intent) RETURNS integer
  AS 'MODULE_PATHNAME', 'rfm_intent_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rfm.= (
  LEFTARG = rfm.intent, RIGHTARG = rfm.intent, FUNCTION = rfm.intent_eq,
  COMMUTATOR = OPERATOR(rfm.=), NEGATOR = OPERATOR(rfm.<>),
  RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR rfm.<> (
  LEFTARG = rfm.intent, RIGHTARG = rfm.intent, FUNCTION = rfm.intent_ne,
  COMMUTATOR = OPERATOR(rfm.<>), NEGATOR = OPERATOR(rfm.=),
  RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS rfm.intent_hash_ops DEFAULT FOR TYPE rfm.intent USING hash AS
  OPERATOR 1 rfm.= (rfm.intent, rfm.intent),
  FUNCTION 1 rfm.intent_hash(rfm.intent);

COMMENT ON FUNCTION rfm.intent_eq(rfm.intent, rfm.intent) IS 'True when two intents have the same counts in the same hours';
COMMENT ON FUNCTION rfm.intent_ne(rfm.intent, rfm.intent) IS 'True when two intents differ';
COMMENT ON FUNCTION rfm.intent_hash(rfm.intent) IS 'Hash of an intent, for hash joins, grouping and EXCEPT';
COMMENT ON OPERATOR rfm.= (rfm.intent, rfm.intent) IS 'Same intent';
COMMENT ON OPERATOR rfm.<> (rfm.intent, rfm.intent) IS 'Different intent';
COMMENT ON OPERATOR CLASS rfm.intent_hash_ops USING hash IS 'Hash equality of intents';
COMMENT ON OPERATOR FAMILY rfm.intent_hash_ops USING hash IS 'Hash equality of intents';

-- aggregation: one row = one event
CREATE FUNCTION rfm.intent_trans(internal, text, timestamptz) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_union_trans(internal, rfm.intent) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_union_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.intent_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_intent_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_intent_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_final(internal) RETURNS rfm.intent
  AS 'MODULE_PATHNAME', 'rfm_intent_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION rfm.intent_trans(internal, text, timestamptz) IS 'Transition function of rfm.intent_agg';
COMMENT ON FUNCTION rfm.intent_union_trans(internal, rfm.intent) IS 'Transition function of rfm.intent_union';
COMMENT ON FUNCTION rfm.intent_combine(internal, internal) IS 'Combine function of the intent aggregates (parallel and partial aggregation)';
COMMENT ON FUNCTION rfm.intent_serialize(internal) IS 'Serialize function of the intent aggregates';
COMMENT ON FUNCTION rfm.intent_deserialize(bytea, internal) IS 'Deserialize function of the intent aggregates (validates the bytes)';
COMMENT ON FUNCTION rfm.intent_final(internal) IS 'Final function of the intent aggregates';

CREATE AGGREGATE rfm.intent_agg(event text, ts timestamptz) (
  SFUNC = rfm.intent_trans, STYPE = internal, SSPACE = 64,
  FINALFUNC = rfm.intent_final, COMBINEFUNC = rfm.intent_combine,
  SERIALFUNC = rfm.intent_serialize, DESERIALFUNC = rfm.intent_deserialize,
  PARALLEL = SAFE
);
CREATE AGGREGATE rfm.intent_union(rfm.intent) (
  SFUNC = rfm.intent_union_trans, STYPE = internal, SSPACE = 64,
  FINALFUNC = rfm.intent_final, COMBINEFUNC = rfm.intent_combine,
  SERIALFUNC = rfm.intent_serialize, DESERIALFUNC = rfm.intent_deserialize,
  PARALLEL = SAFE
);

COMMENT ON AGGREGATE rfm.intent_agg(text, timestamptz) IS
  'Events (view, search, favorite, cart_add, cart_remove, checkout, purchase) counted per kind and UTC hour; NULL rows ignored, other names are errors';
COMMENT ON AGGREGATE rfm.intent_union(rfm.intent) IS
  'Merge of intents (shards, incremental refresh): counts are summed';

-- scoring
CREATE FUNCTION rfm.intent_default_weights() RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_intent_default_weights' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_default_weights() IS
  'The built-in event weights {view, search, favorite, cart_add, cart_remove, checkout} = {1, 2, 3, 5, 0.5, 8}';

CREATE FUNCTION rfm.intent_weights(overrides jsonb) RETURNS double precision[]
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  names CONSTANT text[] := ARRAY['view', 'search', 'favorite', 'cart_add', 'cart_remove', 'checkout'];
  w double precision[] := rfm.intent_default_weights();
  k text;
  v jsonb;
BEGIN
  IF jsonb_typeof(overrides) <> 'object' THEN
    RAISE EXCEPTION 'intent weights must be a JSON object, not %', overrides
      USING ERRCODE = '22023', HINT = 'e.g. rfm.intent_weights(''{"cart_add": 8, "view": 0.5}'')';
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(overrides) LOOP
    IF NOT k = ANY (names) THEN
      RAISE EXCEPTION 'unknown event "%" in intent weights', k
        USING ERRCODE = '22023',
              HINT = 'Weighted events: view, search, favorite, cart_add, cart_remove, checkout (purchase resets the score and has no weight).';
    END IF;
    IF jsonb_typeof(v) <> 'number' OR v::text::double precision < 0 THEN
      RAISE EXCEPTION 'weight of % must be a non-negative number, not %', k, v
        USING ERRCODE = '22023', HINT = 'e.g. {"cart_add": 8}';
    END IF;
    w[array_position(names, k)] := v::text::double precision;
  END LOOP;
  RETURN w;
END $$;
COMMENT ON FUNCTION rfm.intent_weights(jsonb) IS
  'Event weights for rfm.intent_score and rfm.dciu: the defaults with the given events overridden, e.g. rfm.intent_weights(''{"cart_add": 8}'')';

CREATE FUNCTION rfm.intent_score(i rfm.intent, as_of timestamptz, half_life interval DEFAULT '3 days',
                                 horizon interval DEFAULT '14 days') RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_intent_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.intent_score(i rfm.intent, as_of timestamptz, half_life interval, horizon interval,
                                 weights double precision[]) RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_intent_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.intent_score(rfm.intent, timestamptz, interval, interval) IS
  'Time-decayed weighted count of the events after the last purchase, in hours ended within (as_of - horizon, as_of]; default weights';
COMMENT ON FUNCTION rfm.intent_score(rfm.intent, timestamptz, interval, interval, double precision[]) IS
  'rfm.intent_score with weights {view, search, favorite, cart_add, cart_remove, checkout} (see rfm.intent_weights)';

CREATE TYPE rfm.dciu_bucket AS ENUM ('D', 'C', 'I', 'U');
COMMENT ON TYPE rfm.dciu_bucket IS
  'Purchase intent (91APP DCIU): D deciding, C considering, I interested, U uninterested (no counted event, or just bought)';

CREATE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[], half_life interval,
                         horizon interval) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu(i rfm.intent, as_of timestamptz, cuts double precision[], half_life interval,
                         horizon interval, weights double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu(score double precision, cuts double precision[]) RETURNS rfm.dciu_bucket
  AS 'MODULE_PATHNAME', 'rfm_dciu_of_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[]) IS
  'DCIU bucket at as_of with cuts {I, C, D} (lower bounds, 0 < I < C < D), half-life 3 days, horizon 14 days, default weights';
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[], interval, interval) IS
  'DCIU bucket at as_of with cuts {I, C, D}, the given half-life and horizon, default weights';
COMMENT ON FUNCTION rfm.dciu(rfm.intent, timestamptz, double precision[], interval, interval, double precision[]) IS
  'DCIU bucket at as_of with cuts {I, C, D}, the given half-life, horizon and weights';
COMMENT ON FUNCTION rfm.dciu(double precision, double precision[]) IS
  'DCIU bucket of an intent score already computed: D >= cuts[3], C >= cuts[2], I >= cuts[1], else U';

CREATE FUNCTION rfm.dciu_explain(i rfm.intent, as_of timestamptz, cuts double precision[],
                                 half_life interval DEFAULT '3 days', horizon interval DEFAULT '14 days')
  RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_dciu_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_explain(i rfm.intent, as_of timestamptz, cuts double precision[],
                                 half_life interval, horizon interval, weights double precision[])
  RETURNS text
  AS 'MODULE_PATHNAME', 'rfm_dciu_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_explain(rfm.intent, timestamptz, double precision[], interval, interval) IS
  'Why a member is in its DCIU bucket: the score, the cuts, and per event kind the events counted and their share of the score';
COMMENT ON FUNCTION rfm.dciu_explain(rfm.intent, timestamptz, double precision[], interval, interval, double precision[]) IS
  'rfm.dciu_explain with weights {view, search, favorite, cart_add, cart_remove, checkout}';

-- calibration: choose the cuts on replayed history
CREATE FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean, double precision, double precision)
  RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_calibrate_final(internal) RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'rfm_dciu_calibrate_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean) IS 'Transition function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_trans(internal, double precision, boolean, double precision, double precision) IS
  'Transition function of rfm.dciu_calibrate with target shares';
COMMENT ON FUNCTION rfm.dciu_calibrate_combine(internal, internal) IS 'Combine function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_serialize(internal) IS 'Serialize function of rfm.dciu_calibrate';
COMMENT ON FUNCTION rfm.dciu_calibrate_deserialize(bytea, internal) IS 'Deserialize function of rfm.dciu_calibrate (validates the bytes)';
COMMENT ON FUNCTION rfm.dciu_calibrate_final(internal) IS 'Final function of rfm.dciu_calibrate: picks the cuts';

CREATE AGGREGATE rfm.dciu_calibrate(score double precision, bought boolean) (
  SFUNC = rfm.dciu_calibrate_trans, STYPE = internal,
  FINALFUNC = rfm.dciu_calibrate_final, FINALFUNC_MODIFY = READ_WRITE,
  COMBINEFUNC = rfm.dciu_calibrate_combine,
  SERIALFUNC = rfm.dciu_calibrate_serialize, DESERIALFUNC = rfm.dciu_calibrate_deserialize,
  PARALLEL = SAFE
);
CREATE AGGREGATE rfm.dciu_calibrate(score double precision, bought boolean, d_share double precision,
                                    c_share double precision) (
  SFUNC = rfm.dciu_calibrate_trans, STYPE = internal,
  FINALFUNC = rfm.dciu_calibrate_final, FINALFUNC_MODIFY = READ_WRITE,
  COMBINEFUNC = rfm.dciu_calibrate_combine,
  SERIALFUNC = rfm.dciu_calibrate_serialize, DESERIALFUNC = rfm.dciu_calibrate_deserialize,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm.dciu_calibrate(double precision, boolean) IS
  'DCIU cuts {I, C, D} from (score at a past time, bought afterwards) per member: D the top 2.5 %, C the next 5 %, I the other positive scores, purchase rates ordered D > C > I > U';
COMMENT ON AGGREGATE rfm.dciu_calibrate(double precision, boolean, double precision, double precision) IS
  'rfm.dciu_calibrate with the target shares of D and C (fractions of all members)';

-- lift: what each bucket is worth in the next period
CREATE TYPE rfm.dciu_lift_row AS (
  bucket rfm.dciu_bucket,
  members bigint,
  share_of_members double precision,
  buyers bigint,
  share_of_buyers double precision,
  revenue double precision,
  share_of_revenue double precision,
  purchase_rate double precision,
  lift double precision);
COMMENT ON TYPE rfm.dciu_lift_row IS
  'One bucket of a DCIU lift table: members, next-period buyers and revenue, their shares of the totals, the purchase rate and its ratio to the overall rate';

CREATE FUNCTION rfm.dciu_lift_trans(internal, rfm.dciu_bucket, boolean, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_lift_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_lift_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_lift_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.dciu_lift_final(internal) RETURNS rfm.dciu_lift_row[]
  AS 'MODULE_PATHNAME', 'rfm_dciu_lift_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.dciu_lift_trans(internal, rfm.dciu_bucket, boolean, double precision) IS 'Transition function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_combine(internal, internal) IS 'Combine function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_serialize(internal) IS 'Serialize function of rfm.dciu_lift_agg';
COMMENT ON FUNCTION rfm.dciu_lift_deserialize(bytea, internal) IS 'Deserialize function of rfm.dciu_lift_agg (validates the bytes)';
COMMENT ON FUNCTION rfm.dciu_lift_final(internal) IS 'Final function of rfm.dciu_lift_agg';

CREATE AGGREGATE rfm.dciu_lift_agg(bucket rfm.dciu_bucket, bought boolean, revenue double precision) (
  SFUNC = rfm.dciu_lift_trans, STYPE = internal,
  FINALFUNC = rfm.dciu_lift_final, COMBINEFUNC = rfm.dciu_lift_combine,
  SERIALFUNC = rfm.dciu_lift_serialize, DESERIALFUNC = rfm.dciu_lift_deserialize,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm.dciu_lift_agg(rfm.dciu_bucket, boolean, double precision) IS
  'DCIU lift table, one rfm.dciu_lift_row per bucket (D, C, I, U): per member its bucket at a past time, whether it bought and its revenue afterwards';
/*
 * Lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma (SPEC section 5).
 * C in clv_math.c (special functions, likelihoods, optimiser, formulas),
 * clv_fit.c (aggregates) and clv_predict.c.  docs/clv.md has the formulas.
 */

-- Models.  The fit diagnostics follow the SPEC fields: iterations (BFGS
-- iterations over all starts), grad_norm (norm of the gradient of ll on the
-- log-parameters at the result), converged.
CREATE TYPE rfm.bgnbd AS (r double precision, alpha double precision, a double precision, b double precision,
  ll double precision, n bigint, iterations integer, grad_norm double precision, converged boolean);
CREATE TYPE rfm.pnbd AS (r double precision, alpha double precision, s double precision, beta double precision,
  ll double precision, n bigint, iterations integer, grad_norm double precision, converged boolean);
CREATE TYPE rfm.gamma_gamma AS (p double precision, q double precision, v double precision,
  ll double precision, n bigint, iterations integer, grad_norm double precision, converged boolean);
COMMENT ON TYPE rfm.bgnbd IS
  'A BG/NBD model (Fader, Hardie & Lee 2005): r, alpha (purchase rate), a, b (dropout); ll the log-likelihood of the fit over n members, then the fit diagnostics';
COMMENT ON TYPE rfm.pnbd IS
  'A Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): r, alpha (purchase rate), s, beta (lifetime); ll the log-likelihood of the fit over n members, then the fit diagnostics';
COMMENT ON TYPE rfm.gamma_gamma IS
  'A Gamma-Gamma spend model (Fader, Hardie & Lee 2005): p, q, v (gamma in the papers); ll the log-likelihood over n repeaters, then the fit diagnostics';

-- Models from given parameters (no fit: ll, n and the diagnostics are NULL).
CREATE FUNCTION rfm.bgnbd(r double precision, alpha double precision, a double precision, b double precision)
  RETURNS rfm.bgnbd LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(r, alpha, a, b, NULL, NULL, NULL, NULL, NULL)::rfm.bgnbd;
CREATE FUNCTION rfm.pnbd(r double precision, alpha double precision, s double precision, beta double precision)
  RETURNS rfm.pnbd LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(r, alpha, s, beta, NULL, NULL, NULL, NULL, NULL)::rfm.pnbd;
CREATE FUNCTION rfm.gamma_gamma(p double precision, q double precision, v double precision)
  RETURNS rfm.gamma_gamma LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN ROW(p, q, v, NULL, NULL, NULL, NULL, NULL)::rfm.gamma_gamma;
COMMENT ON FUNCTION rfm.bgnbd(double precision, double precision, double precision, double precision) IS
  'A BG/NBD model with the given parameters (e.g. published ones), for the prediction functions';
COMMENT ON FUNCTION rfm.pnbd(double precision, double precision, double precision, double precision) IS
  'A Pareto/NBD model with the given parameters (e.g. published ones), for the prediction functions';
COMMENT ON FUNCTION rfm.gamma_gamma(double precision, double precision, double precision) IS
  'A Gamma-Gamma model with the given parameters (e.g. published ones), for rfm.expected_spend and rfm.clv';

-- Fitting aggregates.  The state is the distinct (x, t_x, t) cells with
-- member counts; NULL rows are skipped (and counted).
CREATE FUNCTION rfm.clv_btyd_trans(internal, double precision, double precision, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_btyd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.clv_gg_trans(internal, double precision, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_gg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.clv_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.clv_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'rfm_clv_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'rfm_clv_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.bgnbd_final(internal) RETURNS rfm.bgnbd
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.pnbd_final(internal) RETURNS rfm.pnbd
  AS 'MODULE_PATHNAME', 'rfm_pnbd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm.gamma_gamma_final(internal) RETURNS rfm.gamma_gamma
  AS 'MODULE_PATHNAME', 'rfm_gamma_gamma_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm.clv_btyd_trans(internal, double precision, double precision, double precision) IS
  'Transition function of rfm.bgnbd_fit and rfm.pnbd_fit: counts the member in its (x, t_x, t) cell';
COMMENT ON FUNCTION rfm.clv_gg_trans(internal, double precision, double precision) IS
  'Transition function of rfm.gamma_gamma_fit: counts a repeater in its (x, monetary) cell';
COMMENT ON FUNCTION rfm.clv_combine(internal, internal) IS 'Combine function of the lifetime value fits: adds the cell counts';
COMMENT ON FUNCTION rfm.clv_serialize(internal) IS 'Serialize function of the lifetime value fits';
COMMENT ON FUNCTION rfm.clv_deserialize(bytea, internal) IS 'Deserialize function of the lifetime value fits (validates the bytes)';
COMMENT ON FUNCTION rfm.bgnbd_final(internal) IS 'Final function of rfm.bgnbd_fit: the maximum likelihood fit';
COMMENT ON FUNCTION rfm.pnbd_final(internal) IS 'Final function of rfm.pnbd_fit: the maximum likelihood fit';
COMMENT ON FUNCTION rfm.gamma_gamma_final(internal) IS 'Final function of rfm.gamma_gamma_fit: the maximum likelihood fit';

CREATE AGGREGATE rfm.bgnbd_fit(x double precision, t_x double precision, t double precision) (
  SFUNC = rfm.clv_btyd_trans, STYPE = internal, SSPACE = 4096,
  FINALFUNC = rfm.bgnbd_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  SERIALFUNC = rfm.clv_serialize, DESERIALFUNC = rfm.clv_deserialize,
  PARALLEL = SAFE);
CREATE AGGREGATE rfm.pnbd_fit(x double precision, t_x double precision, t double precision) (
  SFUNC = rfm.clv_btyd_trans, STYPE = internal, SSPACE = 4096,
  FINALFUNC = rfm.pnbd_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  SERIALFUNC = rfm.clv_serialize, DESERIALFUNC = rfm.clv_deserialize,
  PARALLEL = SAFE);
CREATE AGGREGATE rfm.gamma_gamma_fit(x double precision, monetary double precision) (
  SFUNC = rfm.clv_gg_trans, STYPE = internal, SSPACE = 4096,
  FINALFUNC = rfm.gamma_gamma_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  SERIALFUNC = rfm.clv_serialize, DESERIALFUNC = rfm.clv_deserialize,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE rfm.bgnbd_fit(double precision, double precision, double precision) IS
  'Maximum likelihood BG/NBD fit over members (x, t_x, t); rows with a NULL are skipped; WARNING and converged = false when the fit does not converge';
COMMENT ON AGGREGATE rfm.pnbd_fit(double precision, double precision, double precision) IS
  'Maximum likelihood Pareto/NBD fit over members (x, t_x, t); rows with a NULL are skipped; WARNING and converged = false when the fit does not converge';
COMMENT ON AGGREGATE rfm.gamma_gamma_fit(double precision, double precision) IS
  'Maximum likelihood Gamma-Gamma fit over repeaters (x, mean repeat spend); rows with x = 0 or a NULL are skipped';

-- Predictions.  STRICT: a NULL model or argument gives NULL.
CREATE FUNCTION rfm.p_alive(m rfm.bgnbd, x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.p_alive(m rfm.pnbd, x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_purchases(m rfm.bgnbd, horizon double precision,
    x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_purchases(m rfm.pnbd, horizon double precision,
    x double precision, t_x double precision, t double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_purchases(m rfm.bgnbd, horizon double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_purchases(m rfm.pnbd, horizon double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.expected_spend(g rfm.gamma_gamma, x double precision, monetary double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv(m rfm.bgnbd, g rfm.gamma_gamma, x double precision, t_x double precision, t double precision,
    monetary double precision, horizon double precision, discount_rate double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_bgnbd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.clv(m rfm.pnbd, g rfm.gamma_gamma, x double precision, t_x double precision, t double precision,
    monetary double precision, horizon double precision, discount_rate double precision)
  RETURNS double precision
  AS 'MODULE_PATHNAME', 'rfm_pnbd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.p_alive(rfm.bgnbd, double precision, double precision, double precision) IS
  'BG/NBD probability that a member with (x, t_x, t) is still active at t (1 when x = 0)';
COMMENT ON FUNCTION rfm.p_alive(rfm.pnbd, double precision, double precision, double precision) IS
  'Pareto/NBD probability that a member with (x, t_x, t) is still active at t';
COMMENT ON FUNCTION rfm.expected_purchases(rfm.bgnbd, double precision, double precision, double precision, double precision) IS
  'BG/NBD expected purchases in (t, t + horizon] of a member with (x, t_x, t)';
COMMENT ON FUNCTION rfm.expected_purchases(rfm.pnbd, double precision, double precision, double precision, double precision) IS
  'Pareto/NBD expected purchases in (t, t + horizon] of a member with (x, t_x, t)';
COMMENT ON FUNCTION rfm.expected_purchases(rfm.bgnbd, double precision) IS
  'BG/NBD expected purchases of a new member in its first horizon time units (unconditional)';
COMMENT ON FUNCTION rfm.expected_purchases(rfm.pnbd, double precision) IS
  'Pareto/NBD expected purchases of a new member in its first horizon time units (unconditional)';
COMMENT ON FUNCTION rfm.expected_spend(rfm.gamma_gamma, double precision, double precision) IS
  'Gamma-Gamma expected spend per transaction of a member with x repeat purchases of mean spend monetary (x = 0: the population mean)';
COMMENT ON FUNCTION rfm.clv(rfm.bgnbd, rfm.gamma_gamma, double precision, double precision, double precision, double precision, double precision, double precision) IS
  'Discounted expected spend over the horizon: per time unit i, expected purchases in unit i times expected spend, divided by (1 + discount_rate)^i';
COMMENT ON FUNCTION rfm.clv(rfm.pnbd, rfm.gamma_gamma, double precision, double precision, double precision, double precision, double precision, double precision) IS
  'Discounted expected spend over the horizon: per time unit i, expected purchases in unit i times expected spend, divided by (1 + discount_rate)^i';
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
  'Show a progress message as this backend''s query in pg_stat_activity (used by rfm.refresh)';

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
/*
 * src/model/model_1_3.sql
 * What rfm 1.3 changes in the models' catalog: nothing in their tables (their layout stays 3). A refresh
 * now corrects label_totals and the flow by the rows that differ on every path, full ones included, and
 * reads cut points and references from hist; models converted from 1.1 get their label_totals at
 * conversion. Those are function bodies, which the update script replaces (src/model/model_functions.sql).
 * Part of a fresh install and of the update script from 1.2 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 and 1.3 (older layouts are brought to 3 by the model''s next refresh)';
/*
 * src/model/model_1_4.sql
 * What rfm 1.4 changes in the models' catalog: nothing in their tables (their layout stays 3). Every
 * refresh feeds a member's orders to rfm.purchases_agg sorted by time and amount (a state is the same to
 * the bit whichever refresh rebuilt it); a full refresh of a model whose labels can be kept merges the
 * rebuilt states with those kept and relabels only the members whose state differs; a rebuild that
 * relabels everyone groups the sorted orders instead of hashing them and compares the new labels with
 * label_state by a merge in member order. Those are function bodies (and rfm._plan), which the update
 * script replaces (src/model/model_functions.sql). Part of a fresh install and of the update script from
 * 1.3 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.4 (older layouts are brought to 3 by the model''s next refresh)';
/*
 * src/model/model_1_5.sql
 * What rfm 1.5 changes in the models' catalog: nothing in their tables (their layout stays 3). A refresh
 * analyzes only the columns of its temporary tables that its later joins and filters read (statistics of
 * all 40 columns of the changed rows took a tenth of an incremental refresh), and an incremental one writes
 * its changed rows in member order, the order in which label_state and label_history are then updated.
 * Those are function bodies, which the update script replaces (src/model/model_functions.sql). Part of a
 * fresh install and of the update script from 1.4 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.5 (older layouts are brought to 3 by the model''s next refresh)';
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
          IF (v #>> '{}')::interval <= interval '0' THEN RAISE EXCEPTION 'not positive'; END IF;
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
          IF (v #>> '{}')::interval < interval '0' THEN RAISE EXCEPTION 'negative'; END IF;
        WHEN 'events' THEN
          IF jsonb_typeof(v) <> 'object' OR jsonb_typeof(v -> 'relation') <> 'string'
             OR EXISTS (SELECT 1 FROM jsonb_object_keys(v) ek
                         WHERE ek NOT IN ('relation', 'member_column', 'event_column', 'time_column', 'event_names'))
             OR (v ? 'event_names' AND jsonb_typeof(v -> 'event_names') <> 'object') THEN
            RAISE EXCEPTION 'not an events object';
          END IF;
        WHEN 'dciu_half_life', 'dciu_horizon' THEN
          IF (v #>> '{}')::interval <= interval '0' THEN RAISE EXCEPTION 'not positive'; END IF;
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
CREATE FUNCTION rfm._model_objects_1_1(s text, member_type text, model_name text) RETURNS void
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
COMMENT ON FUNCTION rfm._model_objects_1_1(text, text, text) IS
  'Internal: create the objects rfm 1.1 added to a model schema: transitions, flow over them, tier_watch, the intent, CLV and DCIU columns, dciu_lifts, dciu_lift, napl_dciu';

-- The secondary indexes of a model's label_state, through which a refresh finds the members to relabel
-- (last day, monetary, recheck day, spend since the previous refresh) and reads the values of a hist bucket
-- (monetary, gap): created (make) or dropped, around a bulk load.
CREATE FUNCTION rfm._label_state_indexes(s text, make boolean) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF make THEN
    EXECUTE format($f$
      CREATE INDEX label_state_last_day ON %1$I.label_state (last_day);
      CREATE INDEX label_state_monetary ON %1$I.label_state (monetary);
      CREATE INDEX label_state_gap ON %1$I.label_state (gap) WHERE gap IS NOT NULL;
      CREATE INDEX label_state_recheck ON %1$I.label_state (recheck) WHERE recheck IS NOT NULL;
      CREATE INDEX label_state_spent ON %1$I.label_state (member_id) WHERE since_prev <> 0;
    $f$, s);
  ELSE
    EXECUTE format('DROP INDEX %1$I.label_state_last_day, %1$I.label_state_monetary, %1$I.label_state_gap,
                               %1$I.label_state_recheck, %1$I.label_state_spent', s);
  END IF;
END $$;
COMMENT ON FUNCTION rfm._label_state_indexes(text, boolean) IS
  'Internal: create or drop the secondary indexes of a model''s label_state (around a bulk load)';

-- The objects of a model's schema that rfm 1.2 changed, for labelling in proportion to what changes: the
-- labels table becomes label_state (recency replaced by the last purchase day, so that a refresh rewrites
-- only the rows whose labels or facts change; plus what the refresh needs to find them) and labels a view of
-- it; hist (the distribution of last purchase day, frequency, monetary and repeat buyers' mean gap, from
-- which the cut points and references are read) and label_totals (members and sums per label combination,
-- from which the summaries are read) are kept up to date by every refresh. Run on the 1.1 objects: by
-- rfm.create_model, and by the next refresh of an older model, whose labels it carries over (that refresh
-- then rebuilds everything).
CREATE FUNCTION rfm._model_objects_1_2(s text, model_name text) RETURNS void
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
    COMMENT ON TABLE %1$I.label_state IS 'Labels of every member with a purchase history at the last refresh, with the facts they were computed from (model %2$s; read them through the view labels)';
    COMMENT ON COLUMN %1$I.label_state.last_day IS 'Last purchase day by the last refresh''s as_of (NULL: only orders dated after it; such a member has no labels yet)';
    COMMENT ON COLUMN %1$I.label_state.days IS 'Purchase days by as_of';
    COMMENT ON COLUMN %1$I.label_state.gap IS 'Mean gap between purchase days (repeat buyers): the median of these is the NES fallback cycle';
    COMMENT ON COLUMN %1$I.label_state.since_prev IS 'Net spend since the refresh before the last one (the revenue of the flow)';
    COMMENT ON COLUMN %1$I.label_state.recheck IS 'Day from which the member must be labelled again without new orders (next dated entry, next NES stage of a repeat buyer)';
    COMMENT ON COLUMN %1$I.label_state.since IS 'valid_from of the member''s open label_history row';
    CREATE VIEW %1$I.labels AS
      SELECT l.member_id, r.as_of, r.as_of - l.last_day AS recency, l.frequency, l.monetary, l.r_score, l.f_score,
             l.m_score, l.segment, l.value_segment, l.napl, l.nes, l.dciu, l.tier, l.p_alive, l.expected_purchases, l.clv
        FROM %1$I.label_state l, (SELECT max(as_of) AS as_of FROM %1$I.refreshes) r
       WHERE l.last_day IS NOT NULL;
    COMMENT ON VIEW %1$I.labels IS 'Labels of every member with a purchase by the last refresh''s as_of (model %2$s)';
    CREATE TABLE %1$I.hist (dim "char" NOT NULL, bucket double precision NOT NULL, n bigint NOT NULL, total numeric,
                            PRIMARY KEY (dim, bucket));
    COMMENT ON TABLE %1$I.hist IS 'Members per value at the last refresh (dim l: last purchase day - 2000-01-01, f: frequency; m: monetary and g: repeat buyers'' mean gap, by whole units, with the exact sum in total): the cut points, references and top-20 %% revenue are read from it';
    CREATE TABLE %1$I.label_totals (
      r_score integer, f_score integer, m_score integer, segment text, value_segment text, napl rfm.napl_stage,
      nes rfm.nes_stage, dciu text, tier text, members bigint NOT NULL, sum_day numeric NOT NULL,
      sum_frequency numeric NOT NULL, sum_monetary numeric NOT NULL);
    COMMENT ON TABLE %1$I.label_totals IS 'Members, and sums of last purchase day (- 2000-01-01), frequency and monetary, per combination of labels at the last refresh (model %2$s): the summaries are read from it';
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
    CREATE MATERIALIZED VIEW %1$I.segment_summary AS
      SELECT t.segment, rfm.label_name('segment', t.segment) AS segment_name, sum(t.members)::bigint AS members,
             round(sum(t.members) / sum(sum(t.members)) OVER (), 4) AS share_of_members,
             sum(t.sum_monetary)::float8 AS revenue,
             (sum(t.sum_monetary) / nullif(sum(sum(t.sum_monetary)) OVER (), 0))::float8 AS share_of_revenue,
             (sum(t.members) * (max(r.as_of) - DATE '2000-01-01') - sum(t.sum_day)) / sum(t.members) AS avg_recency,
             sum(t.sum_frequency) / sum(t.members) AS avg_frequency,
             (sum(t.sum_monetary) / sum(t.members))::float8 AS avg_monetary
        FROM %1$I.label_totals t, (SELECT max(as_of) AS as_of FROM %1$I.refreshes) r
       GROUP BY t.segment WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.segment_summary IS 'Members, revenue and average R/F/M per segment at the last refresh';
    CREATE MATERIALIZED VIEW %1$I.lifecycle_summary AS
      SELECT t.napl, t.nes, t.value_segment, sum(t.members)::bigint AS members, sum(t.sum_monetary)::float8 AS revenue
        FROM %1$I.label_totals t GROUP BY t.napl, t.nes, t.value_segment WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.lifecycle_summary IS 'Members and revenue per NAPL stage × NES stage × value segment at the last refresh';
    CREATE MATERIALIZED VIEW %1$I.napl_dciu AS
      SELECT t.napl, t.dciu, sum(t.members)::bigint AS members,
             round(sum(t.members) / sum(sum(t.members)) OVER (PARTITION BY t.napl), 4) AS share_of_napl,
             sum(t.sum_monetary)::float8 AS revenue
        FROM %1$I.label_totals t WHERE t.dciu IS NOT NULL GROUP BY t.napl, t.dciu
      WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.napl_dciu IS 'Members per NAPL stage × DCIU bucket at the last refresh, e.g. the P members now in D or C (option events)';
  $f$, s, model_name);
  PERFORM rfm._label_state_indexes(s, true);
END $$;
COMMENT ON FUNCTION rfm._model_objects_1_2(text, text) IS
  'Internal: turn the 1.1 objects of a model schema into those of 1.2: label_state with the labels view over it, hist, label_totals, the summaries over label_totals';

-- Bring a model that an older rfm created to the current layout. From 1.0 (layout 1): the flow view becomes
-- a view of the new transitions table, which is filled for the past refreshes from the history (as
-- rfm.migration computes them), and the tier_watch table is added. From 1.1 (layout 2): the objects of
-- rfm._model_objects_1_2, and the model is marked for a full rebuild, which fills them. Run by the model's
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
    PERFORM rfm._model_objects_1_1(s, member_type, m.name);
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
    PERFORM rfm._model_objects_1_2(s, m.name);
    UPDATE rfm.model SET needs_full = true WHERE name = m.name;
  END IF;
  -- whatever this created belongs to the model's owner, like the rest of its schema
  FOR o IN SELECT format('ALTER %s %s OWNER TO %s', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END,
                         c.oid::regclass, m.owner)
             FROM pg_class c
            WHERE c.relnamespace = s::regnamespace AND c.relkind IN ('r', 'm', 'v') AND c.relowner <> m.owner LOOP
    EXECUTE o;
  END LOOP;
  UPDATE rfm.model SET layout = 3 WHERE name = m.name;
END $$;
COMMENT ON FUNCTION rfm._upgrade_model(rfm.model) IS
  'Internal: bring a model created by an older rfm to the current layout (1.0: transitions, flow over them, tier_watch; 1.1: label_state, hist, label_totals); run by its next refresh';

-- Change capture of a model on one relation: trigger function s.func(), owned by the model's owner and
-- SECURITY DEFINER (search_path pinned) so that roles writing the relation need no rights on the model,
-- which records the members a statement touched (their column cast to the model's member type) in
-- s.changes, or marks the model for a full rebuild on TRUNCATE; and its four statement triggers, named by
-- trigger_names for INSERT, UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION rfm._capture(s text, model_name text, relation regclass, member_column name, member_type text,
                             func text, what text, trigger_names text[]) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ops CONSTANT text[] := ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION %1$I.%5$I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, pg_temp AS $body$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        UPDATE rfm.model SET needs_full = true WHERE name = %3$L;
        RETURN NULL;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO %1$I.changes SELECT DISTINCT %2$I::%4$s FROM new_rows;
      END IF;
      IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO %1$I.changes SELECT DISTINCT %2$I::%4$s FROM old_rows;
      END IF;
      RETURN NULL;
    END $body$;
    COMMENT ON FUNCTION %1$I.%5$I() IS %6$L;
    REVOKE ALL ON FUNCTION %1$I.%5$I() FROM PUBLIC;
  $f$, s, member_column, model_name, member_type, func,
       format('Records the members touched by a statement on the %s of model %s', what, model_name));
  FOR i IN 1 .. 4 LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %I.%I()',
                   trigger_names[i], ops[i], relation,
                   CASE ops[i] WHEN 'INSERT' THEN 'REFERENCING NEW TABLE AS new_rows'
                               WHEN 'UPDATE' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                               WHEN 'DELETE' THEN 'REFERENCING OLD TABLE AS old_rows' ELSE '' END, s, func);
  END LOOP;
END $$;
COMMENT ON FUNCTION rfm._capture(text, text, regclass, name, text, text, text, text[]) IS
  'Internal: the change-capture trigger function and statement triggers of a model on its source or its events';

CREATE FUNCTION rfm.create_model(name text, source regclass, member_column name DEFAULT 'member_id',
                                 time_column name DEFAULT 'ordered_at', amount_column name DEFAULT 'amount',
                                 options jsonb DEFAULT '{}')
  RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s text := 'rfm_' || name;
  member_type text;
  time_type regtype;
  amount_type regtype;
  col record;
  ev record;
BEGIN
  IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,58}$' THEN
    RAISE EXCEPTION 'invalid model name "%"', name
      USING ERRCODE = 'invalid_name',
            HINT = 'A model name is lower case letters, digits and underscores, starting with a letter (at most 59 characters): it names schema rfm_<name>.';
  END IF;
  IF EXISTS (SELECT 1 FROM rfm.model m WHERE m.name = create_model.name) OR to_regnamespace(s) IS NOT NULL THEN
    RAISE EXCEPTION 'model "%" already exists', name
      USING ERRCODE = 'duplicate_object', HINT = 'Drop it with rfm.drop_model(''' || name || ''') or choose another name.';
  END IF;
  IF NOT has_table_privilege(source, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for relation %', source
      USING ERRCODE = 'insufficient_privilege', HINT = 'The model reads the source with your rights: you need SELECT on it.';
  END IF;
  IF NOT has_table_privilege(source, 'TRIGGER') THEN
    RAISE EXCEPTION 'permission denied to create triggers on %', source
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Change capture puts statement triggers on the source: its owner can GRANT TRIGGER on it to you.';
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = source) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'source % is not a table', source
      USING ERRCODE = 'wrong_object_type', HINT = 'Change capture needs triggers: use a table or a partitioned table.';
  END IF;
  FOR col IN SELECT * FROM (VALUES ('member', member_column), ('time', time_column), ('amount', amount_column)) v(role, colname) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = source AND attname = col.colname AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" of % does not exist', col.colname, source
        USING ERRCODE = 'undefined_column',
              HINT = format('Name the %s column: rfm.create_model(name, source, member_column, time_column, amount_column). Columns: %s.',
                            col.role, (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                                        WHERE attrelid = source AND attnum > 0 AND NOT attisdropped));
    END IF;
  END LOOP;
  SELECT format_type(atttypid, atttypmod) INTO member_type FROM pg_attribute WHERE attrelid = source AND attname = member_column;
  SELECT atttypid::regtype INTO time_type FROM pg_attribute WHERE attrelid = source AND attname = time_column;
  SELECT atttypid::regtype INTO amount_type FROM pg_attribute WHERE attrelid = source AND attname = amount_column;
  IF time_type NOT IN ('date'::regtype, 'timestamptz'::regtype, 'timestamp'::regtype) THEN
    RAISE EXCEPTION 'time column "%" has type %, not a date or timestamp', time_column, time_type
      USING ERRCODE = 'datatype_mismatch', HINT = 'Use a date, timestamp or timestamptz column (timestamptz days follow the session TimeZone).';
  END IF;
  IF amount_type NOT IN ('numeric'::regtype, 'double precision'::regtype, 'real'::regtype, 'integer'::regtype,
                         'bigint'::regtype, 'smallint'::regtype, 'money'::regtype) THEN
    RAISE EXCEPTION 'amount column "%" has type %, not a number', amount_column, amount_type
      USING ERRCODE = 'datatype_mismatch', HINT = 'Use a numeric, double precision or integer column.';
  END IF;
  PERFORM rfm._check_options(options);
  -- an incremental refresh re-reads the touched members' orders: without an index led by the member column
  -- that is a scan of the whole source
  IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = source AND a.attname = member_column) THEN
    RAISE NOTICE 'source % has no index on its member column "%"', source, member_column
      USING HINT = format('Incremental refreshes read the touched members'' orders through it; without one they scan the whole table: CREATE INDEX ON %s (%I).',
                          source, member_column);
  END IF;
  ev := rfm._events(options);
  IF ev.relation IS NOT NULL THEN
    -- kept schema-qualified, whatever the search_path of later refreshes
    options := jsonb_set(options, '{events,relation}', to_jsonb(ev.relation::text));
  END IF;

  INSERT INTO rfm.model (name, source, member_column, time_column, amount_column, options)
  VALUES (name, source, member_column, time_column, amount_column, options);

  EXECUTE format('CREATE SCHEMA %I', s);
  EXECUTE format('COMMENT ON SCHEMA %I IS %L', s, format('rfm model %s on %s', name, source));
  EXECUTE format($f$
    CREATE TABLE %1$I.members (member_id %2$s PRIMARY KEY, purchases rfm.purchases NOT NULL);
    COMMENT ON TABLE %1$I.members IS 'Per-member state of model %3$s: the purchase history (rfm.purchases) rebuilt from %4$s';
    CREATE TABLE %1$I.changes (member_id %2$s);
    COMMENT ON TABLE %1$I.changes IS 'Members touched in %4$s since the last refresh (filled by statement triggers)';
    CREATE TABLE %1$I.refreshes (
      refresh_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, as_of date NOT NULL, full_rebuild boolean NOT NULL,
      started timestamptz NOT NULL, finished timestamptz NOT NULL, members bigint NOT NULL, rebuilt bigint NOT NULL,
      changed bigint NOT NULL, fallback_cycle double precision, value_reference jsonb NOT NULL,
      revenue double precision, active_rate double precision, repurchase_rate double precision,
      churn_rate double precision, n_to_a_rate double precision, p_to_a_rate double precision,
      top20_revenue_share double precision);
    COMMENT ON TABLE %1$I.refreshes IS 'One row per refresh of model %3$s';
    CREATE TABLE %1$I.labels (
      member_id %2$s PRIMARY KEY, as_of date NOT NULL, recency integer, frequency integer, monetary double precision,
      r_score integer, f_score integer, m_score integer, segment text, value_segment text,
      napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text);
    COMMENT ON TABLE %1$I.labels IS 'Labels of every member with a purchase by the last refresh''s as_of (model %3$s)';
    CREATE TABLE %1$I.label_history (
      member_id %2$s NOT NULL, valid_from date NOT NULL, valid_to date,
      r_score integer, f_score integer, m_score integer, segment text, value_segment text,
      napl rfm.napl_stage, nes rfm.nes_stage, dciu text, tier text,
      PRIMARY KEY (member_id, valid_from));
    CREATE INDEX ON %1$I.label_history (valid_from);
    COMMENT ON TABLE %1$I.label_history IS 'Label changes as validity ranges [valid_from, valid_to): the labels of any past refresh (model %3$s)';
    CREATE TABLE %1$I.cutpoints (
      refresh_id bigint NOT NULL REFERENCES %1$I.refreshes, dimension text NOT NULL,
      breaks double precision[], members_per_score bigint[] NOT NULL, PRIMARY KEY (refresh_id, dimension));
    COMMENT ON TABLE %1$I.cutpoints IS 'Cut points (NULL for ntile scoring) and members per score of every refresh (model %3$s)';
  $f$, s, member_type, name, source);

  -- BI views over the labels and their history
  EXECUTE format($f$
    CREATE MATERIALIZED VIEW %1$I.segment_summary AS
      SELECT l.segment, rfm.label_name('segment', l.segment) AS segment_name, count(*) AS members,
             round(count(*) / sum(count(*)) OVER (), 4) AS share_of_members,
             sum(l.monetary) AS revenue, sum(l.monetary) / nullif(sum(sum(l.monetary)) OVER (), 0) AS share_of_revenue,
             avg(l.recency) AS avg_recency, avg(l.frequency) AS avg_frequency, avg(l.monetary) AS avg_monetary
        FROM %1$I.labels l GROUP BY l.segment WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.segment_summary IS 'Members, revenue and average R/F/M per segment at the last refresh';
    CREATE MATERIALIZED VIEW %1$I.lifecycle_summary AS
      SELECT l.napl, l.nes, l.value_segment, count(*) AS members, sum(l.monetary) AS revenue
        FROM %1$I.labels l GROUP BY l.napl, l.nes, l.value_segment WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.lifecycle_summary IS 'Members and revenue per NAPL stage × NES stage × value segment at the last refresh';
    CREATE MATERIALIZED VIEW %1$I.kpi AS
      SELECT refresh_id, as_of, members, revenue, active_rate, repurchase_rate, churn_rate,
             n_to_a_rate, p_to_a_rate, top20_revenue_share
        FROM %1$I.refreshes WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW %1$I.kpi IS 'One row per refresh: members, revenue, active rate, repurchase rate, churn, N→A conversion, P→A wake-up, revenue share of the top 20 %% of members';
  $f$, s, name);

  PERFORM rfm._model_objects_1_1(s, member_type, name);
  PERFORM rfm._model_objects_1_2(s, name);

  -- change capture: statement triggers with transition tables, on the source and on the browsing events
  PERFORM rfm._capture(s, name, source, member_column, member_type, 'capture_changes', 'source',
                       ARRAY[s || '_ins', s || '_upd', s || '_del', s || '_trunc']);
  IF ev.relation IS NOT NULL THEN
    -- their members' intent is rebuilt by the next refresh
    PERFORM rfm._capture(s, name, ev.relation, ev.member_column, member_type, 'capture_events', 'events',
                         ARRAY[s || '_ev_insert', s || '_ev_update', s || '_ev_delete', s || '_ev_truncate']);
  END IF;
  RETURN s;
END $$;
COMMENT ON FUNCTION rfm.create_model(text, regclass, name, name, name, jsonb) IS
  'Create model name on an orders table: schema rfm_<name> with members, labels, label_history, cutpoints, refreshes and the BI views, and change-capture triggers on the source';

CREATE FUNCTION rfm.drop_model(name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(name);
  s text := 'rfm_' || name;
  t text;
BEGIN
  IF to_regclass(m.source::text) IS NOT NULL THEN
    FOREACH t IN ARRAY ARRAY['_ins', '_upd', '_del', '_trunc'] LOOP
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', s || t, m.source);
    END LOOP;
  END IF;
  IF to_regclass(m.options -> 'events' ->> 'relation') IS NOT NULL THEN
    FOREACH t IN ARRAY ARRAY['_ev_insert', '_ev_update', '_ev_delete', '_ev_truncate'] LOOP
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', s || t, to_regclass(m.options -> 'events' ->> 'relation'));
    END LOOP;
  END IF;
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s);
  DELETE FROM rfm.model WHERE rfm.model.name = drop_model.name;
END $$;
COMMENT ON FUNCTION rfm.drop_model(text) IS 'Drop a model: its schema, its triggers on the source and its catalog row';

-- Progress of a refresh: NOTICE (seen at client_min_messages = notice) and pg_stat_activity.
CREATE FUNCTION rfm._progress(model_name text, message text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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

-- Planner settings for one statement of a refresh: sets each (transaction-local) and returns the values they
-- replace, to be given back to it afterwards.
CREATE FUNCTION rfm._plan(settings jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  replaced jsonb := '{}';
  k text;
  v text;
BEGIN
  FOR k, v IN SELECT * FROM jsonb_each_text(settings) LOOP
    replaced := replaced || jsonb_build_object(k, current_setting(k));
    PERFORM set_config(k, v, true);
  END LOOP;
  RETURN replaced;
END $$;
COMMENT ON FUNCTION rfm._plan(jsonb) IS
  'Internal: set planner settings for one statement of a refresh (transaction-local); returns the values replaced, to restore them';

-- The values of monetary or gap in bucket [b, b + 1) at a refresh under way, as a query with parameter $1 = b.
-- A refresh that relabels some members (_rfm_cand): label_state's values (by its index) for the members whose
-- facts are unchanged, _rfm_base's for those it recomputed. One that relabels everyone: _rfm_base's.
CREATE FUNCTION rfm._bucket_values(s text, col text) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  RETURN CASE WHEN to_regclass('pg_temp._rfm_cand') IS NOT NULL THEN
                format('SELECT l.%2$I AS v FROM %1$I.label_state l
                         WHERE l.%2$I >= $1 AND l.%2$I < $1 + 1
                           AND NOT EXISTS (SELECT 1 FROM _rfm_cand c WHERE c.member_id = l.member_id)
                        UNION ALL ', s, col) ELSE '' END
         || format('SELECT b.%1$I AS v FROM _rfm_base b WHERE b.last_day IS NOT NULL AND b.%1$I >= $1 AND b.%1$I < $1 + 1', col);
COMMENT ON FUNCTION rfm._bucket_values(text, text) IS
  'Internal: query of the monetary or gap values of one hist bucket during a refresh (unchanged members from label_state, relabelled ones from _rfm_base)';

-- Order statistics from a model's hist during a refresh: the value at each 0-based rank of dimension dim
-- (ascending). Whole-valued dimensions (l, f) are their bucket; for m and g the values of the bucket are
-- read in order (rfm._bucket_values).
CREATE FUNCTION rfm._hist_nth(s text, dim "char", ranks bigint[]) RETURNS double precision[]
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
  IF col IS NOT NULL AND to_regclass('pg_temp._rfm_cand') IS NOT NULL THEN
    values_sql := rfm._bucket_values(s, col);
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
  IF to_regclass('pg_temp._rfm_bucket') IS NOT NULL THEN
    DROP TABLE _rfm_bucket;
  END IF;
  RETURN vals;
END $$;
COMMENT ON FUNCTION rfm._hist_nth(text, "char", bigint[]) IS
  'Internal: order statistics of a model''s hist during a refresh (value at each 0-based rank)';

-- Quantiles from a model's hist during a refresh, at probabilities probs among n members, computed as
-- rfm.breaks and percentile_cont compute them (R type 7: h = p (n - 1), x[floor h] + (h - floor h)
-- (x[ceil h] - x[floor h]), the same floating-point operations), so that they equal what a full refresh
-- computes from every member. For dimension l they are quantiles of recency, as_of - last day.
CREATE FUNCTION rfm._hist_quantiles(s text, dim "char", n bigint, probs double precision[], as_of date)
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
  x := rfm._hist_nth(s, dim, ranks);
  IF dim = 'l' THEN
    x := ARRAY(SELECT (as_of - DATE '2000-01-01') - v FROM unnest(x) WITH ORDINALITY u(v, i) ORDER BY i);
  END IF;
  FOR i IN 1 .. cardinality(h) LOOP
    result := result || (x[2 * i - 1] + (h[i] - floor(h[i])) * (x[2 * i] - x[2 * i - 1]));
  END LOOP;
  RETURN result;
END $$;
COMMENT ON FUNCTION rfm._hist_quantiles(text, "char", bigint, double precision[], date) IS
  'Internal: quantiles (R type 7, as rfm.breaks) from a model''s hist during a refresh; of recency for dimension l';

-- The sum of the k largest monetary values from a model's hist during a refresh: whole buckets from the top,
-- then the largest values of the bucket where the k-th falls. Exact (numeric), as a full refresh sums them.
CREATE FUNCTION rfm._hist_top(s text, k bigint) RETURNS numeric
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
                   rfm._bucket_values(s, 'monetary'))
      INTO part USING b.bucket, b.rest;
    whole := whole + part;
  END IF;
  RETURN whole;
END $$;
COMMENT ON FUNCTION rfm._hist_top(text, bigint) IS
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

CREATE FUNCTION rfm.refresh(name text, as_of date DEFAULT current_date, "full" boolean DEFAULT false,
                            OUT members bigint, OUT rebuilt bigint, OUT changed bigint, OUT elapsed interval)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3 AS $$
DECLARE
  m rfm.model;
  s text := 'rfm_' || name;
  started timestamptz := clock_timestamp();
  last_as_of date;
  prev_as_of date;
  since_prev interval;
  amount_expr text;
  win interval;
  bins int;
  scoring text;
  seg_map text;
  vref jsonb;
  napl_w interval;
  nes_mult float8[];
  nes_cycle text;
  fallback float8;
  rb float8[]; fb float8[]; mb float8[];
  ref_r float8; ref_f float8; ref_m float8;
  revenue float8;
  tier_policy text;
  ev record;
  events_sql text;
  purchases_sql text;
  rebuild_all boolean;
  member_type text;
  intent_ts timestamptz;
  dciu_hl interval;
  dciu_hz interval;
  dciu_w float8[];
  dciu_cuts float8[];
  lift rfm.dciu_lift_row[];
  clv_on boolean;
  clv_pnbd boolean;
  clv_unit float8;
  clv_h float8;
  clv_d float8;
  fit_b rfm.bgnbd;
  fit_p rfm.pnbd;
  fit_g rfm.gamma_gamma;
  clv_sql text;
  score_sql text;
  lab_sql text;
  rows_sql text;
  base_sql text;
  hist_sql text;
  params jsonb;
  last_ref record;
  fast boolean;
  old_rel text;
  sums record;
  ranges text[];
  probs float8[];
  top20 numeric;
  labels_differ text;
  row_differs text;
  bulk boolean;
  -- joins of a few members with a big table (label_state, members, label_history) by its indexes: the planner
  -- would rather scan the big table and hash the few (its default random_page_cost assumes uncached pages),
  -- which costs a pass over all members
  index_joins constant jsonb := '{"enable_hashjoin": "off", "enable_mergejoin": "off"}';
  replaced jsonb;
  rid bigint;
  relabelled bigint;
  k record;
BEGIN
  IF as_of IS NULL OR NOT isfinite(as_of) THEN
    RAISE EXCEPTION 'as_of must be a finite date, not %', coalesce(as_of::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Refresh as of a day, e.g. current_date.';
  END IF;
  m := rfm._model(name);
  -- one refresh of a model at a time; a second one waits for the first to commit
  PERFORM pg_advisory_xact_lock(hashtext('rfm.refresh'), hashtext(name));
  m := rfm._model(name);
  IF m.layout < 3 THEN
    PERFORM rfm._progress(name, 'upgrading the model''s schema to the layout of rfm 1.2');
    PERFORM rfm._upgrade_model(m);
    m := rfm._model(name);
  END IF;

  -- the source must still be there, with its columns
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = m.source) THEN
    RAISE EXCEPTION 'the source table of model "%" was dropped', name
      USING ERRCODE = 'undefined_table',
            HINT = 'Drop the model with rfm.drop_model and create it again on the new table; its labels and history are unchanged.';
  END IF;
  FOR k IN SELECT * FROM unnest(ARRAY[m.member_column, m.time_column, m.amount_column]) c(col) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = m.source AND attname = k.col AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" of %, the source of model "%", no longer exists', k.col, m.source, name
        USING ERRCODE = 'undefined_column',
              HINT = 'Rename the column back, or drop the model and create it again with the new column names; its labels and history are unchanged.';
    END IF;
  END LOOP;
  amount_expr := CASE WHEN (SELECT atttypid FROM pg_attribute WHERE attrelid = m.source AND attname = m.amount_column) = 'money'::regtype
                      THEN format('o.%I::numeric', m.amount_column) ELSE format('o.%I', m.amount_column) END;

  EXECUTE format('SELECT max(as_of) FROM %I.refreshes', s) INTO last_as_of;
  IF as_of < last_as_of THEN
    RAISE EXCEPTION 'as_of % is before the last refresh of model "%" (%)', as_of, name, last_as_of
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Refreshes move forward in time; past labels are in label_history (see rfm.migration).';
  END IF;
  -- the refresh this one is compared with (flow, KPIs): the last one before as_of
  EXECUTE format('SELECT max(as_of) FROM %I.refreshes WHERE as_of < $1', s) INTO prev_as_of USING as_of;
  since_prev := make_interval(days => as_of - prev_as_of);

  win := (rfm._option(m, 'window') #>> '{}')::interval;
  bins := (rfm._option(m, 'bins') #>> '{}')::int;
  scoring := rfm._option(m, 'scoring') #>> '{}';
  seg_map := rfm._option(m, 'segment_map') #>> '{}';
  vref := rfm._option(m, 'value_reference');
  napl_w := (rfm._option(m, 'napl_window') #>> '{}')::interval;
  nes_mult := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'nes_multipliers'))::float8);
  nes_cycle := rfm._option(m, 'nes_cycle') #>> '{}';
  fallback := (rfm._option(m, 'nes_fallback') #>> '{}')::float8;
  tier_policy := rfm._option(m, 'tier_policy') #>> '{}';
  clv_on := (rfm._option(m, 'clv') #>> '{}')::boolean;
  clv_pnbd := rfm._option(m, 'clv_model') #>> '{}' = 'pnbd';
  clv_unit := (rfm._option(m, 'clv_unit_days') #>> '{}')::float8;
  clv_h := (rfm._option(m, 'clv_horizon') #>> '{}')::float8;
  clv_d := (rfm._option(m, 'clv_discount_rate') #>> '{}')::float8;
  -- browsing events (option events): checked like the source; intent is scored at the end of as_of
  ev := rfm._events(m.options);
  IF ev.relation IS NOT NULL THEN
    intent_ts := (as_of + 1)::timestamptz;
    dciu_hl := (rfm._option(m, 'dciu_half_life') #>> '{}')::interval;
    dciu_hz := (rfm._option(m, 'dciu_horizon') #>> '{}')::interval;
    dciu_w := CASE WHEN rfm._option(m, 'dciu_weights') = 'null' THEN rfm.intent_default_weights()
                   ELSE rfm.intent_weights(rfm._option(m, 'dciu_weights')) END;
    SELECT format_type(atttypid, atttypmod) INTO member_type FROM pg_attribute
     WHERE attrelid = format('%I.members', s)::regclass AND attname = 'member_id';
    -- event names of the relation's own (option events.event_names: {"pv": "view"}) are mapped first
    events_sql := format('SELECT e.%1$I::%2$s AS member_id,
                                 rfm.intent_agg(coalesce(%6$L::jsonb ->> e.%3$I::text, e.%3$I::text), e.%4$I::timestamptz) AS intent
                            FROM %5$s e WHERE e.%1$I IS NOT NULL /* touched */ GROUP BY 1',
                         ev.member_column, member_type, ev.event_column, ev.time_column, ev.relation,
                         coalesce(m.options -> 'events' -> 'event_names', '{}'));
  END IF;

  -- what the labels depend on besides the data; when it changed since the last refresh, everyone is relabelled
  params := jsonb_build_object('options', m.options, 'segment_map',
              (SELECT md5(string_agg(concat_ws(':', priority, segment, r_min, r_max, f_min, f_max, m_min, m_max), ','
                                     ORDER BY priority))
                 FROM rfm.segment_rule WHERE map = seg_map));
  EXECUTE format($q$
    SELECT r.refresh_id, r.as_of, r.members, r.params, r.fallback_cycle, r.value_reference,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'recency') AS rb,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'frequency') AS fb,
           (SELECT c.breaks FROM %1$I.cutpoints c WHERE c.refresh_id = r.refresh_id AND c.dimension = 'monetary') AS mb
      FROM %1$I.refreshes r ORDER BY r.as_of DESC, r.refresh_id DESC LIMIT 1$q$, s) INTO last_ref;

  -- 1. member states: all of them, or only the members touched since the last refresh
  rebuild_all := "full" OR m.needs_full;
  -- The labels of a member without new orders change only when a cut point, a reference or a day they depend
  -- on passes its values. Then a refresh relabels only the touched members, those whose next dated order or
  -- NES stage has come, and those that a moved threshold may have crossed; the others keep their row of
  -- label_state. Everyone is relabelled on a model's first refresh, after its source was truncated, when the
  -- options or the segment map changed, and when labels move for everyone with time or rank: a window, ntile
  -- scores, tiers (reviews), DCIU (decaying intent), lifetime value. A full refresh of a model whose labels
  -- can be kept so rebuilds every state from the source, and the members whose state differs from the one
  -- kept (new, changed or gone) are the touched ones: whatever the change capture saw or missed, the labels
  -- are those an incremental refresh after the same changes gives (the same as relabelling everyone).
  fast := NOT m.needs_full AND last_ref.refresh_id IS NOT NULL AND last_ref.params = params AND win IS NULL
          AND scoring <> 'ntile' AND tier_policy IS NULL AND ev.relation IS NULL AND NOT clv_on
          AND (scoring = 'fixed' OR num_nulls(last_ref.rb, last_ref.fb, last_ref.mb) = 0);
  IF rebuild_all AND fast THEN
    PERFORM rfm._progress(name, 'rebuilding every member state from ' || m.source::text || ' to find those that changed');
    EXECUTE format('DELETE FROM %I.changes', s);
  ELSIF rebuild_all THEN
    PERFORM rfm._progress(name, 'rebuilding every member state from ' || m.source::text);
    EXECUTE format('DELETE FROM %I.changes', s);
    -- loaded without its primary key, which is built afterwards (cheaper than keeping it, sorted or not)
    EXECUTE format('TRUNCATE %1$I.members; ALTER TABLE %1$I.members DROP CONSTRAINT members_pkey', s);
  ELSE
    EXECUTE format('CREATE TEMP TABLE _rfm_touched ON COMMIT DROP AS
                      WITH d AS (DELETE FROM %I.changes RETURNING member_id) SELECT DISTINCT member_id FROM d', s);
    GET DIAGNOSTICS rebuilt = ROW_COUNT;
    PERFORM rfm._progress(name, format('rebuilding %s touched member states', rebuilt));
    EXECUTE format('DELETE FROM %I.members WHERE member_id IN (SELECT member_id FROM _rfm_touched)', s);
  END IF;
  -- their purchases, and with events their browsing: members are then the buyers and the browsers. The orders
  -- are fed to the aggregate by member, time and amount: a day's spend is a sum of doubles, which depends on
  -- the order of its terms in the last bit, and this order is the same whatever the plan, so a member's state
  -- is the same whichever refresh rebuilt it (incremental equals full to the bit).
  purchases_sql := format('SELECT o.member_id, rfm.purchases_agg(o.t, o.a) AS purchases
                             FROM (SELECT o.%1$I AS member_id, o.%2$I AS t, %3$s AS a FROM %4$s o
                                    WHERE o.%1$I %5$s ORDER BY 1, 2, 3) o
                            GROUP BY 1 HAVING rfm.purchases_agg(o.t, o.a) IS NOT NULL',
                          m.member_column, m.time_column, amount_expr, m.source,
                          CASE WHEN rebuild_all THEN 'IS NOT NULL' ELSE 'IN (SELECT member_id FROM _rfm_touched)' END);
  IF rebuild_all THEN
    -- every member: all the orders read in a row and sorted (an index on the member column, feeding an
    -- incremental sort, reads them in random order: 20 s against 10 s on 10.2M orders), then grouped as they
    -- come (a hash table of 3.55M aggregate states would cost more than the grouping it saves): the states
    -- come in member order, and are merged with the states kept by their key (hashing the 3.55M new states
    -- instead, as the planner would: 13.6 s against 9.5-11 s), or written so for the comparison in 6 (the
    -- source is a table, so that join is the statement's only one)
    replaced := rfm._plan(CASE WHEN fast THEN '{"enable_hashjoin": "off"}' ELSE '{}' END::jsonb
                          || '{"enable_incremental_sort": "off"}');
  END IF;
  IF rebuild_all AND fast THEN
    -- the states that differ from those kept (a new state, a changed one, or NULL: the member is gone)
    EXECUTE format('CREATE TEMP TABLE _rfm_touched ON COMMIT DROP AS
                      SELECT coalesce(n.member_id, o.member_id) AS member_id, n.purchases
                        FROM (%1$s) n FULL JOIN %2$I.members o ON o.member_id = n.member_id
                       WHERE n.member_id IS NULL OR o.member_id IS NULL
                          OR n.purchases OPERATOR(rfm.<>) o.purchases', purchases_sql, s);
    PERFORM rfm._plan(replaced);
    EXECUTE format('DELETE FROM %1$I.members WHERE member_id IN (SELECT member_id FROM _rfm_touched);
                    INSERT INTO %1$I.members (member_id, purchases)
                    SELECT member_id, purchases FROM _rfm_touched WHERE purchases IS NOT NULL ORDER BY 1', s);
    EXECUTE format('SELECT count(*) FROM %I.members', s) INTO rebuilt;
  ELSIF ev.relation IS NULL THEN
    EXECUTE format('INSERT INTO %I.members (member_id, purchases) %s %s', s, purchases_sql,
                   CASE WHEN NOT rebuild_all THEN 'ORDER BY 1' END);
  ELSE
    EXECUTE format('INSERT INTO %I.members (member_id, purchases, intent)
                     SELECT coalesce(p.member_id, i.member_id), p.purchases, i.intent
                       FROM (%s) p FULL JOIN (%s) i ON i.member_id = p.member_id %s',
                   s, purchases_sql,
                   CASE WHEN rebuild_all THEN events_sql
                        ELSE replace(events_sql, '/* touched */',
                                     format('AND e.%I::%s IN (SELECT member_id FROM _rfm_touched)', ev.member_column, member_type)) END,
                   CASE WHEN NOT rebuild_all THEN 'ORDER BY 1' END);
  END IF;
  IF rebuild_all AND NOT fast THEN
    GET DIAGNOSTICS rebuilt = ROW_COUNT;
    PERFORM rfm._plan(replaced);
    EXECUTE format('ALTER TABLE %I.members ADD CONSTRAINT members_pkey PRIMARY KEY (member_id)', s);
    UPDATE rfm.model SET needs_full = false WHERE rfm.model.name = refresh.name;
  END IF;

  -- 2. the facts and stages of the members to label, from their states: everyone's, or (fast) those of the
  -- touched members and of those whose next dated order or NES stage has come (label_state.recheck)
  replaced := rfm._plan(CASE WHEN fast THEN index_joins ELSE '{}' END);
  IF fast THEN
    EXECUTE format('CREATE TEMP TABLE _rfm_cand ON COMMIT DROP AS
                      SELECT member_id FROM _rfm_touched UNION SELECT member_id FROM %I.label_state WHERE recheck <= $1', s)
      USING as_of;
    ALTER TABLE _rfm_cand ADD PRIMARY KEY (member_id);
    ANALYZE _rfm_cand;
  END IF;
  -- members without a purchase by as_of (only orders dated later) are kept, unlabelled, for their recheck day
  base_sql := format($q$
    SELECT member_id, last_day,
           CASE WHEN last_day IS NOT NULL THEN frequency END AS frequency,
           CASE WHEN last_day IS NOT NULL THEN monetary END AS monetary, days,
           CASE WHEN days >= 2 THEN (last_day - first_day)::float8 / (days - 1) END AS gap,
           CASE WHEN last_day IS NOT NULL THEN since_prev END AS since_prev, napl,
           CASE WHEN days >= 2 THEN any_nes END AS repeat_nes, recheck, tier_st, dciu_score, btyd
      FROM (SELECT member_id, rfm.last_purchase(purchases, $1) AS last_day, rfm.first_purchase(purchases, $1) AS first_day,
                   rfm.frequency(purchases, $1, $2) AS frequency, rfm.monetary(purchases, $1, $2) AS monetary,
                   rfm.purchase_days(purchases, $1) AS days,
                   CASE WHEN $3 IS NULL THEN 0 ELSE rfm.monetary(purchases, $1, $3) END AS since_prev,
                   rfm.napl(purchases, $1, $4) AS napl, rfm.nes(purchases, $1, 1, $5, $6) AS any_nes,
                   rfm._recheck(purchases, $1, 1, $5, $6) AS recheck,
                   CASE WHEN $7 IS NOT NULL THEN rfm.tier_status(purchases, $1, $7) END AS tier_st,
                   CASE WHEN $8 IS NOT NULL THEN coalesce(rfm.intent_score(intent, $8, $9, $10, $11), 0) END AS dciu_score,
                   CASE WHEN $12 THEN rfm.btyd(purchases, $1, $13) END AS btyd
              FROM %I.members WHERE purchases IS NOT NULL /* which */) b$q$, s);
  EXECUTE 'CREATE TEMP TABLE _rfm_base ON COMMIT DROP AS '
          || replace(base_sql, '/* which */', CASE WHEN fast THEN 'AND member_id IN (SELECT member_id FROM _rfm_cand)' ELSE '' END)
    USING as_of, win, since_prev, napl_w, nes_mult, nes_cycle, tier_policy, intent_ts, dciu_hl, dciu_hz, dciu_w,
          clv_on, clv_unit;
  IF fast THEN
    -- their rows at the last refresh
    EXECUTE format('CREATE TEMP TABLE _rfm_old ON COMMIT DROP AS
                      SELECT l.* FROM %I.label_state l JOIN _rfm_cand USING (member_id)', s);
  END IF;

  -- 3. hist: the distribution of last day, frequency, monetary and repeat buyers' gap over the labelled
  -- members, from which the references, cut points and the top-20 % revenue are read. Kept: the candidates'
  -- old facts out, their new ones in; or rebuilt.
  hist_sql := 'SELECT h.dim, h.bucket, h.total FROM %s x,
                 LATERAL (VALUES (''l''::"char", (x.last_day - DATE ''2000-01-01'')::float8, NULL::numeric),
                                 (''f'', x.frequency::float8, NULL), (''m'', floor(x.monetary), x.monetary::numeric),
                                 (''g'', floor(x.gap), NULL)) h(dim, bucket, total)
                WHERE x.last_day IS NOT NULL AND h.bucket IS NOT NULL';
  IF fast THEN
    EXECUTE format('CREATE TEMP TABLE _rfm_hist ON COMMIT DROP AS
                      SELECT dim, bucket, sum(n)::bigint AS n, sum(total) AS total
                        FROM (SELECT dim, bucket, n, total FROM %1$I.hist
                              UNION ALL SELECT o.dim, o.bucket, -1, -o.total FROM (%2$s) o
                              UNION ALL SELECT b.dim, b.bucket, 1, b.total FROM (%3$s) b) u
                       GROUP BY dim, bucket HAVING sum(n) <> 0;
                    TRUNCATE %1$I.hist;
                    INSERT INTO %1$I.hist SELECT * FROM _rfm_hist ORDER BY dim, bucket',
                   s, format(hist_sql, '_rfm_old'), format(hist_sql, '_rfm_base'));
    DROP TABLE _rfm_hist;
  ELSE
    -- (each distinct monetary value is turned into numeric once: members share values, and the conversion is
    -- the dearest part)
    EXECUTE format('TRUNCATE %1$I.hist;
                    INSERT INTO %1$I.hist
                    SELECT dim, bucket, n, total FROM (
                      SELECT CASE WHEN GROUPING(last_day) = 0 THEN ''l'' WHEN GROUPING(frequency) = 0 THEN ''f''
                                  ELSE ''g'' END::"char" AS dim,
                             coalesce((last_day - DATE ''2000-01-01'')::float8, frequency::float8, floor(gap)) AS bucket,
                             count(*) AS n, NULL::numeric AS total
                        FROM _rfm_base WHERE last_day IS NOT NULL
                       GROUP BY GROUPING SETS ((last_day), (frequency), (floor(gap)))
                      UNION ALL
                      SELECT ''m'', floor(v), sum(k)::bigint, sum(v::numeric * k)
                        FROM (SELECT monetary AS v, count(*) AS k FROM _rfm_base WHERE last_day IS NOT NULL GROUP BY 1) d
                       GROUP BY 2) g
                     WHERE bucket IS NOT NULL ORDER BY dim, bucket', s);
  END IF;
  PERFORM rfm._plan(replaced);
  EXECUTE format('SELECT coalesce(sum(n) FILTER (WHERE dim = ''l''), 0)::bigint AS n,
                         sum(bucket::numeric * n) FILTER (WHERE dim = ''l'') AS sum_day,
                         sum(bucket::numeric * n) FILTER (WHERE dim = ''f'') AS sum_f,
                         sum(total) FILTER (WHERE dim = ''m'') AS sum_m,
                         coalesce(sum(n) FILTER (WHERE dim = ''g''), 0)::bigint AS n_repeat
                    FROM %I.hist', s) INTO sums;
  members := sums.n;
  PERFORM rfm._progress(name, format('labelling %s members as of %s', members, as_of));

  -- 4. references, cut points, fallback cycle, top-20 % revenue: order statistics read from hist (the same
  -- values as rfm.breaks and percentile_cont over every member, to the bit)
  ref_r := ((sums.n * (as_of - DATE '2000-01-01') - sums.sum_day) / nullif(sums.n, 0))::float8;
  ref_f := (sums.sum_f / nullif(sums.n, 0))::float8;
  ref_m := (sums.sum_m / nullif(sums.n, 0))::float8;
  revenue := sums.sum_m::float8;
  IF jsonb_typeof(vref) = 'string' AND vref #>> '{}' = 'median' THEN
    ref_r := (rfm._hist_quantiles(s, 'l', sums.n, '{0.5}', as_of))[1];
    ref_f := (rfm._hist_quantiles(s, 'f', sums.n, '{0.5}', as_of))[1];
    ref_m := (rfm._hist_quantiles(s, 'm', sums.n, '{0.5}', as_of))[1];
  END IF;
  IF scoring = 'quantile' THEN
    probs := ARRAY(SELECT g::float8 / bins::float8 FROM generate_series(1, bins - 1) g);
    rb := rfm._hist_quantiles(s, 'l', sums.n, probs, as_of);
    fb := rfm._hist_quantiles(s, 'f', sums.n, probs, as_of);
    mb := rfm._hist_quantiles(s, 'm', sums.n, probs, as_of);
  END IF;
  IF fallback IS NULL THEN
    fallback := coalesce((rfm._hist_quantiles(s, 'g', sums.n_repeat, '{0.5}', as_of))[1], 30);
  END IF;
  top20 := rfm._hist_top(s, ceil(0.2 * sums.n)::bigint);
  IF jsonb_typeof(vref) = 'object' THEN
    ref_r := (vref ->> 'recency')::float8; ref_f := (vref ->> 'frequency')::float8; ref_m := (vref ->> 'monetary')::float8;
  END IF;
  IF scoring = 'fixed' THEN
    rb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'r_breaks'))::float8);
    fb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'f_breaks'))::float8);
    mb := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'm_breaks'))::float8);
  END IF;

  -- 5. (fast) the members whose values a moved threshold may have crossed: recency cut points, the recency
  -- reference, the start of the NAPL window and one-time buyers' NES thresholds (on the last day);
  -- frequency and monetary cut points and references. They are labelled too, from their rows of label_state.
  IF fast THEN
    ranges := ARRAY[
      rfm._day_range(last_ref.as_of, (last_ref.value_reference ->> 'recency')::float8, as_of, ref_r),
      rfm._value_range('frequency', (last_ref.value_reference ->> 'frequency')::float8, ref_f),
      rfm._value_range('monetary', (last_ref.value_reference ->> 'monetary')::float8, ref_m),
      CASE WHEN last_ref.as_of < as_of THEN
        format('l.last_day BETWEEN %L AND %L', (last_ref.as_of::timestamp - napl_w)::date, (as_of::timestamp - napl_w)::date + 1) END];
    FOR i IN 1 .. greatest(cardinality(rb), cardinality(last_ref.rb)) LOOP
      ranges := ranges || rfm._day_range(last_ref.as_of, last_ref.rb[i], as_of, rb[i])
                       || rfm._value_range('frequency', last_ref.fb[i], fb[i])
                       || rfm._value_range('monetary', last_ref.mb[i], mb[i]);
    END LOOP;
    FOR i IN 1 .. 3 LOOP
      ranges := ranges || ('l.days = 1 AND ' || rfm._day_range(last_ref.as_of, nes_mult[i] * last_ref.fallback_cycle, as_of,
                                                                nes_mult[i] * fallback));
    END LOOP;
    ranges := ARRAY(SELECT '(' || r || ')' FROM unnest(ranges) r WHERE r IS NOT NULL);
    RAISE DEBUG 'rfm.refresh(%): also relabelling the members where %', name, coalesce(array_to_string(ranges, ' OR '), 'nothing');
    replaced := rfm._plan(index_joins);
    IF cardinality(ranges) > 0 THEN
      EXECUTE format('CREATE TEMP TABLE _rfm_crossed ON COMMIT DROP AS
                        SELECT l.* FROM %I.label_state l
                         WHERE l.last_day IS NOT NULL AND (%s)
                           AND NOT EXISTS (SELECT 1 FROM _rfm_cand c WHERE c.member_id = l.member_id)',
                     s, array_to_string(ranges, ' OR '));
      INSERT INTO _rfm_cand SELECT member_id FROM _rfm_crossed;
      INSERT INTO _rfm_old SELECT * FROM _rfm_crossed;
      -- their facts are those of their rows (no order came: their recheck day has not); of what depends on the day,
      -- the NAPL stage is computed again, repeat buyers' NES stage has not moved (that is a recheck day), one-time
      -- buyers' NES follows in 6; the spend since the previous refresh is nothing, or the same on the same day
      INSERT INTO _rfm_base (member_id, last_day, frequency, monetary, days, gap, since_prev, napl, repeat_nes, recheck)
      SELECT x.member_id, x.last_day, x.frequency, x.monetary, x.days, x.gap,
             CASE WHEN last_as_of = as_of THEN x.since_prev ELSE 0 END, rfm._napl_of(x.days, x.last_day, as_of, napl_w),
             CASE WHEN x.days >= 2 THEN x.nes END, x.recheck
        FROM _rfm_crossed x;
      DROP TABLE _rfm_crossed;
    END IF;
    -- (the temporary tables are analyzed for the columns that later joins and filters read, no more: statistics
    -- of all 40 columns of _rfm_changed took 0.26 s of a 2.8 s refresh, of 7 of them 0.05 s)
    ANALYZE _rfm_cand;
    ANALYZE _rfm_old (member_id);
    PERFORM rfm._plan(replaced);
  END IF;
  ANALYZE _rfm_base (member_id, last_day);

  IF clv_on THEN
    -- lifetime value: the purchase and spend models fitted on everyone's repeat-buying summary at as_of. A fit
    -- that fails leaves the CLV columns NULL for this refresh (with a WARNING), not the refresh failed.
    PERFORM rfm._progress(name, 'fitting the lifetime value models');
    BEGIN
      IF clv_pnbd THEN
        fit_p := (SELECT rfm.pnbd_fit((btyd).x, (btyd).t_x, (btyd).t) FROM _rfm_base WHERE last_day IS NOT NULL);
      ELSE
        fit_b := (SELECT rfm.bgnbd_fit((btyd).x, (btyd).t_x, (btyd).t) FROM _rfm_base WHERE last_day IS NOT NULL);
      END IF;
      -- Gamma-Gamma needs positive spends: repeat buyers whose mean repeat spend is not positive (refunds, free
      -- orders) are left out of its fit, as lifetimes does, and get no clv
      fit_g := (SELECT rfm.gamma_gamma_fit((btyd).x, (btyd).monetary) FILTER (WHERE (btyd).monetary > 0)
                  FROM _rfm_base WHERE last_day IS NOT NULL);
      -- every member's predictions, here too: extreme parameters can make a prediction fail
      EXECUTE format('CREATE TEMP TABLE _rfm_clv ON COMMIT DROP AS
        SELECT member_id, rfm.p_alive(%1$s, (btyd).x, (btyd).t_x, (btyd).t) AS p_alive,
               rfm.expected_purchases(%1$s, $3, (btyd).x, (btyd).t_x, (btyd).t) AS expected_purchases,
               CASE WHEN (btyd).x = 0 OR (btyd).monetary > 0
                    THEN rfm.clv(%1$s, $4, (btyd).x, (btyd).t_x, (btyd).t, coalesce((btyd).monetary, 0), $3, $5) END AS clv
          FROM _rfm_base WHERE last_day IS NOT NULL', CASE WHEN clv_pnbd THEN '$2' ELSE '$1' END)
        USING fit_b, fit_p, clv_h, fit_g, clv_d;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'rfm.refresh(%): no lifetime value at %: %', name, as_of, SQLERRM
        USING HINT = 'The CLV columns stay NULL for this refresh; see docs/clv.md on fits that fail.';
      fit_b := NULL; fit_p := NULL; fit_g := NULL;
    END;
  END IF;
  IF ev.relation IS NOT NULL THEN
    -- DCIU cuts calibrated by replay: every member (buyers and browsers) scored at the start of the horizon,
    -- and who bought in it, and for how much; the lift of the buckets is published (dciu_lifts)
    PERFORM rfm._progress(name, format('calibrating DCIU on the %s up to %s', dciu_hz, as_of));
    EXECUTE format('CREATE TEMP TABLE _rfm_cal ON COMMIT DROP AS
      SELECT coalesce(rfm.intent_score(intent, $1, $2, $3, $4), 0) AS cal_score,
             coalesce(rfm.purchase_days(purchases, $5, $3), 0) > 0 AS cal_bought,
             coalesce(rfm.monetary(purchases, $5, $3), 0) AS cal_revenue
        FROM %I.members', s)
      USING intent_ts - dciu_hz, dciu_hl, dciu_hz, dciu_w, as_of;
    IF rfm._option(m, 'dciu_cuts') <> 'null' THEN
      dciu_cuts := ARRAY(SELECT jsonb_array_elements_text(rfm._option(m, 'dciu_cuts'))::float8);
    ELSE
      SELECT rfm.dciu_calibrate(c.cal_score, c.cal_bought) INTO dciu_cuts FROM _rfm_cal c;
    END IF;
    SELECT rfm.dciu_lift_agg(coalesce(rfm.dciu(c.cal_score, dciu_cuts), 'U'), c.cal_bought, c.cal_revenue) INTO lift FROM _rfm_cal c;
    DROP TABLE _rfm_cal;
  END IF;

  -- 6. the new labels, beside the last refresh's of the same members (label_state: all of it, or the
  -- candidates' rows); changed = entered, exited or any label differs
  IF scoring = 'ntile' THEN
    -- equal-count bins; ties broken by member id, so the result is deterministic
    score_sql := 'ntile($6) OVER (ORDER BY recency DESC, member_id) AS r_score,
                  ntile($6) OVER (ORDER BY frequency, member_id) AS f_score,
                  ntile($6) OVER (ORDER BY monetary, member_id) AS m_score';
  ELSE
    score_sql := 'rfm.score(recency, $3, true) AS r_score, rfm.score(frequency, $4) AS f_score,
                  rfm.score(monetary, $5) AS m_score';
  END IF;
  -- a member's labels changed: it entered, it exited, or a label differs (n: new row, o: old row)
  labels_differ := '((o.last_day IS NOT NULL) <> (n.last_day IS NOT NULL)
                     OR (n.last_day IS NOT NULL
                         AND (n.r_score, n.f_score, n.m_score, n.segment, n.value_segment, n.napl, n.nes, n.dciu, n.tier)
                             IS DISTINCT FROM
                             (o.r_score, o.f_score, o.m_score, o.segment, o.value_segment, o.napl, o.nes, o.dciu, o.tier)))';
  -- a member's row of label_state must be written: anything in it differs (labels included)
  row_differs := '((o.frequency, o.monetary, o.r_score, o.f_score, o.m_score, o.segment, o.value_segment, o.napl, o.nes,
                    o.dciu, o.tier, o.p_alive, o.expected_purchases, o.clv, o.last_day, o.days, o.gap, o.since_prev, o.recheck)
                   IS DISTINCT FROM
                   (n.frequency, n.monetary, n.r_score, n.f_score, n.m_score, n.segment, n.value_segment, n.napl, n.nes,
                    n.dciu, n.tier, n.p_alive, n.expected_purchases, n.clv, n.last_day, n.days, n.gap, n.since_prev, n.recheck))';
  clv_sql := CASE WHEN to_regclass('pg_temp._rfm_clv') IS NULL THEN
                   'NULL::float8 AS p_alive, NULL::float8 AS expected_purchases, NULL::float8 AS clv'
                 ELSE 'c.p_alive, c.expected_purchases, c.clv' END;
  -- the new rows (labels and facts) of the members labelled here
  lab_sql := format('
    SELECT member_id, frequency, monetary, r_score, f_score, m_score,
           rfm.segment(r_score, f_score, m_score, $7) AS segment,
           rfm.value_segment(recency < $8, frequency >= $9, monetary >= $10) AS value_segment,
           napl,
           coalesce(repeat_nes, CASE WHEN recency <= $12 * $11 THEN ''N'' WHEN recency <= $13 * $11 THEN ''S1''
                                     WHEN recency <= $14 * $11 THEN ''S2'' ELSE ''S3'' END::rfm.nes_stage) AS nes,
           CASE WHEN $15 THEN coalesce(rfm.dciu(dciu_score, $16), ''U'')::text END AS dciu, (tier_st).tier AS tier,
           %s, last_day, days, gap, since_prev, recheck
      FROM (SELECT b.*, %s FROM (SELECT *, $1 - last_day AS recency FROM _rfm_base WHERE last_day IS NOT NULL) b) x %s
    UNION ALL
    SELECT member_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, recheck
      FROM _rfm_base WHERE last_day IS NULL', clv_sql, score_sql,
      CASE WHEN to_regclass('pg_temp._rfm_clv') IS NOT NULL THEN 'LEFT JOIN _rfm_clv c USING (member_id)' ELSE '' END);
  old_rel := CASE WHEN fast THEN '_rfm_old' ELSE format('%I.label_state', s) END;
  -- the rows of label_state that differ (members whose labels changed: entered, exited, or any label differs;
  -- whose facts changed; new rows, rows whose state is gone), with their old parts: the flow and label_totals
  -- are the last ones corrected by these rows alone. On a refresh after the last one, members who spent since
  -- it are among them too (their spend is the revenue of the flow).
  -- After a rebuild that relabels everyone the new rows come in member order (members was written so, and
  -- _rfm_base read from it): merged with label_state's key, the sort finds them sorted (3.55M members: 6.3 s
  -- against 7.6 s hashed). When only some members are relabelled (fast), the rows are written in member order,
  -- the order in which label_state and label_history are then updated from them.
  replaced := rfm._plan(CASE WHEN rebuild_all AND NOT fast AND ev.relation IS NULL AND scoring <> 'ntile'
                             THEN '{"enable_hashjoin": "off"}' ELSE '{}' END::jsonb);
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_changed ON COMMIT DROP AS
    SELECT coalesce(n.member_id, o.member_id) AS member_id, o.member_id IS NOT NULL AS had_row,
           n.member_id IS NOT NULL AS has_state, o.last_day IS NOT NULL AS was, n.last_day IS NOT NULL AS is_now,
           %2$s AS changed, n.frequency, n.monetary, n.r_score, n.f_score, n.m_score, n.segment, n.value_segment,
           n.napl, n.nes, n.dciu, n.tier, n.p_alive, n.expected_purchases, n.clv, n.last_day, n.days, n.gap,
           n.since_prev, n.recheck, o.since AS o_since, o.r_score AS o_r_score, o.f_score AS o_f_score,
           o.m_score AS o_m_score, o.segment AS o_segment, o.value_segment AS o_value_segment, o.napl AS o_napl,
           o.nes AS o_nes, o.dciu AS o_dciu, o.tier AS o_tier, o.last_day AS o_last_day, o.frequency AS o_frequency,
           o.monetary AS o_monetary, o.since_prev AS o_since_prev
      FROM (%5$s) n FULL JOIN %1$s o ON o.member_id = n.member_id
     WHERE n.member_id IS NULL OR o.member_id IS NULL OR %3$s OR (%4$L AND n.since_prev <> 0) %6$s$q$,
    old_rel, labels_differ, row_differs, last_as_of IS NULL OR last_as_of < as_of, lab_sql,
    CASE WHEN fast THEN 'ORDER BY 1' END)
    USING as_of, win, rb, fb, mb, bins, seg_map, ref_r, ref_f, ref_m, fallback, nes_mult[1], nes_mult[2], nes_mult[3],
          ev.relation IS NOT NULL, dciu_cuts;
  PERFORM rfm._plan(replaced);
  SELECT count(*) INTO changed FROM _rfm_changed c WHERE c.changed;
  ANALYZE _rfm_changed (member_id, changed, was, is_now, had_row, has_state, o_since);
  IF fast THEN
    SELECT count(*) INTO relabelled FROM _rfm_base WHERE last_day IS NOT NULL;
  ELSE
    relabelled := members;
  END IF;

  -- 7. the flow from the refresh before as_of to this one, per dimension (members and their spend in between),
  -- from the rows that differ. When the last refresh is the previous one: everyone stays where label_totals
  -- counts them, having spent nothing, except the rows that differ, whose old part is taken out and whose
  -- (old label, new label) is put in. A refresh that replaces the last one (same day) takes the last one's
  -- transitions, with the old part of the rows that differ (previous label from the history, old label) taken
  -- out and their new part put in.
  IF last_as_of < as_of OR last_as_of IS NULL THEN
    EXECUTE format($q$
      CREATE TEMP TABLE _rfm_moves ON COMMIT DROP AS
      SELECT p_present, t_present, f_segment, t_segment, f_value, t_value, f_napl, t_napl, f_nes, t_nes, f_tier, t_tier,
             f_dciu, t_dciu, sum(members) AS members, sum(revenue) AS revenue
        FROM (SELECT true AS p_present, true AS t_present, segment AS f_segment, segment AS t_segment,
                     value_segment AS f_value, value_segment AS t_value, napl AS f_napl, napl AS t_napl, nes AS f_nes,
                     nes AS t_nes, tier AS f_tier, tier AS t_tier, dciu AS f_dciu, dciu AS t_dciu, members, 0 AS revenue
                FROM %I.label_totals
              UNION ALL
              SELECT true, true, o_segment, o_segment, o_value_segment, o_value_segment, o_napl, o_napl, o_nes, o_nes,
                     o_tier, o_tier, o_dciu, o_dciu, -1, 0
                FROM _rfm_changed WHERE was
              UNION ALL
              SELECT was, is_now, o_segment, segment, o_value_segment, value_segment, o_napl, napl, o_nes, nes,
                     o_tier, tier, o_dciu, dciu, 1, CASE WHEN is_now THEN since_prev ELSE 0 END
                FROM _rfm_changed WHERE was OR is_now) u
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14$q$, s);
  ELSE
    replaced := rfm._plan(CASE WHEN fast THEN index_joins ELSE '{}' END);
    EXECUTE format($q$
      CREATE TEMP TABLE _rfm_moves ON COMMIT DROP AS
      SELECT p.member_id IS NOT NULL AS p_present, x.t_present, p.segment AS f_segment, x.segment AS t_segment,
             p.value_segment AS f_value, x.value_segment AS t_value, p.napl AS f_napl, x.napl AS t_napl,
             p.nes AS f_nes, x.nes AS t_nes, p.tier AS f_tier, x.tier AS t_tier, p.dciu AS f_dciu, x.dciu AS t_dciu,
             sum(x.sign) AS members, sum(x.revenue) AS revenue
        FROM (SELECT member_id, -1 AS sign, was AS t_present, o_segment AS segment, o_value_segment AS value_segment,
                     o_napl AS napl, o_nes AS nes, o_tier AS tier, o_dciu AS dciu,
                     CASE WHEN was THEN -o_since_prev ELSE 0 END AS revenue
                FROM _rfm_changed
              UNION ALL
              SELECT member_id, 1, is_now, segment, value_segment, napl, nes, tier, dciu,
                     CASE WHEN is_now THEN since_prev ELSE 0 END
                FROM _rfm_changed) x
        LEFT JOIN %I.label_history p
          ON p.member_id = x.member_id AND $1 IS NOT NULL AND p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1)
       WHERE p.member_id IS NOT NULL OR x.t_present
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14$q$, s)
      USING prev_as_of;
    PERFORM rfm._plan(replaced);
  END IF;
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_trans ON COMMIT DROP AS
    SELECT dimension, from_label, to_label, sum(members)::bigint AS members, sum(revenue) AS revenue
      FROM (SELECT d.dimension, d.from_label, d.to_label, mv.members, mv.revenue
              FROM _rfm_moves mv,
                   LATERAL (VALUES ('segment', mv.f_segment, mv.t_segment), ('value_segment', mv.f_value, mv.t_value),
                                   ('napl', mv.f_napl::text, mv.t_napl::text), ('nes', mv.f_nes::text, mv.t_nes::text),
                                   ('tier', mv.f_tier, mv.t_tier), ('dciu', mv.f_dciu, mv.t_dciu)) v(dimension, f, t),
                   LATERAL (SELECT v.dimension, CASE WHEN mv.p_present THEN coalesce(v.f, '(none)') ELSE '(entered)' END,
                                   CASE WHEN mv.t_present THEN coalesce(v.t, '(none)') ELSE '(exited)' END) d(dimension, from_label, to_label)
             WHERE (v.dimension <> 'tier' OR $1 IS NOT NULL) AND (v.dimension <> 'dciu' OR $2)
            UNION ALL
            SELECT dimension, from_label, to_label, members, revenue FROM %1$I.transitions
             WHERE $3 AND refresh_id = $4) u
     GROUP BY 1, 2, 3 HAVING sum(members) <> 0$q$, s)
    USING tier_policy, ev.relation IS NOT NULL, last_as_of = as_of, last_ref.refresh_id;

  -- 8. history: a changed member's open row is closed at as_of, or replaced if it was opened at as_of (a refresh
  -- on the day of the last one replaces that refresh)
  PERFORM rfm._progress(name, format('recording %s label changes', changed));
  replaced := rfm._plan(CASE WHEN fast THEN index_joins ELSE '{}' END);
  IF as_of = last_as_of THEN
    EXECUTE format('DELETE FROM %1$I.cutpoints WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.transitions WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.dciu_lifts WHERE refresh_id IN (SELECT refresh_id FROM %1$I.refreshes WHERE as_of = $1);
                    DELETE FROM %1$I.refreshes WHERE as_of = $1', s) USING as_of;
    EXECUTE format('DELETE FROM %1$I.label_history h USING _rfm_changed c
                     WHERE c.changed AND c.was AND c.o_since = $1 AND h.member_id = c.member_id AND h.valid_from = $1', s)
      USING as_of;
  END IF;
  IF last_as_of IS NOT NULL THEN
    EXECUTE format('UPDATE %1$I.label_history h SET valid_to = $1 FROM _rfm_changed c
                     WHERE c.changed AND c.was AND c.o_since < $1 AND h.member_id = c.member_id AND h.valid_from = c.o_since', s)
      USING as_of;
  END IF;
  PERFORM rfm._plan(replaced);
  -- sorted by member id, so that index insertions are sequential; the first refresh (an empty history) loads
  -- it unsorted without indexes and builds them afterwards
  IF last_as_of IS NULL THEN
    EXECUTE format('ALTER TABLE %1$I.label_history DROP CONSTRAINT label_history_pkey;
                    DROP INDEX %1$I.label_history_valid_from_idx', s);
  END IF;
  EXECUTE format('INSERT INTO %1$I.label_history
                    SELECT member_id, $1, NULL, r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier
                      FROM _rfm_changed WHERE changed AND is_now %2$s', s,
                 CASE WHEN last_as_of IS NOT NULL THEN 'ORDER BY member_id' END) USING as_of;
  IF last_as_of IS NULL THEN
    EXECUTE format('ALTER TABLE %1$I.label_history ADD CONSTRAINT label_history_pkey PRIMARY KEY (member_id, valid_from);
                    CREATE INDEX label_history_valid_from_idx ON %1$I.label_history (valid_from)', s);
  END IF;

  -- 9. label_totals (the members and sums per label combination: the old part of the rows that differ taken
  -- out, their new part put in) and label_state: rows whose state is gone deleted, rows that differ updated
  -- (`since`, the start of their history row, is as_of if a label changed), new rows inserted
  PERFORM rfm._progress(name, 'writing labels');
  EXECUTE format($q$
    CREATE TEMP TABLE _rfm_totals ON COMMIT DROP AS
    SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, sum(members)::bigint AS members,
           sum(sum_day) AS sum_day, sum(sum_frequency) AS sum_frequency, sum(sum_monetary) AS sum_monetary
      FROM (SELECT * FROM %1$I.label_totals
            UNION ALL
            SELECT o_r_score, o_f_score, o_m_score, o_segment, o_value_segment, o_napl, o_nes, o_dciu, o_tier, -1,
                   -(o_last_day - DATE '2000-01-01'), -o_frequency, -o_monetary::numeric
              FROM _rfm_changed WHERE was
            UNION ALL
            SELECT r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier, 1,
                   last_day - DATE '2000-01-01', frequency, monetary::numeric
              FROM _rfm_changed WHERE is_now) u
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(members) <> 0;
    TRUNCATE %1$I.label_totals;
    INSERT INTO %1$I.label_totals SELECT * FROM _rfm_totals$q$, s);
  DROP TABLE _rfm_totals;
  -- label_state: when most of it is written (a new model, lifetime values that move for everyone) it is
  -- rewritten as a bulk load, its indexes built afterwards; otherwise row by row
  SELECT count(*) FILTER (WHERE c.has_state) > 0.25 * greatest(members, last_ref.members, 1) INTO bulk
    FROM _rfm_changed c;
  IF bulk THEN
    -- the rows that differ, and (unless this is the model's first refresh, when label_state is empty) the
    -- rows kept, set aside before label_state is emptied; loaded in member order without any index, the key
    -- and the others built afterwards
    rows_sql := 'SELECT member_id, frequency, monetary, r_score, f_score, m_score, segment, value_segment, napl, nes,
                        dciu, tier, p_alive, expected_purchases, clv, last_day, days, gap, since_prev, recheck,
                        CASE WHEN NOT changed THEN o_since WHEN last_day IS NOT NULL THEN $1 END
                   FROM _rfm_changed WHERE has_state';
    IF last_as_of IS NOT NULL THEN
      EXECUTE format($q$
        CREATE TEMP TABLE _rfm_rows ON COMMIT DROP AS
        SELECT l.* FROM %1$I.label_state l WHERE NOT EXISTS (SELECT 1 FROM _rfm_changed c WHERE c.member_id = l.member_id)
        UNION ALL %2$s;
        TRUNCATE %1$I.label_state$q$, s, rows_sql)
        USING as_of;
      rows_sql := 'SELECT * FROM _rfm_rows';
    END IF;
    PERFORM rfm._label_state_indexes(s, false);
    EXECUTE format('ALTER TABLE %I.label_state DROP CONSTRAINT label_state_pkey', s);
    EXECUTE format('INSERT INTO %I.label_state %s ORDER BY member_id', s, rows_sql) USING as_of;
    EXECUTE format('ALTER TABLE %I.label_state ADD CONSTRAINT label_state_pkey PRIMARY KEY (member_id)', s);
    PERFORM rfm._label_state_indexes(s, true);
    IF to_regclass('pg_temp._rfm_rows') IS NOT NULL THEN
      DROP TABLE _rfm_rows;
    END IF;
  ELSE
    replaced := rfm._plan(CASE WHEN fast THEN index_joins ELSE '{}' END);
    EXECUTE format('DELETE FROM %I.label_state l USING _rfm_changed c WHERE c.member_id = l.member_id AND NOT c.has_state', s);
    EXECUTE format($q$
      UPDATE %1$I.label_state o SET
        frequency = n.frequency, monetary = n.monetary, r_score = n.r_score, f_score = n.f_score, m_score = n.m_score,
        segment = n.segment, value_segment = n.value_segment, napl = n.napl, nes = n.nes, dciu = n.dciu, tier = n.tier,
        p_alive = n.p_alive, expected_purchases = n.expected_purchases, clv = n.clv, last_day = n.last_day,
        days = n.days, gap = n.gap, since_prev = n.since_prev, recheck = n.recheck,
        since = CASE WHEN NOT n.changed THEN o.since WHEN n.last_day IS NOT NULL THEN $1 END
        FROM _rfm_changed n
       WHERE n.had_row AND n.has_state AND o.member_id = n.member_id;
      INSERT INTO %1$I.label_state
      SELECT member_id, frequency, monetary, r_score, f_score, m_score, segment, value_segment, napl, nes, dciu, tier,
             p_alive, expected_purchases, clv, last_day, days, gap, since_prev, recheck,
             CASE WHEN last_day IS NOT NULL THEN $1 END
        FROM _rfm_changed WHERE NOT had_row AND has_state ORDER BY member_id$q$, s)
      USING as_of;
    IF fast AND last_as_of < as_of THEN
      -- the spend since the previous refresh of the members not labelled here is nothing (found through the
      -- partial index label_state_spent. Each reset row is then a new row version with an entry in every index;
      -- a scan of label_state instead, with HOT updates, took 0.16 s against 0.33 s for 10,486 of 1M members and
      -- 0.60 s against 1.10 s for 35,517 of 3.55M, but it costs a scan of every member whatever the day's
      -- activity (0.25-0.29 s at 3.55M members), so it loses when fewer than ~0.35 % of the members spent since
      -- the refresh before, and the more so the more members a model has)
      EXECUTE format('UPDATE %I.label_state l SET since_prev = 0
                       WHERE l.since_prev <> 0 AND NOT EXISTS (SELECT 1 FROM _rfm_cand c WHERE c.member_id = l.member_id)', s);
    END IF;
    PERFORM rfm._plan(replaced);
  END IF;

  -- 10. the refresh, its KPIs (from the NAPL flow), cut points (members per score from label_totals), transitions
  EXECUTE format($q$
    INSERT INTO %1$I.refreshes (as_of, full_rebuild, started, finished, members, rebuilt, changed, fallback_cycle,
                                value_reference, revenue, active_rate, repurchase_rate, churn_rate, n_to_a_rate,
                                p_to_a_rate, top20_revenue_share, dciu_cuts, bgnbd, pnbd, gamma_gamma, params,
                                relabelled)
    SELECT $1, $2, $3, clock_timestamp(), $4, $5, $6, $7,
           jsonb_build_object('recency', $8, 'frequency', $9, 'monetary', $10),
           $11,
           coalesce(sum(members) FILTER (WHERE to_label IN ('N', 'A')), 0)
             / nullif(sum(members) FILTER (WHERE to_label <> '(exited)'), 0),
           coalesce(sum(members) FILTER (WHERE to_label IN ('A', 'P')), 0)
             / nullif(sum(members) FILTER (WHERE to_label <> '(exited)'), 0),
           coalesce(sum(members) FILTER (WHERE from_label IN ('N', 'A') AND to_label IN ('P', 'L', '(exited)')), 0)
             / nullif(sum(members) FILTER (WHERE from_label IN ('N', 'A')), 0),
           coalesce(sum(members) FILTER (WHERE from_label = 'N' AND to_label = 'A'), 0)
             / nullif(sum(members) FILTER (WHERE from_label = 'N'), 0),
           coalesce(sum(members) FILTER (WHERE from_label = 'P' AND to_label = 'A'), 0)
             / nullif(sum(members) FILTER (WHERE from_label = 'P'), 0),
           ($12 / nullif($13, 0))::float8,
           $14, $15, $16, $17, $18, $19
      FROM _rfm_trans WHERE dimension = 'napl'
    RETURNING refresh_id$q$, s)
    INTO rid
    USING as_of, rebuild_all, started, members, rebuilt, changed, fallback, ref_r, ref_f, ref_m, revenue, top20,
          sums.sum_m, dciu_cuts, fit_b, fit_p, fit_g, params, relabelled;
  EXECUTE format($q$
    INSERT INTO %1$I.cutpoints
    SELECT $1, d.dimension, d.breaks, array_agg(coalesce(x.n, 0) ORDER BY g.score)
      FROM (VALUES ('recency', $2::float8[]), ('frequency', $3), ('monetary', $4)) d(dimension, breaks)
      CROSS JOIN generate_series(1, $5) g(score)
      LEFT JOIN (SELECT CASE WHEN GROUPING(r_score) = 0 THEN 'recency' WHEN GROUPING(f_score) = 0 THEN 'frequency'
                             ELSE 'monetary' END AS dimension, coalesce(r_score, f_score, m_score) AS score,
                        sum(members) AS n
                   FROM %1$I.label_totals GROUP BY GROUPING SETS ((r_score), (f_score), (m_score))) x
        ON x.dimension = d.dimension AND x.score = g.score
     GROUP BY d.dimension, d.breaks$q$, s)
    USING rid, rb, fb, mb, bins;
  EXECUTE format('INSERT INTO %I.transitions SELECT $1, dimension, from_label, to_label, members, revenue
                    FROM _rfm_trans ORDER BY 2, 3, 4', s)
    USING rid;
  IF lift IS NOT NULL THEN
    EXECUTE format('INSERT INTO %I.dciu_lifts SELECT $1, l.* FROM unnest($2) l', s) USING rid, lift;
  END IF;

  -- 11. the tier watch list and the BI views
  PERFORM rfm._progress(name, 'refreshing the BI views');
  IF tier_policy IS NULL THEN
    -- (emptied once the policy is removed from the options)
    EXECUTE format('DELETE FROM %I.tier_watch', s);
  ELSIF NOT fast THEN
    EXECUTE format('TRUNCATE %1$I.tier_watch;
                    INSERT INTO %1$I.tier_watch
                    SELECT member_id, watch, (st).tier, (st).since, (st).next_review, (st).qualifying_spend,
                           (st).spend_to_keep, (st).next_tier, (st).spend_to_upgrade
                      FROM (SELECT member_id, tier_st AS st, rfm.tier_watch(tier_st, $1, $2, $3) AS watch
                              FROM _rfm_base WHERE (tier_st).tier IS NOT NULL) w
                     WHERE watch IS NOT NULL ORDER BY member_id', s)
      USING as_of, (rfm._option(m, 'tier_upgrade_gap') #>> '{}')::float8, (rfm._option(m, 'tier_risk_horizon') #>> '{}')::interval;
  END IF;
  EXECUTE format('REFRESH MATERIALIZED VIEW %1$I.segment_summary; REFRESH MATERIALIZED VIEW %1$I.lifecycle_summary;
                  REFRESH MATERIALIZED VIEW %1$I.flow; REFRESH MATERIALIZED VIEW %1$I.kpi;
                  REFRESH MATERIALIZED VIEW %1$I.dciu_lift; REFRESH MATERIALIZED VIEW %1$I.napl_dciu', s);
  DROP TABLE _rfm_base, _rfm_changed, _rfm_moves, _rfm_trans;
  -- (without a NOTICE for those this refresh did not make)
  FOR k IN SELECT t FROM unnest(ARRAY['_rfm_clv', '_rfm_old', '_rfm_cand', '_rfm_touched']) t
            WHERE to_regclass('pg_temp.' || t) IS NOT NULL LOOP
    EXECUTE format('DROP TABLE %I', k.t);
  END LOOP;
  elapsed := clock_timestamp() - started;
END $$;
COMMENT ON FUNCTION rfm.refresh(text, date, boolean) IS
  'Refresh a model as of a day: rebuild the touched members'' states (all with full, the members whose state differs then counting as touched), relabel the members whose labels can have changed (everyone when labels move with time or rank), record label changes, cut points and KPIs, refresh the BI views; one transaction';

CREATE FUNCTION rfm.migration(name text, from_date date, to_date date, dimension text DEFAULT 'segment')
  RETURNS TABLE (from_label text, to_label text, members bigint, share_of_from numeric, revenue double precision)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(name);
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
  RETURN QUERY EXECUTE format($q$
    SELECT coalesce(f.label, '(entered)'), coalesce(t.label, '(exited)'), count(*),
           round(count(*) / sum(count(*)) OVER (PARTITION BY coalesce(f.label, '(entered)')), 4),
           coalesce(sum(rfm.monetary(mm.purchases, $2, make_interval(days => $2 - $1))), 0)
      FROM (SELECT member_id, coalesce(%2$I::text, '(none)') AS label FROM rfm._labels_at($3, $1)) f
      FULL JOIN (SELECT member_id, coalesce(%2$I::text, '(none)') AS label FROM rfm._labels_at($3, $2)) t
        ON t.member_id = f.member_id
      LEFT JOIN %1$I.members mm ON mm.member_id::text = coalesce(t.member_id, f.member_id)
     GROUP BY 1, 2 ORDER BY 1, 2$q$, 'rfm_' || name, dimension)
    USING from_date, to_date, name;
END $$;
COMMENT ON FUNCTION rfm.migration(text, date, date, text) IS
  'Members moving between the labels of a dimension from one date to another (from label_history), with (entered) and (exited), share of the origin label, and net spend in between';
/*
 * src/scheduler/scheduler.sql
 * The scheduler: rfm.job (a refresh schedule per model), rfm.job_run (the
 * run history), rfm.schedule, rfm.unschedule, rfm.run_job and rfm.next_run.
 * The launcher and job workers (launcher.c, job.c) need rfm in
 * shared_preload_libraries; everything here works without it.
 *
 * Jobs run as the model's owner.  Both tables have row-level security: a
 * role sees and changes the rows of the roles it is a member of, and a job's
 * owner must be its model's owner, so no role can make a job run as another.
 */

CREATE FUNCTION rfm.next_run(schedule text, after timestamptz DEFAULT now()) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'rfm_next_run' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.next_run(text, timestamptz) IS
  'The first run of a schedule (cron expression, @daily etc., or interval) after a time; cron fields are read in the session TimeZone';

CREATE FUNCTION rfm._wake_scheduler() RETURNS void
  AS 'MODULE_PATHNAME', 'rfm_wake_scheduler' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION rfm._wake_scheduler() IS
  'Internal: wake the scheduler''s launcher when the current transaction commits';
REVOKE ALL ON FUNCTION rfm._wake_scheduler() FROM PUBLIC;

CREATE FUNCTION rfm._job_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'rfm_job_changed' LANGUAGE C;
COMMENT ON FUNCTION rfm._job_changed() IS
  'Internal: trigger of rfm.job that wakes the launcher when the change commits';
REVOKE ALL ON FUNCTION rfm._job_changed() FROM PUBLIC;

CREATE TABLE rfm.job (
  job_id bigserial PRIMARY KEY,
  model text NOT NULL UNIQUE REFERENCES rfm.model (name) ON DELETE CASCADE,
  schedule text NOT NULL CHECK (rfm.next_run(schedule, '2000-01-01 00:00+00') IS NOT NULL),
  owner regrole NOT NULL,
  active boolean NOT NULL DEFAULT true,
  next_run timestamptz,
  created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rfm.job IS 'Scheduled refreshes: one job per model, run by the scheduler as the model''s owner';
COMMENT ON COLUMN rfm.job.schedule IS 'Cron expression (minute hour day-of-month month day-of-week, server TimeZone), @hourly/@daily/@weekly/@monthly/@yearly, or an interval';
COMMENT ON COLUMN rfm.job.owner IS 'The role the job runs as: the model''s owner';
COMMENT ON COLUMN rfm.job.active IS 'false: the launcher skips the job (UPDATE rfm.job SET active = false)';
COMMENT ON COLUMN rfm.job.next_run IS 'When the job runs next; NULL until the launcher has computed it';
ALTER TABLE rfm.job ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_owner ON rfm.job
  USING (pg_catalog.pg_has_role(owner, 'USAGE'))
  WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE')
              AND EXISTS (SELECT FROM rfm.model m WHERE m.name = job.model AND m.owner = job.owner));
GRANT SELECT, INSERT, UPDATE, DELETE ON rfm.job TO PUBLIC;
COMMENT ON SEQUENCE rfm.job_job_id_seq IS 'Job ids of rfm.job';
GRANT USAGE ON SEQUENCE rfm.job_job_id_seq TO PUBLIC;
CREATE TRIGGER job_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rfm.job
  FOR EACH STATEMENT EXECUTE FUNCTION rfm._job_changed();
SELECT pg_catalog.pg_extension_config_dump('rfm.job', '');
SELECT pg_catalog.pg_extension_config_dump('rfm.job_job_id_seq', '');

CREATE TABLE rfm.job_run (
  run_id bigserial PRIMARY KEY,
  job_id bigint REFERENCES rfm.job ON DELETE SET NULL,
  model text NOT NULL,
  owner regrole NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'crashed')),
  pid integer,
  scheduled timestamptz,
  started timestamptz NOT NULL DEFAULT now(),
  ended timestamptz,
  message text,
  members bigint,
  rebuilt bigint,
  changed bigint,
  elapsed interval
);
CREATE INDEX job_run_job_started ON rfm.job_run (job_id, started);
CREATE INDEX job_run_running ON rfm.job_run (model) WHERE status = 'running';
CREATE INDEX job_run_ended ON rfm.job_run (ended);
COMMENT ON TABLE rfm.job_run IS 'Runs of scheduled refreshes: running, succeeded, failed (with the error) or crashed, with the refresh''s counts; kept for rfm.history_retention';
COMMENT ON COLUMN rfm.job_run.status IS 'running, succeeded, failed (message is the error) or crashed (the worker or the server stopped during the run)';
COMMENT ON COLUMN rfm.job_run.scheduled IS 'The time the run was due (NULL for rfm.run_job); started - scheduled is how late it started';
COMMENT ON COLUMN rfm.job_run.pid IS 'Process id of the backend that ran the refresh';
COMMENT ON COLUMN rfm.job_run.elapsed IS 'Duration of the refresh as rfm.refresh reported it';
COMMENT ON INDEX rfm.job_run_job_started IS 'Runs of a job in time order';
COMMENT ON INDEX rfm.job_run_running IS 'Runs in progress, by model (the launcher never starts a second run of a model)';
COMMENT ON INDEX rfm.job_run_ended IS 'Finished runs by end time (history retention)';
ALTER TABLE rfm.job_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_run_owner ON rfm.job_run
  USING (pg_catalog.pg_has_role(owner, 'USAGE')) WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE'));
GRANT SELECT, INSERT, UPDATE ON rfm.job_run TO PUBLIC;
COMMENT ON SEQUENCE rfm.job_run_run_id_seq IS 'Run ids of rfm.job_run';
GRANT USAGE ON SEQUENCE rfm.job_run_run_id_seq TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('rfm.job_run', '');
SELECT pg_catalog.pg_extension_config_dump('rfm.job_run_run_id_seq', '');

-- The job row of an id, or an error.
CREATE FUNCTION rfm._job(id bigint) RETURNS rfm.job
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  j rfm.job;
BEGIN
  SELECT * INTO j FROM rfm.job WHERE job_id = id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'job % does not exist', id
      USING ERRCODE = 'undefined_object',
            HINT = coalesce('Jobs: ' || (SELECT string_agg(format('%s (model %s)', job_id, model), ', ' ORDER BY job_id) FROM rfm.job) || '.',
                            'Schedule a refresh with rfm.schedule(model, schedule).');
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION rfm._job(bigint) IS 'Internal: the job row of an id, or an error listing the jobs';

CREATE FUNCTION rfm.schedule(model text, schedule text) RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(model);
  id bigint;
BEGIN
  IF schedule IS NULL THEN
    RAISE EXCEPTION 'schedule must not be NULL'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'To stop scheduled refreshes use rfm.unschedule(model).';
  END IF;
  PERFORM rfm.next_run(schedule, now());
  IF NOT pg_has_role(m.owner, 'USAGE') THEN
    RAISE EXCEPTION 'permission denied to schedule model "%"', model
      USING ERRCODE = 'insufficient_privilege', HINT = format('Only its owner %s or a superuser can schedule it.', m.owner);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = m.source) THEN
    RAISE EXCEPTION 'the source table of model "%" was dropped', model
      USING ERRCODE = 'undefined_table', HINT = 'Drop the model with rfm.drop_model and create it again on the new table.';
  END IF;
  IF NOT has_table_privilege(m.owner, m.source, 'SELECT') THEN
    RAISE EXCEPTION 'role % has no SELECT privilege on %, the source of model "%"', m.owner, m.source, model
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('Scheduled refreshes read the source as the model''s owner: GRANT SELECT ON %s TO %s.', m.source, m.owner);
  END IF;
  IF NOT coalesce((SELECT rolcanlogin FROM pg_roles WHERE oid = m.owner), false) THEN
    RAISE EXCEPTION 'role % cannot log in', m.owner
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('The scheduler connects as the model''s owner: ALTER ROLE %s LOGIN, or refresh the model with rfm.refresh from your own job runner.', m.owner);
  END IF;
  INSERT INTO rfm.job AS j (model, schedule, owner) VALUES (model, schedule, m.owner)
    ON CONFLICT ON CONSTRAINT job_model_key
    DO UPDATE SET schedule = excluded.schedule, owner = excluded.owner, active = true, next_run = NULL
    RETURNING j.job_id INTO id;
  RETURN id;
END $$;
COMMENT ON FUNCTION rfm.schedule(text, text) IS
  'Refresh a model on a schedule (cron expression, @daily etc., or interval), as the model''s owner; replaces its previous schedule; returns the job id';

CREATE FUNCTION rfm.unschedule(model text) RETURNS boolean
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(model);
BEGIN
  IF NOT pg_has_role(m.owner, 'USAGE') THEN
    RAISE EXCEPTION 'permission denied to unschedule model "%"', model
      USING ERRCODE = 'insufficient_privilege', HINT = format('Only its owner %s or a superuser can unschedule it.', m.owner);
  END IF;
  DELETE FROM rfm.job j WHERE j.model = unschedule.model;
  RETURN FOUND;
END $$;
COMMENT ON FUNCTION rfm.unschedule(text) IS
  'Stop the scheduled refreshes of a model (its run history stays); false when it had no schedule';

-- Run a job's refresh and record the result on its "running" row, in the
-- caller's transaction: succeeded with the counts, or failed with the error
-- (the refresh rolled back).  A row no longer running is left alone.
CREATE FUNCTION rfm._execute_run(id bigint) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r rfm.job_run;
  res record;
  msg text;
BEGIN
  SELECT * INTO r FROM rfm.job_run WHERE run_id = id;
  IF NOT FOUND OR r.status <> 'running' THEN
    RETURN r.status;
  END IF;
  BEGIN
    SELECT * INTO res FROM rfm.refresh(r.model);
    UPDATE rfm.job_run
       SET status = 'succeeded', ended = clock_timestamp(), members = res.members, rebuilt = res.rebuilt,
           changed = res.changed, elapsed = res.elapsed
     WHERE run_id = id AND status = 'running';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'run % was marked crashed while it ran', id;
    END IF;
    RETURN 'succeeded';
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    UPDATE rfm.job_run SET status = 'failed', ended = clock_timestamp(), message = msg
     WHERE run_id = id AND status = 'running';
    RETURN 'failed';
  END;
END $$;
COMMENT ON FUNCTION rfm._execute_run(bigint) IS
  'Internal: refresh the model of a running job_run row and record succeeded or failed (used by job workers and rfm.run_job)';

CREATE FUNCTION rfm.run_job(job_id bigint) RETURNS rfm.job_run
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  j rfm.job := rfm._job(job_id);
  r rfm.job_run;
BEGIN
  INSERT INTO rfm.job_run (job_id, model, owner, pid) VALUES (j.job_id, j.model, j.owner, pg_backend_pid())
    RETURNING * INTO r;
  PERFORM rfm._execute_run(r.run_id);
  SELECT * INTO r FROM rfm.job_run WHERE run_id = r.run_id;
  RETURN r;
END $$;
COMMENT ON FUNCTION rfm.run_job(bigint) IS
  'Run a job now, in this session and transaction, with the caller''s rights; records and returns its job_run row (succeeded, or failed with the error)';

-- A launcher waiting for CREATE EXTENSION rfm starts at once.
SELECT rfm._wake_scheduler();
