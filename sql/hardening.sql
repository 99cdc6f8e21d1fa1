-- Findings of the fuzz harnesses (test/fuzz, docs/hardening.md) and the
-- bad-input audit: what purchases_io and purchases_bad_input do not cover yet.
-- Every bad input is an error with an SQLSTATE, never a crash or a wrong value.
SET search_path = public, rfm;
\set VERBOSITY default
\set SHOW_CONTEXT never
-- recv(bytes): the result of rfm.purchases' binary input on raw bytes, through a
-- binary COPY file, or the SQLSTATE and first line of its error
\getenv abs_builddir PG_ABS_BUILDDIR
\set bytesfile :abs_builddir '/results/hardening_bytes.bin'
SET rfm_test.bytesfile = :'bytesfile';
CREATE TABLE recv_one (p rfm.purchases);
CREATE FUNCTION recv(b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  f text := current_setting('rfm_test.bytesfile');
  r text;
BEGIN
  EXECUTE format('COPY (SELECT %L::bytea) TO %L WITH (FORMAT binary)', b, f);
  TRUNCATE recv_one;
  EXECUTE format('COPY recv_one FROM %L WITH (FORMAT binary)', f);
  SELECT p::text INTO r FROM recv_one;
  RETURN r;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || split_part(SQLERRM, E'\n', 1);
END $$;
-- one day in binary form: version 1, count 1, then day (days after 2000-01-01),
-- orders and spend, each as hex
CREATE FUNCTION one_day(day text, orders text, spend text) RETURNS bytea
  LANGUAGE sql AS $$ SELECT decode('0100000001' || day || orders || spend, 'hex') $$;

-- fuzz finding 1: a subnormal spend (0 < |spend| < 2.2e-308) is printed in a
-- form the text input refused, so such a value could not be dumped and
-- restored; it read back since.  Spend is now exact to 4 decimals: a subnormal
-- amount or version 1 spend is 0, as is 1e-400; overflow stays an error
SELECT p, p::text::rfm.purchases = p AS round_trip
  FROM (SELECT rfm.purchases_agg(d, a) p
          FROM (VALUES ('2024-01-01'::date, 5e-324::float8), ('2024-01-02', -2.5e-310)) v(d, a)) s;
SELECT '{2024-01-01:1:2.2250738585072014e-308,2024-01-02:1:1e-320}'::rfm.purchases;
SELECT recv(one_day('00000000', '00000001', '0000000000000001')) AS smallest_subnormal;
SELECT '{2024-01-01:1:1e-400}'::rfm.purchases;
SELECT '{2024-01-01:1:-1e309}'::rfm.purchases;
-- fuzz finding 2: a day near the int32 limits in binary input overflowed
-- while its year was computed for the message; now it is named as a day count
SELECT recv(one_day('7fffff00', '00000001', '4000000000000000')) AS day_near_max;
SELECT recv(one_day('80000001', '00000001', '4000000000000000')) AS day_near_min;
SELECT recv(one_day('80000000', '00000001', '4000000000000000')) AS minus_infinity;
SELECT recv(one_day('002c95d4', '00000001', '4000000000000000')) AS year_10000;
SELECT recv(one_day('fff4dbf8', '00000001', '4000000000000000')) AS year_0;

-- binary input: more bad bytes
SELECT recv('\x') AS no_bytes;
SELECT recv('\x01') AS version_only;
SELECT recv('\x0100') AS short_count;
SELECT recv('\x0100000000') AS no_days;
SELECT recv('\x017fffffff' || one_day('00000000', '00000001', '4000000000000000')) AS huge_count;
SELECT recv(substr(one_day('00000000', '00000001', '4000000000000000'), 1, 20)) AS cut_in_spend;
SELECT recv(one_day('00000000', '00000000', '4000000000000000')) AS no_orders_positive_spend;
SELECT recv(one_day('00000000', '00000001', '7ff0000000000000')) AS infinite_spend;
SELECT recv(one_day('00000000', '80000000', 'c000000000000000')) AS most_negative_orders;
SELECT recv(one_day('00000000', '7fffffff', '42d6bcc41e900000')) AS max_orders_max_amount;
SELECT recv(one_day('00000000', '7fffffff', '430c6bf526340000')) AS version_1_beyond_the_range;
-- -0 spend is stored as 0, so it equals the same history written with 0
SELECT recv(one_day('00000000', '00000001', '8000000000000000')) AS minus_zero;
SELECT p = '{2000-01-01:1:0}' AS equals_zero FROM recv_one;
-- days out of order and repeated among many
SELECT recv('\x0100000003' || substr(one_day('00000001', '00000001', '3ff0000000000000'), 6)
            || substr(one_day('00000003', '00000001', '3ff0000000000000'), 6)
            || substr(one_day('00000002', '00000001', '3ff0000000000000'), 6)) AS out_of_order;

-- text input: more malformed text
SELECT '{2024-01-05:+1:5}'::rfm.purchases;
SELECT '{2024-01-05:1:5,}'::rfm.purchases;
SELECT '{,}'::rfm.purchases;
SELECT '{2024-01-05 :1:5}'::rfm.purchases;
SELECT '{2024-01-05:1: 5}'::rfm.purchases AS space_before_spend;
SELECT '{2024-01-05:1:}'::rfm.purchases;
SELECT '{20240105:1:5}'::rfm.purchases;
SELECT '{2024-13-01:1:5}'::rfm.purchases;
SELECT '{2024-01-05:2147483648:5}'::rfm.purchases;
SELECT '{2024-01-05:2147483647:5}'::rfm.purchases AS max_orders;
SELECT '{2024-01-05:1:5}}'::rfm.purchases;
SELECT '{{2024-01-05:1:5}'::rfm.purchases;
SELECT ''::rfm.purchases;
SELECT '{2024-01-05:1:5é}'::rfm.purchases;
-- spend is read as an exact decimal: exponent forms too, hexadecimal (which
-- float8 reads, and spend did until it became exact) no longer
SELECT '{2024-01-06:1:1E2,2024-01-07:0:-.5}'::rfm.purchases AS float_forms;
SELECT '{2024-01-05:1:0x1p3}'::rfm.purchases AS hexadecimal;
-- 100,000 days (every day of 274 years) read back equal from text and binary
CREATE TABLE long_history AS
  SELECT rfm.purchases_agg(d, 1.5) AS p FROM generate_series(date '1800-01-01', date '2073-10-16', '1 day') d;
SELECT rfm.frequency(p, NULL) AS days, p::text::rfm.purchases = p AS text_round_trip,
       length(p::text) AS text_length FROM long_history;
SELECT recv(rfm.purchases_send(p)) = p::text AS binary_round_trip FROM long_history;

-- aggregates: -0 amounts, subnormal amounts and values at the limits
SELECT rfm.purchases_agg(d, a) = '{2024-01-01:1:0}' AS minus_zero_amount
  FROM (VALUES ('2024-01-01'::date, '-0'::float8)) v(d, a);
SELECT rfm.purchases_agg(d, a) AS minus_zero_numeric
  FROM (VALUES ('2024-01-01'::date, -0.000::numeric)) v(d, a);
SELECT rfm.purchases_agg(d, a) AS at_the_limits
  FROM (VALUES ('0001-01-01'::date, -1e14::numeric), ('9999-12-31', 1e14)) v(d, a);
SELECT rfm.purchases_union(p) IS NULL AS union_of_nulls FROM (VALUES (NULL::rfm.purchases)) v(p);
SELECT rfm.purchases_union(p) AS union_with_empty FROM (VALUES ('{}'::rfm.purchases), ('{2024-01-01:1:1}')) v(p);
-- breaks: bins NULL, too many bins, a NULL bins only after some rows
SELECT rfm.breaks(v, NULL) FROM (VALUES (1.0)) t(v);
SELECT rfm.breaks(v, 1001) FROM (VALUES (1.0)) t(v);
SELECT rfm.breaks(v, 1000) IS NOT NULL AS thousand_bins FROM (VALUES (1.0)) t(v);
SELECT rfm.breaks(v, b) FROM (VALUES (1.0, 5), (2.0, NULL)) t(v, b);
SELECT rfm.breaks(v, 3) AS subnormal_values FROM (VALUES (5e-324::float8), (-5e-324), (0), ('-0')) t(v);

-- schedules whose runs lie years apart (found by the cron fuzz target): when day of
-- month and day of week must both match, runs can be 11 or 40 years apart; rfm.next_run
-- looked 8 years ahead only, so it failed on them (and rfm.schedule refused them)
SET TimeZone = 'UTC';
SELECT s AS schedule, a AS after, to_char(rfm.next_run(s, a::timestamptz), 'Dy YYYY-MM-DD HH24:MI') AS next_run
  FROM (VALUES ('0 0 */31 2 1', '2000-01-01'), ('0 0 29 2 */7', '2004-03-01'),
               ('0 0 29 2 */7', '2088-03-01'), ('59 23 31 * *', '2024-02-01'),
               ('0 0 31 12 */7', '2024-01-01')) v(s, a);
RESET TimeZone;
