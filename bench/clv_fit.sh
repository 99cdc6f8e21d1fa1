#!/bin/bash
# Fitting benchmark of the lifetime value aggregates (docs/bench-clv.md).
# Usage: bench/clv_fit.sh MEMBERS [SEED]; connection from the PG* environment variables,
# rfm installed in the database.  Generates the summaries with bench/clv_gen.py, loads them
# into clv_bench.members and runs bench/clv_fit.sql three times.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
members=${1:-1000000}
seed=${2:-42}
csv=$(mktemp /tmp/clv_bench.XXXXXX.csv)
trap 'rm -f "$csv"' EXIT
python3 "$here/clv_gen.py" "$members" "$seed" >"$csv"
chmod a+r "$csv"
psql -X -q -v ON_ERROR_STOP=1 <<SQL
DROP SCHEMA IF EXISTS clv_bench CASCADE;
CREATE SCHEMA clv_bench;
CREATE TABLE clv_bench.members (member_id int, x int, t_x float8, t float8, monetary float8);
\copy clv_bench.members FROM '$csv' WITH (FORMAT csv, HEADER)
VACUUM ANALYZE clv_bench.members;
SQL
for run in 1 2 3; do
  echo "== run $run"
  psql -X -f "$here/clv_fit.sql"
done
