/*-------------------------------------------------------------------------
 *
 * clv_math.c
 *	  Special functions, log-likelihoods with analytic gradients, the BFGS
 *	  optimiser, and the closed-form predictions of BG/NBD, Pareto/NBD and
 *	  Gamma-Gamma.
 *
 * Plain C on doubles: no palloc, no ereport, so the numerical core can be
 * compiled and checked outside the server.  Callers validate the input;
 * these functions return NaN where a value cannot be computed.
 *
 * References: Fader, Hardie & Lee (2005) "Counting your customers the easy
 * way" (BG/NBD); Fader & Hardie (2005) "A note on deriving the Pareto/NBD
 * model and related expressions"; Fader & Hardie (2013) "The Gamma-Gamma
 * model of monetary value".
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clv.h"

/* Most terms a hypergeometric series may take before it counts as failed. */
#define HYP2F1_MAX_TERMS 2000000

/* BFGS settings */
#define BFGS_MAX_ITER 1000
#define BFGS_GTOL 1e-7			/* on the gradient of the mean log-likelihood */
#define BFGS_STALL 5			/* iterations without decrease that end a run */
#define BFGS_RUNAWAY 10.3		/* ln 3e4: a log-parameter this far from its start ends a run */
#define BFGS_MAX_STEP 2.0		/* largest move of one log-parameter per step */

/* called now and then during a fit, e.g. to let a query be cancelled */
void		(*clv_interrupt_hook) (void) = NULL;

int
clv_npar(int kind)
{
	return kind == CLV_GG ? 3 : 4;
}

const char *
clv_param_name(int kind, int i)
{
	static const char *const names[3][4] = {
		{"r", "alpha", "a", "b"},
		{"r", "alpha", "s", "beta"},
		{"p", "q", "v", "?"}
	};

	return names[kind - 1][i];
}

/*
 * Digamma for x > 0: the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 8,
 * then the asymptotic series (error below 1e-15 there).
 */
double
clv_digamma(double x)
{
	double		acc = 0.0;
	double		x2;

	if (!(x > 0.0))
		return NAN;
	while (x < 8.0)
	{
		acc -= 1.0 / x;
		x += 1.0;
	}
	x2 = 1.0 / (x * x);
	return acc + log(x) - 0.5 / x
		- x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 * (1.0 / 132)))));
}

/*
 * log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1 by its power series,
 * whose terms are then all positive (no cancellation).  The sum is kept
 * rescaled so terms near (1 - z)^-b cannot overflow.  When da, db, dc, dz
 * are given they receive the partial derivatives of log 2F1, summed term
 * by term in the same loop (d log T_n / da = sum_{k<n} 1/(a + k), etc.).
 *
 * It stops when the remaining tail, bounded by a geometric series, is below
 * 1e-17 of the sum, and returns NaN if that takes more than
 * HYP2F1_MAX_TERMS terms.
 */
static double
hyp2f1_series(double a, double b, double c, double z,
			  double *da, double *db, double *dc, double *dz)
{
	double		sum = 1.0,
				sa = 0.0,
				sb = 0.0,
				sc = 0.0,
				sz = 0.0;
	double		term = 1.0;
	double		la = 0.0,
				lb = 0.0,
				lc = 0.0;
	double		logscale = 0.0;
	long		n;
	bool		done = false;

	if (!(a > 0 && b > 0 && c > 0 && z >= 0 && z < 1))
		return NAN;
	if (z == 0.0)
	{
		if (da)
			*da = *db = *dc = 0.0;
		if (dz)
			*dz = a * b / c;
		return 0.0;
	}
	for (n = 0; n < HYP2F1_MAX_TERMS; n++)
	{
		double		ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
		double		q;

		la += 1.0 / (a + n);
		lb += 1.0 / (b + n);
		lc += 1.0 / (c + n);
		term *= ratio;
		sum += term;
		sa += term * la;
		sb += term * lb;
		sc += term * lc;
		sz += term * (n + 1.0);
		if (sum > 1e250)
		{
			sum *= 1e-250;
			sa *= 1e-250;
			sb *= 1e-250;
			sc *= 1e-250;
			sz *= 1e-250;
			term *= 1e-250;
			logscale += 250.0 * M_LN10;
		}
		/* the ratios tend to z; bound the tail with the larger of ratio, z */
		q = ratio > z ? ratio : z;
		if (q < 1.0 && n > 2 &&
			term * (n + 2.0) * (1.0 + la + lb + lc) / (1.0 - q) < 1e-17 * sum)
		{
			done = true;
			break;
		}
	}
	if (!done)
		return NAN;
	if (da)
	{
		*da = sa / sum;
		*db = sb / sum;
		*dc = -sc / sum;
	}
	if (dz)
		*dz = sz / (sum * z);
	return log(sum) + logscale;
}

