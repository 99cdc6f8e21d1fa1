#!/usr/bin/python3
"""Reference values of sql/campaign_stats.sql (campaign review statistics).

Run from the repository root with Debian's python3 (scipy 1.10, statsmodels 0.13, numpy, pandas, mpmath):

    /usr/bin/python3 test/reference/campaign_reference.py /work/shared/data/hillstrom-email-campaign/hillstrom.csv

It prints SQL VALUES rows that sql/campaign_stats.sql holds as literals (Python is never a runtime
dependency of rfm: it only produced these numbers), plus, as comments, how far scipy's own distribution
functions are from the 40-digit mpmath values the distribution grid is checked against.

- distributions: mpmath at 40 digits (scipy 1.10's t.ppf goes through cdflib's search, which is only
  accurate to about 1e-9 relative: it cannot be the reference of a 1e-12 check; its cdfs agree with mpmath
  to about 1e-14 and are printed for comparison). Points whose value is below 1e-300 (subnormal or 0 in a
  double) or beyond 1e300 are left out.
- campaign comparisons: statsmodels proportions_ztest (pooled) and confint_proportions_2indep(method=
  'newcomb', compare='diff'); scipy.stats.ttest_ind(equal_var=False) for Welch, its interval with
  scipy.stats.t.ppf at the Welch-Satterthwaite df (df in the thousands here, where t.ppf is exact to
  1e-16); CUPED as ttest_ind on y - theta (x - mean x of both arms), theta = cov(x, y) / var(x) of both
  arms pooled; the relative lift's linear delta-method interval in numpy.
- srm: scipy.stats.chisquare against equal thirds, on all rows and with every 20th row of
  'Mens E-Mail' (in file order) dropped.
"""
import sys

import mpmath as mp
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

mp.mp.dps = 40


def lit(v):
    return 'NULL' if v is None or not np.isfinite(v) else repr(float(v))


# ---------------------------------------------------------------- distributions
def t_lower(t, df):
    """P(T <= t): the tail as mpmath's betainc(df/2, 1/2, 0, df/(df+t^2)) / 2 (a hypergeometric series, no
    cancellation); where that series does not converge (df = 1e7 near the mode), by tanh-sinh quadrature
    of the density at 40 digits (the tail from |t| to infinity, or 1/2 minus the centre from 0 to |t|
    when |t| <= 1)."""
    t, df = mp.mpf(t), mp.mpf(df)
    try:
        tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    except mp.libmp.libhyper.NoConvergence:
        k = mp.exp(mp.loggamma((df + 1) / 2) - mp.loggamma(df / 2)) / mp.sqrt(df * mp.pi)
        pdf = lambda s: k * (1 + s * s / df) ** (-(df + 1) / 2)
        a = abs(t)
        tail = mp.quad(pdf, [a, a + 10, a + 100, mp.inf]) if a > 1 else mp.mpf(1) / 2 - mp.quad(pdf, [0, a])
    return tail if t < 0 else 1 - tail


def t_quantile(p, df):
    """t with P(T <= t) = p, by bisection on log|t| at 40 digits."""
    p = mp.mpf(p)
    if p == mp.mpf(1) / 2:
        return mp.mpf(0)
    q = p if p < 0.5 else 1 - p
    lo, hi = mp.mpf(-800), mp.mpf(800)  # log|t|

    def tail(u):  # P(T < -e^u)
        return t_lower(-mp.e ** u, df)
    for _ in range(400):
        mid = (lo + hi) / 2
        if tail(mid) > q:
            lo = mid
        else:
            hi = mid
        if hi - lo < mp.mpf(10) ** -35:
            break
    t = mp.e ** ((lo + hi) / 2)
    return -t if p < 0.5 else t


def keep(v):
    return v == 0 or 1e-300 <= abs(v) <= 1e300


def distribution_rows():
    rows, worst = [], {}

    def add(fn, args, ref, sci):
        ref = float(ref)
        if not keep(ref):
            return
        rows.append("  ('%s', %s, %s, %s)" % (fn, lit(args[0]), lit(args[1]) if len(args) > 1 else 'NULL', repr(ref)))
        if sci is not None and ref != 0:
            worst[fn] = max(worst.get(fn, 0), abs(sci - ref) / abs(ref))

    for z in [-37.5, -37.0, -30.0, -20.0, -10.0, -5.0, -3.0, -1.96, -1.0, -0.5, -1e-5, 0.0, 0.3, 1.0, 2.0, 5.0, 8.0]:
        add('normal_cdf', [z], mp.ncdf(z), stats.norm.cdf(z))
    for p in [1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5, 0.001, 0.025, 0.1, 0.3, 0.4999, 0.5, 0.6, 0.975,
              0.999, 1 - 1e-10]:
        ref = mp.findroot(lambda z: mp.ncdf(z) - p, stats.norm.ppf(p)) if p != 0.5 else 0
        add('normal_quantile', [p], ref, stats.norm.ppf(p))
    dfs = [0.5, 1.0, 2.5, 3.0, 10.0, 30.0, 100.0, 1000.0, 21306.7, 1e5, 1e7]
    for df in dfs:
        for t in [-1e5, -1000.0, -50.0, -12.0, -5.0, -2.0, -1.0, -1e-3, 0.5, 3.0]:
            add('student_t_cdf', [t, df], t_lower(t, df), stats.t.cdf(t, df))
        for p in [1e-100, 1e-20, 1e-10, 1e-5, 0.001, 0.025, 0.2, 0.3, 0.45, 0.7, 0.975, 0.9999]:
            add('student_t_quantile', [p, df], t_quantile(p, df), stats.t.ppf(p, df))
    for df in [1, 2, 3, 5, 10, 50, 100, 500, 1000]:
        for r in [0.01, 0.1, 0.5, 0.9, 1.0, 1.1, 2.0, 5.0]:
            x = df * r
            add('chi_square_cdf', [x, df], mp.gammainc(mp.mpf(df) / 2, 0, mp.mpf(x) / 2, regularized=True),
                stats.chi2.cdf(x, df))
    return rows, worst


