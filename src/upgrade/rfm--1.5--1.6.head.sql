/*
 * rfm: update from 1.5 to 1.6.
 * Assembled by the Makefile (UPDATE_1_6_PARTS): this head (what only an update does: nothing in 1.6),
 * then src/model/model_1_6.sql (the catalog changes, also part of a fresh install) and
 * src/model/model_functions.sql with CREATE OR REPLACE, so that the functions of an updated
 * installation are those of a fresh one. test/upgrade checks that an updated catalog equals a fresh
 * install's.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.6'" to load this file. \quit
