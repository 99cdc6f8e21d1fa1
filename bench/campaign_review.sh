#!/bin/bash
# Campaign review at scale: MEMBERS members (default 1M) with ORDERS orders (default 10M) over a year, a model
# refreshed before the send day and after the window, every member assigned to one of three arms on the send day.
# Times rfm.campaign_review for the whole campaign and by value segment at assignment, against the plain-SQL
# equivalent (one row per member from the same join of assignments and orders, then GROUP BY arm with the same
# sums: members, responders, sum y, y², x, x², xy), alternating them on one cluster, RUNS rounds; prints every
# time, the medians and the ratios.
#
# Usage: PGHOST=... PGPORT=... PGUSER=postgres bench/campaign_review.sh
# Environment: MEMBERS (1000000), ORDERS (10000000), RUNS (3), OUT (bench/results/campaign_review-<date>.txt).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MEMBERS=${MEMBERS:-1000000}
ORDERS=${ORDERS:-10000000}
RUNS=${RUNS:-3}
OUT=${OUT:-$here/results/campaign_review-$(date +%F).txt}
db=rfm_campaign_bench
psql_() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT" >&2; }
# seconds a statement takes (wall clock, psql's \timing)
timed() { psql -X -v ON_ERROR_STOP=1 -q -d $db -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{printf "%.2f", $1 / 1000}'; }

: >"$OUT"
log "campaign review benchmark: $MEMBERS members, $ORDERS orders, $RUNS rounds"
if [ "$(psql_ -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
  psql_ -d postgres -c "CREATE DATABASE $db"
  log "generating the orders and the assignments"
  psql_ -d $db <<SQL
SET client_min_messages = warning;
CREATE EXTENSION rfm;
SELECT setseed(0.42);
CREATE TABLE orders (member_id bigint, ordered_at date, amount numeric(12,2));
INSERT INTO orders
SELECT 1 + (random() * ($MEMBERS - 1))::bigint, DATE '2024-01-01' + (random() * 364)::int, round((5 + random() * 200)::numeric, 2)
  FROM generate_series(1, $ORDERS);
CREATE INDEX ON orders (member_id);
CREATE TABLE assign AS
SELECT g AS member_id, (ARRAY['control', 'coupon', 'mail'])[1 + g % 3] AS arm, DATE '2024-10-01' AS assigned_at
  FROM generate_series(1, $MEMBERS) g;
VACUUM ANALYZE orders;
VACUUM ANALYZE assign;
SELECT rfm.create_model('bench', 'orders');
SELECT members FROM rfm.refresh('bench', '2024-09-30');
SELECT members FROM rfm.refresh('bench', '2024-10-31');
SELECT rfm.create_campaign('bench', 'bench', 'assign', options => '{"pre_period": "90 days"}');
SQL
fi
plain="SELECT arm, count(*), count(*) FILTER (WHERE responded), sum(y), sum(y * y), sum(x), sum(x * x), sum(x * y)
  FROM (SELECT a.member_id, a.arm,
               coalesce(sum(o.amount) FILTER (WHERE o.ordered_at::timestamptz >= a.assigned_at::timestamptz), 0) AS y,
               coalesce(sum(o.amount) FILTER (WHERE o.ordered_at::timestamptz < a.assigned_at::timestamptz), 0) AS x,
               coalesce(bool_or(o.ordered_at::timestamptz >= a.assigned_at::timestamptz AND o.amount >= 0), false) AS responded
          FROM assign a LEFT JOIN orders o
            ON o.member_id = a.member_id AND o.ordered_at::timestamptz >= a.assigned_at::timestamptz - interval '90 days'
           AND o.ordered_at::timestamptz < a.assigned_at::timestamptz + interval '14 days'
         GROUP BY a.member_id, a.arm) m
 GROUP BY arm"
whole="SELECT count(*) FROM rfm.campaign_review('bench')"
bysegment="SELECT count(*) FROM rfm.campaign_review('bench', 'value_segment')"
declare -a tp tw ts
for r in $(seq 1 "$RUNS"); do
  tp+=("$(timed "$plain")")
  tw+=("$(timed "$whole")")
  ts+=("$(timed "$bysegment")")
  log "round $r: plain SQL ${tp[-1]} s, campaign_review ${tw[-1]} s, by value segment ${ts[-1]} s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mp=$(median "${tp[@]}"); mw=$(median "${tw[@]}"); ms=$(median "${ts[@]}")
log "medians: plain SQL $mp s, campaign_review $mw s (ratio $(awk -v a="$mw" -v b="$mp" 'BEGIN {printf "%.2f", a / b}')), by value segment $ms s (ratio $(awk -v a="$ms" -v b="$mp" 'BEGIN {printf "%.2f", a / b}'))"
