#!/usr/bin/env bash
# Benchmark rfm.purchases_agg against a bare GROUP BY on >= 10M synthetic orders.
#
# Usage: bench/purchases_agg.sh [OUTPUT.md]
#
# Needs: a running PostgreSQL 15 server reachable through the standard PG*
# environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE), a superuser
# role, `CREATE EXTENSION rfm` working there, and this script running on the
# server's machine (it reads /proc/<backend pid>/status for peak memory).
# Python: Debian's /usr/bin/python3 with numpy and psycopg2 (override: PYTHON=).
#
# Steps:
#  (a) CREATE EXTENSION IF NOT EXISTS rfm; (re)load bench.orders with
#      gen_orders.py unless the table comment already records the same
#      generator spec (seed, sizes, model); VACUUM ANALYZE.
#  (b) time rfm.purchases_agg(ordered_at, amount) and the bare
#      max/count/sum GROUP BY, serial and with 2 parallel workers, RUNS times
#      each (bench_agg.py), plus the (date|timestamptz, numeric|float8) variants.
# The markdown table goes to stdout and to OUTPUT.md (if given); the raw log
# (every run, every plan) to bench/results/purchases_agg-<date>.txt.
#
# Knobs (environment): SEED (42), MEMBERS (1000000), TARGET_ORDERS (10000000),
# REFUND_RATE (0.02), RUNS (3), WORKERS (2), WORK_MEM (1GB),
# HASH_MEM_MULTIPLIER (2.0), JIT (off), QUERIES (rfm,bare,rfm_date,rfm_float8,
# rfm_date_float8), MODES (serial,parallel), EXTRA_MODES (parallel_noleader: run
# for rfm and bare only; empty to skip), FORCE_RELOAD (0), RAW_LOG (raw log path),
# RECREATE_EXTENSION (0; 1 = DROP EXTENSION rfm CASCADE + CREATE, after installing
# a new build whose SQL changed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_md="${1:-}"
PYTHON="${PYTHON:-/usr/bin/python3}"
SEED="${SEED:-42}"
MEMBERS="${MEMBERS:-1000000}"
TARGET_ORDERS="${TARGET_ORDERS:-10000000}"
REFUND_RATE="${REFUND_RATE:-0.02}"
RUNS="${RUNS:-3}"
WORKERS="${WORKERS:-2}"
WORK_MEM="${WORK_MEM:-1GB}"
HASH_MEM_MULTIPLIER="${HASH_MEM_MULTIPLIER:-2.0}"
JIT="${JIT:-off}"
QUERIES="${QUERIES:-rfm,bare,rfm_date,rfm_float8,rfm_date_float8}"
MODES="${MODES:-serial,parallel}"
EXTRA_MODES="${EXTRA_MODES-parallel_noleader}"
RECREATE_EXTENSION="${RECREATE_EXTENSION:-0}"
FORCE_RELOAD="${FORCE_RELOAD:-0}"

psql_() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }

mkdir -p "$here/results"
raw="${RAW_LOG:-$here/results/purchases_agg-$(date +%Y-%m-%d).txt}"
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$raw" >&2; }

log "=== purchases_agg.sh start; PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGDATABASE=${PGDATABASE:-}"
psql_ -c "SELECT 1" >/dev/null || { echo "cannot connect (set PGHOST/PGPORT/PGUSER/PGDATABASE)" >&2; exit 1; }
if [[ "$RECREATE_EXTENSION" == 1 ]]; then
    psql_ -c "DROP EXTENSION IF EXISTS rfm CASCADE"
fi
psql_ -c "CREATE EXTENSION IF NOT EXISTS rfm"
log "rfm $(psql_ -c "SELECT extversion FROM pg_extension WHERE extname = 'rfm'"); $(psql_ -c 'SELECT version()')"

# ---------------------------------------------------------------- (a) data
gen_args=(--members "$MEMBERS" --target-orders "$TARGET_ORDERS" --seed "$SEED"
          --refund-rate "$REFUND_RATE")
spec="$("$PYTHON" "$here/gen_orders.py" "${gen_args[@]}" --print-spec)"
have="$(psql_ -c "SELECT coalesce(obj_description(to_regclass('bench.orders'), 'pg_class'), '')")"
if [[ "$FORCE_RELOAD" != 1 && "$have" == "$spec "* ]]; then
    log "bench.orders already loaded with this spec, skipping generation: $have"
