/*
 * rfm: update from 1.3 to 1.4.
 * Assembled by the Makefile (UPDATE_1_4_PARTS): this head (what only an update does), then
 * src/model/model_1_4.sql (the catalog changes, also part of a fresh install) and
 * src/model/model_functions.sql with CREATE OR REPLACE, so that the functions of an updated
 * installation are those of a fresh one. test/upgrade checks that an updated catalog equals a fresh
 * install's.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.4'" to load this file. \quit

-- a refresh sets its planner settings through rfm._plan, which replaced this one
DROP FUNCTION rfm._index_joins(boolean, text, text);
