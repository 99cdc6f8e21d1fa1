#!/usr/bin/env bash
# A/B of rfm.intent_agg's state: the flat rfm.intent_state of 1.7 (new) against the internal state of 1.6 (old).
#
# Usage: bench/intent_state.sh [OUTPUT.md]
#
# Needs: a running PostgreSQL server reachable through the standard PG* environment variables, with rfm 1.7
# installed (CREATE EXTENSION rfm). The old aggregate is made in schema bench from the 1.6 entry points, which the
# 1.7 library keeps for catalogs not yet updated (rfm_intent_trans, rfm_intent_combine, rfm_intent_serialize,
# rfm_intent_deserialize, rfm_intent_final): both variants run in the same server, build and data.
# Data (bench.istate_events, made once per spec): EVENTS events (default 3,000,000) of MEMBERS members (300,000),
# in sessions of 10 events within 30 minutes (so several kinds share an hour, out of time order, some sessions
# across an hour's end), sessions in time order over DAYS days (180) from 2024-01-01, the session's member and each
# event's kind uniform, seeded with setseed(0.42).
# Queries, serial plans (max_parallel_workers_per_gather = 0), EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON):
#   grouped    SELECT member, <agg>(event, ts) FROM bench.istate_events GROUP BY member   (HashAggregate)
#   ungrouped  SELECT <agg>(event, ts) FROM bench.istate_events
# RUNS (3) rounds, old and new interleaved; the medians of the execution times, the HashAggregate's peak memory
# (work_mem WORK_MEM, default 2GB, so that nothing spills) and, with work_mem = SPILL_MEM (8MB), its batches and
# disk use.
set -euo pipefail
out_md="${1:-}"
EVENTS="${EVENTS:-3000000}"
MEMBERS="${MEMBERS:-300000}"
RUNS="${RUNS:-3}"
DAYS="${DAYS:-180}"
WORK_MEM="${WORK_MEM:-2GB}"
SPILL_MEM="${SPILL_MEM:-8MB}"
psql_() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

spec="istate events: $EVENTS events in sessions of 10 (30 minutes), $MEMBERS members, $DAYS days, seed 0.42"
psql_ <<SQL
CREATE EXTENSION IF NOT EXISTS rfm;
CREATE SCHEMA IF NOT EXISTS bench;
DROP AGGREGATE IF EXISTS bench.intent_agg_old(text, timestamptz);
CREATE OR REPLACE FUNCTION bench.old_trans(internal, text, timestamptz) RETURNS internal
  AS '\$libdir/rfm', 'rfm_intent_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION bench.old_combine(internal, internal) RETURNS internal
  AS '\$libdir/rfm', 'rfm_intent_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION bench.old_serialize(internal) RETURNS bytea
  AS '\$libdir/rfm', 'rfm_intent_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION bench.old_deserialize(bytea, internal) RETURNS internal
  AS '\$libdir/rfm', 'rfm_intent_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION bench.old_final(internal) RETURNS rfm.intent
  AS '\$libdir/rfm', 'rfm_intent_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE bench.intent_agg_old(text, timestamptz) (
  SFUNC = bench.old_trans, STYPE = internal, SSPACE = 64, FINALFUNC = bench.old_final,
  COMBINEFUNC = bench.old_combine, SERIALFUNC = bench.old_serialize, DESERIALFUNC = bench.old_deserialize,
  PARALLEL = SAFE);
-- execution time (ms), peak memory (kB), batches and disk (kB) of the top HashAggregate or Aggregate
CREATE OR REPLACE FUNCTION bench.istate_run(q text, wm text) RETURNS text LANGUAGE plpgsql AS \$f\$
DECLARE j json; p json;
BEGIN
  PERFORM set_config('work_mem', wm, true);
  PERFORM set_config('max_parallel_workers_per_gather', '0', true);
  EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || q INTO j;
  p := j->0->'Plan';
  RETURN concat_ws(' ', round((j->0->>'Execution Time')::numeric), coalesce(p->>'Peak Memory Usage', '0'),
                   coalesce(p->>'HashAgg Batches', '0'), coalesce(p->>'Disk Usage', '0'));
