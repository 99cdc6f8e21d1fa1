/*
 * src/model/model_1_3.sql
 * What rfm 1.3 changes in the models' catalog: nothing in their tables (their layout stays 3). A refresh
 * now corrects label_totals and the flow by the rows that differ on every path, full ones included, and
 * reads cut points and references from hist; models converted from 1.1 get their label_totals at
 * conversion. Those are function bodies, which the update script replaces (src/model/model_functions.sql).
 * Part of a fresh install and of the update script from 1.2 alike.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 and 1.3 (older layouts are brought to 3 by the model''s next refresh)';
