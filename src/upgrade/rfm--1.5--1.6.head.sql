/*
 * rfm: update from 1.5 to 1.6.
 * Assembled by the Makefile (UPDATE_PARTS): this head (what only an update does: the functions dropped below),
 * then src/model/model_1_6.sql (the catalog changes, also part of a fresh install) and every
 * function of the install script's other fragments with CREATE OR REPLACE (scripts/replayable.awk),
 * so that the functions of an updated installation are those of a fresh one. test/upgrade checks that an updated catalog equals a fresh
 * install's.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.6'" to load this file. \quit

-- create_model makes the current layout directly (rfm._model_objects); the steps that bring an older model's
-- schema to it are named for the layouts they go between
DROP FUNCTION rfm._model_objects_1_1(text, text, text);
DROP FUNCTION rfm._model_objects_1_2(text, text);
-- the helpers of the cut points are told whether only some members are relabelled, instead of probing for a
-- temporary table of the refresh
DROP FUNCTION rfm._bucket_values(text, text);
DROP FUNCTION rfm._hist_nth(text, "char", bigint[]);
DROP FUNCTION rfm._hist_quantiles(text, "char", bigint, double precision[], date);
DROP FUNCTION rfm._hist_top(text, bigint);
