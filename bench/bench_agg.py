#!/usr/bin/python3
"""Timing and memory measurements for rfm.purchases_agg (driven by purchases_agg.sh).

For every (query, mode) pair:
  * RUNS timed runs, each on a fresh connection: the GROUP BY query wrapped in
    an outer count() that references every aggregate column (so the planner
    cannot drop the aggregates and no per-member rows reach the client),
    wall time measured around execute()+fetch (what psql's \\timing shows);
    after each run the backend's /proc/<pid>/status (VmHWM = peak RSS) is
    read; while it runs a sampler thread follows the peak private memory
    (RssAnon) of the backend and of its parallel workers;
  * one EXPLAIN (ANALYZE, BUFFERS, VERBOSE, TIMING OFF, FORMAT JSON) run on a
    fresh connection for the plan shape (Partial/Finalize check), the
    HashAggregate "Memory Usage"/"Batches" of every aggregate node and worker.

Modes: serial (max_parallel_workers_per_gather = 0) and parallel
(max_parallel_workers_per_gather = WORKERS with parallel_setup_cost,
parallel_tuple_cost and min_parallel_table_scan_size set to 0).

Markdown goes to stdout; raw details (plans, every run) to --raw.
Connection: standard PG* environment variables.  Reading /proc of the
server's processes needs the script to run on the server's machine.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import threading
import time

import psycopg2

INNER = {
    "rfm": ("SELECT member_id, rfm.purchases_agg(ordered_at, amount) AS p "
            "FROM bench.orders GROUP BY member_id", "count(p)"),
    "bare": ("SELECT member_id, max(ordered_at) AS l, count(*) AS c, sum(amount::float8) AS s "
             "FROM bench.orders GROUP BY member_id", "count(l), count(c), count(s)"),
    "rfm_date": ("SELECT member_id, rfm.purchases_agg(ordered_at::date, amount) AS p "
                 "FROM bench.orders GROUP BY member_id", "count(p)"),
    "rfm_float8": ("SELECT member_id, rfm.purchases_agg(ordered_at, amount::float8) AS p "
                   "FROM bench.orders GROUP BY member_id", "count(p)"),
    "rfm_date_float8": ("SELECT member_id, rfm.purchases_agg(ordered_at::date, amount::float8) AS p "
                        "FROM bench.orders GROUP BY member_id", "count(p)"),
}
LABEL = {
    "rfm": "`rfm.purchases_agg(ordered_at, amount)` (timestamptz, numeric)",
    "bare": "bare `max(ordered_at), count(*), sum(amount::float8)`",
    "rfm_date": "`rfm.purchases_agg(ordered_at::date, amount)` (date, numeric)",
    "rfm_float8": "`rfm.purchases_agg(ordered_at, amount::float8)` (timestamptz, float8)",
    "rfm_date_float8": "`rfm.purchases_agg(ordered_at::date, amount::float8)` (date, float8)",
}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", default="rfm,bare,rfm_date,rfm_float8,rfm_date_float8")
    ap.add_argument("--modes", default="serial,parallel")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work-mem", default="1GB")
    ap.add_argument("--hash-mem-multiplier", default="2.0")
    ap.add_argument("--jit", default="off")
    ap.add_argument("--timezone", default="UTC")
    ap.add_argument("--raw", default=None, help="append raw details (plans, all runs) here")
    ap.add_argument("--sample-interval", type=float, default=0.05)
    return ap.parse_args()


A = None
RAW = None


def raw(*parts):
    if RAW:
        RAW.write(" ".join(str(p) for p in parts) + "\n")
        RAW.flush()


def settings_sql(mode):
    s = [("work_mem", A.work_mem), ("hash_mem_multiplier", A.hash_mem_multiplier),
         ("jit", A.jit), ("TimeZone", A.timezone)]
    if mode == "serial":
        s.append(("max_parallel_workers_per_gather", "0"))
    else:
        s += [("max_parallel_workers_per_gather", str(A.workers)),
              ("max_parallel_workers", str(max(A.workers, 8))),
              ("parallel_setup_cost", "0"), ("parallel_tuple_cost", "0"),
              ("min_parallel_table_scan_size", "0"), ("parallel_leader_participation", "on")]
    return s


def connect(mode):
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    for k, v in settings_sql(mode):
        cur.execute("SELECT set_config(%s, %s, false)", (k, v))
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    return conn, cur, pid


def read_status(pid):
    d = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    d[k] = int(v.split()[0])  # kB
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return d


class Sampler(threading.Thread):
    """Follows peak RssAnon of the backend and VmHWM/RssAnon of its parallel workers."""

    def __init__(self, leader):
        super().__init__(daemon=True)
        self.leader = leader
        self.stop = threading.Event()
        self.leader_anon = 0
        self.workers = {}          # pid -> {"hwm": kB, "anon": kB}
        self.seen = set()
        self.tag = ("parallel worker for PID %d" % leader).encode()

    def run(self):
        while not self.stop.is_set():
            st = read_status(self.leader)
            self.leader_anon = max(self.leader_anon, st.get("RssAnon", 0))
            try:
                pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
            except OSError:
                pids = []
            for p in pids:
                if p in self.seen or p == self.leader:
                    continue
                self.seen.add(p)
                try:
                    with open("/proc/%d/cmdline" % p, "rb") as f:
                        if self.tag in f.read():
                            self.workers[p] = {"hwm": 0, "anon": 0}
                except OSError:
                    pass
            for p, w in self.workers.items():
                st = read_status(p)
                if st:
                    w["hwm"] = max(w["hwm"], st.get("VmHWM", 0))
                    w["anon"] = max(w["anon"], st.get("RssAnon", 0))
            # pids that were not workers may be reused later; forget them now and then
            if len(self.seen) > 5000:
                self.seen = set(self.workers)
            self.stop.wait(A.sample_interval)


def timed_run(qname, mode):
    inner, outer = INNER[qname]
    sql = "SELECT %s FROM (%s) s" % (outer, inner)
    conn, cur, pid = connect(mode)
    try:
        base = read_status(pid)
        # mark pids that exist already (other backends) so the sampler skips them fast
        samp = Sampler(pid)
        samp.start()
        t0 = time.perf_counter()
        cur.execute(sql)
        res = cur.fetchall()
        ms = (time.perf_counter() - t0) * 1000.0
        samp.stop.set()
        samp.join()
        after = read_status(pid)
    finally:
        conn.close()
    r = dict(ms=ms, result=res[0], base=base, after=after, leader_anon_peak=samp.leader_anon,
             workers=list(samp.workers.values()))
    raw("run", qname, mode, json.dumps(r, default=str))
    return r


def walk(node, out):
    out.append(node)
    for c in node.get("Plans", []):
        walk(c, out)
    return out


def explain_run(qname, mode):
    inner, _ = INNER[qname]
    conn, cur, pid = connect(mode)
    try:
        cur.execute("EXPLAIN (VERBOSE, COSTS) " + inner)
        text_plan = "\n".join(r[0] for r in cur.fetchall())
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE, TIMING OFF, FORMAT JSON) " + inner)
        js = cur.fetchone()[0]
        after = read_status(pid)
    finally:
        conn.close()
    if isinstance(js, str):
        js = json.loads(js)
    top = js[0]
    nodes = walk(top["Plan"], [])
    aggs = []
    for n in nodes:
        if n.get("Node Type") != "Aggregate" or "Group Key" not in n:
            continue
        a = dict(strategy=n.get("Strategy"), partial_mode=n.get("Partial Mode"),
                 peak_kb=n.get("Peak Memory Usage"), batches=n.get("HashAgg Batches"),
                 disk_kb=n.get("Disk Usage"), rows=n.get("Actual Rows"),
                 loops=n.get("Actual Loops"), workers=[])
        for w in n.get("Workers", []):
            a["workers"].append(dict(n=w.get("Worker Number"), peak_kb=w.get("Peak Memory Usage"),
                                     batches=w.get("HashAgg Batches"), disk_kb=w.get("Disk Usage")))
        aggs.append(a)
    launched = [n.get("Workers Launched") for n in nodes if n.get("Node Type") in ("Gather", "Gather Merge")]
    modes = {a["partial_mode"] for a in aggs}
    e = dict(exec_ms=top.get("Execution Time"), plan_ms=top.get("Planning Time"), aggs=aggs,
             workers_launched=launched[0] if launched else 0,
             parallel_ok=("Partial" in modes and "Finalize" in modes),
             node_types=[(n.get("Partial Mode", "") + " " + n.get("Node Type", "")
                          + (" " + n["Strategy"] if "Strategy" in n else "")).strip() for n in nodes],
             vmhwm_kb=after.get("VmHWM"))
    raw("\n==== EXPLAIN %s %s ====\n%s" % (qname, mode, text_plan))
    raw("explain-analyze", qname, mode, json.dumps(e))
    raw("explain-analyze-json", qname, mode, json.dumps(js))
    return e


def measure(q, m):
    res = dict(runs=[], error=None, explain=None)
    try:
        for i in range(A.runs):
            r = timed_run(q, m)
            res["runs"].append(r)
            print("%s %s run %d: %.2f s, VmHWM %s MB" % (
                q, m, i + 1, r["ms"] / 1000, mb(r["after"].get("VmHWM"))), file=sys.stderr)
        res["explain"] = explain_run(q, m)
        print("%s %s explain: %.2f s, parallel_ok=%s" % (
            q, m, res["explain"]["exec_ms"] / 1000, res["explain"]["parallel_ok"]),
            file=sys.stderr)
    except psycopg2.Error as ex:
        res["error"] = str(ex).strip().splitlines()[0]
        print("%s %s failed: %s" % (q, m, res["error"]), file=sys.stderr)
    return res


def plan_is_partial(q, m):
    conn, cur, _ = connect(m)
    try:
        cur.execute("EXPLAIN (COSTS OFF) " + INNER[q][0])
        txt = "\n".join(r[0] for r in cur.fetchall())
    except psycopg2.Error as ex:
        return None, str(ex)
    finally:
        conn.close()
    return ("Partial " in txt and "Finalize " in txt), txt


def admin(sql):
    conn = psycopg2.connect("")
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def reset_ndistinct():
    admin("ALTER TABLE bench.orders ALTER COLUMN member_id RESET (n_distinct)")
    admin("ANALYZE bench.orders")
    raw("n_distinct reset, ANALYZE done")


def force_partial_plans(queries, m):
    """With many groups per row (here ~0.35 members per order) the planner never
    picks a Partial/Finalize aggregate by itself: it prefers one HashAggregate
    over a (parallel) scan.  If so, lower the planner's estimate of the number
    of members (ALTER COLUMN member_id SET (n_distinct = ...), ANALYZE) until
    every query gets a Partial/Finalize plan.  Only estimates change; the
    executor's work is the same.  Returns the n_distinct used or None."""
    bad = []
    for q in queries:
        ok, txt = plan_is_partial(q, m)
        raw("\n==== natural %s plan of %s ====\n%s" % (m, q, txt))
        if ok is False:
            bad.append(q)
    if not bad:
        return None
    print("natural %s plans are not Partial/Finalize for %s; lowering the n_distinct "
          "estimate of member_id" % (m, ",".join(bad)), file=sys.stderr)
    for nd in (100000, 10000, 1000, 100):
        admin("ALTER TABLE bench.orders ALTER COLUMN member_id SET (n_distinct = %d)" % nd)
        admin("ANALYZE bench.orders")
        if all(plan_is_partial(q, m)[0] is not False for q in queries):
            raw("forced n_distinct", nd)
            print("n_distinct = %d gives Partial/Finalize plans" % nd, file=sys.stderr)
            return nd
    print("could not get Partial/Finalize plans", file=sys.stderr)
    return 100


