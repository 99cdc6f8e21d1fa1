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
COMMENT ON FUNCTION rfm.purchases_combine(internal, internal) IS 'Combine function of the purchases aggregates (parallel and partial aggregation)';
COMMENT ON FUNCTION rfm.purchases_serialize(internal) IS 'Serialize function of the purchases aggregates';
COMMENT ON FUNCTION rfm.purchases_deserialize(bytea, internal) IS 'Deserialize function of the purchases aggregates (validates the bytes)';
COMMENT ON FUNCTION rfm.purchases_final(internal) IS 'Final function of the purchases aggregates';

-- rfm.purchases_union's state is an rfm.purchases value (expanded while it grows: purchases_agg.c), so that Citus
-- splits it into partial aggregates on the workers and a combine on the coordinator; the aggregate itself is in
-- src/model/model_last.sql, after these functions (which an update replays after its catalog part)
CREATE FUNCTION rfm.purchases_union_trans(rfm.purchases, rfm.purchases) RETURNS rfm.purchases
  AS 'MODULE_PATHNAME', 'rfm_purchases_union_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm.purchases_union_final(rfm.purchases) RETURNS rfm.purchases
  AS 'MODULE_PATHNAME', 'rfm_purchases_union_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.purchases_union_trans(rfm.purchases, rfm.purchases) IS
  'Transition and combine function of rfm.purchases_union: the state with one more history (or state) merged in';
COMMENT ON FUNCTION rfm.purchases_union_final(rfm.purchases) IS
  'Final function of rfm.purchases_union: the state as a normalized rfm.purchases value';

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

COMMENT ON AGGREGATE rfm.purchases_agg(date, numeric) IS
  'Purchase history of the orders (amount >= 0) and refunds (amount < 0) aggregated; NULL rows ignored, empty input gives NULL';
COMMENT ON AGGREGATE rfm.purchases_agg(date, double precision) IS
  'Purchase history of the orders (amount >= 0) and refunds (amount < 0) aggregated; NULL rows ignored, empty input gives NULL';
COMMENT ON AGGREGATE rfm.purchases_agg(timestamptz, numeric) IS
  'Purchase history of the orders aggregated; order times become days in the session TimeZone';
COMMENT ON AGGREGATE rfm.purchases_agg(timestamptz, double precision) IS
  'Purchase history of the orders aggregated; order times become days in the session TimeZone';

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
