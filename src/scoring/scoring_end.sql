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
