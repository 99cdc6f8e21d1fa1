#!/bin/bash
# Builds every libFuzzer target of test/fuzz and runs each for a while.
#
# Usage: bash test/fuzz/run.sh [seconds-per-target [target...]]
#   seconds-per-target  default 30
#   target              a harness name (file name without .c); default all
# Environment: PG_CONFIG (default pg_config), FUZZ_CC (default clang, else clang-14),
#   FUZZ_OUT (build folder, grown corpora and crash files; default /tmp/rfm-fuzz).
#
# A target is a .c file here with a "fuzz-sources:" line naming the rfm
# sources it links; it is compiled with those and pgstub.c.  Its seed corpus
# is corpus/<target>/ (read, never written: new inputs go to
# $FUZZ_OUT/corpus/<target>/, which later runs start from).
#
# Prints one line per target, "fuzz <target>: passed (...)" or
# "fuzz <target>: FAILED (...)", and exits non-zero if any failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-30}
shift $(($# > 0 ? 1 : 0))
PG_CONFIG=${PG_CONFIG:-pg_config}
CC=${FUZZ_CC:-$(command -v clang || command -v clang-14)}
out=${FUZZ_OUT:-/tmp/rfm-fuzz}
mkdir -p "$out"

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(grep -l '^ \* fuzz-sources:' "$here"/*.c | xargs -n1 basename | sed 's/\.c$//')
fi

inc=$("$PG_CONFIG" --includedir-server)
# libpgcommon.a and libpgport.a: in --pkglibdir on Debian's packages, in
# --libdir on an upstream install.
libdir=
for d in "$("$PG_CONFIG" --pkglibdir)" "$("$PG_CONFIG" --libdir)"; do
  [ -e "$d/libpgcommon.a" ] && { libdir=$d; break; }
done
if [ -z "$libdir" ]; then
  echo "fuzz: no libpgcommon.a in $("$PG_CONFIG" --pkglibdir) or $("$PG_CONFIG" --libdir)"
  echo "fuzz all: FAILED (build)"
  exit 1
fi
# shellcheck disable=SC2054  # the commas belong to -fsanitize
cflags=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=all -Wall -Wno-unused-function -Wno-ignored-attributes -I"$here" -I"$inc")
[ "${CI:-}" = true ] && cflags+=(-Werror)

failed=0
for t in "${targets[@]}"; do
  src="$here/$t.c"
  if ! sources=$(sed -n 's/^ \* fuzz-sources: *//p' "$src" 2>/dev/null) || [ -z "$sources" ]; then
    echo "fuzz $t: FAILED (no $src with a fuzz-sources: line)"
    failed=$((failed + 1)); continue
  fi
  # shellcheck disable=SC2086
  if ! (cd "$root" && $CC "${cflags[@]}" -o "$out/$t" "$src" "$here/pgstub.c" $sources \
        "$libdir/libpgcommon.a" "$libdir/libpgport.a" -lm) >"$out/$t.build.log" 2>&1; then
    grep -E "error|undefined" "$out/$t.build.log" | head -40
    echo "fuzz $t: FAILED (build)"
    failed=$((failed + 1)); continue
  fi
  grep -i warning "$out/$t.build.log"
  mkdir -p "$out/corpus/$t" "$out/crashes"
  seeds=()
  [ -d "$here/corpus/$t" ] && seeds=("$here/corpus/$t")
  start=$(date +%s)
  ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$out/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=4096 \
      -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" \
      "$out/corpus/$t" "${seeds[@]}" >"$out/$t.log" 2>&1
  rc=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$out/$t.log" | grep -Eo '[0-9]+$' |
    awk '{s += $1} END {print s + 0}')
  corpus=$(find "$out/corpus/$t" -type f | wc -l)
  took=$(($(date +%s) - start))
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $t: passed ($runs executions in ${took}s, corpus $corpus inputs)"
  else
    grep -E -A 30 'ERROR: |runtime error|pgstub:|==ERROR' "$out/$t.log" | head -60
    unit=$(sed -n 's/.*Test unit written to //p' "$out/$t.log" | tail -1)
    echo "fuzz $t: FAILED (exit $rc after $runs executions; reproduce: $out/$t $unit)"
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ]
