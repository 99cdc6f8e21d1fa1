#!/bin/bash
# The main job of README.md, from a clean clone, as root on Debian 12:
# install the packages, build and install rfm, start a throwaway cluster with
# rfm preloaded, load the shipped CDNOW data and show what rfm computes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

install_packages
build_and_install "$root"
start_cluster 5498
psql_as_postgres -q -d postgres -c "CREATE DATABASE rfm_demo"
log "running demo/demo.sql"
(cd "$WORK" && psql_as_postgres -d rfm_demo -f demo/demo.sql)
log "done; the cluster is stopped and $WORK can be removed"
