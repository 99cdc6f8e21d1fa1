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
    ap.add_argument("--extra-modes", default="parallel_noleader",
                    help="modes run for the rfm and bare queries only (default parallel_noleader: "
                         "parallel_leader_participation = off)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work-mem", default="1GB")
    ap.add_argument("--hash-mem-multiplier", default="2.0")
    ap.add_argument("--jit", default="off")
    ap.add_argument("--timezone", default="UTC")
    ap.add_argument("--raw", default=None, help="append raw details (plans, all runs) here")
    ap.add_argument("--sample-interval", type=float, default=0.05)
    ap.add_argument("--quiet-cores", type=float, default=0.3,
                    help="before each run wait until fewer cores than this are busy (default 0.3)")
    ap.add_argument("--noise-cpu", type=float, default=0.5,
                    help="a run during which other processes used more than this many CPU seconds "
                         "(+3%% of its wall time) is discarded and repeated (default 0.5)")
    ap.add_argument("--max-retries", type=int, default=6,
                    help="noisy runs repeated at most this many times per query and mode (default 6)")
    ap.add_argument("--quiet-wait", type=float, default=300,
                    help="wait at most this many seconds for a quiet machine (default 300)")
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
              ("min_parallel_table_scan_size", "0"),
              ("parallel_leader_participation", "off" if mode == "parallel_noleader" else "on")]
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


CLK = os.sysconf("SC_CLK_TCK")


