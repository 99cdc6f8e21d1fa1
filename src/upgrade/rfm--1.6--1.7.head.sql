/*
 * rfm: update from 1.6 to 1.7.
 * Assembled by the Makefile (UPDATE_PARTS): this head (what only an update does), then
 * src/model/model_1_7.sql (the catalog changes, also part of a fresh install) and every function
 * of the install script's other fragments with CREATE OR REPLACE (scripts/replayable.awk), so that the
 * functions of an updated installation are those of a fresh one. test/upgrade checks that an updated catalog equals a fresh
 * install's.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.7'" to load this file. \quit

-- functions whose signature changed (CREATE OR REPLACE would add them beside the old ones)
DROP FUNCTION rfm._capture(text, text, regclass, name, text, text, text, text[]);
DROP FUNCTION rfm.schedule(text, text);

-- rfm.purchases_union's state is an rfm.purchases value since 1.7 (Citus splits it): the aggregate of internal state
-- and its transition go; the new ones come with the replayed functions and src/model/model_last.sql
DROP AGGREGATE rfm.purchases_union(rfm.purchases);
DROP FUNCTION rfm.purchases_union_trans(internal, rfm.purchases);

-- rfm.breaks's state is an rfm.breaks_state since 1.7 (Citus splits it): the aggregate of internal state and its
-- support functions go; the new ones come with src/model/model_1_7.sql, the replayed functions and
-- src/model/model_last.sql
DROP AGGREGATE rfm.breaks(double precision, integer);
DROP FUNCTION rfm.breaks_trans(internal, double precision, integer);
DROP FUNCTION rfm.breaks_combine(internal, internal);
DROP FUNCTION rfm.breaks_serialize(internal);
DROP FUNCTION rfm.breaks_deserialize(bytea, internal);
DROP FUNCTION rfm.breaks_final(internal);

-- the lifetime value fits' state is an rfm.clv_state since 1.7 (Citus splits them), likewise
DROP AGGREGATE rfm.bgnbd_fit(double precision, double precision, double precision);
DROP AGGREGATE rfm.pnbd_fit(double precision, double precision, double precision);
DROP AGGREGATE rfm.gamma_gamma_fit(double precision, double precision);
DROP FUNCTION rfm.clv_btyd_trans(internal, double precision, double precision, double precision);
DROP FUNCTION rfm.clv_gg_trans(internal, double precision, double precision);
DROP FUNCTION rfm.clv_combine(internal, internal);
DROP FUNCTION rfm.clv_serialize(internal);
DROP FUNCTION rfm.clv_deserialize(bytea, internal);
DROP FUNCTION rfm.bgnbd_final(internal);
DROP FUNCTION rfm.pnbd_final(internal);
DROP FUNCTION rfm.gamma_gamma_final(internal);

-- rfm.intent_agg's and rfm.intent_union's state is an rfm.intent_state since 1.7 (Citus splits them), likewise
DROP AGGREGATE rfm.intent_agg(text, timestamptz);
DROP AGGREGATE rfm.intent_union(rfm.intent);
DROP FUNCTION rfm.intent_trans(internal, text, timestamptz);
DROP FUNCTION rfm.intent_union_trans(internal, rfm.intent);
DROP FUNCTION rfm.intent_combine(internal, internal);
DROP FUNCTION rfm.intent_serialize(internal);
DROP FUNCTION rfm.intent_deserialize(bytea, internal);
DROP FUNCTION rfm.intent_final(internal);
