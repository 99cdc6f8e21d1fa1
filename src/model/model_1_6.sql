/*
 * src/model/model_1_6.sql
 * What rfm 1.6 changes in the models' catalog: nothing in their tables (their layout stays 3). It runs on
 * PostgreSQL 15 to 18 and without preloading (the library, not the catalog, changed); in SQL, drop_model and
 * the events option look relations up in pg_class, since to_regclass of a bare number is no longer NULL from
 * PostgreSQL 16 on. Those are function bodies, which the update script replaces
 * (with every function of the install script: scripts/replayable.awk). Part of a fresh install and of the update script from 1.5 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.6 (older layouts are brought to 3 by the model''s next refresh)';