else
    log "generating and loading bench.orders: $spec"
    t0=$(date +%s)
    "$PYTHON" "$here/gen_orders.py" "${gen_args[@]}" --load --create --comment 2>&1 | tee -a "$raw" >&2
    log "loaded in $(( $(date +%s) - t0 )) s; VACUUM ANALYZE"
    psql_ -c "VACUUM (ANALYZE) bench.orders"
    log "VACUUM ANALYZE done in $(( $(date +%s) - t0 )) s total"
fi
psql_ -c "SELECT 'rows ' || count(*) || ', members ' || count(DISTINCT member_id) || ', refunds ' ||
                 count(*) FILTER (WHERE amount < 0) || ', ' || min(ordered_at) || ' .. ' || max(ordered_at)
          FROM bench.orders" | tee -a "$raw" >&2

# Independent SQL check of the loaded data against the BG/NBD / Gamma-Gamma shape
# (BTYD conventions: purchase days, first 39 weeks = 273 days after the first purchase
# day, members whose first purchase day is at least 273 days before the last day).
log "data profile (SQL)"
profile="$(psql_ -F ' | ' -c "
WITH d AS (
    SELECT member_id, (ordered_at AT TIME ZONE 'UTC')::date AS day,
           sum(amount) FILTER (WHERE amount >= 0) AS spend,
           count(*) FILTER (WHERE amount >= 0) AS n
    FROM bench.orders GROUP BY 1, 2),
pd AS (SELECT * FROM d WHERE n > 0),
f AS (SELECT member_id, min(day) AS first FROM pd GROUP BY 1),
lim AS (SELECT max(day) AS last FROM pd),
s AS (
    SELECT f.member_id,
           count(*) FILTER (WHERE pd.day > f.first AND pd.day <= f.first + 273) AS x,
           avg(pd.spend) FILTER (WHERE pd.day > f.first AND pd.day <= f.first + 273) AS m
    FROM f JOIN pd USING (member_id), lim
    WHERE f.first + 273 <= lim.last
    GROUP BY f.member_id)
SELECT count(*),
       round(100.0 * avg((x = 0)::int), 1),
       round(avg(x), 3),
       count(*) FILTER (WHERE x > 0),
       round(avg(m) FILTER (WHERE x > 0), 2),
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY m) FILTER (WHERE x > 0))::numeric, 2)
FROM s")"
IFS='|' read -r p_n p_zero p_x p_rep p_m p_med <<<"${profile// /}"
profile_md="### Data profile (SQL, BTYD conventions, first 39 weeks of members observed >= 39 weeks)

| members observed | no repeat purchase day | mean repeat days | repeat buyers | mean repeat-day spend | median |
|---|---|---|---|---|---|
| $p_n | $p_zero % (BG/NBD P(X(39)=0) = 57.4 %) | $p_x (BG/NBD E[X(39)] = 1.197) | $p_rep | $p_m (CDNOW 35.08, Gamma-Gamma mean 35.22) | $p_med (CDNOW 27.50) |
"
printf '%s\n' "$profile_md" | tee -a "$raw" >&2

# ---------------------------------------------------------------- (b) timings
psql_ -c "ALTER TABLE bench.orders ALTER COLUMN member_id RESET (n_distinct)" -c "ANALYZE bench.orders"
log "measuring: queries=$QUERIES modes=$MODES extra_modes=$EXTRA_MODES runs=$RUNS workers=$WORKERS work_mem=$WORK_MEM hash_mem_multiplier=$HASH_MEM_MULTIPLIER jit=$JIT"
md="$("$PYTHON" "$here/bench_agg.py" --queries "$QUERIES" --modes "$MODES" --runs "$RUNS" \
        --workers "$WORKERS" --work-mem "$WORK_MEM" --hash-mem-multiplier "$HASH_MEM_MULTIPLIER" \
        --jit "$JIT" --extra-modes "$EXTRA_MODES" --raw "$raw" 2> >(tee -a "$raw" >&2))"
printf '%s\n\n%s\n' "$md" "$profile_md"
if [[ -n "$out_md" ]]; then
    printf '%s\n\n%s\n' "$md" "$profile_md" > "$out_md"
fi
log "=== done; raw log: $raw"
