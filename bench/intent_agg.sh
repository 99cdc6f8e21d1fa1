#!/usr/bin/env bash
# Benchmark rfm.intent_agg against bare GROUP BY baselines on >= 20M synthetic events.
#
# Usage: bench/intent_agg.sh [OUTPUT.md]
#
# Needs: a running PostgreSQL 15 server reachable through the standard PG* environment variables,
# `CREATE EXTENSION rfm` working there. Everything is SQL (no Python).
#
# Data (bench.events, generated once per spec, recorded in the table comment), seeded with setseed(SEED):
#   SESSIONS sessions (default 2,000,000) of EVENTS_PER_SESSION events each (default 10, so 20M events);
#   session s starts at 2024-01-01 + s/SESSIONS * DAYS days (DAYS = 30), so the table is in time order
#   like an append-only event log; its member is floor(MEMBERS * u^2) for u uniform in [0, 1)
#   (MEMBERS = 1,000,000: a skewed activity, the low ids browse most); its events fall uniformly in the
#   30 minutes after the start, and each event's kind is drawn independently: view 80 %, search 8 %,
#   favorite 3 %, cart_add 5 %, cart_remove 1 %, checkout 1.5 %, purchase 1.5 %.
# Queries (each RUNS times, fresh EXPLAIN (ANALYZE, TIMING OFF) so no rows travel to the client):
#   intent   SELECT member, rfm.intent_agg(event, ts) FROM bench.events GROUP BY member
#   count    SELECT member, count(*) FROM bench.events GROUP BY member          (the bare baseline)
#   hourly   SELECT member, event, date_trunc('hour', ts), count(*) ... GROUP BY 1, 2, 3
#            (the plain-SQL equivalent of the state: one row per member, kind and hour)
# in serial (max_parallel_workers_per_gather = 0) and parallel (WORKERS, default 2) plans.
# Bytes per member: the average pg_column_size of the aggregated intents, and the size of a table
# holding one intent per member against the hourly count table.
#
# Knobs (environment): SEED (0.42), SESSIONS, EVENTS_PER_SESSION, MEMBERS, DAYS, RUNS (3), WORKERS (2),
# WORK_MEM (2GB), FORCE_RELOAD (0).
set -euo pipefail

out_md="${1:-}"
SEED="${SEED:-0.42}"
SESSIONS="${SESSIONS:-2000000}"
EVENTS_PER_SESSION="${EVENTS_PER_SESSION:-10}"
MEMBERS="${MEMBERS:-1000000}"
DAYS="${DAYS:-30}"
RUNS="${RUNS:-3}"
WORKERS="${WORKERS:-2}"
WORK_MEM="${WORK_MEM:-2GB}"
FORCE_RELOAD="${FORCE_RELOAD:-0}"

psql_() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

psql_ -c "CREATE EXTENSION IF NOT EXISTS rfm" -c "CREATE SCHEMA IF NOT EXISTS bench"
spec="intent events: seed $SEED, sessions $SESSIONS x $EVENTS_PER_SESSION events, members $MEMBERS, days $DAYS"
have="$(psql_ -c "SELECT coalesce(obj_description(to_regclass('bench.events'), 'pg_class'), '')")"
if [[ "$FORCE_RELOAD" != 1 && "$have" == "$spec" ]]; then
    log "bench.events already loaded: $spec"
else
    log "generating bench.events: $spec"
    t0=$(date +%s)
    psql_ <<SQL
DROP TABLE IF EXISTS bench.events;
CREATE TABLE bench.events (member int, event text, ts timestamptz);
SELECT setseed($SEED);
INSERT INTO bench.events
  SELECT s.member,
         CASE WHEN r < 0.80 THEN 'view' WHEN r < 0.88 THEN 'search' WHEN r < 0.91 THEN 'favorite'
              WHEN r < 0.96 THEN 'cart_add' WHEN r < 0.97 THEN 'cart_remove' WHEN r < 0.985 THEN 'checkout'
              ELSE 'purchase' END,
         s.start + random() * interval '30 minutes'
    FROM (SELECT floor($MEMBERS * random() ^ 2)::int AS member,
                 timestamptz '2024-01-01 00:00+00' + (g::float8 / $SESSIONS) * interval '$DAYS days' AS start
            FROM generate_series(0, $SESSIONS - 1) g) s,
         LATERAL (SELECT random() AS r FROM generate_series(1, $EVENTS_PER_SESSION) e WHERE s.member IS NOT NULL) k;
