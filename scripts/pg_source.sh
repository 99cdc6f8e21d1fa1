# Builds a PostgreSQL major version (and pgTAP for it) from Debian's own
# source packages, into a private prefix kept in a cache folder outside the
# clone.  Meant to be sourced by bash, as root, on Debian 12 (after lib.sh).
#
# Debian 12 carries no binary package of PostgreSQL 18.  Its source package
# is in the archive's newer suites (sid).  We read that suite's source index
# with a private apt configuration (its own sources list, lists and cache
# folders under the cache folder), used for these source downloads only: the
# machine's apt sources are never changed and no binary package from another
# suite is ever installed (it would replace the C library).  The upstream
# tarball inside the source package is built with upstream `configure`,
# without Debian's patches (they relocate the library folder).
#
# The prefix is keyed by the source version (e.g. .../pg-18.6-3), so a
# machine that already built it reuses it; a fresh machine needs about five
# minutes on 2 cores.

RFM_CACHE=${RFM_CACHE:-/var/cache/rfm}
# Debian 12 packages the source build needs (compiler and make come from lib.sh's list).
PG_SOURCE_BUILD_DEPS="bison flex libreadline-dev zlib1g-dev libipc-run-perl perl xz-utils bzip2 dpkg-dev"

# The suites whose source packages are read: sid has PostgreSQL 18, trixie
# (Debian 13) has 17.  The newest version of a package among them is taken.
PG_SOURCE_SUITES=${PG_SOURCE_SUITES:-sid trixie}

# apt-get (or apt-cache: $1) with the private configuration of $RFM_CACHE/apt:
# deb-src lines for $PG_SOURCE_SUITES on the machine's own Debian mirror.
private_apt() {
  local dir=$RFM_CACHE/apt uri suite
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  # The mirror the machine already uses for Debian 12.
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 ~ /bookworm/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$uri" ] || { echo "no Debian mirror found in /etc/apt" >&2; return 1; }
  for suite in $PG_SOURCE_SUITES; do
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main"
  done >"$dir/sources.list"
  "$1" -q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o Dir::State::status=/dev/null \
    -o APT::Sandbox::User=root "${@:2}"
}

# The versions of source package $1 in the private index (updated first),
# newest first.
debian_source_versions() {
  private_apt apt-get update >/dev/null 2>&1 || return 1
  private_apt apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V -r | grep .
}

# Download the upstream tarball (the .orig.tar.* of the source package) of
# the newest version of source package $1 that the mirror serves into folder
# $2, and print that version.  Only that file is needed (nothing of Debian's
# packaging is applied); apt checks it against the index's hashes.  A mirror
# may list a version whose files it does not serve, or serve the tarball but
# not the .dsc: the next older version is tried.
fetch_debian_source() {
  local v
  mkdir -p "$2"
  for v in $(debian_source_versions "$1"); do
    (cd "$2" && private_apt apt-get source --download-only "$1=$v" >/dev/null 2>&1)
    if compgen -G "$2/${1}_${v%%-*}.orig.tar.*" >/dev/null; then
      echo "$v"
      return 0
    fi
    echo "source package $1 $v is listed but its upstream tarball could not be downloaded" >&2
  done
  echo "no source package $1 could be downloaded from Debian's archive" >&2
  return 1
}