/*
 * log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, with the partial
 * derivatives of the log when da, db, dc, dz are given.
 *
 * Its terms behave like n^(a+b-c-1) z^n: when a + b > c they first grow
 * (to about (1-z)^(c-a-b) at n ~ z/(1-z)) and decay slowly, which near
 * z = 1 takes hundreds of thousands of terms (Pareto/NBD with a large x,
 * alpha and beta far apart).  Then Euler's transformation
 *	 2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z)
 * gives terms like n^(c-a-b-1) z^n, which fall from the start; it is used
 * when a + b > c and c - a, c - b > 0 (so its terms are positive too).
 * Callers also keep z small where they can (Pareto/NBD: the alpha >= beta
 * / alpha < beta argument choice of Fader & Hardie).
 */
double
clv_log_hyp2f1(double a, double b, double c, double z,
			   double *da, double *db, double *dc, double *dz)
{
	double		l1z,
				lg,
				sa,
				sb,
				sc,
				sz;

	if (!(a > 0 && b > 0 && c > 0 && z >= 0 && z < 1))
		return NAN;
	if (!(a + b > c && c - a > 0 && c - b > 0) || z == 0)
		return hyp2f1_series(a, b, c, z, da, db, dc, dz);
	l1z = log1p(-z);
	lg = hyp2f1_series(c - a, c - b, c, z, &sa, &sb, &sc, &sz);
	if (da)
	{
		*da = -l1z - sa;
		*db = -l1z - sb;
		*dc = l1z + sa + sb + sc;
	}
	if (dz)
		*dz = -(c - a - b) / (1 - z) + sz;
	return (c - a - b) * l1z + lg;
}

/* A number with its derivatives in (p, q, z): forward-mode differentiation. */
typedef struct Dual
{
	double		v;
	double		d[3];
} Dual;

static Dual
dual_add(Dual x, Dual y)
{
	Dual		r = {x.v + y.v, {x.d[0] + y.d[0], x.d[1] + y.d[1], x.d[2] + y.d[2]}};

	return r;
}

static Dual
dual_mul(Dual x, Dual y)
{
	Dual		r;

	r.v = x.v * y.v;
	for (int i = 0; i < 3; i++)
		r.d[i] = x.d[i] * y.v + x.v * y.d[i];
	return r;
}

static Dual
dual_inv(Dual x)
{
	Dual		r;

	r.v = 1.0 / x.v;
	for (int i = 0; i < 3; i++)
		r.d[i] = -x.d[i] * r.v * r.v;
	return r;
}

/* keeps a Lentz denominator away from 0 */
static Dual
dual_nonzero(Dual x)
{
	if (fabs(x.v) < 1e-300)
		x.v = 1e-300;
	return x;
}

/*
 * log 2F1(1, p; q+1; z) for p, q > 0, 0 <= z < 1, and its derivatives in
 * p, q, z, by Gauss's continued fraction (the case a = 0 of the fraction for
 * F(a+1, b; c+1; z) / F(a, b; c; z)):
 *
 *	 2F1(1, p; q+1; z) = 1 / (1 + k1 z / (1 + k2 z / (1 + ...)))
 *	 k_{2n+1} = -(q+n)(p+n) / ((q+2n)(q+2n+1)),
 *	 k_{2n}	= n (p-q-n) / ((q+2n-1)(q+2n))
 *
 * evaluated by the modified Lentz method on dual numbers.  Near z = 1 it
 * needs about 1 / sqrt(1 - z) steps where the power series needs about
 * 1 / (1 - z) terms.  NaN after HYP2F1_MAX_TERMS steps.
 */
