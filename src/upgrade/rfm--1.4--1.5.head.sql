/*
 * rfm: update from 1.4 to 1.5.
 * Assembled by the Makefile (UPDATE_1_5_PARTS): this head (what only an update does: nothing in 1.5),
 * then src/model/model_1_5.sql (the catalog changes, also part of a fresh install) and
 * src/model/model_functions.sql with CREATE OR REPLACE, so that the functions of an updated
 * installation are those of a fresh one. test/upgrade checks that an updated catalog equals a fresh
 * install's.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.5'" to load this file. \quit
