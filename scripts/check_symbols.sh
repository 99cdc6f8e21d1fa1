#!/bin/bash
# Fails when a built library would not load: when it has an undefined dynamic
# symbol that neither the server binary nor any shared library the two link
# defines.  A missing declaration (e.g. a macro of a header not included on a
# newer PostgreSQL) compiles to a call of an undefined function, links, and
# only fails when the server loads the library; this finds it at build time.
#
# Usage: check_symbols.sh LIBRARY SERVER_BINARY
set -euo pipefail
lib=$1
server=$2
[ -e "$lib" ] || { echo "check_symbols: no library $lib" >&2; exit 1; }
[ -x "$server" ] || { echo "check_symbols: no server binary $server (install the server to check the library)" >&2; exit 1; }

# Strong undefined symbols only: weak ones (w, v) may stay unresolved.
undefined=$(nm -D --undefined-only "$lib" | awk '$1 == "U" {sub(/@.*/, "", $2); print $2}' | sort -u)
# Every shared object the library and the server load, and the server itself.
providers=$( { echo "$server"; ldd "$lib" "$server" |
  awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}'; } | sort -u)
defined=$(for f in $providers; do nm -D --defined-only "$f" 2>/dev/null || true; done |
  awk 'NF >= 3 {sub(/@.*/, "", $3); print $3}' | sort -u)
missing=$(comm -23 <(printf '%s\n' "$undefined") <(printf '%s\n' "$defined") | sed '/^$/d')
if [ -n "$missing" ]; then
  echo "$lib: undefined symbols that $server does not export (the server would refuse to load it):" >&2
  sed 's/^/  /' <<<"$missing" >&2
  echo "hint: a header is probably missing for this PostgreSQL version (e.g. varatt.h since 16); build without CI=true to see the implicit declarations." >&2
  exit 1
fi
echo "$lib: every undefined symbol is defined by $server or a library it loads ($(wc -l <<<"$undefined") checked)"
