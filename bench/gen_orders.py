#!/usr/bin/python3
"""Seeded generator of realistic synthetic retail orders for benchmarking rfm.

Model (the "buy till you die" story fitted on CDNOW, Fader, Hardie & Lee 2005):

* BG/NBD purchase process.  Member i has a Poisson purchase rate
  lambda_i ~ Gamma(r, scale 1/alpha) per week and, after each *repeat*
  purchase, drops out for good with probability p_i ~ Beta(a, b).
  Defaults are the CDNOW fit r 0.243, alpha 4.414, a 0.793, b 2.426.
  (As in BG/NBD, a member is alive right after the first purchase, so the
  number of repeat purchases before dropout is Geometric(p_i) on 1, 2, ...)
* Gamma-Gamma spend.  Member i has nu_i ~ Gamma(q, scale 1/gamma) and each
  order's amount ~ Gamma(p, scale 1/nu_i), so the member's mean spend is
  p/nu_i.  Defaults p 6.25, q 3.74, gamma 15.44 (mean spend ~ 35.2).
* First purchases are spread uniformly over the acquisition period
  (--acquisition-days from --start, default: the whole observation period);
  observation runs --years years from --start (default 3 years from
  2022-01-01).  The purchase day comes from the process; the time of day is
  drawn from a diurnal profile (quiet at night, peaks at lunch and evening).
* A share --same-day-rate of purchase occasions gets a second order on the
  same day (CDNOW: 6,919 orders on 6,696 customer-days, i.e. ~3 %).
* A share --refund-rate of orders is followed, 0-60 days later (and before
  the end of observation), by a refund row with a negative amount (the whole
  order in 70 % of cases, otherwise part of it).

Members are simulated in chunks (--chunk members at a time, vectorised with
numpy).  Chunks are added until at least --members members and at least
--target-orders orders (order rows, refunds not counted) exist; the last
chunk is cut at the member where both targets are met, so the result is the
smallest member prefix that satisfies them.  Same options + same seed give
the same data.

Output: CSV (member_id,ordered_at,amount; header with --header) to stdout or
--out FILE, or with --load a COPY into bench.orders(member_id bigint,
ordered_at timestamptz, amount numeric(12,2)) over psycopg2 (connection from
the standard PG* environment variables).

Row order (--order): 'time' (default; like a real append-only orders table,
all rows sorted by ordered_at; needs ~70 bytes per row in memory), 'member'
(rows grouped by member, streamed chunk by chunk, lowest memory) or 'random'.

Statistics (--stats, always printed to stderr with --load) compare the
simulation against BG/NBD closed forms: the share of members with no repeat
purchase in their first 39 weeks (P(X(39)=0) = 0.574 with the CDNOW
parameters), the mean number of repeat purchases in 39 weeks, and the mean
repeat spend of repeat buyers (CDNOW calibration: 35.08).

Run with Debian's /usr/bin/python3 (numpy, psycopg2; scipy optional).
"""

import argparse
import datetime as dt
import io
import json
import math
import sys
import time

import numpy as np

# CDNOW fits (Fader, Hardie & Lee 2005; Hardie note 025)
BGNBD = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG = dict(p=6.25, q=3.74, gamma=15.44)

SECONDS_PER_DAY = 86400
DAYS_PER_WEEK = 7.0
CHECK_WEEKS = 39.0  # CDNOW calibration length

# Relative order volume per hour of the day (local time), a typical
# e-commerce profile: night trough, lunch bump, evening peak.
HOUR_WEIGHTS = np.array([
    1.2, 0.7, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.2, 4.2, 4.8, 5.2,
    5.8, 5.4, 5.0, 4.9, 5.0, 5.3, 5.8, 6.6, 7.2, 6.8, 5.0, 2.8])
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()

