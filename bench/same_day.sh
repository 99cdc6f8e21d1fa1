#!/bin/bash
# A second refresh on the same day (what every scheduled run after a day's first is): a model refreshed at
# the end of a month, then at the end of the next one (the first refresh of that day: it opens history rows
# for many members), then orders of TOUCH members dated that day and a second refresh of that day. Times the
# first and the second refresh of the day for each extension version given, alternating the versions on one
# cluster (A/B, RUNS rounds), and prints every time, the medians and the ratio second/first.
#
# The versions are installed with CREATE EXTENSION rfm VERSION '...' from the build installed on the server
# (older ones through 1.0 and the update chain): the refresh is PL/pgSQL, so this compares the refreshes of
# those versions on the same library.
#
# Usage: PGHOST=... PGPORT=... PGUSER=postgres bench/same_day.sh [VERSION...]   (default: 1.5 and 1.6)
# Environment: MEMBERS (160000: generator members; ~1.1 members per requested one), TOUCH (5000), RUNS (3),
#   OUT (bench/results/same_day-<date>.txt).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.5 1.6)
MEMBERS=${MEMBERS:-160000}
TOUCH=${TOUCH:-5000}
RUNS=${RUNS:-3}
OUT=${OUT:-$here/results/same_day-$(date +%F).txt}
db=rfm_same_day
psql_() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT" >&2; }

: >"$OUT"
log "same-day refresh benchmark: members ~$MEMBERS, touched $TOUCH, rounds $RUNS, versions ${versions[*]}"
if [ "$(psql_ -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
  psql_ -d postgres -c "CREATE DATABASE $db"
fi
if [ "$(psql_ -d $db -c "SELECT count(*) FROM pg_class WHERE relname = 'orders' AND relnamespace = 'public'::regnamespace")" = 0 ]; then
  log "generating the orders"
  csv=$(mktemp /tmp/rfm-same-day.XXXXXX.csv)
  /usr/bin/python3 "$here/gen_orders.py" --members "$MEMBERS" --target-orders $((MEMBERS * 3)) --seed 7 >"$csv"
  psql_ -d $db -c "CREATE TABLE orders (member_id bigint, ordered_at timestamptz, amount numeric(12,2))"
  psql_ -d $db -c "\\copy orders FROM '$csv' WITH (FORMAT csv)"
  rm -f "$csv"
  psql_ -d $db -c "CREATE INDEX ON orders (member_id)" -c "VACUUM ANALYZE orders"
fi
log "orders: $(psql_ -d $db -c "SELECT count(*) || ' orders, ' || count(DISTINCT member_id) || ' members, ' || min(ordered_at)::date || ' .. ' || max(ordered_at)::date FROM orders")"

# month ends of the data: the model is refreshed at the second-to-last but two, the first refresh of the day is
# a month later; the touched members' orders are dated that day
read -r d1 d2 < <(psql_ -d $db -F ' ' -c "SELECT (date_trunc('month', max(ordered_at)) - interval '2 months' - interval '1 day')::date,
                                                 (date_trunc('month', max(ordered_at)) - interval '1 month' - interval '1 day')::date FROM orders")
log "first refresh at $d1, the day's first and second refreshes at $d2"

declare -A first second
for round in $(seq 1 "$RUNS"); do
  for v in "${versions[@]}"; do
    out=$(psql_ -d $db -F ' ' <<SQL
SET client_min_messages = warning; SET jit = off; SET TimeZone = 'UTC';
DROP EXTENSION IF EXISTS rfm CASCADE;
DROP SCHEMA IF EXISTS rfm_sd CASCADE;
DELETE FROM orders WHERE ordered_at::time = '23:59:59.654321';
CREATE EXTENSION rfm VERSION '$v';
SELECT rfm.create_model('sd', 'orders') \\g /dev/null
SELECT 1 FROM rfm.refresh('sd', '$d1') \\g /dev/null
VACUUM ANALYZE rfm_sd.label_history;
SELECT 'first', extract(epoch FROM elapsed), changed FROM rfm.refresh('sd', '$d2');
INSERT INTO orders SELECT member_id, (DATE '$d2' + TIME '23:59:59.654321') AT TIME ZONE 'UTC', 20
  FROM (SELECT member_id FROM (SELECT DISTINCT member_id FROM orders) d ORDER BY hashint8(member_id) LIMIT $TOUCH) m;
SELECT 'second', extract(epoch FROM elapsed), changed FROM rfm.refresh('sd', '$d2');
SELECT 'opened', count(*), 0 FROM rfm_sd.label_history WHERE valid_from = '$d2';
SQL
    )
    f=$(awk '$1 == "first" {print $2}' <<<"$out")
    s=$(awk '$1 == "second" {print $2}' <<<"$out")
    log "round $round, $v: first refresh of the day $f s ($(awk '$1 == "first" {print $3}' <<<"$out") changed), second $s s ($(awk '$1 == "second" {print $3}' <<<"$out") changed; $(awk '$1 == "opened" {print $2}' <<<"$out") history rows opened that day)"
    first[$v]+="$f "
    second[$v]+="$s "
  done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for v in "${versions[@]}"; do
  mf=$(median <<<"${first[$v]}")
  ms=$(median <<<"${second[$v]}")
  log "$v: median first $mf s, second $ms s, second/first $(awk -v a="$ms" -v b="$mf" 'BEGIN {printf "%.2f", a / b}')"
done
psql_ -d $db -c "SET client_min_messages = warning; DROP EXTENSION rfm CASCADE; DROP SCHEMA IF EXISTS rfm_sd CASCADE;
                 DELETE FROM orders WHERE ordered_at::time = '23:59:59.654321'"