static double
hyp2f1_1pq_cf(double p, double q, double z, double *dp, double *dq, double *dz)
{
	const double eps = 1e-16;
	Dual		one = {1.0, {0, 0, 0}};
	Dual		f = one,
				C = one,
				D = {0.0, {0, 0, 0}};
	Dual		zz = {z, {0, 0, 1}};
	long		j;

	for (j = 1; j < HYP2F1_MAX_TERMS; j++)
	{
		long		n = j / 2;
		Dual		k,
					a,
					delta;
		double		conv;

		if (j % 2 == 1)
		{
			/* -(q+n)(p+n) / ((q+2n)(q+2n+1)) */
			double		num = -(q + n) * (p + n),
						den = (q + 2 * n) * (q + 2 * n + 1);

			k.v = num / den;
			k.d[0] = -(q + n) / den;
			k.d[1] = (-(p + n) - k.v * ((q + 2 * n + 1) + (q + 2 * n))) / den;
			k.d[2] = 0;
		}
		else
		{
			/* n (p-q-n) / ((q+2n-1)(q+2n)) */
			double		num = n * (p - q - n),
						den = (q + 2 * n - 1) * (q + 2 * n);

			k.v = num / den;
			k.d[0] = n / den;
			k.d[1] = (-n - k.v * ((q + 2 * n) + (q + 2 * n - 1))) / den;
			k.d[2] = 0;
		}
		a = dual_mul(k, zz);
		/* D = 1 / (1 + a D), C = 1 + a / C, f *= C D */
		D = dual_inv(dual_nonzero(dual_add(one, dual_mul(a, D))));
		C = dual_nonzero(dual_add(one, dual_mul(a, dual_inv(C))));
		delta = dual_mul(C, D);
		f = dual_mul(f, delta);
		conv = fabs(delta.v - 1.0);
		for (int i = 0; i < 3; i++)
			conv = fmax(conv, fabs(delta.d[i]) / (1.0 + fabs(f.d[i] / f.v)));
		if (conv < eps)
			break;
	}
	if (j >= HYP2F1_MAX_TERMS || !(f.v > 0))
		return NAN;
	/* the fraction is the reciprocal of 2F1 */
	*dp = -f.d[0] / f.v;
	*dq = -f.d[1] / f.v;
	*dz = -f.d[2] / f.v;
	return -log(f.v);
}

/*
 * log 2F1(k, b; k+1; z), the function of the Pareto/NBD likelihood, with
 * its derivatives in k (c = k + 1 moving with it), b and z.  Always through
 * Euler's transformation, (1-z)^(1-b) 2F1(1, k+1-b; k+1; z), whose terms
 * are positive and fall from the start; summed as a series for z <= 0.5
 * and by Gauss's continued fraction above (hyp2f1_1pq_cf).
 */
static double
log_hyp2f1_pnbd(double k, double b, double z, double *dk, double *db, double *dz)
{
	double		p = k + 1 - b;
	double		l1z = log1p(-z);
	double		lh,
				hp = 0,
				hq = 0,
				hz = 0;

	if (!(k > 0 && b > 0 && p > 0 && z >= 0 && z < 1))
		return NAN;
	if (z <= 0.5)
	{
		double		sa,
					sb,
					sc;

		lh = hyp2f1_series(1.0, p, k + 1, z, &sa, &sb, &sc, &hz);
		hp = sb;
		hq = sc;
	}
	else
		lh = hyp2f1_1pq_cf(p, k, z, &hp, &hq, &hz);
	if (isnan(lh))
		return NAN;
	/* p = k + 1 - b and q = k both move with k */
	*dk = hp + hq;
	*db = -l1z - hp;
	*dz = (b - 1) / (1 - z) + hz;
	return (1 - b) * l1z + lh;
}

/* log(exp(p) + exp(q)) */
static double
logsumexp2(double p, double q)
{
	double		m = p > q ? p : q;

	if (m == -INFINITY)
		return -INFINITY;
	return m + log(exp(p - m) + exp(q - m));
}

/* ---------------------------------------------------------------------------
 * BG/NBD
 * ---------------------------------------------------------------------------
 */

/*
 * The part of a cell's log-likelihood that depends on x alone (gamma
 * functions), with its gradient on the natural parameters.  Members share
 * few values of x, so clv_ll computes it once per x.
 */
typedef struct XTerms
{
	double		ll;
	double		g[4];
} XTerms;

static void
x_terms(int kind, const double *p, double x, XTerms *xt)
{
	if (kind == CLV_BGNBD)
	{
		double		r = p[0],
					al = p[1],
					a = p[2],
					b = p[3];
		double		pab = clv_digamma(a + b),
					pabx = clv_digamma(a + b + x);

		/* lnG(r+x) - lnG(r) + r ln alpha + lnB(a, b+x) - lnB(a, b) */
		xt->ll = lgamma(r + x) - lgamma(r) + r * log(al)
			+ lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
		xt->g[0] = clv_digamma(r + x) - clv_digamma(r) + log(al);
		xt->g[1] = r / al;
		xt->g[2] = pab - pabx;
		xt->g[3] = pab + clv_digamma(b + x) - clv_digamma(b) - pabx;
	}
	else if (kind == CLV_PNBD)
	{
		double		r = p[0],
					al = p[1],
					s = p[2],
					be = p[3];

		/* lnG(r+x) - lnG(r) + r ln alpha + s ln beta */
		xt->ll = lgamma(r + x) - lgamma(r) + r * log(al) + s * log(be);
		xt->g[0] = clv_digamma(r + x) - clv_digamma(r) + log(al);
		xt->g[1] = r / al;
		xt->g[2] = log(be);
		xt->g[3] = s / be;
	}
	else
	{
		double		pp = p[0],
					q = p[1],
					v = p[2];
		double		px = pp * x;
		double		ppq = clv_digamma(px + q);

		/* lnG(px+q) - lnG(px) - lnG(q) + q ln v + px ln x */
		xt->ll = lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(v) + px * log(x);
		xt->g[0] = x * (ppq - clv_digamma(px) + log(x));
		xt->g[1] = ppq - clv_digamma(q) + log(v);
		xt->g[2] = q / v;
		xt->g[3] = 0.0;
	}
}

