#!/bin/bash
# The Citus suite (docs/scale-out.md): starts a coordinator and two workers on loopback from the PostgreSQL of
# PG_CONFIG, with the Citus installed there (never built or shipped by rfm: bring your own), creates rfm on the
# coordinator and runs test/citus/cdnow.sql, aggregates.sql, options.sql and worker_writes.sql, which print one line per check, "citus <check>: passed" or
# "citus <check>: FAILED (...)". Where Citus is not installed it says so, "citus: skipped (...)", and exits 0.
#
# Usage (as the postgres user, or any non-root user): PG_CONFIG=... bash test/citus/run.sh
# Environment: CITUS_PORT (first of three ports, default 56200), CITUS_DIR (default: a new temporary folder).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# the data sets of ../shared/data (as .ci/run exports it)
shared=${RFM_SHARED_DATA:-$root/../shared/data}
PG_CONFIG=${PG_CONFIG:-pg_config}
bin=$("$PG_CONFIG" --bindir)
if [ ! -e "$("$PG_CONFIG" --pkglibdir)/citus.so" ]; then
  echo "citus: skipped (Citus is not installed in $("$PG_CONFIG" --pkglibdir); it is not in Debian's archive: see docs/scale-out.md)"
  exit 0
fi
port=${CITUS_PORT:-56200}
dir=${CITUS_DIR:-$(mktemp -d /tmp/rfm-citus.XXXXXX)}
nodes=(coord w1 w2)
psql_() { "$bin/psql" -X -v ON_ERROR_STOP=1 -q -h 127.0.0.1 "$@"; }
# the nodes stopped, and their data (1.5 GB after the suite) removed unless CITUS_DIR named the folder
stop_all() {
  for i in 0 1 2; do "$bin/pg_ctl" -D "$dir/${nodes[$i]}" -m fast -w stop >/dev/null 2>&1; done
  [ -n "${CITUS_DIR:-}" ] || rm -rf "$dir"
}
trap stop_all EXIT

for i in 0 1 2; do
  n=${nodes[$i]}
  "$bin/initdb" -D "$dir/$n" -U postgres -A trust -E UTF8 >/dev/null || { echo "citus setup: FAILED (initdb)"; exit 1; }
  cat >>"$dir/$n/postgresql.conf" <<CONF
port = $((port + i))
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus,rfm'
wal_level = logical
max_worker_processes = 16
CONF
  "$bin/pg_ctl" -D "$dir/$n" -l "$dir/$n.log" -w start >/dev/null || { echo "citus setup: FAILED (start $n, $dir/$n.log)"; exit 1; }
  psql_ -p $((port + i)) -U postgres -d postgres -c "CREATE EXTENSION citus" || { echo "citus setup: FAILED (CREATE EXTENSION citus on $n)"; exit 1; }
done
psql_ -p "$port" -U postgres -d postgres \
  -c "SELECT citus_set_coordinator_host('127.0.0.1', $port)" \
  -c "SELECT citus_add_node('127.0.0.1', $((port + 1)))" \
  -c "SELECT citus_add_node('127.0.0.1', $((port + 2)))" \
  -c "CREATE EXTENSION rfm" >/dev/null || { echo "citus setup: FAILED (nodes, CREATE EXTENSION rfm)"; exit 1; }
psql_ -p "$port" -U postgres -d postgres -At -v cdnow="$root/data/cdnow/CDNOW_master.txt" -f "$here/cdnow.sql" 2>&1
rc=$?
[ $rc -eq 0 ] || echo "citus cdnow.sql: FAILED (psql exit code $rc)"
# the aggregates across members whose state is a real type since 1.7 (breaks, the lifetime value fits)
psql_ -p "$port" -U postgres -d postgres -At -v cdnow="$root/data/cdnow/CDNOW_master.txt" -f "$here/aggregates.sql" 2>&1
rc2=$?
[ $rc2 -eq 0 ] || echo "citus aggregates.sql: FAILED (psql exit code $rc2)"
# models with tiers, lifetime value and browsing events; no WARNING printed (Citus warned per view of a model)
out=$(psql_ -p "$port" -U postgres -d postgres -At -v cdnow="$root/data/cdnow/CDNOW_master.txt" \
        -v taobao="$shared/taobao-userbehavior-head/UserBehavior.csv" -f "$here/options.sql" 2>&1)
rc3=$?
printf '%s\n' "$out"
[ $rc3 -eq 0 ] || echo "citus options.sql: FAILED (psql exit code $rc3)"
# writes by a client connected to a worker
psql_ -p "$port" -U postgres -d postgres -At -v port="$port" -v wport=$((port + 1)) -f "$here/worker_writes.sql" 2>&1
rc4=$?
[ $rc4 -eq 0 ] || echo "citus worker_writes.sql: FAILED (psql exit code $rc4)"
warnings=$(printf '%s\n' "$out" | grep -c 'WARNING')
if [ "$warnings" -eq 0 ]; then echo "citus no WARNING while making, refreshing and dropping models: passed"
else echo "citus no WARNING while making, refreshing and dropping models: FAILED ($warnings warnings)"; fi
