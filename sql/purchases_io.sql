-- Text and binary form of rfm.purchases: round trips and strict validation.
SET extra_float_digits = 0;
-- the = and <> operators of rfm.purchases live in schema rfm
SET search_path = public, rfm;
-- round trip, independent of DateStyle and extra_float_digits
SET DateStyle = 'SQL, DMY';
SELECT '{2024-01-05:2:59.8, 2024-02-01:0:-10 ,2024-02-29:1:0.1}'::rfm.purchases AS p;
SELECT '  {  }  '::rfm.purchases AS empty;
SELECT p::text::rfm.purchases = p AS round_trip
  FROM (SELECT '{0001-01-01:1:0.30000000000000004,9999-12-31:3:1e14}'::rfm.purchases p) s;
SELECT '{0001-01-01:1:0.30000000000000004,9999-12-31:3:1e14}'::rfm.purchases;
RESET DateStyle;
-- spend is exact, to 4 decimals: printed without trailing zeros or exponent,
-- read digit by digit (no double in between); beyond 4 decimals rounded half
-- away from zero; exponent forms (version 1 printed 0.00001 as 1e-05) read exactly
SELECT '{2024-01-01:1:91.7300,2024-01-02:1:0.0001,2024-01-03:0:-10.00,2024-01-04:1:+7.5e1,2024-01-05:1:.5,2024-01-06:1:5.}'::rfm.purchases AS exact;
SELECT '{2024-01-01:1:0.00005,2024-01-02:0:-0.00005,2024-01-03:1:0.000049999,2024-01-04:1:1.23455,2024-01-05:1:91.72999999999999}'::rfm.purchases AS rounded;
SELECT '{2024-01-01:1:1.5e+14,2024-01-02:1:1e-05,2024-01-03:1:5e-05,2024-01-04:1:1.5E3,2024-01-05:1:0e999999999,2024-01-06:1:123e-2}'::rfm.purchases AS exponents;
-- the range: +-922,337,203,685,477.5807 per day; one unit more is an error
SELECT '{2024-01-01:1:922337203685477.5807,2024-01-02:0:-922337203685477.5807}'::rfm.purchases AS range_ends;
SELECT '{2024-01-01:1:922337203685477.5808}'::rfm.purchases;
SELECT '{2024-01-01:0:-922337203685477.58075}'::rfm.purchases;
SELECT '{2024-01-01:1:1e19}'::rfm.purchases;
-- text round trip of every kind of spend: out(in(out(p))) = out(p), in(out(p)) = p
SELECT setseed(0.75);
CREATE TABLE io_text AS
  SELECT rfm.purchases_agg(date '2024-01-01' + (i % 50), a) AS p
    FROM (SELECT i, CASE i % 5 WHEN 0 THEN round(((random() - 0.3) * 10 ^ (i % 14))::numeric, 4)
                               WHEN 1 THEN round(((random() - 0.3) * 100)::numeric, 2)
                               WHEN 2 THEN round(((random() - 0.3) * 10)::numeric, 8)
                               WHEN 3 THEN (i % 7) * 0.0001
                               ELSE -(i % 3) END AS a
            FROM generate_series(1, 5000) i) s
   GROUP BY i % 97;
SELECT count(*) AS histories, count(*) FILTER (WHERE p::text::rfm.purchases = p) AS text_round_trip,
       count(*) FILTER (WHERE p::text::rfm.purchases::text = p::text) AS same_text,
       count(*) FILTER (WHERE p::text ~ '[eE]|\.[0-9]*0[,}]|\.[0-9]{5}') AS noisy_text
  FROM io_text;
-- -0 is stored as 0, so equal histories are equal bytes
SELECT '{2024-01-01:1:-0}'::rfm.purchases = '{2024-01-01:1:0}'::rfm.purchases AS minus_zero_equal,
       '{2024-01-01:1:5}'::rfm.purchases <> '{2024-01-01:2:5}'::rfm.purchases AS orders_differ;
