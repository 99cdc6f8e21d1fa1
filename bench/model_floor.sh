#!/usr/bin/env bash
# How cheap could an incremental refresh be? The work that any refresh keeping the contract (SPEC section 7:
# member states in tables, a label_history row for every label change) cannot skip, timed alone on the
# benchmark's data, beside the real refresh and the real full rebuild of every state.
#
# Usage: bench/model_floor.sh [OUTPUT.txt]
#
# Needs what bench/model_bench.sh needs (bench.orders loaded, rfm installed, a superuser through PG*), no other
# session on the machine. Steps:
#  1. a model 'floor' on bench.orders (default options, quantile scores), first refresh as of AS_OF; the member
#     index that rfm.create_model advises (built if missing, dropped at the end if built here);
#  2. one order dated AS_OF + 1 for each member with member_id % 100 = 7 (1 % of the members, as model_bench.sh);
#  3. RUNS × each of, in a transaction rolled back (a VACUUM of the model's tables after each):
#       rebuild_states     every member's state aggregated from the sorted orders (no write): the floor of a
#                          full refresh, which must re-read the source
#       touched_states     the touched members' states aggregated through the member index and written over
#                          their rows of members: the floor of the incremental refresh's first step
#       incremental        rfm.refresh('floor', AS_OF + 1): the real thing
#       full               rfm.refresh('floor', AS_OF + 1, "full" => true): the real thing
#  4. the incremental refresh once more, committed; then RUNS × each of, rolled back, on the members whose
#     labels it changed (their label_history rows opened that day: the same rows, the same count):
#       history_insert     one label_history row per changed member (what "appends label changes" costs)
#       history_close      their open rows closed (valid_to set), as a refresh the day after would do
#       label_state_hot    their label_state rows rewritten with the same indexed values (HOT updates: the
#                          cheapest way to store a changed label in a row per member)
#  5. drop the model, delete the inserted orders, VACUUM (ANALYZE) bench.orders.
# Every timed statement runs on a fresh connection after a CHECKPOINT, with the settings of model_bench.sh.
set -euo pipefail

RUNS="${RUNS:-3}"
AS_OF="${AS_OF:-2024-12-31}"
raw="${1:-/tmp/model_floor-$(date +%Y%m%d-%H%M%S).txt}"
D1=$(date -d "$AS_OF + 1 day" +%F)
# shellcheck source=model_common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/model_common.sh"   # MARK, SETTINGS, psql_, log, new_orders_*
: > "$raw"

# timed SQL [PREP]: PREP (untimed), then SQL, inside BEGIN ... ROLLBACK; prints the seconds of SQL alone (a
# refresh timed so leaves out its commit: 0.01-0.03 s in model_bench.sh's timelines)
timed() {
    psql -X -q -v ON_ERROR_STOP=1 -At <<EOF | tail -1
$SETTINGS
CHECKPOINT;
BEGIN;
${2:-}
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
$1
SELECT round(extract(epoch FROM clock_timestamp() - to_timestamp(:t0))::numeric, 2);
ROLLBACK;
EOF
}
vacuum_model() { psql_ -c "VACUUM rfm_floor.members" -c "VACUUM rfm_floor.label_state" -c "VACUUM rfm_floor.label_history"; }
median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
declare -A res
run() {  # NAME SQL [PREP]
    local t all=""
    for i in $(seq 1 "$RUNS"); do
        t=$(timed "$2" "${3:-}"); all="$all $t"
        vacuum_model
    done
    res[$1]=$(echo $all | median)
    log "$(printf '%-16s %6s s   (runs:%s)' "$1" "${res[$1]}" "$all")"
}

log "model_floor.sh: rfm $(psql_ -c "SELECT extversion FROM pg_extension WHERE extname = 'rfm'"); $(nproc) cores; RUNS=$RUNS AS_OF=$AS_OF"
psql_ -c "SET client_min_messages = warning" -c "SELECT rfm.drop_model('floor') FROM rfm.model WHERE name = 'floor'" >/dev/null
psql_ -c "DELETE FROM bench.orders WHERE $(new_orders_where "$AS_OF")" >/dev/null
built_index=0
if [[ -z "$(psql_ -c "SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                       WHERE i.indrelid = 'bench.orders'::regclass AND a.attname = 'member_id'")" ]]; then
    psql_ -c "CREATE INDEX orders_member_id ON bench.orders (member_id)"; built_index=1
    log "built index orders_member_id on bench.orders (member_id)"
fi
log "bench.orders: $(psql_ -c "SELECT count(*) || ' rows, ' || count(DISTINCT member_id) || ' members' FROM bench.orders")"