MAX_CENTS = 99_999_999_99  # 999,999,999.99 fits numeric(12,2)
COPY_SQL = "COPY bench.orders (member_id, ordered_at, amount) FROM STDIN WITH (FORMAT csv)"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the module docstring / bench/README.md for the model.")
    ap.add_argument("--members", type=int, default=10_000,
                    help="minimum number of members (default 10000)")
    ap.add_argument("--target-orders", type=int, default=0,
                    help="minimum number of order rows; more members are "
                         "simulated until it is reached (default 0)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--start", default="2022-01-01",
                    help="first day of observation (default 2022-01-01)")
    ap.add_argument("--years", type=float, default=3.0,
                    help="observation length in years of 365.25 days (default 3)")
    ap.add_argument("--acquisition-days", type=float, default=None,
                    help="first purchases are uniform over this many days from "
                         "--start (default: the whole observation period)")
    ap.add_argument("--refund-rate", type=float, default=0.02,
                    help="share of orders followed by a refund row (default 0.02)")
    ap.add_argument("--same-day-rate", type=float, default=0.03,
                    help="share of purchase occasions with a 2nd order that day (default 0.03)")
    ap.add_argument("--order", choices=("time", "member", "random"), default="time",
                    help="row order of the output (default time)")
    ap.add_argument("--chunk", type=int, default=250_000,
                    help="members simulated per chunk (default 250000)")
    ap.add_argument("--tz-offset-hours", type=float, default=0.0,
                    help="UTC offset of the shop's local time, used for the "
                         "diurnal profile and written into the timestamps (default 0)")
    ap.add_argument("--first-member-id", type=int, default=1)
    ap.add_argument("--out", default="-", help="CSV file (default stdout)")
    ap.add_argument("--header", action="store_true", help="write a CSV header line")
    ap.add_argument("--load", action="store_true",
                    help="COPY into bench.orders instead of writing CSV (PG* env vars)")
    ap.add_argument("--create", action="store_true",
                    help="with --load: (re)create bench.orders first (DROP TABLE IF EXISTS)")
    ap.add_argument("--truncate", action="store_true",
                    help="with --load: TRUNCATE bench.orders first")
    ap.add_argument("--comment", action="store_true",
                    help="with --load: set COMMENT ON TABLE bench.orders to the generator spec")
    ap.add_argument("--stats", action="store_true", help="print statistics to stderr")
    ap.add_argument("--stats-json", default=None, help="also write the statistics as JSON here")
    ap.add_argument("--print-spec", action="store_true",
                    help="print the canonical spec string (what --comment stores) and exit")
    for k, v in BGNBD.items():
        ap.add_argument("--" + k, type=float, default=v, help="BG/NBD %s (default %g)" % (k, v))
    ap.add_argument("--gg-p", type=float, default=GG["p"])
    ap.add_argument("--gg-q", type=float, default=GG["q"])
    ap.add_argument("--gg-gamma", type=float, default=GG["gamma"])
    a = ap.parse_args(argv)
    a.start_date = dt.date.fromisoformat(a.start)
    a.obs_days = a.years * 365.25
    if a.acquisition_days is None:
        a.acquisition_days = a.obs_days
    a.acquisition_days = min(a.acquisition_days, a.obs_days)
    if a.chunk <= 0 or a.members < 0 or not (0 <= a.refund_rate < 1) or not (0 <= a.same_day_rate < 1):
        ap.error("bad --chunk/--members/--refund-rate/--same-day-rate")
    return a


def spec_string(a):
    """Canonical description of everything that determines the data set."""
    keys = ["seed", "members", "target_orders", "start", "years", "acquisition_days",
            "refund_rate", "same_day_rate", "order", "chunk", "tz_offset_hours",
            "first_member_id", "r", "alpha", "a", "b", "gg_p", "gg_q", "gg_gamma"]
    return "gen_orders v1 " + " ".join("%s=%s" % (k, getattr(a, k)) for k in keys)


