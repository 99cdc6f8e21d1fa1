-- test/jdbc/setup.sql: a model with every option that adds BI objects or label columns on (events for DCIU,
-- a tier policy, lifetime value), refreshed twice so that flow, kpi and the DCIU lift have rows.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rfm;
CREATE TABLE orders (member_id bigint, ordered_at date, amount numeric(12,2));
INSERT INTO orders
SELECT m, DATE '2024-01-01' + (m * 7 + k * 29) % 200, 20 + (m * k) % 180
  FROM generate_series(1, 400) m, generate_series(0, m % 6) k;
CREATE INDEX ON orders (member_id);
CREATE TABLE web_events (member_id bigint, event text, occurred_at timestamptz);
INSERT INTO web_events
SELECT m, (ARRAY['view', 'cart_add', 'purchase'])[1 + (m + k) % 3], TIMESTAMPTZ '2024-06-01 10:00+00' + (m + k * 5) * interval '1 day'
  FROM generate_series(1, 500) m, generate_series(0, m % 4) k;
CREATE INDEX ON web_events (member_id);
SELECT rfm.create_model('bi', 'orders',
                        options => '{"events": {"relation": "web_events"}, "tier_policy": "example", "clv": true}');
SELECT members FROM rfm.refresh('bi', '2024-06-30');
SELECT members FROM rfm.refresh('bi', '2024-07-31');