/*
 * BG/NBD (Fader, Hardie & Lee 2005, eq. 6):
 * log L(r, alpha, a, b | x, t_x, T) = [x terms]
 *	 + ln[ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]
 * and its gradient on (r, alpha, a, b).
 */
static double
bgnbd_cell_ll(const double *p, const XTerms *xt, double x, double tx, double T, double *g)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];
	double		A3 = -(r + x) * log(al + T);
	double		A4 = x > 0 ? log(a) - log(b + x - 1) - (r + x) * log(al + tx) : -INFINITY;
	double		lse = logsumexp2(A3, A4);

	if (g)
	{
		double		w3 = exp(A3 - lse);
		double		w4 = x > 0 ? exp(A4 - lse) : 0.0;

		g[0] = xt->g[0] - w3 * log(al + T) - (x > 0 ? w4 * log(al + tx) : 0.0);
		g[1] = xt->g[1] - w3 * (r + x) / (al + T) - (x > 0 ? w4 * (r + x) / (al + tx) : 0.0);
		g[2] = xt->g[2] + (x > 0 ? w4 / a : 0.0);
		g[3] = xt->g[3] - (x > 0 ? w4 / (b + x - 1) : 0.0);
	}
	return xt->ll + lse;
}

/* ---------------------------------------------------------------------------
 * Pareto/NBD
 * ---------------------------------------------------------------------------
 */

/*
 * log of one of the two 2F1 terms of A0 (Fader & Hardie 2005, eq. 22-23)
 * at time tt (t_x or T), and its gradient on (r, alpha, s, beta):
 *	 alpha >= beta: 2F1(k, s+1; k+1; (alpha-beta)/(alpha+tt)) / (alpha+tt)^k
 *	 alpha <  beta: 2F1(k, r+x; k+1; (beta-alpha)/(beta+tt)) / (beta+tt)^k
 * with k = r + s + x.  Choosing the larger of alpha, beta keeps the
 * argument in [0, 1) and small when alpha and beta are close.
 */
static double
pnbd_g(const double *p, double x, double tt, double *g)
{
	double		r = p[0],
				al = p[1],
				s = p[2],
				be = p[3];
	double		k = r + s + x;
	double		dk,
				Fb,
				Fz;
	double		lf;

	if (al >= be)
	{
		double		m = al + tt;
		double		z = (al - be) / m;

		lf = log_hyp2f1_pnbd(k, s + 1, z, &dk, &Fb, &Fz);
		if (g)
		{
			g[0] = dk - log(m);
			g[1] = Fz * (be + tt) / (m * m) - k / m;
			g[2] = dk + Fb - log(m);
			g[3] = -Fz / m;
		}
		return lf - k * log(m);
	}
	else
	{
		double		m = be + tt;
		double		z = (be - al) / m;

		lf = log_hyp2f1_pnbd(k, r + x, z, &dk, &Fb, &Fz);
		if (g)
		{
			g[0] = dk + Fb - log(m);
			g[1] = -Fz / m;
			g[2] = dk - log(m);
			g[3] = Fz * (al + tt) / (m * m) - k / m;
		}
		return lf - k * log(m);
	}
}

/*
 * log A0 = log(G(t_x) - G(T)) (minus infinity when t_x = T) and its
 * gradient.  G is decreasing in time, so the difference is >= 0.
 */
static double
pnbd_log_a0(const double *p, double x, double tx, double T, double *g)
{
	double		g1[4],
				g2[4];
	double		G1 = pnbd_g(p, x, tx, g ? g1 : NULL);
	double		G2 = pnbd_g(p, x, T, g ? g2 : NULL);
	double		e;

	if (isnan(G1) || isnan(G2))
		return NAN;
	if (!(G2 < G1))
	{
		if (g)
			g[0] = g[1] = g[2] = g[3] = 0.0;
		return -INFINITY;
	}
	e = exp(G2 - G1);
	if (g)
		for (int i = 0; i < 4; i++)
			g[i] = (g1[i] - e * g2[i]) / (1.0 - e);
	return G1 + log1p(-e);
}

/*
 * Pareto/NBD (Fader & Hardie 2005, eq. 21):
 * log L(r, alpha, s, beta | x, t_x, T) = [x terms]
 *	 + ln[ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0 ]
 */