class Stats:
    """Running statistics for the BG/NBD / Gamma-Gamma sanity check."""

    def __init__(self):
        self.members = 0
        self.orders = 0
        self.refunds = 0
        self.transactions = 0          # purchase occasions (first + repeats)
        self.repeat_tx = 0
        self.sum_cents = 0
        self.refund_cents = 0
        self.elig = 0                  # members observed >= 39 weeks
        self.elig_zero = 0             # ... with no repeat occasion in 39 weeks
        self.elig_zero_days = 0        # ... with no repeat purchase *day* in 39 weeks
        self.elig_rep_sum = 0          # repeat occasions in 39 weeks
        self.rep_spend_means = []      # per repeat buyer: mean spend of repeat orders (39 w)
        self.orders_per_member = []
        self.one_time_total = 0        # members with a single order over the whole period

    def as_dict(self, a):
        d = dict(members=self.members, orders=self.orders, refunds=self.refunds,
                 rows=self.orders + self.refunds, transactions=self.transactions,
                 repeat_transactions=self.repeat_tx,
                 orders_per_member=self.orders / max(self.members, 1),
                 mean_order_amount=self.sum_cents / 100.0 / max(self.orders, 1),
                 refund_total=self.refund_cents / 100.0,
                 share_one_order_whole_period=self.one_time_total / max(self.members, 1),
                 members_observed_39w=self.elig)
        if self.elig:
            d["share_no_repeat_39w"] = self.elig_zero / self.elig
            d["share_no_repeat_day_39w"] = self.elig_zero_days / self.elig
            d["mean_repeats_39w"] = self.elig_rep_sum / self.elig
        if self.rep_spend_means:
            m = np.concatenate(self.rep_spend_means)
            d["repeat_buyers_39w"] = int(m.size)
            d["mean_repeat_spend_39w"] = float(m.mean())
            d["median_repeat_spend_39w"] = float(np.median(m))
            d["sd_repeat_spend_39w"] = float(m.std(ddof=1)) if m.size > 1 else 0.0
        d["theory"] = theory(a)
        return d


def theory(a):
    """BG/NBD closed forms at t = 39 weeks and the Gamma-Gamma mean."""
    r, al, aa, bb, t = a.r, a.alpha, a.a, a.b, CHECK_WEEKS
    out = {}
    # P(X(t)=0) = (al/(al+t))^r   (alive after the first purchase, no repeats)
    # NB: in BG/NBD, P(X(t)=0) = (alpha/(alpha+t))^r exactly.
    out["P_X39_eq_0"] = (al / (al + t)) ** r
    try:
        from scipy.special import hyp2f1
        out["E_X39"] = (aa + bb - 1) / (aa - 1) * (
            1 - (al / (al + t)) ** r * hyp2f1(r, bb, aa + bb - 1, t / (al + t)))
    except Exception:  # scipy missing
        pass
    if a.gg_q > 1:
        out["E_spend"] = a.gg_p * a.gg_gamma / (a.gg_q - 1)
    return out