# 1-2. the model, its first refresh, 1 % new orders on the next day
psql_ -c "$SETTINGS SELECT rfm.create_model('floor', 'bench.orders')" >/dev/null
log "first refresh as of $AS_OF: $(psql_ -c "$SETTINGS SELECT elapsed FROM rfm.refresh('floor', DATE '$AS_OF')")"
psql_ -c "$SETTINGS $(new_orders_sql 7 "$D1")"
psql_ -c "VACUUM (ANALYZE) bench.orders"
# the touched members: rfm.change_queue since 1.7, the model's changes table before
if [[ -n "$(psql_ -c "SELECT to_regclass('rfm.change_queue')")" ]]; then
    touched="(SELECT member_id::bigint FROM rfm.change_queue WHERE model = 'floor')"
else
    touched="(SELECT member_id FROM rfm_floor.changes)"
fi
log "touched members: $(psql_ -c "SELECT count(DISTINCT member_id) FROM $touched t")"

# 3. the floors of the two refreshes' first step, and the refreshes themselves
agg="SELECT o.member_id, rfm.purchases_agg(o.t, o.a) AS purchases
       FROM (SELECT member_id, ordered_at AS t, amount AS a FROM bench.orders o WHERE %s ORDER BY 1, 2, 3) o
      GROUP BY 1"
run rebuild_states "SET enable_incremental_sort = off; SELECT count(*) FROM ($(printf "$agg" "member_id IS NOT NULL")) s;"
run touched_states "SET enable_hashjoin = off; SET enable_mergejoin = off;
  UPDATE rfm_floor.members m SET purchases = n.purchases
    FROM ($(printf "$agg" "member_id IN $touched")) n WHERE m.member_id = n.member_id;"
run incremental "SELECT changed AS incremental_changed FROM rfm.refresh('floor', DATE '$D1');"
run full "SELECT changed FROM rfm.refresh('floor', DATE '$D1', \"full\" => true);"

# 4. the writes of the changed labels, on the members the incremental refresh changed
log "incremental refresh, committed: $(psql_ -c "$SETTINGS SELECT 'changed ' || changed || ', ' || elapsed FROM rfm.refresh('floor', DATE '$D1')")"
prep="CREATE TEMP TABLE c AS SELECT * FROM rfm_floor.label_history WHERE valid_from = DATE '$D1';
      ANALYZE c;"
log "label changes (history rows opened $D1): $(psql_ -c "SELECT count(*) FROM rfm_floor.label_history WHERE valid_from = DATE '$D1'")"
run history_insert "INSERT INTO rfm_floor.label_history SELECT member_id, DATE '$D1' + 1, NULL, r_score, f_score, m_score,
                      segment, value_segment, napl, nes, dciu, tier FROM c ORDER BY member_id;" "$prep"
run history_close "SET enable_hashjoin = off; SET enable_mergejoin = off;
  UPDATE rfm_floor.label_history h SET valid_to = DATE '$D1' + 1 FROM c
   WHERE h.member_id = c.member_id AND h.valid_from = c.valid_from;" "$prep"
run label_state_hot "SET enable_hashjoin = off; SET enable_mergejoin = off;
  UPDATE rfm_floor.label_state l SET r_score = c.r_score, f_score = c.f_score, m_score = c.m_score, segment = c.segment
    FROM c WHERE l.member_id = c.member_id;" "$prep"

# 5. clean up
psql_ -c "SET client_min_messages = warning" -c "SELECT rfm.drop_model('floor')" >/dev/null
psql_ -c "DELETE FROM bench.orders WHERE $(new_orders_where "$AS_OF")" >/dev/null
[[ $built_index == 1 ]] && psql_ -c "DROP INDEX bench.orders_member_id"
psql_ -c "VACUUM (ANALYZE) bench.orders"
log "bench.orders restored: $(psql_ -c "SELECT count(*) FROM bench.orders") rows"

# the floor of an incremental refresh: its first step and the label writes the contract asks for
awk -v r="${res[rebuild_states]}" -v t="${res[touched_states]}" -v i="${res[incremental]}" -v f="${res[full]}" \
    -v hi="${res[history_insert]}" -v hc="${res[history_close]}" -v ls="${res[label_state_hot]}" 'BEGIN{
  floor = t + hi + hc + ls
  printf "incremental / full (real):                        %.2f / %.2f = %.3f\n", i, f, i / f
  printf "touched states / every state (first steps alone): %.2f / %.2f = %.3f\n", t, r, t / r
  printf "floor of an incremental refresh (touched states + history insert + close + HOT label rows): %.2f s\n", floor
  printf "floor / (every state + the same writes):          %.2f / %.2f = %.3f\n", floor, r + floor, floor / (r + floor)
  printf "floor without closing history rows, without label_state: %.2f s; / (every state + it) = %.3f\n", t + hi, (t + hi) / (r + t + hi)
}' | tee -a "$raw"
