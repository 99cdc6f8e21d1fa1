#!/usr/bin/env bash
# Benchmark rfm models (SPEC section 7) on bench.orders: the full refresh, the incremental refresh after
# new orders from 1 % of the members, and the plain-SQL RFM recipe a notebook user would write.
#
# Usage: bench/model_bench.sh [OUTPUT.md]
#
# Needs: bench.orders loaded (bench/purchases_agg.sh or gen_orders.py --load), rfm with models installed
# (DROP EXTENSION rfm CASCADE; CREATE EXTENSION rfm after installing a build whose SQL changed), a superuser
# role through the standard PG* variables, and this script running on the server's machine as a user that
# can read /proc/<backend pid>/ and the server log (root, or the server's OS user).
#
# Steps (one fresh connection per timed statement; serial plans, work_mem 1GB, hash_mem_multiplier 2,
# jit off, TimeZone UTC; before each one the script waits until the machine is idle):
#  1. SELECT rfm.create_model('bench', 'bench.orders'); the first rfm.refresh('bench', AS_OF) (full rebuild);
#     RUNS × rfm.refresh('bench', AS_OF, "full" => true) on the existing model (same day: replaces the
#     refresh of that day, see the docs).
#  2. the plain-SQL recipe, RUNS × each variant, as CREATE TABLE bench.recipe_rfm AS ...:
#     rfm10 (R/F/M + ntile scores + rfm10 CASE), +napl_value (+ NAPL, value segments), +nes (+ NES with
#     count(DISTINCT day) and the median fallback cycle).
#  3. incremental, same day: RUNS × (INSERT one order dated AS_OF for each member with member_id % 100 = r,
#     r = 7, 17, 27, ...; then rfm.refresh('bench', AS_OF)).
#  4. daily (DAILY=1): RUNS × two days: day AS_OF+2k-1: 1 % new orders + incremental refresh as of that day;
#     day AS_OF+2k: 1 % new orders + full refresh as of that day (both move the model one day forward).
#  5. drop the model; DELETE the inserted orders (they all have time of day 23:59:59.654321) and
#     VACUUM (ANALYZE) bench.orders, so the table is as before.
# Before each timed statement a CHECKPOINT writes out what the steps before dirtied (a full refresh writes up
# to 2.5 GB of WAL), so that no step shares the machine with a timed checkpoint of the ones before.
# Every refresh runs with auto_explain (log_min_duration 0, no ANALYZE: only the statement durations and
# their plans) and log_min_messages = notice; the script reads the server log (SERVER_LOG) to break each
# refresh into phases (state rebuild; finding and labelling the members; history; flow, KPIs, cut points;
# label_state, label_totals and the views).
#
# Knobs (environment): RUNS (3), AS_OF (2024-12-31), DAILY (1), RECIPE (rfm10,napl_value,nes), MEMBER_INDEX (1: index
# bench.orders on member_id, as rfm.create_model advises, for steps 3 and 4; 0: never),
# SERVER_LOG (/tmp/benchpg.log), RAW_LOG (/tmp/model_bench-<timestamp>.txt), PYTHON (/usr/bin/python3),
# IDLE_CORES (0.3: wait until fewer cores are busy), IDLE_WAIT (300 s at most).
set -euo pipefail

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
PYTHON="${PYTHON:-/usr/bin/python3}"
IDLE_CORES="${IDLE_CORES:-0.3}"
IDLE_WAIT="${IDLE_WAIT:-300}"
hz=$(getconf CLK_TCK)

busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# ---- helpers called by psql through \! (environment: MB_WORK, BPID, ...) --------------------------------
case "${1:-}" in
_pre)
    # wait until the machine is idle (other sessions, autovacuum after the previous step)
    waited=0
    while :; do
        b0=$(busy_ticks); sleep 1; b1=$(busy_ticks)
        if awk -v d=$((b1 - b0)) -v hz="$hz" -v lim="$IDLE_CORES" 'BEGIN{exit !(d / hz < lim)}'; then break; fi
        waited=$((waited + 1))
        [[ $waited -ge $IDLE_WAIT ]] && break
    done
    echo "$waited" > "$MB_WORK/waited"
    busy_ticks > "$MB_WORK/busy0"
    proc_ticks "$BPID" > "$MB_WORK/proc0"
    rm -f "$MB_WORK/stop" "$MB_WORK/anon"
    # sample the backend's private memory (RssAnon) every 0.25 s (read after the sampler has stopped)
    ( max=0
      while [[ -e "/proc/$BPID/status" && ! -e "$MB_WORK/stop" ]]; do
          while read -r k v _; do
              if [[ $k == RssAnon: ]]; then (( v > max )) && max=$v; break; fi
          done < "/proc/$BPID/status" 2>/dev/null || true
          echo "$max" > "$MB_WORK/anon"
          sleep 0.25
      done ) >/dev/null 2>&1 &
    echo $! > "$MB_WORK/sampler"
    exit 0 ;;
