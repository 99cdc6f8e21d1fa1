-- Text and binary form of rfm.purchases: round trips and strict validation.
SET extra_float_digits = 0;
-- the = and <> operators of rfm.purchases live in schema rfm
SET search_path = public, rfm;
-- round trip, independent of DateStyle and extra_float_digits
SET DateStyle = 'SQL, DMY';
SELECT '{2024-01-05:2:59.8, 2024-02-01:0:-10 ,2024-02-29:1:0.1}'::rfm.purchases AS p;
SELECT '  {  }  '::rfm.purchases AS empty;
SELECT p::text::rfm.purchases = p AS round_trip
  FROM (SELECT '{0001-01-01:1:0.30000000000000004,9999-12-31:3:1e15}'::rfm.purchases p) s;
SELECT '{0001-01-01:1:0.30000000000000004,9999-12-31:3:1e15}'::rfm.purchases;
RESET DateStyle;
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
  (4, '{1997-01-01:1:0.1,1997-01-02:2147483647:1e15}');
COPY io_src TO :'binfile' WITH (FORMAT binary);
CREATE TABLE io_dst (LIKE io_src);
COPY io_dst FROM :'binfile' WITH (FORMAT binary);
SELECT id, d.p = s.p AS same, d.p FROM io_dst d JOIN io_src s USING (id) ORDER BY id;
-- bad bytes are refused by the receive function: write raw bytea payloads
-- into a binary COPY file and read them back as rfm.purchases
CREATE TABLE io_bytes (id int, b bytea);
INSERT INTO io_bytes VALUES
  (1, '\x02'),                                        -- unknown version
  (2, '\x0100000001'::bytea),                                -- one day announced, no bytes
  (3, '\x01ffffffff'::bytea),                                -- negative count
  (4, '\x0100000002'::bytea || '\x0000000000000001' || '\x4000000000000000'
                     || '\x0000000000000001' || '\x4000000000000000'),  -- day repeated
  (5, '\x0100000001'::bytea || '\x00000000ffffffff' || '\x4000000000000000'),  -- negative orders
  (6, '\x0100000001'::bytea || '\x0000000000000001' || '\x7ff8000000000000'),  -- NaN spend
  (7, '\x0100000001'::bytea || '\x7fffffff00000001' || '\x4000000000000000'),  -- infinite day
  (8, '\x0100000001'::bytea || '\x0000000000000001' || '\x4000000000000000' || '\x00'), -- trailing byte
  (9, '\x0100000001'::bytea || '\x0000000000000001' || '\x4000000000000000');  -- valid: 2000-01-01, 1 order, 2.0
\set bytesfile :abs_builddir '/results/purchases_io_bytes.bin'
CREATE TABLE io_one (p rfm.purchases);
SET rfm_test.bytesfile = :'bytesfile';
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id FROM io_bytes ORDER BY id LOOP
    BEGIN
      EXECUTE format('COPY (SELECT b FROM io_bytes WHERE id = %s) TO %L WITH (FORMAT binary)',
                     r.id, current_setting('rfm_test.bytesfile'));
      EXECUTE format('COPY io_one FROM %L WITH (FORMAT binary)', current_setting('rfm_test.bytesfile'));
      RAISE NOTICE 'bytes %: accepted', r.id;
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'bytes %: % (%)', r.id, split_part(SQLERRM, E'\n', 1), SQLSTATE;
    END;
  END LOOP;
END $$;
SELECT p FROM io_one;