# ---------------------------------------------------------------- campaign
NAMES = ['response_rate', 'control_response_rate', 'response_uplift', 'response_uplift_low',
         'response_uplift_high', 'response_p', 'revenue_per_member', 'control_revenue_per_member',
         'revenue_uplift', 'revenue_uplift_low', 'revenue_uplift_high', 'revenue_p', 'revenue_df',
         'cuped_theta', 'cuped_revenue_uplift', 'cuped_revenue_uplift_low', 'cuped_revenue_uplift_high',
         'cuped_revenue_p', 'relative_revenue_lift', 'relative_revenue_lift_low', 'relative_revenue_lift_high',
         'incremental_revenue']


def welch(yt, yc, conf):
    res = stats.ttest_ind(yt, yc, equal_var=False)
    at, ac = np.var(yt, ddof=1) / len(yt), np.var(yc, ddof=1) / len(yc)
    df = (at + ac) ** 2 / (at ** 2 / (len(yt) - 1) + ac ** 2 / (len(yc) - 1))
    diff = yt.mean() - yc.mean()
    q = stats.t.ppf((1 + conf) / 2, df)
    se = np.sqrt(at + ac)
    return diff, diff - q * se, diff + q * se, res.pvalue, df


def compare(t, c, conf=0.95):
    out = {}
    rt, nt, rc, nc = int(t.conversion.sum()), len(t), int(c.conversion.sum()), len(c)
    out['response_rate'], out['control_response_rate'] = rt / nt, rc / nc
    out['response_uplift'] = rt / nt - rc / nc
    lo, hi = confint_proportions_2indep(rt, nt, rc, nc, method='newcomb', compare='diff', alpha=1 - conf)
    out['response_uplift_low'], out['response_uplift_high'] = lo, hi
    out['response_p'] = proportions_ztest([rt, rc], [nt, nc])[1]
    yt, yc = t.spend.to_numpy(float), c.spend.to_numpy(float)
    xt, xc = t.history.to_numpy(float), c.history.to_numpy(float)
    out['revenue_per_member'], out['control_revenue_per_member'] = yt.mean(), yc.mean()
    (out['revenue_uplift'], out['revenue_uplift_low'], out['revenue_uplift_high'], out['revenue_p'],
     out['revenue_df']) = welch(yt, yc, conf)
    x, y = np.concatenate([xt, xc]), np.concatenate([yt, yc])
    theta = np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1)
    out['cuped_theta'] = theta
    (out['cuped_revenue_uplift'], out['cuped_revenue_uplift_low'], out['cuped_revenue_uplift_high'],
     out['cuped_revenue_p'], _) = welch(yt - theta * (xt - x.mean()), yc - theta * (xc - x.mean()), conf)
    mt, mc = yt.mean(), yc.mean()
    r = mt / mc
    se = np.sqrt(np.var(yt, ddof=1) / nt / mc ** 2 + r ** 2 * np.var(yc, ddof=1) / nc / mc ** 2)
    z = stats.norm.ppf((1 + conf) / 2)
    out['relative_revenue_lift'] = r - 1
    out['relative_revenue_lift_low'], out['relative_revenue_lift_high'] = r - 1 - z * se, r - 1 + z * se
    out['incremental_revenue'] = (mt - mc) * nt
    return out


def main():
    d = pd.read_csv(sys.argv[1])
    print('-- generated by: /usr/bin/python3 test/reference/campaign_reference.py %s' % sys.argv[1])
    print('-- per arm: members, conversion %, spend per member')
    for arm, g in d.groupby('segment'):
        print('--   %s %d %.3f %.5f' % (arm, len(g), 100 * g.conversion.mean(), g.spend.mean()))

    print('-- campaign_compare: (arm, dimension, level, output, value)')
    rows = []
    control = d[d.segment == 'No E-Mail']
    for arm in ['Mens E-Mail', 'Womens E-Mail']:
        t = d[d.segment == arm]
        parts = [('all', 'all', t, control)]
        for dim in ['newbie', 'channel']:
            for level in sorted(d[dim].unique()):
                parts.append((dim, str(level), t[t[dim] == level], control[control[dim] == level]))
        for dim, level, tt, cc in parts:
            out = compare(tt, cc)
            for name in NAMES:
                rows.append("  ('%s', '%s', '%s', '%s', %s)" % (arm, dim, level, name, lit(out[name])))
    print(',\n'.join(rows))

    print('-- srm: (case, chi_square, df, p)')
    counts = d.segment.value_counts().reindex(['Mens E-Mail', 'Womens E-Mail', 'No E-Mail'])
    chi, p = stats.chisquare(counts.to_numpy())
    print("  ('equal thirds', %r, 2, %r)," % (float(chi), float(p)))
    mens = d[d.segment == 'Mens E-Mail']
    keep_rows = (np.arange(len(mens)) + 1) % 20 != 0
    planted = counts.copy()
    planted['Mens E-Mail'] = int(keep_rows.sum())
    chi, p = stats.chisquare(planted.to_numpy())
    print("  ('planted mismatch %s', %r, 2, %r)" % (list(planted), float(chi), float(p)))

    print('-- distributions: (function, arg1, arg2, value), mpmath 40 digits')
    rows, worst = distribution_rows()
    print(',\n'.join(rows))
    for fn, w in sorted(worst.items()):
        print('-- scipy %s: largest relative difference from mpmath on this grid %.2e' % (fn, w))


if __name__ == '__main__':
    main()