COMMENT ON TABLE bench.events IS '$spec';
VACUUM (ANALYZE) bench.events;
SQL
    log "loaded in $(( $(date +%s) - t0 )) s"
fi
profile="$(psql_ -F ' | ' -c "SELECT count(*), count(DISTINCT member), pg_size_pretty(pg_table_size('bench.events')),
                                    min(ts), max(ts) FROM bench.events")"
log "rows | members | table size | first | last: $profile"

declare -A sql=(
  [intent]="SELECT member, rfm.intent_agg(event, ts) FROM bench.events GROUP BY member"
  [count]="SELECT member, count(*) FROM bench.events GROUP BY member"
  [hourly]="SELECT member, event, date_trunc('hour', ts), count(*) FROM bench.events GROUP BY 1, 2, 3"
)
rows="| query | plan | median s (of $RUNS) | runs s | hash table memory (largest node) |
|---|---|---|---|---|"
for q in intent count hourly; do
  for mode in serial parallel; do
    w=0; [[ $mode == parallel ]] && w=$WORKERS
    times=()
    mem=""
    for ((i = 1; i <= RUNS; i++)); do
      plan="$(psql_ -c "SET work_mem = '$WORK_MEM'" -c "SET jit = off" -c "SET max_parallel_workers_per_gather = $w" \
                    -c "EXPLAIN (ANALYZE, TIMING OFF) ${sql[$q]}")"
      t=$(grep -Eo 'Execution Time: [0-9.]+' <<<"$plan" | grep -Eo '[0-9.]+')
      times+=("$(awk "BEGIN {printf \"%.2f\", $t / 1000}")")
      mem=$(grep -Eo 'Memory Usage: [0-9]+kB' <<<"$plan" | grep -Eo '[0-9]+' | sort -n | tail -1 || true)
      log "$q $mode run $i: ${times[-1]} s, memory ${mem:-?} kB"
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    rows+="
| $q | $mode ($w workers) | $median | ${times[*]} | ${mem:+$((mem / 1024)) MB} |"
  done
done

log "sizes"
sizes="$(psql_ -F ' | ' <<SQL
SET work_mem = '$WORK_MEM';
DROP TABLE IF EXISTS bench.intents, bench.hourly;
CREATE TABLE bench.intents AS SELECT member, rfm.intent_agg(event, ts) AS i FROM bench.events GROUP BY member;
CREATE TABLE bench.hourly AS SELECT member, event, date_trunc('hour', ts) AS hour, count(*) AS n FROM bench.events GROUP BY 1, 2, 3;
SELECT (SELECT count(*) FROM bench.intents), round(avg(pg_column_size(i)), 1),
       round(pg_total_relation_size('bench.intents')::numeric / count(*), 1),
       (SELECT count(*) FROM bench.hourly),
       round(pg_total_relation_size('bench.hourly')::numeric / count(*), 1)
  FROM bench.intents;
SQL
)"
IFS='|' read -r n_members avg_bytes tbl_bytes n_hourly hourly_bytes <<<"${sizes// /}"
md="## rfm.intent_agg, $spec

Data: $profile (rows | members | table size | first | last).

$rows

| | per member |
|---|---|
| members | $n_members |
| rfm.intent value (avg pg_column_size) | $avg_bytes bytes |
| table of one intent per member (heap + TOAST, / members) | $tbl_bytes bytes |
| plain-SQL hourly counts: rows ($n_hourly in all) | $(awk "BEGIN {printf \"%.1f\", $n_hourly / $n_members}") rows |
| plain-SQL hourly count table (/ members) | $hourly_bytes bytes |
"
printf '%s\n' "$md"
[[ -n "$out_md" ]] && printf '%s\n' "$md" > "$out_md"
log "done"