-- malformed text is an error that points at the problem
SELECT 'nonsense'::rfm.purchases;
SELECT '{2024-01-05:2:59.8'::rfm.purchases;
SELECT '{2024-1-05:2:59.8}'::rfm.purchases;
SELECT '{2023-02-29:1:5}'::rfm.purchases;
SELECT '{2024-01-05:-1:5}'::rfm.purchases;
SELECT '{2024-01-05:99999999999:5}'::rfm.purchases;
SELECT '{2024-01-05:1:abc}'::rfm.purchases;
SELECT '{2024-01-05:1:NaN}'::rfm.purchases;
SELECT '{2024-01-05:1:-Infinity}'::rfm.purchases;
SELECT '{2024-01-05:1:1e999}'::rfm.purchases;
SELECT '{2024-01-05:0:5}'::rfm.purchases;
SELECT '{2024-01-05:1:5,2024-01-05:1:5}'::rfm.purchases;
SELECT '{2024-01-05:1:5,2024-01-04:1:5}'::rfm.purchases;
SELECT '{2024-01-05:1:5} x'::rfm.purchases;
SELECT '{2024-01-05:1:5;2024-01-06:1:5}'::rfm.purchases;
SELECT '{0000-12-31:1:5}'::rfm.purchases;
-- binary: COPY BINARY out and back gives the same values
\getenv abs_builddir PG_ABS_BUILDDIR
\set binfile :abs_builddir '/results/purchases_io.bin'
CREATE TABLE io_src (id int, p rfm.purchases);
INSERT INTO io_src VALUES (1, '{2024-01-05:2:59.8,2024-02-01:0:-10}'), (2, '{}'), (3, NULL),
  (4, '{1997-01-01:1:0.1,1997-01-02:2147483647:922337203685477.5807}');
COPY io_src TO :'binfile' WITH (FORMAT binary);
CREATE TABLE io_dst (LIKE io_src);
COPY io_dst FROM :'binfile' WITH (FORMAT binary);
SELECT id, d.p = s.p AS same, d.p FROM io_dst d JOIN io_src s USING (id) ORDER BY id;
-- the binary form is version 2: a version byte, the day count, then per day
-- int32 day, int32 orders, int64 spend in units of 0.0001, big-endian
SELECT rfm.purchases_send('{2000-01-02:1:91.73,2000-01-03:0:-0.0001}') AS send;
-- bad bytes are refused by the receive function: write raw bytea payloads
-- into a binary COPY file and read them back as rfm.purchases; version 1
-- (float8 spend, written by rfm 1.6 and before) is read and converted
CREATE TABLE io_bytes (id int, b bytea);
INSERT INTO io_bytes VALUES
  (1, '\x03'),                                        -- unknown version
  (2, '\x0100000001'::bytea),                                -- one day announced, no bytes
  (3, '\x01ffffffff'::bytea),                                -- negative count
  (4, '\x0100000002'::bytea || '\x0000000000000001' || '\x4000000000000000'
                     || '\x0000000000000001' || '\x4000000000000000'),  -- day repeated
  (5, '\x0100000001'::bytea || '\x00000000ffffffff' || '\x4000000000000000'),  -- negative orders
  (6, '\x0100000001'::bytea || '\x0000000000000001' || '\x7ff8000000000000'),  -- NaN spend
  (7, '\x0100000001'::bytea || '\x7fffffff00000001' || '\x4000000000000000'),  -- infinite day
  (8, '\x0100000001'::bytea || '\x0000000000000001' || '\x4000000000000000' || '\x00'), -- trailing byte
  (9, '\x0100000001'::bytea || '\x0000000000000001' || '\x4000000000000000'),  -- valid: 2000-01-01, 1 order, 2.0
  (10, '\x0100000001'::bytea || '\x0000000000000001' || '\x4415af1d78b58c40'),  -- version 1, 1e20: beyond the range
  (11, '\x0200000001'::bytea || '\x0000000000000001' || '\x8000000000000000'),  -- version 2, spend -2^63
  (12, '\x0200000001'::bytea || '\x0000000000000000' || '\x0000000000000001'),  -- version 2, positive spend, no orders
  (13, '\x0200000001'::bytea || '\x0000000000000001' || '\x00000000'),          -- version 2, cut in the spend
  (14, '\x0200000001'::bytea || '\x0000000100000001' || '\x7fffffffffffffff');  -- valid: 2000-01-02, the largest spend
-- version 1 values (float8 spend, as rfm 1.6 and before stored and sent them)
-- are read and converted to version 2, each spend rounded to the nearest 0.0001:
-- the float noise 91.72999999999999 of a parallel sum reads back as 91.73
CREATE FUNCTION v1_bytes(n int, entries text) RETURNS bytea LANGUAGE sql AS $$
  SELECT decode('01' || lpad(to_hex(n), 8, '0') || entries, 'hex') $$;