def busy_ticks():
    """Busy CPU ticks of the whole machine (all CPUs), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]) - v[3] - v[4]     # minus idle and iowait


def proc_ticks(pid):
    """utime + stime of a process, in ticks (0 if gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        f = s[s.rindex(")") + 2:].split()
        return int(f[11]) + int(f[12])
    except (OSError, ValueError, IndexError):
        return 0


def wait_quiet():
    """Wait (up to A.quiet_wait s) until the machine is idle: less than
    A.quiet_cores cores busy over one second.  Returns seconds waited."""
    t0 = time.time()
    while True:
        b0 = busy_ticks()
        time.sleep(1.0)
        cores = (busy_ticks() - b0) / float(CLK)
        if cores < A.quiet_cores or time.time() - t0 > A.quiet_wait:
            waited = time.time() - t0 - 1.0
            if waited > 0.5:
                print("waited %.0f s for the machine to be quiet (%.2f cores busy now)" % (
                    waited, cores), file=sys.stderr)
            return waited


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
                        cmd = f.read()
                except OSError:
                    self.seen.discard(p)
                    continue
                if self.tag in cmd:
                    self.workers[p] = {"hwm": 0, "anon": 0}
                elif not cmd.startswith(b"postgres: "):
                    # a just-forked backend still shows the postmaster's command
                    # line until it sets its title: look again next time
                    self.seen.discard(p)
            for p, w in self.workers.items():
                st = read_status(p)
                if st:
                    w["hwm"] = max(w["hwm"], st.get("VmHWM", 0))
                    w["anon"] = max(w["anon"], st.get("RssAnon", 0))
                    w["ticks"] = max(w.get("ticks", 0), proc_ticks(p))
            # pids that were not workers may be reused later; forget them now and then
            if len(self.seen) > 5000:
                self.seen = set(self.workers)
            self.stop.wait(A.sample_interval)


def timed_run(qname, mode):
    inner, outer = INNER[qname]
    sql = "SELECT %s FROM (%s) s" % (outer, inner)
    waited = wait_quiet()
    lib = lib_mtime()
    conn, cur, pid = connect(mode)
    try:
        base = read_status(pid)
        samp = Sampler(pid)
        samp.start()
        b0, l0, c0 = busy_ticks(), proc_ticks(pid), os.times()
        t0 = time.perf_counter()
        cur.execute(sql)
        res = cur.fetchall()
        ms = (time.perf_counter() - t0) * 1000.0
        b1, l1, c1 = busy_ticks(), proc_ticks(pid), os.times()
        samp.stop.set()
        samp.join()
        after = read_status(pid)
    finally:
        conn.close()
    ours = (l1 - l0) + sum(w.get("ticks", 0) for w in samp.workers.values())
    client = (c1.user + c1.system - c0.user - c0.system) * CLK
    other_cpu = max(0.0, (b1 - b0 - ours - client) / float(CLK))
    r = dict(ms=ms, result=res[0], base=base, after=after, leader_anon_peak=samp.leader_anon,
             workers=list(samp.workers.values()), server_cpu_s=ours / float(CLK),
             other_cpu_s=other_cpu, waited_s=round(waited, 1), lib_mtime=lib,
             loadavg=os.getloadavg()[0])
    raw("run", qname, mode, json.dumps(r, default=str))
    return r


def lib_mtime():
    try:
        return os.stat(LIBPATH).st_mtime if LIBPATH else None
    except OSError:
        return None


LIBPATH = None


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
                 plan_rows=n.get("Plan Rows"),
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
    res = dict(runs=[], error=None, explain=None, discarded=[])
    try:
        attempts = 0
        while len(res["runs"]) < A.runs:
            attempts += 1
            r = timed_run(q, m)
            noisy = is_noisy(r)
            print("%s %s run %d: %.2f s, VmHWM %s MB, server CPU %.1f s, other CPU %.1f s%s" % (
                q, m, attempts, r["ms"] / 1000, mb(r["after"].get("VmHWM")), r["server_cpu_s"],
                r["other_cpu_s"], " (noisy, repeated)" if noisy and attempts <= A.max_retries + A.runs
                else ""), file=sys.stderr)
            if noisy and attempts <= A.max_retries + A.runs:
                res["discarded"].append(r)
                raw("discarded noisy run", q, m, "%.2f s other CPU %.1f s" % (r["ms"] / 1000, r["other_cpu_s"]))
                continue
            res["runs"].append(r)
        res["explain"] = explain_run(q, m)
        print("%s %s explain: %.2f s, parallel_ok=%s" % (
            q, m, res["explain"]["exec_ms"] / 1000, res["explain"]["parallel_ok"]),
            file=sys.stderr)
    except psycopg2.Error as ex:
        res["error"] = str(ex).strip().splitlines()[0]
        print("%s %s failed: %s" % (q, m, res["error"]), file=sys.stderr)
    return res


def is_noisy(r):
    """A run during which other processes used a noticeable amount of CPU."""
    return r["other_cpu_s"] > A.noise_cpu + 0.03 * r["ms"] / 1000.0


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
    shapes = {}
    for q in queries:
        ok, txt = plan_is_partial(q, m)
        raw("\n==== natural %s plan of %s ====\n%s" % (m, q, txt))
        shapes[q] = " → ".join(l.strip().lstrip("->").strip() for l in txt.splitlines()
                               if not l.strip().startswith(("Group Key", "Workers Planned")))
        if ok is False:
            bad.append(q)
    if not bad:
        return None, True, shapes
    print("natural %s plans are not Partial/Finalize for %s; lowering the n_distinct "
          "estimate of member_id" % (m, ",".join(bad)), file=sys.stderr)
    for nd in (100000, 10000, 1000, 100):
        admin("ALTER TABLE bench.orders ALTER COLUMN member_id SET (n_distinct = %d)" % nd)
        admin("ANALYZE bench.orders")
        if all(plan_is_partial(q, m)[0] is not False for q in queries):
            raw("forced n_distinct", nd)
            print("n_distinct = %d gives Partial/Finalize plans" % nd, file=sys.stderr)
            return nd, False, shapes
    print("could not get Partial/Finalize plans", file=sys.stderr)
    return 100, False, shapes


def lib_fingerprint():
    """Path, size, mtime and md5 of the rfm shared library the server loads."""
    import hashlib
    conn = psycopg2.connect("")
    try:
        cur = conn.cursor()
        cur.execute("SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")
        path = os.path.join(cur.fetchone()[0], "rfm.so")
    finally:
        conn.close()
    try:
        st = os.stat(path)
        with open(path, "rb") as f:
            md5 = hashlib.md5(f.read()).hexdigest()
        return dict(path=path, size=st.st_size, md5=md5,
                    mtime=dt.datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds"))
    except OSError as ex:
        return dict(path=path, error=str(ex))


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

    global LIBPATH
    lib0 = lib_fingerprint()
    LIBPATH = lib0.get("path")
    raw("library at start", json.dumps(lib0))
    results = {}
    forced_nd = {}
    natural = {}
    extra = [m for m in A.extra_modes.split(",") if m and m not in modes]
    natural_shapes = {}
    for m in modes + extra:
        qs = queries if m in modes else [q for q in ("rfm", "bare") if q in queries]
        try:
            if m.startswith("parallel"):
                forced_nd[m], natural[m], natural_shapes[m] = force_partial_plans(qs, m)
            for q in qs:
                results[(q, m)] = measure(q, m)
        finally:
            if forced_nd.get(m) is not None:
                reset_ndistinct()
    modes = modes + extra
    lib1 = lib_fingerprint()
    raw("library at end", json.dumps(lib1))
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
    run_libs = sorted({r["lib_mtime"] for res in results.values() for r in res["runs"] if r.get("lib_mtime")})
    end_mtime = os.stat(LIBPATH).st_mtime if LIBPATH and os.path.exists(LIBPATH) else None
    if len(run_libs) == 1 and run_libs[0] == end_mtime:
        w("- rfm.so used by every timed run: %s, %s bytes, mtime %s, md5 %s" % (
            lib1.get("path"), lib1.get("size"), lib1.get("mtime"), lib1.get("md5")))
    else:
        w("- rfm.so at the start: mtime %s, md5 %s; at the end: mtime %s, md5 %s" % (
            lib0.get("mtime"), lib0.get("md5"), lib1.get("mtime"), lib1.get("md5")))
    if len(run_libs) > 1:
        w("- **WARNING: rfm.so was replaced between timed runs**: runs before and after used different "
          "builds (see below)")
    est = [(r["explain"]["aggs"][0].get("plan_rows"), r["explain"]["aggs"][0].get("rows"))
           for (q, m), r in results.items() if m == "serial" and r.get("explain")]
    if est:
        w("- planner's estimate of the number of groups (members): %s (actual %s; from ANALYZE's "
          "n_distinct)" % (f"{est[0][0]:,}", f"{est[0][1]:,}"))
    if "parallel_noleader" in modes:
        w("- parallel_noleader: as parallel, with parallel_leader_participation = off (the leader "
          "only gathers and finalizes), rfm and bare only")
    for m in natural:
        nd = forced_nd.get(m)
        if nd is None:
            w("- %s: the planner chose a Partial/Finalize aggregate by itself for every query" % m)
        else:
            w("- %s: with the current statistics the planner did not choose a Partial/Finalize aggregate "
              "for every query (natural plans below); to get one, its estimate of the number of "
              "members was lowered with `ALTER TABLE bench.orders ALTER member_id SET (n_distinct = %d)` "
              "+ ANALYZE for the %s runs (reset afterwards). Estimates only: the executor does the same "
              "work, but the hash tables start small and grow" % (m, nd, m))
            for q, shape in natural_shapes.get(m, {}).items():
                w("  - natural %s plan of %s: %s" % (m, q, shape))
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
            if m.startswith("parallel"):
                plan += ", %s workers launched%s" % (
                    e["workers_launched"], "" if e["parallel_ok"] else " — NOT a Partial/Finalize plan")
        w("| %s | %s | %s | %s | %s | %s | %s |" % (
            LABEL[q], m, plan, " ".join(fmt_s(x) for x in t), fmt_s(min(t)),
            fmt_s(statistics.median(t)), fmt_s(e["exec_ms"]) if e else "—"))
    allruns = [(q, m, r) for (q, m), res in results.items() for r in res["runs"]]
    if allruns:
        oc = [r["other_cpu_s"] for _, _, r in allruns]
        noisy = [(q, m, r) for q, m, r in allruns if is_noisy(r)]
        ndisc = sum(len(res.get("discarded", [])) for res in results.values())
        w("")
        w("Other processes' CPU during the timed runs (busy CPU time of the machine minus the backend, its "
          "workers and the client): max %.1f s, total %.1f s over %d runs%s. Before each run the script "
          "waits for < %.1f busy cores (waited %.0f s in total)." % (
              max(oc), sum(oc), len(oc),
              ("; **noisy runs kept**: " + ", ".join("%s/%s %.1f s" % (q, m, r["other_cpu_s"]) for q, m, r in noisy))
              if noisy else "", A.quiet_cores, sum(r["waited_s"] for _, _, r in allruns)))
        w("")
        w("%d run(s) were discarded and repeated because other processes used more than %.1f CPU s "
          "(+3%% of the run's wall time) while they ran (listed in the raw log)." % (ndisc, A.noise_cpu))
        libs = sorted({r["lib_mtime"] for _, _, r in allruns if r["lib_mtime"]})
        if len(libs) > 1:
            w("")
            w("**rfm.so was replaced during the run**; runs per library mtime: " + "; ".join(
                "%s: %s" % (dt.datetime.fromtimestamp(t).isoformat(timespec="seconds"),
                            ", ".join(sorted({"%s/%s" % (q, m) for q, m, r in allruns if r["lib_mtime"] == t})))
                for t in libs))
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
    w("| query | mode | HashAgg memory | bytes/member (top node) | batches | disk | leader VmHWM | leader anon | baseline VmHWM | workers VmHWM / anon |")
    w("|---|---|---|---|---|---|---|---|---|---|")
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
                bparts.append(("—" if a["batches"] is None else str(a["batches"])) + (
                    " (" + ", ".join(str(x["batches"]) for x in a["workers"]) + ")" if a["workers"] else ""))
                dparts.append(mb(a["disk_kb"]) if a["disk_kb"] else "0")
            hm, hb, hd = " / ".join(memparts), " / ".join(bparts), " / ".join(dparts)
            top = e["aggs"][0] if e["aggs"] else {}
            bpm = ("%.0f" % (top["peak_kb"] * 1024.0 / top["rows"])
                   if top.get("peak_kb") and top.get("rows") else "—")
        else:
            hm = hb = hd = bpm = "—"
        hwm = max(r["after"].get("VmHWM", 0) for r in res["runs"])
        anon = max(r["leader_anon_peak"] for r in res["runs"])
        basev = max(r["base"].get("VmHWM", 0) for r in res["runs"])
        ws = [x for r in res["runs"] for x in r["workers"]]
        wtxt = "—"
        if ws:
            wtxt = "%s / %s (%d worker runs)" % (mb(max(x["hwm"] for x in ws)),
                                                 mb(max(x["anon"] for x in ws)), len(ws))
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            q, m, hm, bpm, hb, hd, mb(hwm), mb(anon), mb(basev), wtxt))
    w("")
    text = "\n".join(out)
    print(text)
    raw("\n==== MARKDOWN ====\n" + text)
    if RAW:
        RAW.close()


if __name__ == "__main__":
    main()
