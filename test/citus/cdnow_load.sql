-- test/citus/cdnow_load.sql, included by the Citus suite's scripts (\ir): CDNOW_master (psql variable cdnow, its
-- path) into a new plain table named by the psql variable into: member_id, ordered_at, amount, one row per line.
CREATE TEMP TABLE cdnow_lines (line text);
COPY cdnow_lines FROM :'cdnow';
CREATE TABLE :"into" AS
  SELECT f[1]::int AS member_id, to_date(f[2], 'YYYYMMDD') AS ordered_at, f[4]::numeric(12,2) AS amount
    FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') f FROM cdnow_lines) s
   WHERE f[1] <> 'customer_id';
DROP TABLE cdnow_lines;
