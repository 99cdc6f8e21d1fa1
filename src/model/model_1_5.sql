/*
 * src/model/model_1_5.sql
 * What rfm 1.5 changes in the models' catalog: nothing in their tables (their layout stays 3). A model's
 * label_state no longer has the partial index label_state_spent on the members whose spend since the
 * previous refresh is not 0: the refresh that sets that spend back to 0 finds them by a scan, and the
 * update of each is then HOT instead of a new row version with an entry in every index (the update script
 * drops the index from the models made before). A refresh analyzes only the columns of its temporary tables
 * that its joins and filters read, and writes its changed rows in member order. Those are function bodies,
 * which the update script replaces (src/model/model_functions.sql). Part of a fresh install and of the
 * update script from 1.4 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.5 (older layouts are brought to 3 by the model''s next refresh)';
