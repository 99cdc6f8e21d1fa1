/*
 * rfm: update from 1.4 to 1.5.
 * Assembled by the Makefile (UPDATE_1_5_PARTS): this head (what only an update does), then
 * src/model/model_1_5.sql (the catalog changes, also part of a fresh install) and
 * src/model/model_functions.sql with CREATE OR REPLACE, so that the functions of an updated
 * installation are those of a fresh one. test/upgrade checks that an updated catalog equals a fresh
 * install's, and that a model made by 1.4 ends with the indexes of one made by 1.5.
 */
\echo Use "ALTER EXTENSION rfm UPDATE TO '1.5'" to load this file. \quit

-- the models made by 1.2 to 1.4 lose the partial index on label_state (since_prev <> 0), which 1.5 no longer
-- makes or uses (rfm._label_state_indexes); models of an older layout do not have it yet
DO $$
DECLARE
  m record;
BEGIN
  FOR m IN SELECT name FROM rfm.model ORDER BY name LOOP
    IF to_regclass(format('%I.label_state_spent', 'rfm_' || m.name)) IS NOT NULL THEN
      EXECUTE format('DROP INDEX %I.label_state_spent', 'rfm_' || m.name);
    END IF;
  END LOOP;
END $$;