static double
pnbd_cell_ll(const double *p, const XTerms *xt, double x, double tx, double T, double *g)
{
	double		r = p[0],
				al = p[1],
				s = p[2],
				be = p[3];
	double		k = r + s + x;
	double		L1 = -(r + x) * log(al + T) - s * log(be + T);
	double		ga[4];
	double		la0 = pnbd_log_a0(p, x, tx, T, g ? ga : NULL);
	double		L2 = log(s) - log(k) + la0;
	double		lse;

	if (isnan(la0))
		return NAN;
	lse = logsumexp2(L1, L2);
	if (g)
	{
		double		w1 = exp(L1 - lse);
		double		w2 = la0 == -INFINITY ? 0.0 : exp(L2 - lse);

		g[0] = xt->g[0] - w1 * log(al + T) + w2 * (-1.0 / k + ga[0]);
		g[1] = xt->g[1] - w1 * (r + x) / (al + T) + w2 * ga[1];
		g[2] = xt->g[2] - w1 * log(be + T) + w2 * (1.0 / s - 1.0 / k + ga[2]);
		g[3] = xt->g[3] - w1 * s / (be + T) + w2 * ga[3];
	}
	return xt->ll + lse;
}

/* ---------------------------------------------------------------------------
 * Gamma-Gamma
 * ---------------------------------------------------------------------------
 */

/*
 * Gamma-Gamma (Fader, Hardie & Lee 2005; Fader & Hardie 2013): log f of
 * the mean spend m of x repeat transactions =
 *	 [x terms] + (px-1) ln m - (px+q) ln(v + x m)
 */
static double
gg_cell_ll(const double *par, const XTerms *xt, double x, double m, double *g)
{
	double		p = par[0],
				q = par[1],
				v = par[2];
	double		px = p * x;
	double		lxmv = log(x * m + v);
	double		lm = log(m);

	if (g)
	{
		g[0] = xt->g[0] + x * (lm - lxmv);
		g[1] = xt->g[1] - lxmv;
		g[2] = xt->g[2] - (px + q) / (x * m + v);
	}
	return xt->ll + (px - 1) * lm - (px + q) * lxmv;
}

/* x terms are cached for x below this; larger x are computed per cell */
#define XCACHE 4096

/*
 * The total log-likelihood of the weighted cells at exp(logpar), and its
 * gradient on the log-parameters when grad is given.  Gamma-Gamma cells
 * with x = 0 never get here (the aggregate drops them).  Not reentrant:
 * the x terms are cached in static storage (a backend runs one at a time).
 */
double
clv_ll(int kind, const ClvCell *cells, int64_t ncells, const double *logpar, double *grad)
{
	int			np = clv_npar(kind);
	double		p[4];
	double		total = 0.0;
	double		g[4],
				cg[4];
	static XTerms xcache[XCACHE];
	static bool xdone[XCACHE];

	for (int i = 0; i < np; i++)
	{
		p[i] = exp(logpar[i]);
		g[i] = 0.0;
		if (!(p[i] > 0) || isinf(p[i]))
			return NAN;
	}
	memset(xdone, 0, sizeof(xdone));
	for (int64_t c = 0; c < ncells; c++)
	{
		const ClvCell *cell = &cells[c];
		XTerms		own;
		const XTerms *xt;
		double		ll;

		if ((c & 0xFFFF) == 0xFFFF && clv_interrupt_hook)
			clv_interrupt_hook();
		if (cell->x < XCACHE)
		{
			int			ix = (int) cell->x;

			if (!xdone[ix])
			{
				x_terms(kind, p, cell->x, &xcache[ix]);
				xdone[ix] = true;
			}
			xt = &xcache[ix];
		}
		else
		{
			x_terms(kind, p, cell->x, &own);
			xt = &own;
		}
		switch (kind)
		{
			case CLV_BGNBD:
				ll = bgnbd_cell_ll(p, xt, cell->x, cell->u, cell->t, grad ? cg : NULL);
				break;
			case CLV_PNBD:
				ll = pnbd_cell_ll(p, xt, cell->x, cell->u, cell->t, grad ? cg : NULL);
				break;
			default:
				ll = gg_cell_ll(p, xt, cell->x, cell->u, grad ? cg : NULL);
				break;
		}
		if (!isfinite(ll))
			return NAN;
		total += cell->w * ll;
		if (grad)
			for (int i = 0; i < np; i++)
				g[i] += cell->w * cg[i];
	}
	if (grad)
		for (int i = 0; i < np; i++)
			grad[i] = g[i] * p[i];	/* chain rule: d/d log p = p d/dp */
	return total;
}

