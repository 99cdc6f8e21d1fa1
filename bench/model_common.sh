# Sourced by model_bench.sh and model_floor.sh: the session settings of every timed statement, and the orders both
# scripts add (and remove) as "1 % of the members place an order", so that the two measure the same change.
# The sourcing script sets $raw, its raw log.

MARK="23:59:59.654321"       # time of day of every inserted order (no generated row has it; removed at the end)

SETTINGS="SET max_parallel_workers_per_gather = 0; SET work_mem = '1GB'; SET hash_mem_multiplier = 2;
SET jit = off; SET TimeZone = 'UTC'; SET client_min_messages = warning;"

psql_() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$raw" >&2; }

# new_orders_sql REMAINDER DAY: one order dated DAY for each member with member_id % 100 = REMAINDER (35,517
# members of bench.orders), of a fixed amount per member between 5 and 65
new_orders_sql() {
    echo "INSERT INTO bench.orders (member_id, ordered_at, amount)
      SELECT member_id, (DATE '$2' + TIME '$MARK') AT TIME ZONE 'UTC',
             round((5 + (hashint8(member_id) & 65535) / 65535.0 * 60)::numeric, 2)
        FROM (SELECT DISTINCT member_id FROM bench.orders WHERE member_id % 100 = $1) m"
}
# new_orders_where DAY: the orders that new_orders_sql inserted for DAY or later
new_orders_where() { echo "ordered_at >= DATE '$1' AND ordered_at::time = TIME '$MARK'"; }
