-- Text and binary form of rfm.intent: round trips and strict validation.
SET extra_float_digits = 0;
\set VERBOSITY default
\set SHOW_CONTEXT never
-- round trip, whatever DateStyle and TimeZone say (hours are UTC)
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'America/New_York';
SELECT v::rfm.intent::text = v AS round_trip, v::rfm.intent
  FROM (VALUES ('{}'),
               ('{view:2024-01-05T10Z:3}'),
               ('{view:2024-01-05T10Z:3,view:2024-01-05T11Z:1,search:2024-01-05T10Z:2,favorite:2024-01-06T00Z:1,cart_add:2024-01-06T23Z:2,cart_remove:2024-01-07T01Z:1,checkout:2024-01-07T02Z:1,purchase:2024-01-07T02Z:1}'),
               ('{view:0001-01-01T00Z:1,view:1999-12-31T23Z:2147483647,purchase:9999-12-31T23Z:1}')) t(v);
-- spaces around entries are accepted; output is canonical
SELECT ' { view:2024-01-05T10Z:3 , cart_add:2024-01-05T10Z:1 } '::rfm.intent;
RESET DateStyle;
RESET TimeZone;
-- malformed text: each error points at the problem
SELECT 'view:2024-01-05T10Z:3'::rfm.intent;
SELECT '{pv:2024-01-05T10Z:3}'::rfm.intent;
SELECT '{View:2024-01-05T10Z:3}'::rfm.intent;
SELECT '{view 2024-01-05T10Z:3}'::rfm.intent;
SELECT '{view:2024-01-05 10:00:3}'::rfm.intent;
SELECT '{view:2024-01-05T24Z:3}'::rfm.intent;
SELECT '{view:2023-02-29T10Z:3}'::rfm.intent;
SELECT '{view:0000-12-31T23Z:3}'::rfm.intent;
SELECT '{view:2024-01-05T10Z}'::rfm.intent;
SELECT '{view:2024-01-05T10Z:0}'::rfm.intent;
SELECT '{view:2024-01-05T10Z:-1}'::rfm.intent;
SELECT '{view:2024-01-05T10Z:2147483648}'::rfm.intent;
SELECT '{view:2024-01-05T10Z:1,view:2024-01-05T10Z:1}'::rfm.intent;
SELECT '{view:2024-01-05T11Z:1,view:2024-01-05T10Z:1}'::rfm.intent;
SELECT '{purchase:2024-01-05T10Z:1,view:2024-01-05T11Z:1}'::rfm.intent;
SELECT '{view:2024-01-05T10Z:1;search:2024-01-05T10Z:1}'::rfm.intent;
SELECT '{view:2024-01-05T10Z:1} x'::rfm.intent;
SELECT '{view:2024-01-05T10Z:1,}'::rfm.intent;
-- equality and hashing: grouping and EXCEPT work
CREATE TABLE iio_v AS SELECT i FROM (VALUES ('{view:2024-01-05T10Z:1}'::rfm.intent), ('{view:2024-01-05T10Z:1}'), ('{view:2024-01-05T10Z:2}')) v(i);
SELECT (SELECT count(*) FROM (SELECT i FROM iio_v GROUP BY i) g) AS distinct_values,
       (SELECT count(*) FROM iio_v WHERE i OPERATOR(rfm.=) '{view:2024-01-05T10Z:1}') AS equal,
       (SELECT count(*) FROM (SELECT i FROM iio_v EXCEPT SELECT '{view:2024-01-05T10Z:1}'::rfm.intent) e) AS except_rows;
-- binary: COPY BINARY out and back gives the same values
\getenv abs_builddir PG_ABS_BUILDDIR
\set binfile :abs_builddir '/results/intent_io.bin'
CREATE TABLE iio_src (id int, i rfm.intent);
INSERT INTO iio_src VALUES (1, '{view:2024-01-05T10Z:3,cart_add:2024-01-05T10Z:1,purchase:2024-01-06T00Z:1}'),
  (2, '{}'), (3, NULL), (4, '{view:0001-01-01T00Z:1,checkout:9999-12-31T23Z:2147483647}');
COPY iio_src TO :'binfile' WITH (FORMAT binary);
CREATE TABLE iio_dst (LIKE iio_src);
COPY iio_dst FROM :'binfile' WITH (FORMAT binary);
SELECT id, d.i OPERATOR(rfm.=) s.i AS same, d.i FROM iio_dst d JOIN iio_src s USING (id) ORDER BY id;
SELECT rfm.intent_send('{view:2000-01-01T01Z:3,purchase:2000-01-01T02Z:1}');
-- bad bytes are refused by the receive function
CREATE TABLE iio_bytes (id int, b bytea);
INSERT INTO iio_bytes VALUES
  (1, '\x02'),                                                  -- unknown version
  (2, '\x0100000001'::bytea),                                   -- one entry announced, no bytes
  (3, '\x01ffffffff'::bytea),                                   -- negative count
  (4, '\x0100000001'::bytea || '\x07' || '\x00000001' || '\x00000001'),   -- kind 7
  (5, '\x0100000001'::bytea || '\x00' || '\x00000001' || '\x00000000'),   -- count 0
  (6, '\x0100000001'::bytea || '\x00' || '\x7fffffff' || '\x00000001'),   -- hour out of range
  (7, '\x0100000002'::bytea || '\x00' || '\x00000001' || '\x00000001'
                            || '\x00' || '\x00000001' || '\x00000001'),   -- hour repeated
  (8, '\x0100000002'::bytea || '\x03' || '\x00000001' || '\x00000001'
                            || '\x00' || '\x00000002' || '\x00000001'),   -- kinds out of order
  (9, '\x0100000001'::bytea || '\x00' || '\x00000001' || '\x00000001' || '\x00'),  -- trailing byte
  (10, '\x0100000002'::bytea || '\x00' || '\x00000001' || '\x00000003'
                             || '\x06' || '\x00000001' || '\x00000001');  -- valid
\set bytesfile :abs_builddir '/results/intent_io_bytes.bin'
CREATE TABLE iio_one (i rfm.intent);
SET rfm_test.bytesfile = :'bytesfile';
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id FROM iio_bytes ORDER BY id LOOP
    BEGIN
      EXECUTE format('COPY (SELECT b FROM iio_bytes WHERE id = %s) TO %L WITH (FORMAT binary)',
                     r.id, current_setting('rfm_test.bytesfile'));
      EXECUTE format('COPY iio_one FROM %L WITH (FORMAT binary)', current_setting('rfm_test.bytesfile'));
      RAISE NOTICE 'bytes %: accepted', r.id;
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'bytes %: % (%)', r.id, split_part(SQLERRM, E'\n', 1), SQLSTATE;
    END;
  END LOOP;
END $$;
SELECT i FROM iio_one;