/* ---------------------------------------------------------------------------
 * Optimiser: BFGS on the log-parameters with a backtracking (Armijo) line
 * search, minimising f = -ll / (number of members).
 * ---------------------------------------------------------------------------
 */

typedef struct Objective
{
	int			kind;
	const ClvCell *cells;
	int64_t		ncells;
	double		wsum;
} Objective;

static double
objective(const Objective *o, const double *th, double *g)
{
	int			np = clv_npar(o->kind);
	double		ll;

	if (clv_interrupt_hook)
		clv_interrupt_hook();
	ll = clv_ll(o->kind, o->cells, o->ncells, th, g);
	if (!isfinite(ll))
		return NAN;
	if (g)
		for (int i = 0; i < np; i++)
			g[i] = -g[i] / o->wsum;
	return -ll / o->wsum;
}

static double
inf_norm(const double *v, int n)
{
	double		m = 0.0;

	for (int i = 0; i < n; i++)
		if (fabs(v[i]) > m)
			m = fabs(v[i]);
	return m;
}

/*
 * Minimise from th (updated in place).  Returns true on convergence: the
 * largest gradient component below BFGS_GTOL, or, when rounding stops any
 * further decrease (BFGS_STALL steps in a row, or no step accepted), below
 * 10 * BFGS_GTOL.  A run ends unconverged when a log-parameter gets
 * BFGS_RUNAWAY from its start (the fit then reports the parameter as
 * running off).  *iter gets the iterations used.
 */
static bool
bfgs(const Objective *o, double *th, double *fval, int *iter, bool *runaway)
{
	int			np = clv_npar(o->kind);
	double		H[4][4];
	double		g[4],
				gn[4],
				d[4],
				tn[4],
				s[4],
				y[4];
	double		f = objective(o, th, g);
	bool		fresh = true;
	int			it;
	int			stall = 0;
	double		th0[4];

	*iter = 0;
	*runaway = false;
	memcpy(th0, th, sizeof(th0));
	if (!isfinite(f) || !isfinite(inf_norm(g, np)))
		return false;
	for (int i = 0; i < np; i++)
		for (int j = 0; j < np; j++)
			H[i][j] = i == j ? 1.0 : 0.0;
	for (it = 1; it <= BFGS_MAX_ITER; it++)
	{
		double		slope = 0.0,
					step = 1.0,
					dmax,
					fn = NAN,
					ys = 0.0;
		bool		accepted = false;

		*iter = it;
		if (clv_interrupt_hook)
			clv_interrupt_hook();
		if (inf_norm(g, np) < BFGS_GTOL)
		{
			*fval = f;
			return true;
		}
		for (int i = 0; i < np; i++)
		{
			d[i] = 0.0;
			for (int j = 0; j < np; j++)
				d[i] -= H[i][j] * g[j];
			slope += d[i] * g[i];
		}
		if (!(slope < 0))
		{
			/* not a descent direction: restart from steepest descent */
			for (int i = 0; i < np; i++)
				for (int j = 0; j < np; j++)
					H[i][j] = i == j ? 1.0 : 0.0;
			slope = 0.0;
			for (int i = 0; i < np; i++)
			{
				d[i] = -g[i];
				slope -= g[i] * g[i];
			}
			fresh = true;
		}
		dmax = inf_norm(d, np);
		if (dmax > BFGS_MAX_STEP)
			step = BFGS_MAX_STEP / dmax;
		for (int k = 0; k < 60; k++)
		{
			for (int i = 0; i < np; i++)
				tn[i] = th[i] + step * d[i];
			fn = objective(o, tn, gn);
			if (isfinite(fn) && isfinite(inf_norm(gn, np)) &&
				fn <= f + 1e-4 * step * slope)
			{
				accepted = true;
				break;
			}
			step *= 0.5;
		}
		if (!accepted)
		{
			if (!fresh)
			{
				/* retry once along the gradient with a fresh Hessian */
				for (int i = 0; i < np; i++)
					for (int j = 0; j < np; j++)
						H[i][j] = i == j ? 1.0 : 0.0;
				fresh = true;
				continue;
			}
			*fval = f;
			return inf_norm(g, np) < 10 * BFGS_GTOL;
		}
		fresh = false;
		/* rounding noise: f no longer decreases, the gradient is as small as it gets */
		stall = fn >= f - 1e-15 * fabs(f) ? stall + 1 : 0;
		if (stall >= BFGS_STALL)
		{
			*fval = fn;
			memcpy(th, tn, sizeof(double) * np);
			return inf_norm(gn, np) < 10 * BFGS_GTOL;
		}
		for (int i = 0; i < np; i++)
		{
			s[i] = tn[i] - th[i];
			y[i] = gn[i] - g[i];
			ys += s[i] * y[i];
		}
		if (ys > 1e-16 * sqrt(inf_norm(s, np) * inf_norm(y, np) + 1e-300))
		{
			/* H <- (I - rho s y') H (I - rho y s') + rho s s' */
			double		rho = 1.0 / ys;
			double		Hy[4],
						yHy = 0.0;

			for (int i = 0; i < np; i++)
			{
				Hy[i] = 0.0;
				for (int j = 0; j < np; j++)
					Hy[i] += H[i][j] * y[j];
				yHy += y[i] * Hy[i];
			}
			for (int i = 0; i < np; i++)
				for (int j = 0; j < np; j++)
					H[i][j] += (1.0 + rho * yHy) * rho * s[i] * s[j]
						- rho * (Hy[i] * s[j] + s[i] * Hy[j]);
		}
		memcpy(th, tn, sizeof(double) * np);
		memcpy(g, gn, sizeof(double) * np);
		f = fn;
		/* a parameter running off to a limit of the model: stop here */
		for (int i = 0; i < np; i++)
			if (fabs(th[i] - th0[i]) > BFGS_RUNAWAY)
			{
				*fval = f;
				*runaway = true;
				return false;
			}
	}
	*fval = f;
	return inf_norm(g, np) < BFGS_GTOL;
}

