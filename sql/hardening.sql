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
-- restored; now it reads back (underflow to zero and overflow stay errors)
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

