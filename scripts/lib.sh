# Shared steps of scripts/demo.sh and .ci/run: packages, build, a throwaway
# cluster.  Meant to be sourced by bash, as root, on Debian 12.

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PACKAGES="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-$PG_MAJOR-pgtap
  libtap-parser-sourcehandler-pgtap-perl libipc-run-perl make gcc python3-psycopg2 python3-pandas"

log() { printf '\n== %s\n' "$*"; }

# apt-get update, then apt-get install of the packages named, with services kept from starting meanwhile (the
# usual policy-rc.d way: Debian's postgresql package creates a default cluster and starts it, and an upgrade of
# postgresql-common starts the clusters), so that no server runs that these scripts did not start. A cluster that
# was there before is never stopped or changed.
apt_install() {
  local policy=/usr/sbin/policy-rc.d added='' rc
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# added by rfm scripts/lib.sh for the time of an install\nexit 101\n' >"$policy"
    chmod +x "$policy"
    added=1
  fi
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "$@" >/dev/null
  rc=$?
  [ -n "$added" ] && rm -f "$policy"
  return $rc
}

# Install the Debian packages of $PACKAGES that are missing (no network when all are there).
install_packages() {
  if [ "$(id -u)" != 0 ]; then
    echo "run as root (packages are installed with apt-get)" >&2
    return 1
  fi
  # shellcheck disable=SC2086
  if dpkg -s $PACKAGES >/dev/null 2>&1; then
    log "packages already installed"
    return 0
  fi
  log "installing packages"
  # shellcheck disable=SC2086
  apt_install $PACKAGES
}

# Copy the source tree to a scratch folder owned by postgres (PostgreSQL
# refuses to run as root and pg_regress writes beside the sources), then
# build there with $PG_CONFIG (default: Debian's PostgreSQL $PG_MAJOR) and
# install the extension into that PostgreSQL.
# Sets WORK (the scratch folder).
build_and_install() {
  local src=$1
  PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
  WORK=$(mktemp -d /tmp/rfm-build.XXXXXX)
  log "building in $WORK for $("$PG_CONFIG" --version) ($PG_CONFIG)"
  tar -C "$src" --exclude=.git -cf - . | tar -C "$WORK" -xf -
  chown -R postgres "$WORK"
  runuser -u postgres -- env CI="${CI:-}" make -C "$WORK" -s PG_CONFIG="$PG_CONFIG" >"$WORK/build.out" 2>"$WORK/build.log" \
    || { cat "$WORK/build.out" "$WORK/build.log"; return 1; }
  grep -i "warning" "$WORK/build.log" || true
  # Scripts of rfm that an earlier build installed and this one does not ship (e.g. a frozen install script
  # since removed) would otherwise stay and hide the removal from the tests.
  rm -f "$("$PG_CONFIG" --sharedir)"/extension/rfm--*.sql
  make -C "$WORK" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# A free TCP port, starting from $1.
free_port() {
  local p=$1
  while (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# Start a throwaway cluster in $WORK/pgdata with the binaries of $PG_CONFIG
# (default Debian's $PG_MAJOR), rfm preloaded unless PRELOAD=0, listening on
# TCP only at LISTEN (e.g. 127.0.0.1; default none, the socket only).
# Sets PGHOST (socket folder) and PGPORT for psql and pg_prove.
start_cluster() {
  local bin
  bin=$("${PG_CONFIG:-$PG_BIN/pg_config}" --bindir)
  PGPORT=$(free_port "${1:-5499}")
  PGHOST=$WORK/sock
  export PGHOST PGPORT PGUSER=postgres
  runuser -u postgres -- mkdir -p "$PGHOST"
  log "starting a throwaway cluster on port $PGPORT (socket $PGHOST)"
  rm -rf "$WORK/pgdata"   # a throwaway cluster of an earlier suite, stopped
  runuser -u postgres -- "$bin/initdb" -D "$WORK/pgdata" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$WORK/pgdata/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = '${LISTEN:-}'
unix_socket_directories = '$PGHOST'
max_worker_processes = 16
CONF
  [ "${PRELOAD:-1}" = 1 ] && echo "shared_preload_libraries = 'rfm'" >>"$WORK/pgdata/postgresql.conf"
  runuser -u postgres -- "$bin/pg_ctl" -D "$WORK/pgdata" -l "$WORK/pgdata.log" -w start >/dev/null
  CLUSTER_BIN=$bin
  trap stop_cluster EXIT
}

stop_cluster() {
  [ -n "${WORK:-}" ] && [ -d "$WORK/pgdata" ] &&
    runuser -u postgres -- "${CLUSTER_BIN:-$PG_BIN}/pg_ctl" -D "$WORK/pgdata" -m fast -w stop >/dev/null 2>&1
  return 0
}

psql_as_postgres() {
  runuser -u postgres -- env PGHOST="$PGHOST" PGPORT="$PGPORT" "${CLUSTER_BIN:-$PG_BIN}/psql" -X -v ON_ERROR_STOP=1 "$@"
}