/*
 * Fit a model to the cells.  Starting values from moments: purchase rate
 * r/alpha = mean x / mean T with r = 1; BG/NBD a = 1, b = 3; Pareto/NBD
 * s = 1, beta = mean T; Gamma-Gamma p = 1, q = 2, v = mean spend.  If that
 * start does not converge, two more starts are tried (every parameter
 * scaled by 0.3, then by 3) and the best log-likelihood is kept; not when
 * the first run found a parameter running off to a limit of the model.
 */
void
clv_fit(int kind, const ClvCell *cells, int64_t ncells, ClvFit *fit)
{
	Objective	o = {kind, cells, ncells, 0.0};
	int			np = clv_npar(kind);
	double		sx = 0.0,
				st = 0.0,
				sm = 0.0;
	double		start[4],
				best[4];
	double		bestf = INFINITY;
	bool		bestconv = false;
	static const double scales[3] = {1.0, 0.3, 3.0};

	for (int64_t c = 0; c < ncells; c++)
	{
		o.wsum += cells[c].w;
		sx += cells[c].w * cells[c].x;
		st += cells[c].w * cells[c].t;
		sm += cells[c].w * cells[c].u;
	}
	if (kind == CLV_GG)
	{
		start[0] = 1.0;
		start[1] = 2.0;
		start[2] = sm / o.wsum;
	}
	else
	{
		double		mt = st / o.wsum;
		double		mx = sx / o.wsum;

		start[0] = 1.0;
		start[1] = mt / (mx > 0.05 ? mx : 0.05);
		if (kind == CLV_BGNBD)
		{
			start[2] = 1.0;
			start[3] = 3.0;
		}
		else
		{
			start[2] = 1.0;
			start[3] = mt;
		}
	}
	fit->iterations = 0;
	for (int k = 0; k < 3; k++)
	{
		double		th[4],
					f = NAN;
		int			iters;
		bool		conv,
					runaway;

		for (int i = 0; i < np; i++)
			th[i] = log(start[i] * scales[k]);
		conv = bfgs(&o, th, &f, &iters, &runaway);
		fit->iterations += iters;
		if (isfinite(f) && (f < bestf || (conv && !bestconv && f <= bestf + 1e-9)))
		{
			bestf = f;
			bestconv = conv;
			memcpy(best, th, sizeof(best));
		}
		/* converged; or heading for a limit of the model, which other starts find as well */
		if (bestconv || (runaway && k == 0))
			break;
	}
	fit->finite = isfinite(bestf);
	fit->converged = bestconv;
	if (!fit->finite)
	{
		for (int i = 0; i < 4; i++)
			fit->par[i] = NAN;
		fit->ll = NAN;
		fit->grad_norm = NAN;
		return;
	}
	{
		double		g[4],
					gn = 0.0;

		fit->ll = clv_ll(kind, cells, ncells, best, g);
		for (int i = 0; i < np; i++)
		{
			fit->par[i] = exp(best[i]);
			gn += g[i] * g[i];
		}
		if (np == 3)
			fit->par[3] = NAN;
		fit->grad_norm = sqrt(gn);
	}
	/*
	 * A parameter 10^4 times above or below its start means the likelihood
	 * keeps rising towards a limit case of the model (e.g. r, alpha -> inf:
	 * the gamma mixture becomes one Poisson rate); the gradient vanishes
	 * there, which is no convergence to a maximum.
	 */
	fit->boundary = -1;
	for (int i = 0; i < np; i++)
		if (fabs(best[i] - log(start[i])) > log(1e4))
		{
			fit->boundary = i;
			fit->converged = false;
			break;
		}
}

