# Shared steps of scripts/demo.sh and .ci/run: packages, build, a throwaway
# cluster.  Meant to be sourced by bash, as root, on Debian 12.

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PACKAGES="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-$PG_MAJOR-pgtap
  libtap-parser-sourcehandler-pgtap-perl libipc-run-perl make gcc python3-psycopg2 python3-pandas"

log() { printf '\n== %s\n' "$*"; }

# Install the Debian packages that are missing (no network when all are there).
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
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $PACKAGES >/dev/null
  # Debian's postgresql package starts a default cluster; we use our own.
  if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
    pg_ctlcluster "$PG_MAJOR" main stop 2>/dev/null || true
  fi
}

# Copy the source tree to a scratch folder owned by postgres (PostgreSQL
# refuses to run as root and pg_regress writes beside the sources), then
# build there and install the extension system-wide.
# Sets WORK (the scratch folder).
build_and_install() {
  local src=$1
  WORK=$(mktemp -d /tmp/rfm-build.XXXXXX)
  log "building in $WORK"
  tar -C "$src" --exclude=.git -cf - . | tar -C "$WORK" -xf -
  chown -R postgres "$WORK"
  runuser -u postgres -- env CI="${CI:-}" make -C "$WORK" -s >/dev/null 2>"$WORK/build.log" \
    || { cat "$WORK/build.log"; return 1; }
  grep -i "warning" "$WORK/build.log" || true
  make -C "$WORK" -s install >/dev/null
}

# A free TCP port, starting from $1.
free_port() {
  local p=$1
  while (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# Start a throwaway cluster in $WORK/pgdata with rfm preloaded.
# Sets PGHOST (socket folder) and PGPORT for psql and pg_prove.
start_cluster() {
  PGPORT=$(free_port "${1:-5499}")
  PGHOST=$WORK/sock
  export PGHOST PGPORT PGUSER=postgres
  runuser -u postgres -- mkdir -p "$PGHOST"
  log "starting a throwaway cluster on port $PGPORT (socket $PGHOST)"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pgdata" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$WORK/pgdata/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = ''
unix_socket_directories = '$PGHOST'
shared_preload_libraries = 'rfm'
max_worker_processes = 16
CONF
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pgdata" -l "$WORK/pgdata.log" -w start >/dev/null
  trap stop_cluster EXIT
}

stop_cluster() {
  [ -n "${WORK:-}" ] && [ -d "$WORK/pgdata" ] &&
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pgdata" -m fast -w stop >/dev/null 2>&1
  return 0
}

psql_as_postgres() {
  runuser -u postgres -- env PGHOST="$PGHOST" PGPORT="$PGPORT" psql -X -v ON_ERROR_STOP=1 "$@"
}