# Build PostgreSQL major $1 from Debian's source package into
# $RFM_CACHE/pg-<version>/prefix, with pgTAP, the isolation tester and the TAP
# test modules installed there, unless that prefix is already complete.
# Without the archive (no network), the newest complete prefix of that major
# already in the cache is used.
# Sets PG_SRC_BIN (the prefix's bin folder).  Returns 2 when Debian's archive
# does not serve the source (and none was built before), 1 when the build fails.
build_pg_from_source() {
  local major=$1 dl version orig prefix src log pgtap_version
  # The newest version listed, if built before; without the archive (no
  # network), the newest complete prefix of that major in the cache.
  if ! version=$(debian_source_versions "postgresql-$major" | head -1); then
    prefix=$(ls -d "$RFM_CACHE"/pg-"$major".*/prefix/.complete 2>/dev/null | sort -V | tail -1)
    [ -n "$prefix" ] || { echo "no source package postgresql-$major in Debian's archive, and none built before" >&2; return 2; }
    PG_SRC_BIN=$(dirname "$prefix")/bin
    log "Debian's archive not reached: PostgreSQL $major from the cache ($("$PG_SRC_BIN/pg_config" --version))"
    return 0
  fi
  if [ -e "$RFM_CACHE/pg-$version/prefix/.complete" ]; then
    PG_SRC_BIN=$RFM_CACHE/pg-$version/prefix/bin
    log "PostgreSQL $version (Debian's source package) from the cache: $RFM_CACHE/pg-$version/prefix"
    return 0
  fi
  # shellcheck disable=SC2086
  dpkg -s $PG_SOURCE_BUILD_DEPS >/dev/null 2>&1 || apt_install $PG_SOURCE_BUILD_DEPS || return 1
  log "fetching Debian's source package postgresql-$major"
  dl=$(mktemp -d /tmp/rfm-pgsrc.XXXXXX)
  version=$(fetch_debian_source "postgresql-$major" "$dl") || { rm -rf "$dl"; return 2; }
  prefix=$RFM_CACHE/pg-$version/prefix
  if [ -e "$prefix/.complete" ]; then
    PG_SRC_BIN=$prefix/bin
    log "PostgreSQL $version (Debian's source package) from the cache: $prefix"
    rm -rf "$dl"
    return 0
  fi
  src=$RFM_CACHE/pg-$version/src
  log=$RFM_CACHE/pg-$version/build.log
  rm -rf "$RFM_CACHE/pg-$version"
  mkdir -p "$src"
  orig=$(ls "$dl"/postgresql-"$major"_"${version%%-*}".orig.tar.* | head -1)
  tar -C "$src" --strip-components=1 -xf "$orig" || return 1
  chown -R postgres "$RFM_CACHE/pg-$version"
  log "building PostgreSQL $version (upstream configure, no Debian patches) into $prefix; log: $log"
  runuser -u postgres -- bash -c "
    set -e
    cd '$src'
    ./configure --prefix='$prefix' --enable-tap-tests --enable-debug --without-icu --with-readline >'$log' 2>&1
    make -j$(nproc) -s world-bin >>'$log' 2>&1
    make -s install-world-bin >>'$log' 2>&1
    make -C src/test/isolation -s install >>'$log' 2>&1
    make -C src/test/perl -s install >>'$log' 2>&1
  " || { tail -n 40 "$log"; return 1; }

  log "fetching and building Debian's source package pgtap for PostgreSQL $version"
  pgtap_version=$(fetch_debian_source pgtap "$dl/pgtap") || return 1
  mkdir -p "$src/pgtap"
  tar -C "$src/pgtap" --strip-components=1 -xf "$(ls "$dl"/pgtap/pgtap_"${pgtap_version%%-*}".orig.tar.* | head -1)" || return 1
  chown -R postgres "$src/pgtap"
  runuser -u postgres -- make -C "$src/pgtap" -s PG_CONFIG="$prefix/bin/pg_config" >>"$log" 2>&1 &&
    runuser -u postgres -- make -C "$src/pgtap" -s PG_CONFIG="$prefix/bin/pg_config" install >>"$log" 2>&1 ||
    { tail -n 40 "$log"; return 1; }
  echo "postgresql $version, pgtap $pgtap_version" >"$prefix/.complete"
  rm -rf "$dl" "$src"
  PG_SRC_BIN=$prefix/bin
  log "PostgreSQL $version built: $("$PG_SRC_BIN/pg_config" --version)"
}