/* ---------------------------------------------------------------------------
 * Predictions
 * ---------------------------------------------------------------------------
 */

/* BG/NBD P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) */
double
clv_bgnbd_p_alive(const double *p, double x, double tx, double T)
{
	if (x <= 0)
		return 1.0;
	return 1.0 / (1.0 + exp(log(p[2]) - log(p[3] + x - 1)
							+ (p[0] + x) * (log(p[1] + T) - log(p[1] + tx))));
}

/*
 * (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+h))^(r+x) 2F1(r+x, b+x; a+b+x-1; h/(alpha+T+h))],
 * the numerator of the BG/NBD conditional expectation (FHL 2005 eq. 10);
 * with x = 0, T = 0 it is the unconditional E[X(h)] (eq. 9).
 */
static double
bgnbd_numerator_raw(double r, double al, double a, double b, double h, double x, double T)
{
	double		lf,
				lv;

	if (h == 0)
		return 0.0;
	lf = clv_log_hyp2f1(r + x, b + x, a + b + x - 1, h / (al + T + h), NULL, NULL, NULL, NULL);
	lv = (r + x) * (log(al + T) - log(al + T + h)) + lf;
	return (a + b + x - 1) / (a - 1) * -expm1(lv);
}

/*
 * The formula is 0/0 at a = 1 and loses digits near it: within 1e-5 of 1
 * it is interpolated linearly between a = 1 - 1e-5 and a = 1 + 1e-5.
 */
static double
bgnbd_numerator(const double *p, double h, double x, double T)
{
	const double delta = 1e-5;
	double		a = p[2];

	if (fabs(a - 1.0) < delta)
	{
		double		lo = bgnbd_numerator_raw(p[0], p[1], 1.0 - delta, p[3], h, x, T);
		double		hi = bgnbd_numerator_raw(p[0], p[1], 1.0 + delta, p[3], h, x, T);

		return lo + (a - (1.0 - delta)) / (2 * delta) * (hi - lo);
	}
	return bgnbd_numerator_raw(p[0], p[1], a, p[3], h, x, T);
}

double
clv_bgnbd_expected(const double *p, double h)
{
	return bgnbd_numerator(p, h, 0.0, 0.0);
}

double
clv_bgnbd_conditional(const double *p, double h, double x, double tx, double T)
{
	double		num = bgnbd_numerator(p, h, x, T);

	if (x <= 0)
		return num;
	return num / (1.0 + exp(log(p[2]) - log(p[3] + x - 1)
							+ (p[0] + x) * (log(p[1] + T) - log(p[1] + tx))));
}

/* P(alive) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0) */
double
clv_pnbd_p_alive(const double *p, double x, double tx, double T)
{
	double		la0 = pnbd_log_a0(p, x, tx, T, NULL);

	if (isnan(la0))
		return NAN;
	if (la0 == -INFINITY)
		return 1.0;
	return 1.0 / (1.0 + exp(log(p[2]) - log(p[0] + p[2] + x)
							+ (p[0] + x) * log(p[1] + T) + p[2] * log(p[3] + T) + la0));
}

/* -expm1((s-1) L) / (s-1), which tends to L as s -> 1 */
static double
pareto_factor(double s, double L)
{
	if (fabs(s - 1.0) < 1e-10)
		return L;
	return -expm1(-(s - 1.0) * L) / (s - 1.0);
}

/* E[X(h)] = r beta / (alpha (s-1)) [1 - (beta/(beta+h))^(s-1)] */
double
clv_pnbd_expected(const double *p, double h)
{
	return p[0] * p[3] / p[1] * pareto_factor(p[2], log(p[3] + h) - log(p[3]));
}

/*
 * E[Y(h) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1))
 *	 [1 - ((beta+T)/(beta+T+h))^(s-1)] P(alive)
 */
double
clv_pnbd_conditional(const double *p, double h, double x, double tx, double T)
{
	double		pa = clv_pnbd_p_alive(p, x, tx, T);

	return (p[0] + x) * (p[3] + T) / (p[1] + T)
		* pareto_factor(p[2], log(p[3] + T + h) - log(p[3] + T)) * pa;
}

/* E[M | x, mean spend m] = p (v + x m) / (p x + q - 1) */
double
clv_gg_expected_spend(const double *par, double x, double m)
{
	double		p = par[0],
				q = par[1],
				v = par[2];

	if (x <= 0)
		return p * v / (q - 1);
	return p * (v + x * m) / (p * x + q - 1);
}