def mb(kb):
    return "—" if kb in (None, 0) else "%.0f" % (kb / 1024.0)


def fmt_s(ms):
    return "%.2f" % (ms / 1000.0)


def main():
    global A, RAW
    A = parse_args()
    RAW = open(A.raw, "a") if A.raw else None
    queries = [q for q in A.queries.split(",") if q]
    modes = [m for m in A.modes.split(",") if m]

    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT version(), current_setting('shared_buffers'), "
                "(SELECT extversion FROM pg_extension WHERE extname = 'rfm'), "
                "pg_size_pretty(pg_total_relation_size('bench.orders')), "
                "(SELECT reltuples::bigint FROM pg_class WHERE oid = 'bench.orders'::regclass), "
                "obj_description('bench.orders'::regclass, 'pg_class')")
    version, sb, extv, size, reltuples, comment = cur.fetchone()
    cur.execute("SELECT count(*), count(DISTINCT member_id), count(*) FILTER (WHERE amount < 0) "
                "FROM bench.orders")
    nrows, nmembers, nrefunds = cur.fetchone()
    conn.close()
    info = dict(version=version, shared_buffers=sb, rfm=extv, table_size=size, rows=nrows,
                members=nmembers, refunds=nrefunds, comment=comment,
                cpus=os.cpu_count(), started=dt.datetime.now().isoformat(timespec="seconds"))
    raw("info", json.dumps(info))
    print("gen info: %s" % json.dumps(info), file=sys.stderr)

    # warm-up: read the table into shared buffers and load the library
    for q in ("bare", "rfm"):
        if q in queries:
            try:
                r = timed_run(q, "serial")
                print("warm-up %s: %.2f s" % (q, r["ms"] / 1000), file=sys.stderr)
            except psycopg2.Error as ex:
                print("warm-up %s failed: %s" % (q, ex), file=sys.stderr)

    results = {}
    forced_nd = {}
    for m in modes:
        try:
            if m == "parallel":
                forced_nd[m] = force_partial_plans(queries, m)
            for q in queries:
                results[(q, m)] = measure(q, m)
        finally:
            if forced_nd.get(m) is not None:
                reset_ndistinct()
    # ---------------------------------------------------------------- markdown
    out = []
    w = out.append
    w("## rfm.purchases_agg benchmark (%s)\n" % info["started"])
    w("- server: %s; rfm %s; %d CPUs" % (version.split(",")[0], extv, info["cpus"]))
    w("- data: `bench.orders` %s rows (%s orders, %s refund rows), %s members, %s on disk" % (
        f"{nrows:,}", f"{nrows - nrefunds:,}", f"{nrefunds:,}", f"{nmembers:,}", size))
    w("- generator: `%s`" % (comment or "?"))
    w("- settings: shared_buffers %s, work_mem %s, hash_mem_multiplier %s (hash table limit %s), "
      "jit %s, TimeZone %s; parallel = max_parallel_workers_per_gather %d, parallel_setup_cost 0, "
      "parallel_tuple_cost 0, min_parallel_table_scan_size 0, leader participates" % (
          sb, A.work_mem, A.hash_mem_multiplier, "work_mem x multiplier", A.jit, A.timezone, A.workers))
    for m, nd in forced_nd.items():
        if nd is not None:
            w("- %s: the planner does not choose a Partial/Finalize aggregate by itself here (it prefers one "
              "HashAggregate above the scan, ~%.2f members per row); to get one, the planner's estimate of "
              "the number of members was lowered with `ALTER TABLE bench.orders ALTER member_id SET "
              "(n_distinct = %d)` + ANALYZE for the %s runs (reset afterwards). Estimates only: the hash "
              "tables start small and grow" % (m, nmembers / max(nrows, 1), nd, m))
    w("- each time: wall clock of `SELECT count(<every agg column>) FROM (<GROUP BY query>) s` on a fresh "
      "connection (no rows shipped), %d runs, after one warm-up run per query; table in shared buffers" % A.runs)
    w("")
    w("### Timings (seconds)\n")
    w("| query | mode | plan | runs | min | median | EXPLAIN ANALYZE (TIMING OFF) |")
    w("|---|---|---|---|---|---|---|")
    for (q, m), res in results.items():
        if res["error"] and not res["runs"]:
            w("| %s | %s | error: %s | | | | |" % (LABEL[q], m, res["error"].replace("|", "/")))
            continue
        t = [r["ms"] for r in res["runs"]]
        e = res["explain"]
        if e is None:
            plan = "error: " + (res["error"] or "?")
        else:
            agg = [a for a in e["aggs"]]
            plan = " / ".join(("%s %s" % (a["partial_mode"] if a["partial_mode"] != "Simple" else "",
                                          {"Hashed": "HashAggregate", "Sorted": "GroupAggregate"}.get(
                                              a["strategy"], a["strategy"]))).strip() for a in agg)
            if m == "parallel":
                plan += ", %s workers launched%s" % (
                    e["workers_launched"], "" if e["parallel_ok"] else " — NOT a Partial/Finalize plan")
        w("| %s | %s | %s | %s | %s | %s | %s |" % (
            LABEL[q], m, plan, " ".join(fmt_s(x) for x in t), fmt_s(min(t)),
            fmt_s(statistics.median(t)), fmt_s(e["exec_ms"]) if e else "—"))
    w("")
    w("### Ratio rfm / bare\n")
    w("| mode | min rfm / min bare | median rfm / median bare |")
    w("|---|---|---|")
    for m in modes:
        a, b = results.get(("rfm", m)), results.get(("bare", m))
        if a and b and a["runs"] and b["runs"]:
            ta = [r["ms"] for r in a["runs"]]
            tb = [r["ms"] for r in b["runs"]]
            w("| %s | %.2f | %.2f |" % (m, min(ta) / min(tb),
                                       statistics.median(ta) / statistics.median(tb)))
    for q in queries:
        if q in ("rfm", "bare"):
            continue
        for m in modes:
            a, b = results.get((q, m)), results.get(("bare", m))
            if a and b and a["runs"] and b["runs"]:
                ta = [r["ms"] for r in a["runs"]]
                tb = [r["ms"] for r in b["runs"]]
                w("| %s (%s) | %.2f | %.2f |" % (m, q, min(ta) / min(tb),
                                                statistics.median(ta) / statistics.median(tb)))
    w("")
    w("### Memory (MB)\n")
    w("HashAgg = EXPLAIN ANALYZE \"Memory Usage\" of the aggregate node(s) (Batches = 1 means no spill); "
      "for parallel plans: Finalize node, then the Partial node in the leader and each worker. "
      "VmHWM = the backend's peak RSS from /proc/<pid>/status (includes the shared buffers it touched); "
      "anon = peak private memory (RssAnon, sampled every %.0f ms); baseline = VmHWM of the fresh "
      "backend before the query. Max over the timed runs.\n" % (A.sample_interval * 1000))
    w("| query | mode | HashAgg memory | batches | disk | leader VmHWM | leader anon | baseline VmHWM | workers VmHWM / anon |")
    w("|---|---|---|---|---|---|---|---|---|")
    for (q, m), res in results.items():
        if not res["runs"]:
            continue
        e = res["explain"]
        if e:
            memparts, bparts, dparts = [], [], []
            for a in e["aggs"]:
                s = mb(a["peak_kb"])
                if a["workers"]:
                    s += " (" + ", ".join("w%s %s" % (x["n"], mb(x["peak_kb"])) for x in a["workers"]) + ")"
                memparts.append(s)
                bparts.append(str(a["batches"]) + (
                    " (" + ", ".join(str(x["batches"]) for x in a["workers"]) + ")" if a["workers"] else ""))
                dparts.append(mb(a["disk_kb"]) if a["disk_kb"] else "0")
            hm, hb, hd = " / ".join(memparts), " / ".join(bparts), " / ".join(dparts)
        else:
            hm = hb = hd = "—"
        hwm = max(r["after"].get("VmHWM", 0) for r in res["runs"])
        anon = max(r["leader_anon_peak"] for r in res["runs"])
        basev = max(r["base"].get("VmHWM", 0) for r in res["runs"])
        ws = [x for r in res["runs"] for x in r["workers"]]
        wtxt = "—"
        if ws:
            wtxt = "%s / %s (%d worker runs)" % (mb(max(x["hwm"] for x in ws)),
                                                 mb(max(x["anon"] for x in ws)), len(ws))
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            q, m, hm, hb, hd, mb(hwm), mb(anon), mb(basev), wtxt))
    w("")
    text = "\n".join(out)
    print(text)
    raw("\n==== MARKDOWN ====\n" + text)
    if RAW:
        RAW.close()


if __name__ == "__main__":
    main()
