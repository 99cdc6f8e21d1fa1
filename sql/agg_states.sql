-- The states of rfm.breaks (rfm.breaks_state) and of the lifetime value fits (rfm.clv_state) are real types, so
-- that Citus splits the aggregates (partial aggregates on the workers, a combine on the coordinator): forced
-- parallel plans give the serial results exactly (text equality), states round-trip through their text form
-- exactly, states combined in any grouping give the result over all rows, and bad text is refused with a hint.
-- Uses clv_cdnow.cal (the CDNOW sample at 1997-09-30 in weeks) from clv_cdnow.
SET extra_float_digits = 3;
CREATE SCHEMA agg_states;
SET search_path = agg_states, public;
CREATE TABLE facts AS
  SELECT c.*, g AS copy, (c.x * 7 + c.t_x * 3 + g) AS v FROM clv_cdnow.cal c, generate_series(1, 4) g;
ANALYZE facts;
CREATE FUNCTION plan_has(query text, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ pattern THEN RETURN true; END IF;
  END LOOP;
  RETURN false;
END $$;
-- the aggregates over all rows, as text
CREATE VIEW results AS
  SELECT (SELECT rfm.breaks(v, 5) FROM facts)::text AS breaks,
         (SELECT rfm.breaks(monetary, 10) FROM facts)::text AS breaks_monetary,
         (SELECT rfm.bgnbd_fit(x, t_x, t) FROM facts)::text AS bgnbd,
         (SELECT rfm.pnbd_fit(x, t_x, t) FROM facts)::text AS pnbd,
         (SELECT rfm.gamma_gamma_fit(x, monetary) FROM facts)::text AS gamma_gamma;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial AS SELECT * FROM results;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT q, plan_has(q, 'Partial Aggregate') AS partial, plan_has(q, 'Finalize Aggregate') AS finalize
  FROM (VALUES ('SELECT rfm.breaks(v, 5) FROM facts'), ('SELECT rfm.bgnbd_fit(x, t_x, t) FROM facts'),
               ('SELECT rfm.gamma_gamma_fit(x, monetary) FROM facts')) v(q);
SELECT p.breaks = s.breaks AS breaks_same, p.breaks_monetary = s.breaks_monetary AS breaks_monetary_same,
       p.bgnbd = s.bgnbd AS bgnbd_same, p.pnbd = s.pnbd AS pnbd_same, p.gamma_gamma = s.gamma_gamma AS gg_same
  FROM results p, serial s;
SET max_parallel_workers_per_gather = 0;
-- the states themselves: aggregates without the final function, states per group combined by the combine
-- function (as Citus's coordinator does), and the final functions applied to a state read back from its text
CREATE AGGREGATE breaks_state(double precision, integer) (
  SFUNC = rfm.breaks_trans, STYPE = rfm.breaks_state, COMBINEFUNC = rfm.breaks_combine, PARALLEL = SAFE);
CREATE AGGREGATE breaks_merge(rfm.breaks_state) (SFUNC = rfm.breaks_combine, STYPE = rfm.breaks_state);
CREATE AGGREGATE btyd_state(double precision, double precision, double precision) (
  SFUNC = rfm.clv_btyd_trans, STYPE = rfm.clv_state, COMBINEFUNC = rfm.clv_combine, PARALLEL = SAFE);
CREATE AGGREGATE gg_state(double precision, double precision) (
  SFUNC = rfm.clv_gg_trans, STYPE = rfm.clv_state, COMBINEFUNC = rfm.clv_combine, PARALLEL = SAFE);
CREATE AGGREGATE clv_merge(rfm.clv_state) (SFUNC = rfm.clv_combine, STYPE = rfm.clv_state);
CREATE TABLE shard_states AS
  SELECT copy, breaks_state(v, 5) AS b, btyd_state(x, t_x, t) AS bg, gg_state(x, monetary) AS gg
    FROM facts GROUP BY copy;
-- text round trip: out -> in -> out is the same text
SELECT bool_and(b::text::rfm.breaks_state::text = b::text) AS breaks_text_same,
       bool_and(bg::text::rfm.clv_state::text = bg::text) AS btyd_text_same,
       bool_and(gg::text::rfm.clv_state::text = gg::text) AS gg_text_same,
       min(left(b::text, 7)) AS breaks_tag, min(left(bg::text, 4)) AS clv_tag
  FROM shard_states;
-- per-copy states read back from their text, combined: the results over all rows
SELECT rfm.breaks_final(breaks_merge(b::text::rfm.breaks_state))::text = s.breaks AS breaks_merged_same,
       rfm.bgnbd_final(clv_merge(bg::text::rfm.clv_state))::text = s.bgnbd AS bgnbd_merged_same,
       rfm.pnbd_final(clv_merge(bg::text::rfm.clv_state))::text = s.pnbd AS pnbd_merged_same,
       rfm.gamma_gamma_final(clv_merge(gg::text::rfm.clv_state))::text = s.gamma_gamma AS gg_merged_same
  FROM shard_states, serial s GROUP BY s.breaks, s.bgnbd, s.pnbd, s.gamma_gamma;
-- a whole state through its text form
SELECT rfm.breaks_final(b::text::rfm.breaks_state)::text = s.breaks AS breaks_state_text_same,
       rfm.bgnbd_final(bg::text::rfm.clv_state)::text = s.bgnbd AS bgnbd_state_text_same
  FROM (SELECT breaks_state(v, 5) b, btyd_state(x, t_x, t) bg FROM facts) st, serial s;
-- small states in full, and the empty and NULL cases
SELECT breaks_state(v, 4) FROM (VALUES (3.0::float8), (NULL), (1.0), (-0.5)) t(v);
SELECT breaks_state(v, 4) IS NULL AS no_values FROM (VALUES (NULL::float8)) t(v);
SELECT btyd_state(x, t_x, t) FROM (VALUES (2.0::float8, 1.5::float8, 3.0::float8), (0, 0, 3), (NULL, 1, 1)) t(x, t_x, t);
SELECT rfm.breaks_final('breaks:000000010000000400000000000000033ff0000000000000bfe00000000000004008000000000000');
-- bins differ between combined states
SELECT breaks_merge(s) FROM (VALUES ('breaks:000000010000000400000000000000013ff0000000000000'::rfm.breaks_state),
                                    ('breaks:000000010000000500000000000000013ff0000000000000')) t(s);
-- Gamma-Gamma and BG/NBD states do not combine
SELECT clv_merge(s) FROM (VALUES ('clv:000000010000000100000000000000000000000000000000000000000000000140000000000000003ff800000000000040080000000000003ff0000000000000'::rfm.clv_state),
                                 ('clv:0000000100000003000000000000000000000000000000000000000000000000'::rfm.clv_state)) t(s);
-- bad text: tag, odd length, not hex, version, counts, values
SELECT 'breaks'::rfm.breaks_state;
SELECT 'clv:00'::rfm.breaks_state;
SELECT 'breaks:0000000100000004000000000000000'::rfm.breaks_state;
SELECT 'breaks:00000001000000040000000000000000zz'::rfm.breaks_state;
SELECT 'breaks:000000020000000400000000000000013ff0000000000000'::rfm.breaks_state;
SELECT 'breaks:000000010000000400000000000000023ff0000000000000'::rfm.breaks_state;
SELECT 'breaks:000000010000000000000000000000013ff0000000000000'::rfm.breaks_state;
SELECT 'breaks:000000010000000400000000000000017ff8000000000000'::rfm.breaks_state;
SELECT 'breaks:00000001000000040000000000000000'::rfm.breaks_state AS empty_state_ok;
SELECT ''::rfm.clv_state;
SELECT 'clv:0000000200000001000000000000000000000000000000000000000000000000'::rfm.clv_state;
SELECT 'clv:0000000100000009000000000000000000000000000000000000000000000000'::rfm.clv_state;
SELECT 'clv:000000010000000100000000000000000000000000000000000000000000000240000000000000003ff800000000000040080000000000003ff0000000000000'::rfm.clv_state;
SELECT 'clv:00000001000000010000000000000000000000000000000000000000000000014000000000000000bff800000000000040080000000000003ff0000000000000'::rfm.clv_state;
SELECT 'clv:000000010000000100000000000000000000000000000000000000000000000140000000000000003ff800000000000040080000000000003fe0000000000000'::rfm.clv_state;
SELECT 'clv:00000001000000030000000000000000000000000000000000000000000000010000000000000000400000000000000000000000000000003ff0000000000000'::rfm.clv_state;
SELECT 'clv:00000001000000030000000000000000000000000000000000000000000000014000000000000000400000000000000000000000000000003ff0000000000000'::rfm.clv_state AS gamma_gamma_state_ok;
-- the support functions are refused outside an aggregate
SELECT rfm.breaks_trans(NULL, 1.0, 5);
SELECT rfm.clv_combine(NULL, NULL);
RESET ALL;
RESET search_path;