INSERT INTO io_bytes VALUES
  -- 1997-01-01: 2 orders, 91.72999999999999; 1997-01-02: a refund of 10
  (15, v1_bytes(2, 'fffffbb9' || '00000002' || '4056eeb851eb851e' || 'fffffbba' || '00000000' || 'c024000000000000')),
  -- 0.30000000000000004, 1e15 (the old limit per order: beyond the range of version 2), -0
  (16, v1_bytes(1, 'fffffbb9' || '00000001' || '3fd3333333333334')),
  (17, v1_bytes(1, 'fffffbb9' || '00000001' || '430c6bf526340000')),
  (18, v1_bytes(1, 'fffffbb9' || '00000001' || '8000000000000000'));
\set bytesfile :abs_builddir '/results/purchases_io_bytes.bin'
CREATE TABLE io_one (id int, p rfm.purchases);
SET rfm_test.bytesfile = :'bytesfile';
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id FROM io_bytes ORDER BY id LOOP
    BEGIN
      EXECUTE format('COPY (SELECT b FROM io_bytes WHERE id = %s) TO %L WITH (FORMAT binary)',
                     r.id, current_setting('rfm_test.bytesfile'));
      EXECUTE format('COPY io_one (p) FROM %L WITH (FORMAT binary)', current_setting('rfm_test.bytesfile'));
      UPDATE io_one SET id = r.id WHERE id IS NULL;
      RAISE NOTICE 'bytes %: accepted', r.id;
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'bytes %: % (%)', r.id, split_part(SQLERRM, E'\n', 1), SQLSTATE;
    END;
  END LOOP;
END $$;
SELECT id, p, rfm.monetary(p, NULL) FROM io_one ORDER BY id;
SELECT p = '{1997-01-01:2:91.73,1997-01-02:0:-10}' AS equals_v2 FROM io_one WHERE id = 15;

-- what is stored is the converted value, sent as version 2
SELECT rfm.purchases_send(p) FROM io_one WHERE id = 15;
-- a version 1 value on disk (a table written by rfm 1.6): its bytes are
-- forged here with an identity function (byteasend returns a copy of its
-- argument) declared to return rfm.purchases; version 1 is the in-memory
-- layout, in the byte order of this machine (little-endian, as Debian's amd64
-- and arm64): version 1, flags 0, 2 days, padding, float8 spend[2], int32
-- day[2], int32 orders[2].  Reading it goes through the same conversion: it
-- prints as version 2 does, equals its version 2 form and hashes the same,
-- so grouping, joins and EXCEPT mix the two
CREATE FUNCTION forge_purchases(bytea) RETURNS rfm.purchases
  LANGUAGE internal IMMUTABLE STRICT AS 'byteasend';
CREATE TABLE io_disk (id int, p rfm.purchases);
INSERT INTO io_disk VALUES
  (1, '{1997-01-01:2:91.73,1997-01-02:0:-10}'),
  (2, forge_purchases(decode('01000000' || '02000000' || '00000000' || '1e85eb51b8ee5640' || '00000000000024c0'
                             || 'b9fbffff' || 'bafbffff' || '02000000' || '00000000', 'hex')));
SELECT id, p, rfm.monetary(p, NULL), (SELECT array_agg(spend) FROM rfm.entries(p)) AS spends,
       rfm.purchases_send(p) AS send
  FROM io_disk ORDER BY id;
SELECT a.p = b.p AS v1_equals_v2, rfm.purchases_hash(a.p) = rfm.purchases_hash(b.p) AS same_hash,
       (SELECT count(*) FROM (SELECT p FROM io_disk GROUP BY p) g) AS distinct_histories,
       (SELECT count(*) FROM (SELECT p FROM io_disk WHERE id = 1 EXCEPT SELECT p FROM io_disk WHERE id = 2) x) AS except_rows,
       (SELECT rfm.purchases_union(p) FROM io_disk) AS union_of_both
  FROM io_disk a, io_disk b WHERE a.id = 1 AND b.id = 2;
-- a version 1 value on disk with a spend beyond the range of version 2 is an
-- error when read (1e15 per day was possible in version 1)
SELECT forge_purchases(decode('01000000' || '01000000' || '00000000' || '00406b26f56b0c43' || 'b9fbffff' || '01000000', 'hex'))::text;
DROP FUNCTION forge_purchases(bytea);
