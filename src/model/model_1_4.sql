/*
 * src/model/model_1_4.sql
 * What rfm 1.4 changes in the models' catalog: nothing in their tables (their layout stays 3). Every
 * refresh feeds a member's orders to rfm.purchases_agg sorted by time and amount (a state is the same to
 * the bit whichever refresh rebuilt it); a full refresh of a model whose labels can be kept merges the
 * rebuilt states with those kept and relabels only the members whose state differs; a rebuild that
 * relabels everyone groups the sorted orders instead of hashing them and compares the new labels with
 * label_state by a merge in member order. Those are function bodies (and rfm._plan), which the update
 * script replaces (src/model/model_functions.sql). Part of a fresh install and of the update script from
 * 1.3 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.4 (older layouts are brought to 3 by the model''s next refresh)';
