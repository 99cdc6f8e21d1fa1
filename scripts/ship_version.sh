#!/bin/bash
# Ships version CUR of rfm and starts NEXT (called by `make ship-version NEXT=x.y`, after the make rule has
# built rfm--PREV--CUR.sql):
#   - freezes that update script in src/upgrade as it ships (the head it was made from goes: the frozen
#     script holds it);
#   - starts src/upgrade/rfm--CUR--NEXT.head.sql and src/model/model_NEXT.sql (the next version's catalog
#     changes, part of a fresh install after model_CUR.sql);
#   - moves the version numbers: Makefile (EXTVERSION, PREVVERSION, the part list), rfm.control, META.json,
#     debian/changelog.
# Then: write NEXT's CHANGELOG.md entry as work goes, and commit.  src/upgrade/README.md.
# Usage: scripts/ship_version.sh PREV CUR NEXT
set -euo pipefail
prev=$1 cur=$2 next=${3:-}
if ! [[ $next =~ ^[0-9]+\.[0-9]+$ ]]; then
  echo "usage: make ship-version NEXT=x.y (the version after $cur)" >&2
  exit 2
fi
if [ "$(printf '%s\n%s\n' "$cur" "$next" | sort -V | tail -1)" != "$next" ] || [ "$cur" = "$next" ]; then
  echo "NEXT=$next must come after $cur" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
u=src/upgrade
cur_=${cur//./_}
next_=${next//./_}
[ -e "rfm--$prev--$cur.sql" ] || { echo "rfm--$prev--$cur.sql is not built" >&2; exit 1; }
[ ! -e "$u/rfm--$prev--$cur.sql" ] || { echo "$u/rfm--$prev--$cur.sql exists: $cur has shipped already" >&2; exit 1; }

cp "rfm--$prev--$cur.sql" "$u/rfm--$prev--$cur.sql"
rm -f "$u/rfm--$prev--$cur.head.sql"
cat >"$u/rfm--$cur--$next.head.sql" <<SQL
/*
 * rfm: update from $cur to $next.
 * Assembled by the Makefile (UPDATE_PARTS): this head (what only an update does), then
 * src/model/model_$next_.sql (the catalog changes, also part of a fresh install) and every function
 * of the install script's other fragments with CREATE OR REPLACE (scripts/replayable.awk), so that the
 * functions of an updated installation are those of a fresh one. test/upgrade checks that an updated catalog equals a fresh
 * install's.
 */
\\echo Use "ALTER EXTENSION rfm UPDATE TO '$next'" to load this file. \\quit
SQL
cat >"src/model/model_$next_.sql" <<SQL
/*
 * src/model/model_$next_.sql
 * What rfm $next changes in the catalog (tables, types, rows; functions are replaced by the update script
 * from every fragment, scripts/replayable.awk). Part of a fresh install and of the update script from $cur alike.
 */
SQL
sed -i -E \
  -e "s/^EXTVERSION = .*/EXTVERSION = $next/" \
  -e "s/^PREVVERSION = .*/PREVVERSION = $cur/" \
  -e "s|^(\tsrc/model/model_$cur_\.sql \\\\)$|\1\n\tsrc/model/model_$next_.sql \\\\|" Makefile
grep -q "src/model/model_$next_.sql" Makefile || { echo "Makefile: could not add src/model/model_$next_.sql after model_$cur_.sql" >&2; exit 1; }
sed -i -E "s/^default_version = .*/default_version = '$next'/" rfm.control
sed -i -E -e "s/\"version\": \"$cur\.0\"/\"version\": \"$next.0\"/g" -e "s/rfm--$cur\.sql/rfm--$next.sql/" META.json
{
  printf 'postgresql-rfm (%s) unstable; urgency=medium\n\n  * Package rfm %s.\n\n -- rfm developers <rfm@localhost>  %s\n\n' \
    "$next" "$next" "$(date -R)"
  cat debian/changelog
} >debian/changelog.new && mv debian/changelog.new debian/changelog
echo "rfm $cur frozen ($u/rfm--$prev--$cur.sql); now making $next: write its catalog changes in src/model/model_$next_.sql,"
echo "what only the update does in $u/rfm--$cur--$next.head.sql, its CHANGELOG.md entry; then commit."