END \$f\$;
SQL
if [[ "$(psql_ -c "SELECT coalesce(obj_description(to_regclass('bench.istate_events'), 'pg_class'), '')")" != "$spec" ]]; then
  log "generating bench.istate_events: $spec"
  psql_ <<SQL
DROP TABLE IF EXISTS bench.istate_events;
SELECT setseed(0.42);
CREATE TABLE bench.istate_events AS
  SELECT s.member,
         (ARRAY['view','search','favorite','cart_add','cart_remove','checkout','purchase'])[1 + (random() * 6.999)::int] AS event,
         s.start + random() * interval '30 minutes' AS ts
    FROM (SELECT s, (random() * ($MEMBERS - 1))::int AS member,
                 timestamptz '2024-01-01 00:00 UTC' + s * ($DAYS * 86400.0 / ($EVENTS / 10)) * interval '1 second' AS start
            FROM generate_series(1, $EVENTS / 10) s) s,
         generate_series(1, 10) e;
COMMENT ON TABLE bench.istate_events IS '$spec';
VACUUM ANALYZE bench.istate_events;
SQL
fi
# results must be equal before anything is timed
same=$(psql_ -c "SET max_parallel_workers_per_gather = 0; SET work_mem = '$WORK_MEM';
  SELECT count(*) FILTER (WHERE a::text IS DISTINCT FROM b::text) FROM
    (SELECT member, rfm.intent_agg(event, ts) a, bench.intent_agg_old(event, ts) b FROM bench.istate_events GROUP BY member) x")
log "members whose old and new intents differ: $same"
[ "$same" = 0 ] || { echo "old and new results differ" >&2; exit 1; }
declare -A res
for r in $(seq 1 "$RUNS"); do
  for v in old new; do
    agg=rfm.intent_agg; [ $v = old ] && agg=bench.intent_agg_old
    res[$v,grouped,$r]=$(psql_ -c "SELECT bench.istate_run('SELECT member, $agg(event, ts) FROM bench.istate_events GROUP BY member', '$WORK_MEM')")
    res[$v,spill,$r]=$(psql_ -c "SELECT bench.istate_run('SELECT member, $agg(event, ts) FROM bench.istate_events GROUP BY member', '$SPILL_MEM')")
    res[$v,ungrouped,$r]=$(psql_ -c "SELECT bench.istate_run('SELECT $agg(event, ts) FROM bench.istate_events', '$WORK_MEM')")
    log "run $r $v: grouped ${res[$v,grouped,$r]} | spill ${res[$v,spill,$r]} | ungrouped ${res[$v,ungrouped,$r]}"
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { echo "$1" | cut -d' ' -f"$2"; }
report() {
  echo "| query | old (1.6, internal) | new (1.7, rfm.intent_state) | new / old |"
  echo "|---|---|---|---|"
  for q in grouped spill ungrouped; do
    for f in 1 2 3 4; do
      name=("" "ms" "peak memory kB" "batches" "disk kB"); [ $q = ungrouped ] && [ $f -gt 1 ] && continue
      [ $q != spill ] && [ $f -gt 2 ] && continue
      o=(); n=()
      for r in $(seq 1 "$RUNS"); do o+=("$(field "${res[old,$q,$r]}" $f)"); n+=("$(field "${res[new,$q,$r]}" $f)"); done
      mo=$(median "${o[@]}"); mn=$(median "${n[@]}")
      ratio=$(awk -v a="$mo" -v b="$mn" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')
      echo "| $q: ${name[$f]} | $mo | $mn | $ratio |"
    done
  done
  echo
  echo "$spec; medians of $RUNS interleaved runs; serial plans; work_mem $WORK_MEM (spill: $SPILL_MEM)."
}
if [ -n "$out_md" ]; then report | tee "$out_md"; else report; fi
