/*
 * src/model/model_1_7.sql
 * What rfm 1.7 changes in the catalog (tables, types, rows; functions are replaced by the update script
 * from every fragment, scripts/replayable.awk). Part of a fresh install and of the update script from 1.6 alike.
 *
 * The security model of docs/security.md: change capture through one trigger function of rfm's into one
 * queue (no trigger function of the model's owner, no cast of the member column), and models' layout 4
 * (no changes table in their schema). The row security and the grants of the catalog tables are in
 * model_last.sql, which every update runs again.
 */

COMMENT ON COLUMN rfm.model.layout IS
  'Version of the objects in the model''s schema: 1 = rfm 1.0, 2 = rfm 1.1, 3 = rfm 1.2 to 1.6, 4 = rfm 1.7 (older layouts are brought to 4 by the model''s next refresh; change capture by the update to 1.7)';
ALTER TABLE rfm.model ALTER COLUMN layout SET DEFAULT 4;

-- The members touched since each model's last refresh, written by rfm._capture_changes (the triggers on
-- models' sources and events) and taken by the model's owner at its next refresh.
CREATE TABLE rfm.change_queue (
  model text NOT NULL,
  member_id text NOT NULL
);
CREATE INDEX change_queue_model ON rfm.change_queue (model);
COMMENT ON TABLE rfm.change_queue IS
  'Members touched since the last refresh of each model, as text (filled by the capture triggers, taken by the model''s next refresh); a role sees the rows of its own models';
COMMENT ON COLUMN rfm.change_queue.model IS 'The model (rfm.model.name)';
COMMENT ON COLUMN rfm.change_queue.member_id IS 'A touched member''s id, as text (the member column is of a built-in type)';
COMMENT ON INDEX rfm.change_queue_model IS 'The changes of one model';
ALTER TABLE rfm.change_queue ENABLE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('rfm.change_queue', '');

-- the context of a refresh knows whether the lifetime value phase predicted (its phases no longer probe for
-- each other's temporary tables)
ALTER TYPE rfm._refresh ADD ATTRIBUTE clv_predicted boolean, ADD ATTRIBUTE clv_status text;

-- interval options are interval strings (a bare JSON number would be read as seconds), windows at least a day
UPDATE rfm.model_option SET description =
  'RFM window for frequency and monetary: an interval string of at least a day, such as "1 year" (not a bare number, which would be seconds); null = all history up to as_of'
 WHERE name = 'window';
UPDATE rfm.model_option SET description =
  'NAPL window: an interval string of at least a day, such as "3 months" or "90 days" (not a bare number, which would be seconds)'
 WHERE name = 'napl_window';

-- display names of the flow's (entered), (exited) and (none), for the chart views
-- (built-in rows, which pg_dump leaves out: the extension makes them)
INSERT INTO rfm.label (kind, code, locale, name, description, builtin) VALUES
  ('flow', '(entered)', 'en', 'Entered', 'A member new since the previous refresh', true),
  ('flow', '(exited)', 'en', 'Exited', 'A member gone since the previous refresh (no purchase history left)', true),
  ('flow', '(none)', 'en', 'None', 'A member without a label of this kind', true),
  ('flow', '(entered)', 'zh-TW', '新加入', '上次更新後新加入的會員', true),
  ('flow', '(exited)', 'zh-TW', '已離開', '上次更新後離開的會員（已無購買紀錄）', true),
  ('flow', '(none)', 'zh-TW', '無', '此類別沒有標籤的會員', true);
COMMENT ON COLUMN rfm.label.kind IS
  'segment, value_segment, napl, nes, dciu, or flow (the (entered), (exited) and (none) of flows), or a kind of your own';

-- one distinct display name per stage across kinds, in the words of each model's source (docs/labels.md): NAPL's
-- 新客 / 活躍客 / 潛力客 / 流失客 (91APP), NES's N bounded by the purchase cycle and so named apart from NAPL's N
UPDATE rfm.label SET name = 'Potential' WHERE builtin AND kind = 'napl' AND code = 'P' AND locale = 'en';
UPDATE rfm.label SET name = 'Lost (one-time buyer)' WHERE builtin AND kind = 'napl' AND code = 'L' AND locale = 'en';
UPDATE rfm.label SET name = '新客' WHERE builtin AND kind = 'napl' AND code = 'N' AND locale = 'zh-TW';
UPDATE rfm.label SET name = '潛力客', description = '有兩個以上購買日，但觀察期間內沒有購買：回購客暫時沉寂，仍有喚回潛力。'
 WHERE builtin AND kind = 'napl' AND code = 'P' AND locale = 'zh-TW';
UPDATE rfm.label SET name = 'New (within cycle)' WHERE builtin AND kind = 'nes' AND code = 'N' AND locale = 'en';
UPDATE rfm.label SET name = '週期內新客' WHERE builtin AND kind = 'nes' AND code = 'N' AND locale = 'zh-TW';
UPDATE rfm.label SET name = '主力客' WHERE builtin AND kind = 'nes' AND code = 'E0' AND locale = 'zh-TW';
COMMENT ON TYPE rfm.nes_stage IS
  'ORDERLY lifecycle against the member''s own purchase cycle: N new (within the cycle), E0 existing (core), S1 sleepy, S2 half-asleep, S3 asleep';
