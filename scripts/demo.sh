#!/bin/bash
# The main job of README.md, from a clean clone, as root on Debian 12:
# install the packages, build and install rfm, start a throwaway cluster with
# rfm preloaded, load the shipped CDNOW data and show what rfm computes.
#
# Usage: bash scripts/demo.sh [--keep]
#   --keep (or KEEP=1)  leave the cluster running afterwards, to look around
#                       (the command to connect and the one to stop it are
#                       printed); by default it is stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

keep=${KEEP:-0}
for arg in "$@"; do
  case $arg in
    --keep) keep=1 ;;
    *) echo "usage: bash scripts/demo.sh [--keep]" >&2; exit 2 ;;
  esac
done

install_packages
build_and_install "$root"
start_cluster 5498
psql_as_postgres -q -d postgres -c "CREATE DATABASE rfm_demo"
log "running demo/demo.sql"
(cd "$WORK" && psql_as_postgres -d rfm_demo -f demo/demo.sql)
if [ "$keep" = 1 ]; then
  trap - EXIT
  log "done; the cluster keeps running. Connect with:
    runuser -u postgres -- $CLUSTER_BIN/psql -h $PGHOST -p $PGPORT -d rfm_demo
and stop it with:
    runuser -u postgres -- $CLUSTER_BIN/pg_ctl -D $WORK/pgdata stop"
else
  log "done; the cluster is stopped and $WORK can be removed (bash scripts/demo.sh --keep leaves it running)"
fi