def simulate_chunk(rng, n, a, first_id, stats, need_members, need_orders):
    """Simulate n members; return (member_id, epoch_seconds, cents, done):
    int64 arrays with each member's rows in time order (refund rows after
    their order).  If need_members members and need_orders orders are reached
    inside this chunk, it is cut after the member where both are met and
    done is True.  All random draws are made for the whole chunk first, so
    the data do not depend on where the cut falls."""
    obs_days = a.obs_days
    # ---- per member parameters
    lam = rng.gamma(a.r, 1.0 / a.alpha, n) / DAYS_PER_WEEK          # per day
    pdrop = np.clip(rng.beta(a.a, a.b, n), 1e-12, 1.0)
    nu = rng.gamma(a.gg_q, 1.0 / a.gg_gamma, n)
    t0 = rng.random(n) * a.acquisition_days                         # days from start
    T = obs_days - t0                                                # days observed after first
    # repeat purchases before dropout: Geometric(p) on 1, 2, ...
    K = rng.geometric(pdrop)
    N = rng.poisson(lam * T)                                         # arrivals in (t0, end]
    M = np.minimum(N, K)                                             # repeat purchases made
    # ---- repeat purchase times: the first M of N uniform points on (0, T]
    tot = int(N.sum())
    owner = np.repeat(np.arange(n, dtype=np.int64), N)
    key = owner + rng.random(tot)            # sort within member via integer offset
    key.sort()
    u = key - owner
    starts = np.cumsum(N) - N
    rank = np.arange(tot, dtype=np.int64) - starts[owner]
    keep = rank < M[owner]
    owner = owner[keep]
    rep_t = t0[owner] + u[keep] * T[owner]                           # days, > t0
    # ---- purchase occasions: first purchase + repeats
    occ_owner = np.concatenate([np.arange(n, dtype=np.int64), owner])
    occ_t = np.concatenate([t0, rep_t])
    occ_first = np.concatenate([np.ones(n, bool), np.zeros(owner.size, bool)])
    # same-day second orders
    extra = rng.random(occ_t.size) < a.same_day_rate
    ord_owner = np.concatenate([occ_owner, occ_owner[extra]])
    ord_day = np.floor(np.concatenate([occ_t, occ_t[extra]]))
    ord_first = np.concatenate([occ_first, np.zeros(int(extra.sum()), bool)])
    ord_day = np.minimum(ord_day, math.ceil(obs_days) - 1)
    n_ord = ord_owner.size
    # time of day from the diurnal profile (local time), then to UTC
    hour = rng.choice(24, size=n_ord, p=HOUR_P)
    sec = hour * 3600 + rng.integers(0, 3600, n_ord)
    start_epoch = int(dt.datetime(a.start_date.year, a.start_date.month, a.start_date.day,
                                  tzinfo=dt.timezone.utc).timestamp())
    tz_off = int(round(a.tz_offset_hours * 3600))
    ts = start_epoch + ord_day.astype(np.int64) * SECONDS_PER_DAY + sec - tz_off
    # amounts: Gamma(p, scale 1/nu)
    amt = rng.gamma(a.gg_p, 1.0 / nu[ord_owner])
    cents = np.clip(np.rint(amt * 100.0), 1, MAX_CENTS).astype(np.int64)
    # ---- refunds
    ref = rng.random(n_ord) < a.refund_rate
    ref_idx = np.nonzero(ref)[0]
    delay = rng.random(ref_idx.size) * 60 * SECONDS_PER_DAY + 600
    ref_ts = ts[ref_idx] + delay.astype(np.int64)
    end_epoch = start_epoch + int(math.ceil(obs_days)) * SECONDS_PER_DAY - tz_off
    full = rng.random(ref_idx.size) < 0.7
    frac = np.where(full, 1.0, rng.uniform(0.1, 0.9, ref_idx.size))
    ref_cents = -np.maximum(1, np.rint(cents[ref_idx] * frac)).astype(np.int64)
    ok = ref_ts < end_epoch
    ref_idx, ref_ts, ref_cents = ref_idx[ok], ref_ts[ok], ref_cents[ok]
    # ---- cut at the first member where both targets are met
    per_member_orders = np.bincount(ord_owner, minlength=n)
    ok = np.nonzero((np.cumsum(per_member_orders) >= need_orders)
                    & (np.arange(1, n + 1) >= need_members))[0]
    done = ok.size > 0
    nk = int(ok[0]) + 1 if done else n
    if nk < n:
        keep_ord = ord_owner < nk
        pos = np.cumsum(keep_ord) - 1          # new index of each kept order row
        keep_ref = keep_ord[ref_idx]
        ref_idx, ref_ts, ref_cents = pos[ref_idx[keep_ref]], ref_ts[keep_ref], ref_cents[keep_ref]
        ord_owner, ord_day, ord_first, ts, cents = (
            ord_owner[keep_ord], ord_day[keep_ord], ord_first[keep_ord], ts[keep_ord], cents[keep_ord])
        m = owner < nk
        owner, rep_t = owner[m], rep_t[m]
        occ_t = occ_t[occ_owner < nk]
        t0, T, per_member_orders = t0[:nk], T[:nk], per_member_orders[:nk]
        n = nk
        n_ord = ord_owner.size
    # ---- statistics (BTYD check over the first 39 weeks of each member)
    stats.members += n
    stats.orders += n_ord
    stats.refunds += ref_idx.size
    stats.transactions += occ_t.size
    stats.repeat_tx += owner.size
    stats.sum_cents += int(cents.sum())
    stats.refund_cents += int(ref_cents.sum())
    stats.one_time_total += int((per_member_orders == 1).sum())
    horizon = CHECK_WEEKS * DAYS_PER_WEEK
    elig = T >= horizon
    stats.elig += int(elig.sum())
    in_h = (rep_t - t0[owner]) <= horizon
    rep39 = np.bincount(owner[in_h], minlength=n)
    stats.elig_zero += int(((rep39 == 0) & elig).sum())
    stats.elig_rep_sum += int(rep39[elig].sum())
    # repeat purchase *days* (the BTYD convention merges same-day occasions)
    first_day = np.floor(t0)
    rday_ok = in_h & (np.floor(rep_t) > first_day[owner])
    rdays39 = np.bincount(owner[rday_ok], minlength=n)
    stats.elig_zero_days += int(((rdays39 == 0) & elig).sum())
    # mean spend of repeat orders within 39 weeks, per repeat buyer
    od = ord_day  # day index of each order
    rep_ord = (~ord_first) & (od > first_day[ord_owner]) & (od - t0[ord_owner] <= horizon) & elig[ord_owner]
    s = np.bincount(ord_owner[rep_ord], weights=cents[rep_ord], minlength=n)
    c = np.bincount(ord_owner[rep_ord], minlength=n)
    has = c > 0
    stats.rep_spend_means.append(s[has] / c[has] / 100.0)
    # ---- assemble rows, each member's rows in time order
    mid = np.concatenate([ord_owner, ord_owner[ref_idx]]) + first_id
    ts_all = np.concatenate([ts, ref_ts])
    cents_all = np.concatenate([cents, ref_cents])
    o = np.lexsort((ts_all, mid))
    return mid[o], ts_all[o], cents_all[o], done


