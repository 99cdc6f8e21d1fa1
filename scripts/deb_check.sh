# deb_check SRC_TREE: build the Debian package of rfm from SRC_TREE, install
# it, and run the pg_regress suite against the installed package.
#
# Meant to be sourced by bash after scripts/lib.sh (log, apt_install, PG_MAJOR, PG_BIN), as
# root on Debian 12; .ci/run calls `deb_check "$root"`.  Steps:
#   1. install the build dependencies that are missing (build-essential,
#      dpkg-dev, debhelper and debian/control's Build-Depends);
#   2. copy SRC_TREE (without .git) to a scratch folder under /tmp and run
#      `dpkg-buildpackage -us -uc -b` there (debian/rules runs no tests);
#   3. remove what `make install` of SRC_TREE put into the system (PGXS's
#      `make uninstall`: the control file and the scripts in
#      $(pg_config --sharedir)/extension, rfm.so and its bitcode in
#      $(pg_config --pkglibdir)), so that the files checked next can only come
#      from the package; any other rfm file left there is an error;
#   4. install the .deb with dpkg -i and check that rfm.so, rfm.control and
#      rfm--<default_version>.sql are the package's (dpkg -L, dpkg -S) and
#      unchanged (dpkg --verify);
#   5. run `make installcheck` (the Makefile's REGRESS list, in pg_regress's
#      throwaway --temp-instance with test/rfm.conf) as postgres from a second
#      copy of SRC_TREE, against the installed package: nothing is built or
#      installed there, and dpkg --verify afterwards proves the package's
#      files are still the ones the suite ran on;
#   6. purge the package.
# It prints pg_regress's summary ("All N tests passed." or "N of M tests
# failed."), returns non-zero on any failure, and keeps the scratch folder
# only then.  It reinstalls nothing: rfm is no longer installed from source
# afterwards, so a caller that needs it again runs `make install` again.
# Tests reading ../shared/data get it from $RFM_SHARED_DATA, passed through.
deb_check() {
  local src=${1:?usage: deb_check SRC_TREE}
  local major=${PG_MAJOR:-15}
  local pg_config=${PG_BIN:-/usr/lib/postgresql/$major/bin}/pg_config
  local pkg=postgresql-$major-rfm
  local scratch deps missing deb rc f owner version sharedir pkglibdir
  local owned leftovers

  if [ "$(id -u)" != 0 ]; then
    echo "deb_check: run as root (apt-get, dpkg -i, make uninstall)" >&2
    return 1
  fi
  src=$(cd "$src" && pwd) || return 1
  [ -f "$src/debian/control" ] || { echo "deb_check: no $src/debian/control" >&2; return 1; }

  # 1. Build dependencies: build-essential (dpkg-buildpackage requires it),
  # dpkg-dev, debhelper, and the package names of Build-Depends (first of any
  # alternatives, without versions, architectures or profiles; the virtual
  # debhelper-compat is debhelper's), installed only if dpkg-checkbuilddeps
  # finds something missing.
  if ! command -v dpkg-checkbuilddeps >/dev/null ||
     ! (cd "$src" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
    deps=$(awk '
        /^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
        on && /^[ \t]/    { print; next }
        { on = 0 }' "$src/debian/control" |
      tr ',' '\n' | sed -E 's/\|.*//; s/\([^)]*\)|\[[^]]*\]|<[^>]*>//g; s/^ *debhelper-compat *$/debhelper/' |
      tr -d ' \t' | grep -v '^$')
    missing=""
    for f in build-essential dpkg-dev debhelper $deps; do
      dpkg -s "$f" >/dev/null 2>&1 || missing="$missing $f"
    done
    log "installing build dependencies:${missing:- (installed, but older than debian/control asks)}"
    # (postgresql-server-dev-all may upgrade postgresql-common, whose postinst starts the clusters: apt_install
    # keeps services from starting meanwhile)
    rc=0
    # shellcheck disable=SC2086
    apt_install build-essential dpkg-dev debhelper $deps || rc=1
    if [ "$rc" -ne 0 ] || ! (cd "$src" && dpkg-checkbuilddeps); then
      return 1
    fi
  fi

  # 2. Build the package in a scratch copy: the .deb lands beside it.
  scratch=$(mktemp -d /tmp/rfm-deb.XXXXXX) || return 1
  chmod 755 "$scratch"   # postgres runs the suite from $scratch/regress
  mkdir "$scratch/src" "$scratch/regress"
  tar -C "$src" --exclude=.git -cf - . | tar -C "$scratch/src" -xf -
  tar -C "$src" --exclude=.git -cf - . | tar -C "$scratch/regress" -xf -
  chown -R postgres "$scratch/regress"
  log "building $pkg in $scratch/src (dpkg-buildpackage -us -uc -b)"
  if ! (cd "$scratch/src" && dpkg-buildpackage -us -uc -b) >"$scratch/build.log" 2>&1; then
    tail -n 40 "$scratch/build.log"
    echo "deb_check: dpkg-buildpackage failed; log in $scratch/build.log"
    return 1
  fi
  deb=$(find "$scratch" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
  [ -n "$deb" ] || { echo "deb_check: no ${pkg}_*.deb in $scratch"; return 1; }
  echo "built $(basename "$deb")"

  # 3. Remove what `make install` installed, exactly: PGXS's uninstall target
  # deletes the files its install target writes for this Makefile.  (The
  # caller re-runs `make install` if it needs rfm from source afterwards.)
  if dpkg -s "$pkg" >/dev/null 2>&1; then
    log "$pkg is installed already (an earlier run stopped midway?): purging it"
    dpkg -P "$pkg" || return 1
  fi
  log "removing the rfm files of a previous make install (make uninstall)"
  make -C "$scratch/regress" -s uninstall PG_CONFIG="$pg_config" >/dev/null || { rm -rf "$scratch"; return 1; }
  sharedir=$("$pg_config" --sharedir)
  pkglibdir=$("$pg_config" --pkglibdir)
  leftovers=$(find "$sharedir/extension" "$pkglibdir" "$pkglibdir/bitcode" -maxdepth 1 -name 'rfm*' 2>/dev/null)
  if [ -n "$leftovers" ]; then
    printf 'deb_check: rfm files that make uninstall does not know of (remove them by hand):\n%s\n' "$leftovers"
    rm -rf "$scratch"
    return 1
  fi

  # 4. Install the package; the extension's files must be its own.
  log "installing $(basename "$deb")"
  rc=0
  dpkg -i "$deb" >"$scratch/dpkg.log" 2>&1 || { cat "$scratch/dpkg.log"; rc=1; }
  if [ "$rc" -eq 0 ]; then
    version=$(sed -nE "s/^default_version *= *'([^']+)'.*/\1/p" "$src/rfm.control")
    owned=$(dpkg -L "$pkg")
    for f in "$pkglibdir/rfm.so" "$sharedir/extension/rfm.control" \
             "$sharedir/extension/rfm--$version.sql"; do
      owner=$(dpkg -S "$f" 2>/dev/null)
      if [ -f "$f" ] && grep -Fxq "$f" <<<"$owned" && [ "${owner%%:*}" = "$pkg" ]; then
        echo "from $pkg: $f"
      else
        echo "deb_check: $f is not installed by $pkg (dpkg -S: ${owner:-none})"
        rc=1
      fi
    done
    dpkg --verify "$pkg" || { echo "deb_check: dpkg --verify $pkg found changed files"; rc=1; }
  fi

  # 5. The pg_regress suite against the installed package.  PGXS's
  # installcheck builds and installs nothing; pg_regress starts its own
  # instance from $PG_BIN with test/rfm.conf (rfm preloaded).
  if [ "$rc" -eq 0 ]; then
    log "pg_regress suite against $pkg (make installcheck, throwaway instance)"
    runuser -u postgres -- env RFM_SHARED_DATA="${RFM_SHARED_DATA:-}" \
      make -C "$scratch/regress" -s installcheck PG_CONFIG="$pg_config" ISOLATION= TAP_TESTS= \
      >"$scratch/regress.log" 2>&1 || rc=1
    cat "$scratch/regress.log"
    if ! grep -Eq '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (failed|passed))' "$scratch/regress.log"; then
      echo "deb_check: no pg_regress summary in $scratch/regress.log"
      rc=1
    fi
    [ -s "$scratch/regress/regression.diffs" ] && head -c 20000 "$scratch/regress/regression.diffs"
    dpkg --verify "$pkg" || { echo "deb_check: $pkg's files changed during the suite"; rc=1; }
  fi

  # 6. Leave the machine as found: without the package (and without rfm).
  log "purging $pkg"
  dpkg -P "$pkg" >>"$scratch/dpkg.log" 2>&1 || { cat "$scratch/dpkg.log"; rc=1; }
  if [ "$rc" -eq 0 ]; then
    rm -rf "$scratch"
  else
    echo "deb_check: FAILED; logs kept in $scratch"
  fi
  return "$rc"
}
