#!/bin/bash
# A model refresh on Citus against the same model on one node (docs/scale-out.md): on a running Citus coordinator
# with workers and rfm installed (bring your own Citus: rfm never builds or ships it), MEMBERS members with ORDERS
# orders over two years, in a table distributed by member and in a plain table of the coordinator, and a model on
# each (both incremental: the distributed one's capture triggers run on the shards), and a second one on the plain
# table refreshed with full => true every time (every state rebuilt on one node and compared with the kept ones).
# Times, per round, the three refreshes at the end of a month, then again at the end of the next one after 1 %
# new orders, and the insert of those orders into the distributed table with the model's capture and into a
# distributed copy without a model. Prints the plans of the state rebuild on the distributed table (every member,
# and the touched ones, into the model's members, distributed with the orders) and of rfm.breaks over those members. All nodes of a test cluster on one machine share its cores: the plan shapes matter more
# than the times.
#
# Usage: PGHOST=... PGPORT=... PGUSER=postgres bench/citus_refresh.sh
# Environment: MEMBERS (200000), ORDERS (2000000), RUNS (3), OUT (bench/results/citus_refresh-<date>.txt).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MEMBERS=${MEMBERS:-200000}
ORDERS=${ORDERS:-2000000}
RUNS=${RUNS:-3}
OUT=${OUT:-$here/results/citus_refresh-$(date +%F).txt}
psql_() { psql -X -v ON_ERROR_STOP=1 -q -At -d postgres "$@"; }
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT" >&2; }
timed() { psql -X -v ON_ERROR_STOP=1 -q -d postgres -c 'SET client_min_messages = warning' -c '\timing on' -c "$1" |
            sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1 | awk '{printf "%.2f", $1 / 1000}'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

: >"$OUT"
log "Citus refresh benchmark: $MEMBERS members, $ORDERS orders, $RUNS rounds; $(psql_ -c "SELECT 'Citus ' || extversion FROM pg_extension WHERE extname = 'citus'"), $(psql_ -c 'SHOW server_version'), workers: $(psql_ -c 'SELECT count(*) FROM citus_get_active_worker_nodes()')"
psql_ <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_dist, bench_plain, bench_nocap;
SELECT rfm.drop_model(name) FROM rfm.model WHERE name IN ('bd', 'bp', 'bf');
SELECT setseed(0.5);
CREATE TABLE bench_plain (member_id bigint, ordered_at date, amount numeric(12,2));
INSERT INTO bench_plain
SELECT 1 + (random() * ($MEMBERS - 1))::bigint, DATE '2023-01-01' + (random() * 729)::int, round((5 + random() * 200)::numeric, 2)
  FROM generate_series(1, $ORDERS);
CREATE INDEX ON bench_plain (member_id);
CREATE TABLE bench_dist (LIKE bench_plain);
SELECT create_distributed_table('bench_dist', 'member_id');
INSERT INTO bench_dist SELECT * FROM bench_plain;
CREATE INDEX ON bench_dist (member_id);
CREATE TABLE bench_nocap (LIKE bench_plain);
SELECT create_distributed_table('bench_nocap', 'member_id');
INSERT INTO bench_nocap SELECT * FROM bench_plain;
CREATE INDEX ON bench_nocap (member_id);
VACUUM ANALYZE bench_plain;
VACUUM ANALYZE bench_dist;
SELECT rfm.create_model('bd', 'bench_dist');
SELECT rfm.create_model('bp', 'bench_plain');
SELECT rfm.create_model('bf', 'bench_plain');
SQL
log "the rebuild of every state on the distributed table (the statement of rfm._refresh_states, into the co-located members):"
psql_ -c "EXPLAIN (VERBOSE, COSTS OFF)
  INSERT INTO rfm_bd.members (member_id, purchases)
  SELECT o.member_id, rfm.purchases_agg(o.t, o.a) AS purchases
    FROM (SELECT o.member_id, o.ordered_at AS t, o.amount AS a FROM bench_dist o WHERE o.member_id IS NOT NULL ORDER BY 1, 2, 3) o
   GROUP BY 1 HAVING rfm.purchases_agg(o.t, o.a) IS NOT NULL" | tee -a "$OUT"
declare -a td tp tf fd fp ff ic in
for r in $(seq 1 "$RUNS"); do
  d1=$(psql_ -c "SELECT (DATE '2024-06-30' + interval '1 month' * ($r - 1) * 2)::date")
  d2=$(psql_ -c "SELECT (DATE '$d1' + interval '1 month')::date")
  fd+=("$(timed "SELECT rfm.refresh('bd', '$d1')")")
  fp+=("$(timed "SELECT rfm.refresh('bp', '$d1')")")
  ff+=("$(timed "SELECT rfm.refresh('bf', '$d1', \"full\" => true)")")
  # 1 % new orders, the same on both tables
  psql_ -c "CREATE TEMP TABLE new_orders AS SELECT 1 + (random() * ($MEMBERS - 1))::bigint AS member_id,
                   DATE '$d2' - (random() * 20)::int AS ordered_at, round((5 + random() * 200)::numeric, 2) AS amount
              FROM generate_series(1, $ORDERS / 100);
            CREATE TABLE new_orders_$r AS TABLE new_orders; INSERT INTO bench_plain SELECT * FROM new_orders"
  ic+=("$(timed "INSERT INTO bench_dist SELECT * FROM new_orders_$r")")
  in+=("$(timed "INSERT INTO bench_nocap SELECT * FROM new_orders_$r")")
  psql_ -c "DROP TABLE new_orders_$r"
  if [ "$r" = 1 ]; then
    log "the state rebuild of the touched members (after the capture queued them on the shards):"
    psql_ -c "CREATE TEMP TABLE _rfm_touched AS SELECT DISTINCT member_id FROM rfm.cq_bd;
              EXPLAIN (VERBOSE, COSTS OFF)
              INSERT INTO rfm_bd.members (member_id, purchases)
              SELECT o.member_id, rfm.purchases_agg(o.t, o.a) AS purchases
                FROM (SELECT o.member_id, o.ordered_at AS t, o.amount AS a FROM bench_dist o
                       WHERE o.member_id IN (SELECT member_id FROM _rfm_touched) ORDER BY 1, 2, 3) o
               GROUP BY 1 HAVING rfm.purchases_agg(o.t, o.a) IS NOT NULL" | tee -a "$OUT"
  fi
  td+=("$(timed "SELECT rfm.refresh('bd', '$d2')")")
  tp+=("$(timed "SELECT rfm.refresh('bp', '$d2')")")
  tf+=("$(timed "SELECT rfm.refresh('bf', '$d2', \"full\" => true)")")
  log "round $r: month end $d1: distributed ${fd[-1]} s, one node ${fp[-1]} s, one node full ${ff[-1]} s; next month end after 1 % new orders ($d2): distributed ${td[-1]} s, one node ${tp[-1]} s, one node full ${tf[-1]} s; insert of the new orders: with capture ${ic[-1]} s, without ${in[-1]} s"
done
log "medians: month end: distributed $(median "${fd[@]}") s, one node $(median "${fp[@]}") s, one node full $(median "${ff[@]}") s; after 1 %: distributed $(median "${td[@]}") s, one node $(median "${tp[@]}") s, one node full $(median "${tf[@]}") s; insert of 1 %: with capture $(median "${ic[@]}") s, without $(median "${in[@]}") s"
log "rfm.breaks over the model's members (distributed with the orders):"
psql_ -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT rfm.breaks(rfm.monetary(purchases, DATE '2024-12-31'), 5) FROM rfm_bd.members" | tee -a "$OUT"
same=$(psql_ -c "SELECT count(*) FROM ((TABLE rfm_bd.labels EXCEPT ALL TABLE rfm_bp.labels) UNION ALL (TABLE rfm_bp.labels EXCEPT ALL TABLE rfm_bd.labels)) x")
same_full=$(psql_ -c "SELECT count(*) FROM ((TABLE rfm_bd.labels EXCEPT ALL TABLE rfm_bf.labels) UNION ALL (TABLE rfm_bf.labels EXCEPT ALL TABLE rfm_bd.labels)) x")
log "labels differing at the end: distributed vs one node $same, distributed vs one node full $same_full"
