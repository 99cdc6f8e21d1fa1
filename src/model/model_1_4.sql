/*
 * src/model/model_1_4.sql
 * What rfm 1.4 changes in the models' catalog: nothing in their tables (their layout stays 3). A full
 * rebuild now groups the orders sorted by member, time and amount instead of hashing them (every refresh
 * feeds a member's orders to rfm.purchases_agg in that order, so a state is the same to the bit whichever
 * refresh rebuilt it), compares the new labels with label_state by a merge in member order, and reads the
 * cut points' buckets in one pass. Those are function bodies, which the update script replaces
 * (src/model/model_functions.sql). Part of a fresh install and of the update script from 1.3 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.4 (older layouts are brought to 3 by the model''s next refresh)';
