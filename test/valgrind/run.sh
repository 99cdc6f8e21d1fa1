#!/bin/bash
# Runs the pg_regress suite (make installcheck) with every server process
# under valgrind memcheck, then sums the errors valgrind reports.
#
# Usage, as the user that runs make installcheck (postgres), from a built tree
# with rfm installed:  bash test/valgrind/run.sh
# Environment: PG_CONFIG (default pg_config), VALGRIND_OUT (wrapper, logs;
#   default /tmp/rfm-valgrind), REGRESS (a subset of the tests, as for make),
#   RFM_SHARED_DATA (the ../shared/data folder, as for make installcheck).
# Takes about 75 times as long as make installcheck.  Exits non-zero when a
# test fails or valgrind reports an error.
#
# Only the server runs under valgrind: a bin folder of symbolic links to the
# real programs, where "postgres" is a script that starts the real one under
# valgrind, is passed to pg_regress as --bindir.  initdb finds the real
# postgres through its own resolved path, so the cluster is created at full
# speed.  Debian's PostgreSQL is not built with USE_VALGRIND, so memory
# contexts are opaque to valgrind: it sees malloc'ed blocks, not chunks, and
# catches rfm reading uninitialized memory, overrunning a block or passing
# undefined bytes to the kernel, not a palloc chunk overrun inside a block.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
out=${VALGRIND_OUT:-/tmp/rfm-valgrind}
bindir=$("$PG_CONFIG" --bindir)

rm -rf "$out"
mkdir -p "$out/bin" "$out/log"
for f in "$bindir"/*; do
  ln -s "$f" "$out/bin/$(basename "$f")"
done
rm "$out/bin/postgres"
cat >"$out/bin/postgres" <<WRAP
#!/bin/sh
exec valgrind --tool=memcheck --trace-children=yes --track-origins=yes \\
  --read-var-info=yes --num-callers=40 --error-limit=no --gen-suppressions=all \\
  --suppressions="$here/postgres.supp" --log-file="$out/log/%p.log" \\
  "$bindir/postgres" "\$@"
WRAP
chmod +x "$out/bin/postgres"

start=$(date +%s)
# pg_regress waits PGCTLTIMEOUT seconds for the server to start
PGCTLTIMEOUT=900 make -C "$root" installcheck ISOLATION= PG_CONFIG="$PG_CONFIG" \
  EXTRA_REGRESS_OPTS="--bindir=$out/bin" ${REGRESS:+REGRESS="$REGRESS"} 2>&1 | tee "$out/regress.log"
rc=${PIPESTATUS[0]}
took=$(($(date +%s) - start))

procs=$(find "$out/log" -name '*.log' | wc -l)
errors=$(cat "$out"/log/*.log 2>/dev/null | grep -Eo 'ERROR SUMMARY: [0-9]+ errors' |
  grep -Eo '[0-9]+' | awk '{s += $1} END {print s + 0}')
# count the reports themselves too, in case a process died before
# summing up
reports=$(grep -l -E '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Source and dest|Mismatched)' \
  "$out"/log/*.log 2>/dev/null)
echo
echo "valgrind: $errors errors in $procs server processes, ${took}s (make installcheck exit $rc)"
for f in $reports; do
  echo "== $f"
  head -60 "$f"
done
[ "$rc" -eq 0 ] && [ "$errors" -eq 0 ] && [ -z "$reports" ]
