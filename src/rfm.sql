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
