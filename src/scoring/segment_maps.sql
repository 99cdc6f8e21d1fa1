/*
 * src/scoring/segment_maps.sql
 * Built-in segment maps: rows of rfm.segment_rule (created in scoring.sql).
 * rfm.segment(r, f, m, map) returns the segment of the matching rule with the
 * lowest priority, or 'other' when no rule matches.  Ranges are inclusive,
 * scores 1..5 (5 = most recent / most frequent / highest spend).
 * Sources and every judgement call are in docs/segments.md.
 */

-- rfm10: the 10 segments of the R package rsquaredacademy/rfm (v0.3.0), as
-- its vignette, README and function examples define them.  The package gives
-- each customer the first rule that matches (rfm >= 0.2.2, issue #67), so
-- priority = the package's order.  10 of the 125 cells match no rule: 'other'.
INSERT INTO rfm.segment_rule (map, segment, priority, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
  ('rfm10', 'champions',           1, 5, 5, 5, 5, 5, 5),
  ('rfm10', 'potential_loyalist',  2, 3, 5, 3, 5, 2, 5),
  ('rfm10', 'loyal',               3, 2, 4, 2, 4, 2, 4),
  ('rfm10', 'promising',           4, 3, 4, 1, 3, 3, 5),
  ('rfm10', 'new_customers',       5, 4, 5, 1, 3, 1, 5),
  ('rfm10', 'cant_lose_them',      6, 1, 2, 3, 4, 4, 5),
  ('rfm10', 'at_risk',             7, 1, 2, 2, 5, 4, 5),
  ('rfm10', 'need_attention',      8, 1, 3, 3, 5, 3, 5),
  ('rfm10', 'about_to_sleep',      9, 2, 3, 1, 3, 1, 4),
  ('rfm10', 'lost',               10, 1, 1, 1, 5, 1, 5);

-- rfm10_legacy: the older rsquaredacademy/rfm map (README and examples up to
-- v0.2.x, still in the package's tests/testthat/test-rfm-segment.R).  Under
-- first-match it never yields new_customers, promising or cant_lose_them
-- (earlier, wider rules cover them) and leaves 36 cells 'other'; shipped
-- only to reproduce results computed with that map.
INSERT INTO rfm.segment_rule (map, segment, priority, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
  ('rfm10_legacy', 'champions',           1, 4, 5, 4, 5, 4, 5),
  ('rfm10_legacy', 'loyal',               2, 2, 5, 3, 5, 3, 5),
  ('rfm10_legacy', 'potential_loyalist',  3, 3, 5, 1, 3, 1, 3),
  ('rfm10_legacy', 'new_customers',       4, 4, 5, 1, 1, 1, 1),
  ('rfm10_legacy', 'promising',           5, 3, 4, 1, 1, 1, 1),
  ('rfm10_legacy', 'need_attention',      6, 2, 3, 2, 3, 2, 3),
  ('rfm10_legacy', 'about_to_sleep',      7, 2, 3, 1, 2, 1, 2),
  ('rfm10_legacy', 'at_risk',             8, 1, 2, 2, 5, 2, 5),
  ('rfm10_legacy', 'cant_lose_them',      9, 1, 1, 4, 5, 4, 5),
  ('rfm10_legacy', 'lost',               10, 1, 2, 1, 2, 1, 2);

-- rfm11: the widely copied 11-segment map that lists every RFM code.  One rule
-- per cell (r_min = r_max, ...), so all 125 cells are covered exactly once and
-- priority never decides anything; it only has to be unique per map.
-- Cells marked D1..D3 are where the public copies disagree or leave a cell
-- out; docs/segments.md gives each decision and its reason.
INSERT INTO rfm.segment_rule (map, segment, priority, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
  -- champions: 7 cells
  ('rfm11', 'champions', 1, 5, 5, 5, 5, 5, 5),        -- 555
  ('rfm11', 'champions', 2, 5, 5, 5, 5, 4, 4),        -- 554
  ('rfm11', 'champions', 3, 5, 5, 4, 4, 5, 5),        -- 545
  ('rfm11', 'champions', 4, 5, 5, 4, 4, 4, 4),        -- 544
  ('rfm11', 'champions', 5, 4, 4, 5, 5, 5, 5),        -- 455
  ('rfm11', 'champions', 6, 4, 4, 5, 5, 4, 4),        -- 454
  ('rfm11', 'champions', 7, 4, 4, 4, 4, 5, 5),        -- 445
  -- loyal: 8 cells
  ('rfm11', 'loyal', 8, 5, 5, 4, 4, 3, 3),            -- 543
  ('rfm11', 'loyal', 9, 4, 4, 4, 4, 4, 4),            -- 444
  ('rfm11', 'loyal', 10, 4, 4, 3, 3, 5, 5),           -- 435
  ('rfm11', 'loyal', 11, 3, 3, 5, 5, 5, 5),           -- 355
  ('rfm11', 'loyal', 12, 3, 3, 5, 5, 4, 4),           -- 354
  ('rfm11', 'loyal', 13, 3, 3, 4, 4, 5, 5),           -- 345
  ('rfm11', 'loyal', 14, 3, 3, 4, 4, 4, 4),           -- 344
  ('rfm11', 'loyal', 15, 3, 3, 3, 3, 5, 5),           -- 335
  -- potential_loyalist: 24 cells
  ('rfm11', 'potential_loyalist', 16, 5, 5, 5, 5, 3, 3),  -- 553
  ('rfm11', 'potential_loyalist', 17, 5, 5, 5, 5, 2, 2),  -- 552
  ('rfm11', 'potential_loyalist', 18, 5, 5, 5, 5, 1, 1),  -- 551
  ('rfm11', 'potential_loyalist', 19, 5, 5, 4, 4, 2, 2),  -- 542
  ('rfm11', 'potential_loyalist', 20, 5, 5, 4, 4, 1, 1),  -- 541
  ('rfm11', 'potential_loyalist', 21, 5, 5, 3, 3, 3, 3),  -- 533
  ('rfm11', 'potential_loyalist', 22, 5, 5, 3, 3, 2, 2),  -- 532
  ('rfm11', 'potential_loyalist', 23, 5, 5, 3, 3, 1, 1),  -- 531
  ('rfm11', 'potential_loyalist', 24, 4, 4, 5, 5, 3, 3),  -- 453
  ('rfm11', 'potential_loyalist', 25, 4, 4, 5, 5, 2, 2),  -- 452
  ('rfm11', 'potential_loyalist', 26, 4, 4, 5, 5, 1, 1),  -- 451
  ('rfm11', 'potential_loyalist', 27, 4, 4, 4, 4, 2, 2),  -- 442
  ('rfm11', 'potential_loyalist', 28, 4, 4, 4, 4, 1, 1),  -- 441
  ('rfm11', 'potential_loyalist', 29, 4, 4, 3, 3, 3, 3),  -- 433
  ('rfm11', 'potential_loyalist', 30, 4, 4, 3, 3, 2, 2),  -- 432
  ('rfm11', 'potential_loyalist', 31, 4, 4, 3, 3, 1, 1),  -- 431
  ('rfm11', 'potential_loyalist', 32, 4, 4, 2, 2, 3, 3),  -- 423
  ('rfm11', 'potential_loyalist', 33, 3, 3, 5, 5, 3, 3),  -- 353
  ('rfm11', 'potential_loyalist', 34, 3, 3, 5, 5, 2, 2),  -- 352
  ('rfm11', 'potential_loyalist', 35, 3, 3, 5, 5, 1, 1),  -- 351
  ('rfm11', 'potential_loyalist', 36, 3, 3, 4, 4, 2, 2),  -- 342
  ('rfm11', 'potential_loyalist', 37, 3, 3, 4, 4, 1, 1),  -- 341
  ('rfm11', 'potential_loyalist', 38, 3, 3, 3, 3, 3, 3),  -- 333
  ('rfm11', 'potential_loyalist', 39, 3, 3, 2, 2, 3, 3),  -- 323
  -- new_customers: 7 cells
  ('rfm11', 'new_customers', 40, 5, 5, 1, 1, 2, 2),   -- 512
  ('rfm11', 'new_customers', 41, 5, 5, 1, 1, 1, 1),   -- 511
  ('rfm11', 'new_customers', 42, 4, 4, 2, 2, 2, 2),   -- 422
  ('rfm11', 'new_customers', 43, 4, 4, 2, 2, 1, 1),   -- 421 (D1)
  ('rfm11', 'new_customers', 44, 4, 4, 1, 1, 2, 2),   -- 412 (D1)
  ('rfm11', 'new_customers', 45, 4, 4, 1, 1, 1, 1),   -- 411
  ('rfm11', 'new_customers', 46, 3, 3, 1, 1, 1, 1),   -- 311
  -- promising: 16 cells
  ('rfm11', 'promising', 47, 5, 5, 2, 2, 5, 5),       -- 525
  ('rfm11', 'promising', 48, 5, 5, 2, 2, 4, 4),       -- 524
  ('rfm11', 'promising', 49, 5, 5, 2, 2, 3, 3),       -- 523
  ('rfm11', 'promising', 50, 5, 5, 2, 2, 2, 2),       -- 522
  ('rfm11', 'promising', 51, 5, 5, 2, 2, 1, 1),       -- 521
  ('rfm11', 'promising', 52, 5, 5, 1, 1, 5, 5),       -- 515
  ('rfm11', 'promising', 53, 5, 5, 1, 1, 4, 4),       -- 514
  ('rfm11', 'promising', 54, 5, 5, 1, 1, 3, 3),       -- 513
  ('rfm11', 'promising', 55, 4, 4, 2, 2, 5, 5),       -- 425
  ('rfm11', 'promising', 56, 4, 4, 2, 2, 4, 4),       -- 424
  ('rfm11', 'promising', 57, 4, 4, 1, 1, 5, 5),       -- 415
  ('rfm11', 'promising', 58, 4, 4, 1, 1, 4, 4),       -- 414
  ('rfm11', 'promising', 59, 4, 4, 1, 1, 3, 3),       -- 413
  ('rfm11', 'promising', 60, 3, 3, 1, 1, 5, 5),       -- 315
  ('rfm11', 'promising', 61, 3, 3, 1, 1, 4, 4),       -- 314
  ('rfm11', 'promising', 62, 3, 3, 1, 1, 3, 3),       -- 313
  -- need_attention: 8 cells
  ('rfm11', 'need_attention', 63, 5, 5, 3, 3, 5, 5),  -- 535
  ('rfm11', 'need_attention', 64, 5, 5, 3, 3, 4, 4),  -- 534
  ('rfm11', 'need_attention', 65, 4, 4, 4, 4, 3, 3),  -- 443
  ('rfm11', 'need_attention', 66, 4, 4, 3, 3, 4, 4),  -- 434
  ('rfm11', 'need_attention', 67, 3, 3, 4, 4, 3, 3),  -- 343
  ('rfm11', 'need_attention', 68, 3, 3, 3, 3, 4, 4),  -- 334
  ('rfm11', 'need_attention', 69, 3, 3, 2, 2, 5, 5),  -- 325
  ('rfm11', 'need_attention', 70, 3, 3, 2, 2, 4, 4),  -- 324
  -- about_to_sleep: 8 cells
  ('rfm11', 'about_to_sleep', 71, 3, 3, 3, 3, 1, 1),  -- 331
  ('rfm11', 'about_to_sleep', 72, 3, 3, 2, 2, 1, 1),  -- 321
  ('rfm11', 'about_to_sleep', 73, 3, 3, 1, 1, 2, 2),  -- 312
  ('rfm11', 'about_to_sleep', 74, 2, 2, 5, 5, 1, 1),  -- 251 (D2)
  ('rfm11', 'about_to_sleep', 75, 2, 2, 4, 4, 1, 1),  -- 241 (D2)
  ('rfm11', 'about_to_sleep', 76, 2, 2, 3, 3, 1, 1),  -- 231 (D2)
  ('rfm11', 'about_to_sleep', 77, 2, 2, 2, 2, 1, 1),  -- 221
  ('rfm11', 'about_to_sleep', 78, 2, 2, 1, 1, 3, 3),  -- 213
  -- at_risk: 22 cells
  ('rfm11', 'at_risk', 79, 2, 2, 5, 5, 5, 5),         -- 255
  ('rfm11', 'at_risk', 80, 2, 2, 5, 5, 4, 4),         -- 254
  ('rfm11', 'at_risk', 81, 2, 2, 5, 5, 3, 3),         -- 253
  ('rfm11', 'at_risk', 82, 2, 2, 5, 5, 2, 2),         -- 252
  ('rfm11', 'at_risk', 83, 2, 2, 4, 4, 5, 5),         -- 245
  ('rfm11', 'at_risk', 84, 2, 2, 4, 4, 4, 4),         -- 244
  ('rfm11', 'at_risk', 85, 2, 2, 4, 4, 3, 3),         -- 243
  ('rfm11', 'at_risk', 86, 2, 2, 4, 4, 2, 2),         -- 242
  ('rfm11', 'at_risk', 87, 2, 2, 3, 3, 5, 5),         -- 235
  ('rfm11', 'at_risk', 88, 2, 2, 3, 3, 4, 4),         -- 234
  ('rfm11', 'at_risk', 89, 2, 2, 2, 2, 5, 5),         -- 225
  ('rfm11', 'at_risk', 90, 2, 2, 2, 2, 4, 4),         -- 224
  ('rfm11', 'at_risk', 91, 1, 1, 5, 5, 3, 3),         -- 153
  ('rfm11', 'at_risk', 92, 1, 1, 5, 5, 2, 2),         -- 152
  ('rfm11', 'at_risk', 93, 1, 1, 4, 4, 5, 5),         -- 145
  ('rfm11', 'at_risk', 94, 1, 1, 4, 4, 3, 3),         -- 143
  ('rfm11', 'at_risk', 95, 1, 1, 4, 4, 2, 2),         -- 142
  ('rfm11', 'at_risk', 96, 1, 1, 3, 3, 5, 5),         -- 135
  ('rfm11', 'at_risk', 97, 1, 1, 3, 3, 4, 4),         -- 134
  ('rfm11', 'at_risk', 98, 1, 1, 3, 3, 3, 3),         -- 133
  ('rfm11', 'at_risk', 99, 1, 1, 2, 2, 5, 5),         -- 125 (D3)
  ('rfm11', 'at_risk', 100, 1, 1, 2, 2, 4, 4),        -- 124
  -- cant_lose_them: 8 cells
  ('rfm11', 'cant_lose_them', 101, 2, 2, 1, 1, 5, 5),  -- 215
  ('rfm11', 'cant_lose_them', 102, 2, 2, 1, 1, 4, 4),  -- 214
  ('rfm11', 'cant_lose_them', 103, 1, 1, 5, 5, 5, 5),  -- 155
  ('rfm11', 'cant_lose_them', 104, 1, 1, 5, 5, 4, 4),  -- 154
  ('rfm11', 'cant_lose_them', 105, 1, 1, 4, 4, 4, 4),  -- 144
  ('rfm11', 'cant_lose_them', 106, 1, 1, 1, 1, 5, 5),  -- 115
  ('rfm11', 'cant_lose_them', 107, 1, 1, 1, 1, 4, 4),  -- 114
  ('rfm11', 'cant_lose_them', 108, 1, 1, 1, 1, 3, 3),  -- 113
  -- hibernating: 11 cells
  ('rfm11', 'hibernating', 109, 3, 3, 3, 3, 2, 2),    -- 332
  ('rfm11', 'hibernating', 110, 3, 3, 2, 2, 2, 2),    -- 322
  ('rfm11', 'hibernating', 111, 2, 2, 3, 3, 3, 3),    -- 233
  ('rfm11', 'hibernating', 112, 2, 2, 3, 3, 2, 2),    -- 232
  ('rfm11', 'hibernating', 113, 2, 2, 2, 2, 3, 3),    -- 223
  ('rfm11', 'hibernating', 114, 2, 2, 2, 2, 2, 2),    -- 222
  ('rfm11', 'hibernating', 115, 2, 2, 1, 1, 2, 2),    -- 212
  ('rfm11', 'hibernating', 116, 2, 2, 1, 1, 1, 1),    -- 211
  ('rfm11', 'hibernating', 117, 1, 1, 3, 3, 2, 2),    -- 132
  ('rfm11', 'hibernating', 118, 1, 1, 2, 2, 3, 3),    -- 123
  ('rfm11', 'hibernating', 119, 1, 1, 2, 2, 2, 2),    -- 122
  -- lost: 6 cells
  ('rfm11', 'lost', 120, 1, 1, 5, 5, 1, 1),           -- 151
  ('rfm11', 'lost', 121, 1, 1, 4, 4, 1, 1),           -- 141
  ('rfm11', 'lost', 122, 1, 1, 3, 3, 1, 1),           -- 131
  ('rfm11', 'lost', 123, 1, 1, 2, 2, 1, 1),           -- 121
  ('rfm11', 'lost', 124, 1, 1, 1, 1, 2, 2),           -- 112
  ('rfm11', 'lost', 125, 1, 1, 1, 1, 1, 1);           -- 111
