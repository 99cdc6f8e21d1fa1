/*
 * rfm: update from 1.0 to 1.1.
 * Assembled by the Makefile (UPDATE_1_1_PARTS): this head, the parts that are
 * new in 1.1 as a fresh install runs them, src/model/model_1_1.sql (the
 * catalog changes, also part of a fresh install), and
 * src/model/model_functions.sql with CREATE OR REPLACE, so that the functions
 * of an updated installation are those of a fresh one. Models created by 1.0
 * are brought to the new layout by their next refresh (rfm._upgrade_model).
 * test/upgrade checks that an updated catalog equals a fresh install's.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.1'" to load this file. \quit

-- rfm._option (a SQL function with a standard body) depends on the row type of rfm.model, which
-- model_1_1.sql extends; it comes back with the other model functions below.
DROP FUNCTION rfm._option(rfm.model, text);