def format_csv(mid, ts, cents, tz_off):
    """Fast-enough CSV formatting: precomputed day and time-of-day strings."""
    if mid.size == 0:
        return ""
    off = int(round(tz_off * 3600))
    lt = ts + off
    day = lt // SECONDS_PER_DAY
    sod = lt - day * SECONDS_PER_DAY
    d0 = int(day.min())
    days = [(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat()
            for d in range(d0, int(day.max()) + 1)]
    if off == 0:
        suffix = "+00"
    else:
        sign = "+" if off > 0 else "-"
        h, m = divmod(abs(off) // 60, 60)
        suffix = "%s%02d:%02d" % (sign, h, m)
    tods = _TODS
    dl = (day - d0).tolist()
    sl = sod.tolist()
    ml = mid.tolist()
    cl = cents.tolist()
    out = []
    ap = out.append
    for m, d, s, c in zip(ml, dl, sl, cl):
        if c >= 0:
            ap("%d,%s %s%s,%d.%02d\n" % (m, days[d], tods[s], suffix, c // 100, c % 100))
        else:
            c = -c
            ap("%d,%s %s%s,-%d.%02d\n" % (m, days[d], tods[s], suffix, c // 100, c % 100))
    return "".join(out)


_TODS = ["%02d:%02d:%02d" % (s // 3600, (s // 60) % 60, s % 60) for s in range(SECONDS_PER_DAY)]


class Sink:
    """Writes CSV text to a file or COPYs it into bench.orders."""

    def __init__(self, a):
        self.a = a
        self.rows = 0
        self.conn = None
        if a.load:
            import psycopg2
            self.conn = psycopg2.connect("")
            cur = self.conn.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            cur.execute("CREATE SCHEMA IF NOT EXISTS bench")
            if a.create:
                cur.execute("DROP TABLE IF EXISTS bench.orders")
            cur.execute("CREATE TABLE IF NOT EXISTS bench.orders ("
                        "member_id bigint NOT NULL, ordered_at timestamptz NOT NULL, "
                        "amount numeric(12,2) NOT NULL)")
            if a.truncate:
                cur.execute("TRUNCATE bench.orders")
            self.cur = cur
        else:
            self.fh = sys.stdout if a.out == "-" else open(a.out, "w", buffering=1 << 20)
            if a.header:
                self.fh.write("member_id,ordered_at,amount\n")

    def write(self, mid, ts, cents, batch=200_000):
        for i in range(0, mid.size, batch):
            txt = format_csv(mid[i:i + batch], ts[i:i + batch], cents[i:i + batch],
                             self.a.tz_offset_hours)
            if self.conn is not None:
                self.cur.copy_expert(COPY_SQL, io.StringIO(txt))
            else:
                self.fh.write(txt)
            self.rows += min(batch, mid.size - i)

    def close(self, spec, stats_dict):
        if self.conn is not None:
            if self.a.comment:
                self.cur.execute("COMMENT ON TABLE bench.orders IS %s",
                                 (spec + " rows=%d members=%d orders=%d refunds=%d" % (
                                     self.rows, stats_dict["members"], stats_dict["orders"],
                                     stats_dict["refunds"]),))
            self.conn.commit()
            self.conn.close()
        elif self.fh is not sys.stdout:
            self.fh.close()
        else:
            self.fh.flush()


def main(argv=None):
    a = parse_args(argv)
    spec = spec_string(a)
    if a.print_spec:
        print(spec)
        return 0
    t_start = time.time()
    rng = np.random.default_rng(a.seed)
    stats = Stats()
    sink = Sink(a)
    keep_all = a.order in ("time", "random")
    acc = []
    next_id = a.first_member_id
    done = False
    while not done:
        mid, ts, cents, done = simulate_chunk(
            rng, a.chunk, a, next_id, stats,
            a.members - stats.members, a.target_orders - stats.orders)
        next_id += a.chunk
        if keep_all:
            acc.append((mid, ts, cents))
        else:
            sink.write(mid, ts, cents)
        print("gen_orders: %d members, %d orders, %d refunds (%.1fs)" % (
            stats.members, stats.orders, stats.refunds, time.time() - t_start),
            file=sys.stderr)
    if keep_all:
        mid = np.concatenate([x[0] for x in acc])
        ts = np.concatenate([x[1] for x in acc])
        cents = np.concatenate([x[2] for x in acc])
        del acc
        if a.order == "time":
            # stable: ties keep member order, so the output is deterministic
            o = np.argsort(ts, kind="stable")
        else:
            o = np.random.default_rng(a.seed + 1).permutation(mid.size)
        mid = mid[o]
        ts = ts[o]
        cents = cents[o]
        del o
        sink.write(mid, ts, cents)
    d = stats.as_dict(a)
    d["spec"] = spec
    d["seconds"] = round(time.time() - t_start, 1)
    sink.close(spec, d)
    if a.stats or a.load:
        print_stats(d)
    if a.stats_json:
        with open(a.stats_json, "w") as f:
            json.dump(d, f, indent=1)
    return 0


def print_stats(d):
    th = d["theory"]
    w = sys.stderr.write
    w("gen_orders statistics (%s)\n" % d["spec"])
    w("  members %d, orders %d, refund rows %d, rows %d, orders/member %.2f, %.1fs\n" % (
        d["members"], d["orders"], d["refunds"], d["rows"], d["orders_per_member"], d["seconds"]))
    w("  mean order amount %.2f; members with a single order over the whole period %.1f%%\n" % (
        d["mean_order_amount"], 100 * d["share_one_order_whole_period"]))
    if "share_no_repeat_39w" in d:
        w("  members observed >= 39 weeks: %d\n" % d["members_observed_39w"])
        w("  no repeat purchase in first 39 weeks: %.1f%% (repeat days: %.1f%%); BG/NBD P(X(39)=0) = %.1f%%\n" % (
            100 * d["share_no_repeat_39w"], 100 * d["share_no_repeat_day_39w"], 100 * th["P_X39_eq_0"]))
        w("  mean repeat purchases in 39 weeks: %.3f; BG/NBD E[X(39)] = %s\n" % (
            d["mean_repeats_39w"], ("%.3f" % th["E_X39"]) if "E_X39" in th else "n/a"))
    if "mean_repeat_spend_39w" in d:
        w("  repeat buyers (39 w) %d: mean repeat spend %.2f (median %.2f, sd %.2f); "
          "Gamma-Gamma E = %.2f; CDNOW 35.08 (median 27.50, sd 30.28)\n" % (
              d["repeat_buyers_39w"], d["mean_repeat_spend_39w"], d["median_repeat_spend_39w"],
              d["sd_repeat_spend_39w"], th.get("E_spend", float("nan"))))


if __name__ == "__main__":
    sys.exit(main())