_post)
    step="$2"; run="$3"
    b1=$(busy_ticks); p1=$(proc_ticks "$BPID")
    hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$BPID/status")
    touch "$MB_WORK/stop"
    pid=$(cat "$MB_WORK/sampler"); while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -f "$MB_WORK/stop"
    anon=$(cat "$MB_WORK/anon" 2>/dev/null || echo 0)
    b0=$(cat "$MB_WORK/busy0"); p0=$(cat "$MB_WORK/proc0")
    other=$(awk -v b=$((b1 - b0)) -v p=$((p1 - p0)) -v hz="$hz" 'BEGIN{printf "%.1f", (b - p) / hz}')
    cpu=$(awk -v p=$((p1 - p0)) -v hz="$hz" 'BEGIN{printf "%.1f", p / hz}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$step" "$run" "$MS" "${R_MEMBERS:--}" \
        "${R_REBUILT:--}" "${R_CHANGED:--}" "$hwm" "$anon" "$cpu" "$other" "$(cat "$MB_WORK/waited")" \
        "$T0" "$BPID" "$WAL" >> "$MB_WORK/results.tsv"
    echo "  $step run $run: $(awk -v ms="$MS" 'BEGIN{printf "%.2f", ms / 1000}') s (members ${R_MEMBERS:--}, rebuilt ${R_REBUILT:--}, changed ${R_CHANGED:--}; backend CPU $cpu s, others $other s, VmHWM $((hwm / 1024)) MB, RssAnon peak $((anon / 1024)) MB, WAL $((WAL / 1048576)) MB; waited $(cat "$MB_WORK/waited") s for idle)" >&2
    exit 0 ;;
esac

# ---- the benchmark ---------------------------------------------------------------------------------------
out_md="${1:-}"
RUNS="${RUNS:-3}"
AS_OF="${AS_OF:-2024-12-31}"
DAILY="${DAILY:-1}"
MEMBER_INDEX="${MEMBER_INDEX:-1}"
RECIPE="${RECIPE:-rfm10,napl_value,nes}"
SERVER_LOG="${SERVER_LOG:-/tmp/benchpg.log}"
raw="${RAW_LOG:-/tmp/model_bench-$(date +%Y%m%d-%H%M%S).txt}"
export MB_WORK; MB_WORK="$(mktemp -d /tmp/model_bench.XXXXXX)"
: > "$MB_WORK/results.tsv"
# shellcheck source=model_common.sh
. "$(dirname "$self")/model_common.sh"     # MARK, SETTINGS, psql_, log, new_orders_sql, new_orders_where
EXPLAIN_SETTINGS="LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = off;
SET auto_explain.log_nested_statements = on; SET log_min_messages = notice;"

# timed STEP RUN SQL [explain]: run SQL on a fresh connection, timed inside the server (clock_timestamp()
# before and after, the commit included); SQL may \gset r_members, r_rebuilt, r_changed.
timed() {
    local step="$1" run="$2" sql="$3" extra=""
    [[ "${4:-}" == explain ]] && extra="$EXPLAIN_SETTINGS"
    psql -X -q -v ON_ERROR_STOP=1 -At >>"$raw" 2>&1 <<EOF
$SETTINGS
$extra
\set r_members -
\set r_rebuilt -
\set r_changed -
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
CHECKPOINT;
\! "$self" _pre
SELECT pg_current_wal_insert_lsn() AS l0, extract(epoch FROM clock_timestamp()) AS t0 \gset
$sql
SELECT round(extract(epoch FROM clock_timestamp() - to_timestamp(:t0)) * 1000, 1) AS ms,
       pg_wal_lsn_diff(pg_current_wal_insert_lsn(), :'l0') AS wal \gset
\setenv MS :ms
\setenv WAL :wal
\setenv T0 :t0
\setenv R_MEMBERS :r_members
\setenv R_REBUILT :r_rebuilt
\setenv R_CHANGED :r_changed
\! "$self" _post "$step" "$run"
EOF
}
refresh_sql() {  # as_of [full]
    local full=""; [[ "${2:-}" == full ]] && full=', "full" => true'
    echo "SELECT members AS r_members, rebuilt AS r_rebuilt, changed AS r_changed, elapsed
            FROM rfm.refresh('bench', DATE '$1'$full) \gset"
}
insert_orders() {  # remainder day: one order dated day for each member with member_id % 100 = remainder
    local t0; t0=$(date +%s.%N)
    psql_ -c "$SETTINGS $(new_orders_sql "$1" "$2")" >>"$raw"
    log "inserted 1 order dated $2 for each member with member_id % 100 = $1 ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}') s, trigger capture included)"
}

log "=== model_bench.sh start; PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGDATABASE=${PGDATABASE:-}; raw log $raw"
psql_ -c "SELECT 1" >/dev/null || { echo "cannot connect (set PGHOST/PGPORT/PGUSER/PGDATABASE)" >&2; exit 1; }
libdir=$(psql_ -c "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")
so_info() { echo "rfm.so md5 $(md5sum < "$libdir/rfm.so" | cut -c1-32) mtime $(stat -c %y "$libdir/rfm.so")"; }
log "$(psql_ -c "SELECT version()"); rfm $(psql_ -c "SELECT extversion FROM pg_extension WHERE extname = 'rfm'"); $(so_info)"
log "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); shared_buffers $(psql_ -c 'SHOW shared_buffers'); temp_buffers $(psql_ -c 'SHOW temp_buffers')"
[[ -r "$SERVER_LOG" ]] || log "WARNING: cannot read the server log $SERVER_LOG: no phase breakdown"

# leftovers of an aborted run
psql_ -c "SELECT rfm.drop_model('bench') FROM rfm.model WHERE name = 'bench'" >/dev/null
psql_ -c "DROP TABLE IF EXISTS bench.recipe_rfm"
left=$(psql_ -c "SELECT count(*) FROM bench.orders WHERE $(new_orders_where "$AS_OF")")
if [[ "$left" != 0 ]]; then
    log "deleting $left orders left by an aborted run"
    psql_ -c "DELETE FROM bench.orders WHERE $(new_orders_where "$AS_OF")"
    psql_ -c "VACUUM (ANALYZE) bench.orders"
fi
log "bench.orders: $(psql_ -c "SELECT format('%s rows, %s members, %s .. %s, %s', count(*), count(DISTINCT member_id), min(ordered_at)::date, max(ordered_at)::date, pg_size_pretty(pg_relation_size('bench.orders'))) FROM bench.orders")"
# The index a model's source should have (rfm.create_model says so without it): incremental refreshes read the
# touched members' orders through it. Full refreshes do not use it, and the recipe must not be measured with it
# (with it the planner feeds the recipe's count(DISTINCT) variant from an index scan: 36 s, 30-32 s without): it is
# built after the recipe, before the incremental refreshes, and dropped at the end. MEMBER_INDEX=0: never built.
psql_ -c "DROP INDEX IF EXISTS bench.orders_member_id" >/dev/null
psql_ -c "SELECT count(*) FROM bench.orders" >/dev/null   # warm the cache

# 1. create the model, first refresh, full refreshes
log "1. create_model + first refresh (full rebuild) + $RUNS full refreshes as of $AS_OF"
timed create_model 1 "SELECT rfm.create_model('bench', 'bench.orders');"
timed first_refresh 1 "$(refresh_sql "$AS_OF")" explain
for i in $(seq 1 "$RUNS"); do timed full_same_day "$i" "$(refresh_sql "$AS_OF" full)" explain; done
psql_ -c "SELECT 'labels ' || (SELECT count(*) FROM rfm_bench.labels) || ', history rows ' || (SELECT count(*) FROM rfm_bench.label_history)
          || ', members ' || pg_size_pretty(pg_total_relation_size('rfm_bench.members'))
          || ', labels ' || pg_size_pretty(pg_total_relation_size('rfm_bench.labels'))
          || ', label_history ' || pg_size_pretty(pg_total_relation_size('rfm_bench.label_history'))" | tee -a "$raw" >&2
psql_ -c "SELECT segment, members, round(share_of_members * 100, 1) AS pct FROM rfm_bench.segment_summary ORDER BY members DESC" >>"$raw"

# 2. the plain-SQL recipe
recipe_sql() {
    local with_napl_value=0 with_nes=0
    [[ "$1" == napl_value || "$1" == nes ]] && with_napl_value=1
    [[ "$1" == nes ]] && with_nes=1
    cat <<EOF
CREATE TABLE bench.recipe_rfm AS
WITH per_member AS (
  SELECT member_id,
         DATE '$AS_OF' - (max(ordered_at) FILTER (WHERE amount >= 0))::date AS recency,
         count(*) FILTER (WHERE amount >= 0) AS frequency,
         sum(amount) AS monetary
$( ((with_napl_value)) && echo "       , (min(ordered_at) FILTER (WHERE amount >= 0))::date AS first_day,
         (max(ordered_at) FILTER (WHERE amount >= 0))::date AS last_day")
$( ((with_nes)) && echo "       , count(DISTINCT ordered_at::date) FILTER (WHERE amount >= 0) AS days")
    FROM bench.orders
   WHERE ordered_at < DATE '$AS_OF' + 1
   GROUP BY member_id
  HAVING count(*) FILTER (WHERE amount >= 0) > 0
), scored AS (
  SELECT *, ntile(5) OVER (ORDER BY recency DESC) AS r_score,
            ntile(5) OVER (ORDER BY frequency) AS f_score,
            ntile(5) OVER (ORDER BY monetary) AS m_score
$( ((with_napl_value)) && echo "          , avg(recency) OVER () AS avg_r, avg(frequency) OVER () AS avg_f, avg(monetary) OVER () AS avg_m")
$( ((with_nes)) && echo "          , CASE WHEN days >= 2 THEN (last_day - first_day)::float8 / (days - 1)
                 ELSE (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (last_day - first_day)::float8 / (days - 1))
                         FROM per_member WHERE days >= 2) END AS cycle")
    FROM per_member
)
SELECT member_id, recency, frequency, monetary, r_score, f_score, m_score,
       CASE  -- rfm.segment_rule map 'rfm10' in priority order
         WHEN r_score = 5 AND f_score = 5 AND m_score = 5 THEN 'champions'
         WHEN r_score BETWEEN 3 AND 5 AND f_score BETWEEN 3 AND 5 AND m_score BETWEEN 2 AND 5 THEN 'potential_loyalist'
         WHEN r_score BETWEEN 2 AND 4 AND f_score BETWEEN 2 AND 4 AND m_score BETWEEN 2 AND 4 THEN 'loyal'
         WHEN r_score BETWEEN 3 AND 4 AND f_score BETWEEN 1 AND 3 AND m_score BETWEEN 3 AND 5 THEN 'promising'
         WHEN r_score BETWEEN 4 AND 5 AND f_score BETWEEN 1 AND 3 AND m_score BETWEEN 1 AND 5 THEN 'new_customers'
         WHEN r_score BETWEEN 1 AND 2 AND f_score BETWEEN 3 AND 4 AND m_score BETWEEN 4 AND 5 THEN 'cant_lose_them'
         WHEN r_score BETWEEN 1 AND 2 AND f_score BETWEEN 2 AND 5 AND m_score BETWEEN 4 AND 5 THEN 'at_risk'
         WHEN r_score BETWEEN 1 AND 3 AND f_score BETWEEN 3 AND 5 AND m_score BETWEEN 3 AND 5 THEN 'need_attention'
         WHEN r_score BETWEEN 2 AND 3 AND f_score BETWEEN 1 AND 3 AND m_score BETWEEN 1 AND 4 THEN 'about_to_sleep'
         WHEN r_score = 1 THEN 'lost'
         ELSE 'other' END AS segment
$( ((with_napl_value)) && echo "     , CASE WHEN first_day < last_day  -- 2+ purchase days
              THEN CASE WHEN last_day > DATE '$AS_OF' - interval '3 months' THEN 'A' ELSE 'P' END
              ELSE CASE WHEN last_day > DATE '$AS_OF' - interval '3 months' THEN 'N' ELSE 'L' END END AS napl,
       CASE WHEN monetary >= avg_m THEN 'important_' ELSE 'general_' END ||
       CASE WHEN recency < avg_r AND frequency >= avg_f THEN 'value' WHEN recency < avg_r THEN 'develop'
            WHEN frequency >= avg_f THEN 'retain' ELSE 'winback' END AS value_segment")
$( ((with_nes)) && echo "     , CASE WHEN recency <= cycle THEN CASE WHEN days = 1 THEN 'N' ELSE 'E0' END
            WHEN recency <= 2 * cycle THEN 'S1' WHEN recency <= 3 * cycle THEN 'S2' ELSE 'S3' END AS nes")
  FROM scored;
SELECT count(*) AS r_members FROM bench.recipe_rfm \gset
EOF
}
IFS=, read -ra variants <<< "$RECIPE"
for v in "${variants[@]}"; do
    log "2. plain-SQL recipe '$v' ($RUNS runs)"
    echo "--- recipe $v:" >>"$raw"; recipe_sql "$v" >>"$raw"
    for i in $(seq 1 "$RUNS"); do
        psql_ -c "DROP TABLE IF EXISTS bench.recipe_rfm"
        timed "recipe_$v" "$i" "$(recipe_sql "$v")"
    done
    psql_ -c "SELECT segment, count(*) FROM bench.recipe_rfm GROUP BY 1 ORDER BY 2 DESC" >>"$raw"
done
psql_ -c "DROP TABLE IF EXISTS bench.recipe_rfm"

if [[ "$MEMBER_INDEX" == 1 ]]; then
    t_idx=$(date +%s.%N)
    psql_ -c "CREATE INDEX orders_member_id ON bench.orders (member_id)" >/dev/null
    log "built index orders_member_id on bench.orders (member_id) for the incremental refreshes ($(awk -v a="$t_idx" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}') s)"
fi
log "indexes of bench.orders: $(psql_ -c "SELECT coalesce(string_agg(pg_get_indexdef(indexrelid), '; '), 'none') FROM pg_index WHERE indrelid = 'bench.orders'::regclass")"

# 3. incremental refreshes on the same day
log "3. $RUNS incremental refreshes as of $AS_OF, each after one new order for 1 % of the members"
for i in $(seq 1 "$RUNS"); do
    insert_orders $((7 + 10 * (i - 1))) "$AS_OF"
    timed incremental_same_day "$i" "$(refresh_sql "$AS_OF")" explain
done

# 4. the daily job: the model moves forward one day per refresh
if [[ "$DAILY" == 1 ]]; then
    log "4. daily: $RUNS × (next day: 1 % new orders + incremental refresh; next day: 1 % new orders + full refresh)"
    for i in $(seq 1 "$RUNS"); do
        d1=$(date -d "$AS_OF + $((2 * i - 1)) days" +%F); d2=$(date -d "$AS_OF + $((2 * i)) days" +%F)
        insert_orders $((7 + 10 * (RUNS + 2 * i - 2))) "$d1"
        timed incremental_next_day "$i" "$(refresh_sql "$d1")" explain
        insert_orders $((7 + 10 * (RUNS + 2 * i - 1))) "$d2"
        timed full_next_day "$i" "$(refresh_sql "$d2" full)" explain
    done
fi
psql_ -c "SELECT refresh_id, as_of, full_rebuild, members, rebuilt, changed, finished - started AS elapsed FROM rfm_bench.refreshes ORDER BY refresh_id" >>"$raw"

# 5. clean up
log "5. drop the model, delete the inserted orders, VACUUM (ANALYZE) bench.orders"
psql_ -c "SELECT rfm.drop_model('bench')" >/dev/null
psql_ -c "DELETE FROM bench.orders WHERE $(new_orders_where "$AS_OF")" >/dev/null
psql_ -c "DROP INDEX IF EXISTS bench.orders_member_id" >/dev/null
psql_ -c "VACUUM (ANALYZE) bench.orders"
log "bench.orders: $(psql_ -c "SELECT count(*) || ' rows, ' || pg_size_pretty(pg_relation_size('bench.orders')) FROM bench.orders")"
log "end: $(so_info); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# 6. report: timings, ratios, memory and the phases of every refresh (from the server log)
"$PYTHON" - "$MB_WORK/results.tsv" "$SERVER_LOG" "$raw" "$out_md" <<'PY'
import re, statistics, sys, datetime as dt
res_path, log_path, raw_path, out_md = sys.argv[1:5]
rows = [l.rstrip("\n").split("\t") for l in open(res_path) if l.strip()]
cols = "step run ms members rebuilt changed hwm anon cpu other waited t0 pid wal".split()
rows = [dict(zip(cols, r)) for r in rows]
out = []
w = out.append

def phase_of(q):
    # the statements of rfm.refresh (1.2) by what they do
    q = " ".join(q.split())
    if "rfm._progress" in q:
        if "recording" in q: return "history"
        if "writing labels" in q or "BI views" in q: return "label_state + views"
        if "labelling" in q: return "labelling"
        return "state"
    if re.search(r"_rfm_moves|_rfm_trans|\.(refreshes|cutpoints|transitions)\b", q): return "flow, KPIs, cut points"
    if re.search(r"REFRESH MATERIALIZED VIEW|_rfm_totals|label_totals|_rfm_rows|tier_watch|_label_state_indexes", q):
        return "label_state + views"
    if re.search(r"(UPDATE|INSERT INTO|DELETE FROM) \S*\.label_state\b", q): return "label_state + views"
    if "CREATE TEMP TABLE _rfm_changed" in q: return "labelling"   # labelling inside the comparison (1.3)
    if "label_history" in q or "_rfm_changed" in q: return "history"
    if re.search(r"_rfm_cand|_rfm_base|_rfm_hist|_rfm_crossed|_rfm_lab|_rfm_old|\.hist\b|rfm\.breaks|percentile_cont|"
                 r"array_agg\(v|sum\(v::numeric", q): return "labelling"
    if re.search(r"\.(changes|members)\b|_rfm_touched|needs_full", q): return "state"
    return "other"

PHASES = ["state", "labelling", "history", "flow, KPIs, cut points", "label_state + views", "other"]
line_re = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \w+ \[(\d+)\] (\w+):  (.*)$")
entries = []
try:
    cur = None
    for line in open(log_path, errors="replace"):
        m = line_re.match(line)
        if m and m.group(3) in ("CONTEXT", "STATEMENT", "DETAIL", "HINT") and cur is not None and cur["pid"] == m.group(2):
            cur["more"].append(m.group(3) + ":  " + m.group(4))
        elif m:
            cur = dict(ts=dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.timezone.utc).timestamp(),
                       pid=m.group(2), level=m.group(3), msg=m.group(4), more=[])
            entries.append(cur)
        elif cur is not None:
            cur["more"].append(line.rstrip("\n"))
except OSError:
    entries = []

def breakdown(r):
    """The statements of rfm.refresh (auto_explain), gaps (utility statements: CREATE INDEX, TRUNCATE,
    DROP, which auto_explain does not see) given to the phase of the statement before them."""
    t0 = float(r["t0"]); t1 = t0 + float(r["ms"]) / 1000
    stm = []
    for e in entries:
        if e["pid"] != r["pid"] or not (t0 - 1 <= e["ts"] <= t1 + 1): continue
        m = re.match(r"duration: ([\d.]+) ms\s+plan:", e["msg"])
        if not m: continue
        text = "\n".join(e["more"])
        qt = re.search(r"Query Text: (.*)", text)
        q = qt.group(1) if qt else "?"
        # the full query text runs until the plan; keep its first lines
        body = text.split("Query Text:", 1)[-1]
        body = body.split("CONTEXT:", 1)[0]
        ctx = text.split("CONTEXT:", 1)[1] if "CONTEXT:" in text else ""
        frames = len(re.findall(r"(PL/pgSQL function|SQL function)", ctx))
        stm.append(dict(end=e["ts"], dur=float(m.group(1)) / 1000, q=" ".join(body.split())[:4000], frames=frames,
                        ctx=ctx))
    # the refresh's own statements: in rfm.refresh itself (up to 1.5), or in one of its phase functions
    # rfm._refresh_* (1.6), called by it
    top = [s for s in stm if "rfm.refresh(" in s["ctx"] and
           (s["frames"] == 1 or (s["frames"] == 2 and re.search(r"function rfm\._refresh_\w+\(", s["ctx"])))]
    # drop statements run inside another one (SPI queries of C functions, e.g. rfm.segment reading its map)
    top = [s for s in top if not any(t is not s and t["end"] - t["dur"] <= s["end"] - s["dur"] and t["end"] >= s["end"]
                                     and t["dur"] > s["dur"] for t in top)]
    if not top: return None
    top.sort(key=lambda s: s["end"])
    ph = {p: 0.0 for p in PHASES}
    timeline = []
    prev_end, prev_phase = None, "other"
    for s in top:
        p = phase_of(s["q"])
        start = s["end"] - s["dur"]
        if prev_end is not None and start - prev_end > 0:
            ph[prev_phase] += start - prev_end
            if start - prev_end >= 0.05:
                timeline.append((prev_end - t0, start - prev_end, prev_phase, "(not seen by auto_explain: utility statements after the previous one)"))
        ph[p] += s["dur"]
        if s["dur"] >= 0.05:
            timeline.append((start - t0, s["dur"], p, s["q"][:150]))
        prev_end, prev_phase = s["end"], p
    first_start = top[0]["end"] - top[0]["dur"]
    ph["other"] += max(0, first_start - t0) + max(0, t1 - prev_end)
    timeline.append((prev_end - t0, t1 - prev_end, "other", "(after the last statement: DROP of the temp tables, commit)"))
    return ph, timeline

def fmt_s(x): return "%.2f" % x
steps = []
for r in rows:
    if r["step"] not in steps: steps.append(r["step"])
def times(step): return [float(r["ms"]) / 1000 for r in rows if r["step"] == step]
def summ(step):
    t = times(step)
    return (min(t), statistics.median(t), max(t)) if t else None

desc = {
    "create_model": "`rfm.create_model('bench', 'bench.orders')`",
    "first_refresh": "first `rfm.refresh('bench', as_of)` (full rebuild, empty history)",
    "full_same_day": "`rfm.refresh('bench', as_of, \"full\" => true)` again (same day: replaces that day's refresh)",
    "incremental_same_day": "incremental `rfm.refresh('bench', as_of)` after 1 order for 1 % of members (same day)",
    "incremental_next_day": "incremental refresh as of the next day, after 1 % new orders",
    "full_next_day": "full refresh as of the next day, after 1 % new orders",
    "recipe_rfm10": "plain-SQL recipe: R/F/M, 3 × ntile(5), rfm10 CASE → CREATE TABLE AS",
    "recipe_napl_value": "recipe + NAPL + value segments",
    "recipe_nes": "recipe + NAPL + value segments + NES (count(DISTINCT day), median fallback cycle)",
}
w("| step | runs | min | median | max | members | rebuilt | changed | backend CPU (median) | VmHWM (max) | RssAnon peak (max) | WAL (median) | others' CPU (max) |")
w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for s in steps:
    rs = [r for r in rows if r["step"] == s]
    mn, md, mx = summ(s)
    def uniq(k):
        v = sorted(set(r[k] for r in rs), key=lambda x: (len(x), x))
        return "/".join("{:,}".format(int(x)) if x.isdigit() else x for x in v)
    w("| %s | %d | %s s | %s s | %s s | %s | %s | %s | %s s | %d MB | %d MB | %d MB | %s s |" % (
        desc.get(s, s), len(rs), fmt_s(mn), fmt_s(md), fmt_s(mx), uniq("members"), uniq("rebuilt"), uniq("changed"),
        fmt_s(statistics.median(float(r["cpu"]) for r in rs)), max(int(r["hwm"]) for r in rs) // 1024,
        max(int(r["anon"]) for r in rs) // 1024, statistics.median(float(r["wal"]) for r in rs) / 1048576,
        max((r["other"] for r in rs), key=float)))
w("")
def ratio(a, b, label):
    sa, sb = summ(a), summ(b)
    if sa and sb: w("- %s: %.3f (median %s s / %s s; min/min %.3f)" % (label, sa[1] / sb[1], fmt_s(sa[1]), fmt_s(sb[1]), sa[0] / sb[0]))
ratio("incremental_same_day", "full_same_day", "incremental (same day) / full refresh (same day)")
ratio("incremental_same_day", "first_refresh", "incremental (same day) / first refresh")
ratio("incremental_next_day", "full_next_day", "incremental (next day) / full refresh (next day)")
for v in ("recipe_rfm10", "recipe_napl_value", "recipe_nes"):
    ratio("full_same_day", v, "full refresh (same day) / %s" % v)
    ratio("full_next_day", v, "full refresh (next day) / %s" % v)
w("")
# phases
bd = {}
detail = []
for r in rows:
    if r["step"] in ("create_model",) or r["step"].startswith("recipe"): continue
    b = breakdown(r) if entries else None
    if b is None: continue
    bd.setdefault(r["step"], []).append((r, b[0]))
    detail.append("%s run %s (%.2f s):" % (r["step"], r["run"], float(r["ms"]) / 1000))
    for st, du, p, q in b[1]:
        detail.append("  %8.2f s %7.2f s  %-21s %s" % (st, du, p, q))
if bd:
    w("Phases of rfm.refresh (median seconds over the runs; from auto_explain's durations in the server log):")
    w("")
    w("| step | " + " | ".join(PHASES) + " | total |")
    w("|---|" + "---|" * (len(PHASES) + 1))
    for s in steps:
        if s not in bd: continue
        cells = [statistics.median(b[p] for _, b in bd[s]) for p in PHASES]
        w("| %s | %s | %s |" % (s, " | ".join(fmt_s(c) for c in cells), fmt_s(statistics.median(float(r["ms"]) / 1000 for r, _ in bd[s]))))
    w("")
report = "\n".join(out)
print(report)
with open(raw_path, "a") as f:
    f.write("\n=== results.tsv\n" + open(res_path).read() + "\n=== report\n" + report + "\n\n=== phase timelines (start, duration, phase, statement)\n" + "\n".join(detail) + "\n")
if out_md:
    open(out_md, "w").write(report + "\n")
PY
log "done; raw log $raw"
rm -rf "$MB_WORK"
