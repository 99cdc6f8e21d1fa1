/*
 * src/model/model_1_5.sql
 * What rfm 1.5 changes in the models' catalog: nothing in their tables (their layout stays 3). A refresh
 * analyzes only the columns of its temporary tables that its later joins and filters read (statistics of
 * all 40 columns of the changed rows took a tenth of an incremental refresh), and an incremental one writes
 * its changed rows in member order, the order in which label_state and label_history are then updated.
 * Those are function bodies, which the update script replaces (src/model/model_functions.sql). Part of a
 * fresh install and of the update script from 1.4 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.5 (older layouts are brought to 3 by the model''s next refresh)';
