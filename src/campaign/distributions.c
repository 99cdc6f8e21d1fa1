/*-------------------------------------------------------------------------
 *
 * distributions.c
 *	  The normal, Student t and chi-square distributions that campaign
 *	  review needs: cumulative and survival functions, the normal and t
 *	  quantiles, as plain C (stat_*) and as SQL functions (rfm_*).
 *
 * Everything is computed so that a tail keeps its full relative accuracy:
 * a p-value of 1e-20 has 15 correct digits, not 0 (which is what 1 - cdf
 * would give).  The algorithms are the classic ones:
 *
 *	  - normal: Phi(z) = erfc(-z/sqrt 2)/2 with the C99 erf/erfc of the
 *		platform's libm (PostgreSQL 16 uses the same functions for its SQL
 *		erf/erfc); the quantile by Wichura's AS 241 (PPND16, relative
 *		accuracy about 1e-16) polished by one Halley step on the tail that
 *		is being asked for.
 *	  - regularized incomplete beta I_x(a, b) and gamma P(a, x), Q(a, x):
 *		continued fractions evaluated by the modified Lentz method (the beta
 *		one and Legendre's one for Q), the power series for P, each on the
 *		side where it converges (Numerical Recipes 6.2, 6.4).  The factor in
 *		front, x^a y^b / B(a, b) or x^a e^-x / Gamma(a), is not taken as
 *		exp(a log x + ... - lgamma(...)), which loses about log10(a) digits
 *		for large a (df = 1e7), but through Stirling's series with the
 *		terms that cancel removed analytically (DiDonato and Morris 1992,
 *		TOMS 708, do the same): see power_beta() and power_gamma().
 *	  - Student t: the tails as I_x(df/2, 1/2)/2 with x = df/(df + t^2) and
 *		the centre as I_y(1/2, df/2)/2 with y = t^2/(df + t^2); both x and y
 *		are formed directly so neither is 1 minus a rounded number.  The
 *		quantile solves one of these two equations (whichever does not
 *		cancel) by Newton steps in log t, safeguarded by bisection, started
 *		from the Cornish-Fisher expansion and bracketed by the normal
 *		quantile below and the power-law tail bound above.
 *	  - chi-square: P(df/2, x/2) and Q(df/2, x/2).
 *
 * Measured against mpmath at 50 digits over the grid of
 * test/reference/campaign_reference.py (docs/campaigns.md, "Statistics"):
 * see the accuracy table there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "utils/float.h"

#include "campaign.h"

PG_FUNCTION_INFO_V1(rfm_normal_cdf);
PG_FUNCTION_INFO_V1(rfm_normal_quantile);
PG_FUNCTION_INFO_V1(rfm_student_t_cdf);
PG_FUNCTION_INFO_V1(rfm_student_t_quantile);
PG_FUNCTION_INFO_V1(rfm_chi_square_cdf);

#define STAT_EPS		(DBL_EPSILON / 2)
#define STAT_TINY		1e-300	/* Lentz: stands in for a zero denominator */
#define STAT_MAXITER	1000000	/* continued fractions need O(sqrt(max(a, b))) */
#define LOG_SQRT_2PI	0.91893853320467274178032973640562
#define SQRT1_2			0.70710678118654752440084436210485

/*-------------------------------------------------------------------------
 * Normal distribution
 *-------------------------------------------------------------------------
 */

/* Phi(z), the lower tail; the form of Cephes ndtr, which scipy uses. */
float8
stat_normal_cdf(float8 z)
{
	float8		x = z * SQRT1_2;

	if (fabs(x) < SQRT1_2)
		return 0.5 + 0.5 * erf(x);
	if (x > 0)
		return 1.0 - 0.5 * erfc(x);
	return 0.5 * erfc(-x);
}

/* 1 - Phi(z), the upper tail, with full relative accuracy. */
float8
stat_normal_sf(float8 z)
{
	return stat_normal_cdf(-z);
}

/* The density. */
static float8
normal_pdf(float8 z)
{
	return exp(-0.5 * z * z - LOG_SQRT_2PI);
}

/*
 * Wichura's AS 241 (PPND16): z with Phi(z) = p given q = min(p, 1 - p) and
 * on which side p lies.  Taking the tail probability q itself (not p) keeps
 * the accuracy for p = 1 - 1e-20, which a double cannot hold.
 */
static float8
as241(float8 q, bool upper)
{
	float8		r;
	float8		z;
	float8		d = 0.5 - q;	/* q < 0.5 here, or the central branch */

	if (fabs(d) <= 0.425)
	{
		r = 0.180625 - d * d;
		z = d * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r +
					  67265.770927008700853) * r + 45921.953931549871457) * r +
					13731.693765509461125) * r + 1971.5909503065514427) * r +
				  133.14166789178437745) * r + 3.387132872796366608) /
			(((((((5226.495278852545925 * r + 28729.085735721942674) * r +
				  39307.89580009271061) * r + 21213.794301586595867) * r +
				5394.1960214247511077) * r + 687.1870074920579083) * r +
			  42.313330701600911252) * r + 1.0);
		/* z solves Phi(z) = 0.5 + d = 1 - q: the upper side's quantile */
		return upper ? z : -z;
	}
	r = sqrt(-log(q));
	if (r <= 5.0)
	{
		r -= 1.6;
		z = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r +
				  0.24178072517745061177) * r + 1.27045825245236838258) * r +
				3.64784832476320460504) * r + 5.7694972214606914055) * r +
			  4.6303378461565452959) * r + 1.42343711074968357734) /
			(((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r +
				  0.0151986665636164571966) * r + 0.14810397642748007459) * r +
				0.68976733498510000455) * r + 1.6763848301838038494) * r +
			  2.05319162663775882187) * r + 1.0);
	}
	else
	{
		r -= 5.0;
		z = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
				  0.0012426609473880784386) * r + 0.026532189526576123093) * r +
				0.29656057182850489123) * r + 1.7848265399172913358) * r +
			  5.4637849111641143699) * r + 6.6579046435011037772) /
			(((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r +
				  1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
				0.0148753612908506148525) * r + 0.13692988092273580531) * r +
			  0.59983220655588793769) * r + 1.0);
	}
	return upper ? z : -z;		/* z > 0 is the size of the tail's quantile */
}

/*
 * The normal quantile of tail probability q on the given side: upper =
 * true gives z with 1 - Phi(z) = q, false z with Phi(z) = q.  One Halley
 * step on the tail function removes what is left of AS 241's error.
 */
static float8
normal_tail_quantile(float8 q, bool upper)
{
	float8		z = as241(q, upper);
	float8		a = fabs(z);
	float8		f;
	float8		e;
	float8		u;

	if (q >= 0.5 || a < 1e-8)
		return z;
	/* tail at a: Q(a) = q; step on Q, which is accurate where Phi is not */
	f = stat_normal_sf(a);
	e = f - q;
	u = e / normal_pdf(a);		/* Newton: a + u */
	a = a + u / (1.0 - 0.5 * a * u);	/* Halley */
	return upper ? a : -a;
}

/* Phi^-1(p) for 0 < p < 1. */
float8
stat_normal_quantile(float8 p)
{
	if (p == 0.5)
		return 0.0;
	if (p < 0.5)
		return normal_tail_quantile(p, false);
	return normal_tail_quantile(1.0 - p, true);
}

/* z with 1 - Phi(z) = q (0 < q < 1), exact for tiny q. */
float8
stat_normal_isf(float8 q)
{
	if (q == 0.5)
		return 0.0;
	if (q < 0.5)
		return normal_tail_quantile(q, true);
	return normal_tail_quantile(1.0 - q, false);
}

/*-------------------------------------------------------------------------
 * Stirling's series and the factors in front of the incomplete functions
 *-------------------------------------------------------------------------
 */

/*
 * mu(z) = lgamma(z) - ((z - 1/2) log z - z + log sqrt(2 pi)), Stirling's
 * remainder, for z > 0: the asymptotic series from z = 10 on (7 terms are
 * below 1e-17 there), lgamma below.
 */
static float8
stirling_mu(float8 z)
{
	float8		r;
	float8		r2;

	if (z < 10.0)
		return lgamma(z) - ((z - 0.5) * log(z) - z + LOG_SQRT_2PI);
	r = 1.0 / z;
	r2 = r * r;
	return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 +
							   r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 * (1.0 / 156)))))));
}

/*
 * log(r) - (r - 1) where u = r - 1 is given exactly: the series
 * -u^2/2 + u^3/3 - ... where log1p(u) - u would cancel (|u| < 0.3), the
 * direct form elsewhere, with log r taken from r itself when r is small
 * (1 + u would lose its digits).
 */
static float8
log_minus_linear(float8 r, float8 u)
{
	float8		sum = 0.0;
	float8		term;

	if (fabs(u) >= 0.3)
		return (r < 0.5 ? log(r) : log1p(u)) - u;
	term = -u;
	for (int k = 2; k < 60; k++)
	{
		float8		t;

		term *= -u;
		t = term / k;
		sum -= t;
		if (fabs(t) <= STAT_EPS * fabs(sum))
			break;
	}
	return sum;
}

/*
 * x^a y^b / B(a, b) with y = 1 - x, both given (each may carry the digits
 * that 1 - other would lose).  Through Gamma(z) = sqrt(2 pi) z^(z-1/2)
 * e^-z e^mu(z):
 *
 *	  x^a y^b / B(a,b) = sqrt(ab / (2 pi (a+b)))
 *						 * exp(a L(x/x0) + b L(y/y0) + mu(a+b) - mu(a) - mu(b))
 *
 * with x0 = a/(a+b), y0 = b/(a+b) and L(r) = log r - (r - 1) (the linear
 * parts cancel as a(x/x0 - 1) + b(y/y0 - 1) = 0): no large terms cancel,
 * so the result is as accurate as the exponent, whatever a and b.
 */
static float8
power_beta(float8 a, float8 b, float8 x, float8 y)
{
	float8		ab = a + b;
	float8		d = (x * b - y * a) / ab;	/* x - x0 = y0 - y */
	float8		u1 = d * ab / a;
	float8		u2 = -d * ab / b;
	float8		e;

	e = a * log_minus_linear(x * ab / a, u1) + b * log_minus_linear(y * ab / b, u2)
		+ stirling_mu(ab) - stirling_mu(a) - stirling_mu(b);
	return sqrt(a * b / (2 * M_PI * ab)) * exp(e);
}

/*
 * x^a e^-x / Gamma(a) = sqrt(a / (2 pi)) exp(a L(x/a) - mu(a)), the same
 * way.
 */
static float8
power_gamma(float8 a, float8 x)
{
	return sqrt(a / (2 * M_PI)) * exp(a * log_minus_linear(x / a, (x - a) / a) - stirling_mu(a));
}

/*-------------------------------------------------------------------------
 * Regularized incomplete beta and gamma
 *-------------------------------------------------------------------------
 */

/*
 * The continued fraction of I_x(a, b) (modified Lentz); converges for
 * x < (a+1)/(a+b+2).  For large a (t with df = 1e7) and x near the switch
 * point every odd step computes 1 + d_(2m+1) D with d_(2m+1) close to -1,
 * losing log10(a) digits: the fraction is evaluated in long double (64-bit
 * significand on x86-64, 113 on aarch64), which leaves 1e-13 at a = 5e6.
 * There I_x is about a times as sensitive to x as to y = 1 - x, so x is
 * taken as 1 - y in long double when y is the smaller (and the more
 * accurate) of the two.
 */
static float8
beta_cf(float8 a, float8 b, float8 x, float8 y)
{
	long double qab = (long double) a + b;
	long double qap = (long double) a + 1.0L;
	long double qam = (long double) a - 1.0L;
	long double lx = x > 0.5 ? 1.0L - (long double) y : (long double) x;
	long double c = 1.0L;
	long double d = 1.0L - qab * lx / qap;
	long double h;

	if (fabsl(d) < STAT_TINY)
		d = STAT_TINY;
	d = 1.0L / d;
	h = d;
	for (int m = 1; m <= STAT_MAXITER; m++)
	{
		int			m2 = 2 * m;
		long double aa;
		long double del;

		aa = m * (b - m) * lx / ((qam + m2) * (a + m2));
		d = 1.0L + aa * d;
		if (fabsl(d) < STAT_TINY)
			d = STAT_TINY;
		c = 1.0L + aa / c;
		if (fabsl(c) < STAT_TINY)
			c = STAT_TINY;
		d = 1.0L / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * lx / ((a + m2) * (qap + m2));
		d = 1.0L + aa * d;
		if (fabsl(d) < STAT_TINY)
			d = STAT_TINY;
		c = 1.0L + aa / c;
		if (fabsl(c) < STAT_TINY)
			c = STAT_TINY;
		d = 1.0L / d;
		del = d * c;
		h *= del;
		if (fabsl(del - 1.0L) <= LDBL_EPSILON)
			break;
	}
	return (float8) h;
}

/*
 * I_x(a, b) and 1 - I_x(a, b) with y = 1 - x given too: the one on the side
 * where the continued fraction converges is computed, the other is 1 minus
 * it (then both are at least about 0.3, so neither loses digits).
 */
void
stat_incbeta(float8 a, float8 b, float8 x, float8 y, float8 *lower, float8 *upper)
{
	if (x <= 0.0)
	{
		*lower = 0.0;
		*upper = 1.0;
		return;
	}
	if (y <= 0.0)
	{
		*lower = 1.0;
		*upper = 0.0;
		return;
	}
	if (x < (a + 1.0) / (a + b + 2.0))
	{
		*lower = power_beta(a, b, x, y) * beta_cf(a, b, x, y) / a;
		*upper = 1.0 - *lower;
	}
	else
	{
		*upper = power_beta(b, a, y, x) * beta_cf(b, a, y, x) / b;
		*lower = 1.0 - *upper;
	}
}

/* P(a, x) and Q(a, x) = 1 - P(a, x), the one that converges computed. */
void
stat_incgamma(float8 a, float8 x, float8 *lower, float8 *upper)
{
	if (x <= 0.0)
	{
		*lower = 0.0;
		*upper = 1.0;
		return;
	}
	if (isinf(x))
	{
		*lower = 1.0;
		*upper = 0.0;
		return;
	}
	if (x < a + 1.0)
	{
		/* series: P = x^a e^-x / Gamma(a+1) * sum x^n / ((a+1)...(a+n)) */
		float8		ap = a;
		float8		del = 1.0 / a;
		float8		sum = del;

		for (int n = 1; n <= STAT_MAXITER; n++)
		{
			ap += 1.0;
			del *= x / ap;
			sum += del;
			if (fabs(del) <= fabs(sum) * STAT_EPS)
				break;
		}
		*lower = sum * power_gamma(a, x);
		*upper = 1.0 - *lower;
	}
	else
	{
		/* Legendre's continued fraction for Q, modified Lentz */
		float8		b = x + 1.0 - a;
		float8		c = 1.0 / STAT_TINY;
		float8		d = 1.0 / b;
		float8		h = d;

		for (int i = 1; i <= STAT_MAXITER; i++)
		{
			float8		an = -i * (i - a);
			float8		del;

			b += 2.0;
			d = an * d + b;
			if (fabs(d) < STAT_TINY)
				d = STAT_TINY;
			c = b + an / c;
			if (fabs(c) < STAT_TINY)
				c = STAT_TINY;
			d = 1.0 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1.0) <= STAT_EPS)
				break;
		}
		*upper = power_gamma(a, x) * h;
		*lower = 1.0 - *upper;
	}
}

/*-------------------------------------------------------------------------
 * Student t
 *-------------------------------------------------------------------------
 */

/*
 * log(Gamma(z + 1/2) / Gamma(z)) without the cancellation of two lgamma
 * values near 1e8 (z = 5e6): by Stirling for z >= 10.
 */
static float8
lgamma_half_ratio(float8 z)
{
	if (z < 10.0)
		return lgamma(z + 0.5) - lgamma(z);
	return (z - 0.5) * log1p(0.5 / z) + 0.5 * log(z + 0.5) - 0.5
		+ stirling_mu(z + 0.5) - stirling_mu(z);
}

/* The density of t with df degrees of freedom. */
static float8
t_pdf(float8 t, float8 df)
{
	float8		at = fabs(t);
	/* log(1 + t^2/df), also where t^2 overflows */
	float8		l = at > 1e150 ? 2 * log(at) - log(df) : log1p(t * t / df);

	return exp(lgamma_half_ratio(df / 2) - 0.5 * log(df * M_PI) - (df + 1) / 2 * l);
}

/*
 * The parts of the distribution of t >= 0: tail = P(T > t) and centre =
 * P(0 < T < t) = 1/2 - tail, each with full relative accuracy where it is
 * small.
 */
static void
t_parts(float8 t, float8 df, float8 *tail, float8 *centre)
{
	float8		t2 = t * t;
	float8		lower;
	float8		upper;

	if (isinf(t))
	{
		*tail = 0.0;
		*centre = 0.5;
		return;
	}
	if (t > 1e150)
	{
		/*
		 * t^2 and x = df/(df + t^2) would leave the range of doubles (df =
		 * 0.5, p = 1e-100 needs t = 1e199); there P(T > t) = C df^((df+1)/2)
		 * t^-df / df (1 + O(df/t^2)), exact to the last digit.
		 */
		*tail = exp(lgamma_half_ratio(df / 2) - 0.5 * log(df * M_PI)
					+ (df + 1) / 2 * log(df) - df * log(t) - log(df));
		*centre = 0.5 - *tail;
		return;
	}
	stat_incbeta(df / 2, 0.5, df / (df + t2), t2 / (df + t2), &lower, &upper);
	*tail = 0.5 * lower;
	*centre = 0.5 * upper;
}

/* P(T <= t). */
float8
stat_t_cdf(float8 t, float8 df)
{
	float8		tail;
	float8		centre;

	if (isinf(df))
		return stat_normal_cdf(t);
	t_parts(fabs(t), df, &tail, &centre);
	return t < 0 ? tail : 0.5 + centre;
}

/* P(T > t), with full relative accuracy for p-values. */
float8
stat_t_sf(float8 t, float8 df)
{
	return stat_t_cdf(-t, df);
}

/*
 * t >= 0 with P(T > t) = target (tail = true, target < 1/2) or with
 * P(0 < T < t) = target (tail = false, target <= 1/4).  Newton in u = log t
 * on h(u) = log(part(e^u)) - log(target), which is close to linear in the
 * power-law tails of small df, kept inside a bracket [lo, hi] that
 * bisection falls back on.
 */
static float8
t_solve(float8 target, bool tail, float8 df)
{
	float8		z = stat_normal_isf(tail ? target : 0.5 - target);
	float8		lo = log(z);	/* |t| >= |z|: t's tails are heavier */
	float8		hi = INFINITY;
	float8		u;
	float8		t0;

	/* Cornish-Fisher start */
	t0 = z + (z * z * z + z) / (4 * df)
		+ (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * df * df);
	if (tail)
	{
		/* P(T > t) <= K t^-df / df: an upper bound of t */
		float8		logk = lgamma_half_ratio(df / 2) - 0.5 * log(df * M_PI) + (df + 1) / 2 * log(df);

		hi = (logk - log(df) - log(target)) / df;
	}
	u = log(t0);
	if (!(u > lo && u < hi))
		u = isfinite(hi) ? 0.5 * (lo + hi) : lo + 1.0;

	for (int it = 0; it < 400; it++)
	{
		float8		t = exp(u);
		float8		part;
		float8		other;
		float8		h;
		float8		dh;
		float8		next;

		t_parts(t, df, &part, &other);
		if (!tail)
			part = other;
		if (part <= 0.0)
		{
			/* beyond the range of doubles: the root is below */
			hi = u;
			next = isfinite(lo) ? 0.5 * (lo + u) : u - 1.0;
			u = next;
			continue;
		}
		h = log(part) - log(target);
		if (h == 0.0)
			return t;
		/* tail decreases in t, centre increases */
		if ((h > 0) == tail)
			lo = u;
		else
			hi = u;
		dh = t * t_pdf(t, df) / part * (tail ? -1.0 : 1.0);
		next = u - h / dh;
		if (!(next > lo && next < hi) || !isfinite(next))
			next = isfinite(hi) ? 0.5 * (lo + hi) : lo + 2.0;
		if (fabs(next - u) <= 4 * DBL_EPSILON * Max(fabs(u), 1.0) ||
			(isfinite(hi) && hi - lo <= 4 * DBL_EPSILON * Max(fabs(u), 1.0)))
			return exp(next);
		u = next;
	}
	return exp(u);
}

/* The t quantile: t with P(T <= t) = p, 0 < p < 1. */
float8
stat_t_quantile(float8 p, float8 df)
{
	float8		q;
	float8		t;

	if (isinf(df))
		return stat_normal_quantile(p);
	if (p == 0.5)
		return 0.0;
	q = p < 0.5 ? p : 1.0 - p;
	if (q < 0.25)
		t = t_solve(q, true, df);
	else
	{
		float8		c = fabs(p - 0.5);	/* exact for 1/4 <= p <= 3/4 */
		float8		pdf0 = exp(lgamma_half_ratio(df / 2) - 0.5 * log(df * M_PI));

		/* P(0 < T < t) = t pdf(0) (1 + O(t^2)): beyond the digits of a double */
		if (c / pdf0 < 1e-9)
			t = c / pdf0;
		else
			t = t_solve(c, false, df);
	}
	return p < 0.5 ? -t : t;
}

/* t with P(T > t) = q, exact for tiny q. */
float8
stat_t_isf(float8 q, float8 df)
{
	if (q == 0.5)
		return 0.0;
	if (q < 0.5)
		return isinf(df) ? stat_normal_isf(q) : (q < 0.25 ? t_solve(q, true, df) : stat_t_quantile(1.0 - q, df));
	return -stat_t_isf(1.0 - q, df);
}

/*-------------------------------------------------------------------------
 * Chi-square
 *-------------------------------------------------------------------------
 */

float8
stat_chi2_cdf(float8 x, float8 df)
{
	float8		lower;
	float8		upper;

	stat_incgamma(df / 2, x / 2, &lower, &upper);
	return lower;
}

float8
stat_chi2_sf(float8 x, float8 df)
{
	float8		lower;
	float8		upper;

	stat_incgamma(df / 2, x / 2, &lower, &upper);
	return upper;
}

/*-------------------------------------------------------------------------
 * SQL functions
 *-------------------------------------------------------------------------
 */

/* NaN is refused: a statistic that came out NaN is a bug to see, not to pass on. */
static void
check_not_nan(float8 v, const char *what, const char *fname)
{
	if (isnan(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of %s must not be NaN", what, fname),
				 errhint("Filter out NaN values before calling %s.", fname)));
}

static void
check_probability(float8 p, const char *fname)
{
	check_not_nan(p, "the probability", fname);
	if (!(p > 0.0 && p < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probability %s of %s is outside (0, 1)",
						float8out_internal(p), fname),
				 errhint("Pass a probability strictly between 0 and 1; the quantile of 0 or 1 is infinite.")));
}

static void
check_df(float8 df, bool infinite_ok, const char *fname)
{
	check_not_nan(df, "the degrees of freedom", fname);
	if (!(df > 0.0) || (!infinite_ok && isinf(df)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("degrees of freedom %s of %s must be %s",
						float8out_internal(df), fname, infinite_ok ? "positive" : "positive and finite"),
				 errhint("Welch-Satterthwaite degrees of freedom are positive real numbers; check the cells that gave it.")));
}

Datum
rfm_normal_cdf(PG_FUNCTION_ARGS)
{
	float8		z = PG_GETARG_FLOAT8(0);

	check_not_nan(z, "z", "rfm.normal_cdf");
	PG_RETURN_FLOAT8(stat_normal_cdf(z));
}

Datum
rfm_normal_quantile(PG_FUNCTION_ARGS)
{
	float8		p = PG_GETARG_FLOAT8(0);

	check_probability(p, "rfm.normal_quantile");
	PG_RETURN_FLOAT8(stat_normal_quantile(p));
}

Datum
rfm_student_t_cdf(PG_FUNCTION_ARGS)
{
	float8		t = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	check_not_nan(t, "t", "rfm.student_t_cdf");
	check_df(df, true, "rfm.student_t_cdf");
	PG_RETURN_FLOAT8(stat_t_cdf(t, df));
}

Datum
rfm_student_t_quantile(PG_FUNCTION_ARGS)
{
	float8		p = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	check_probability(p, "rfm.student_t_quantile");
	check_df(df, true, "rfm.student_t_quantile");
	PG_RETURN_FLOAT8(stat_t_quantile(p, df));
}

Datum
rfm_chi_square_cdf(PG_FUNCTION_ARGS)
{
	float8		x = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	check_not_nan(x, "x", "rfm.chi_square_cdf");
	check_df(df, false, "rfm.chi_square_cdf");
	PG_RETURN_FLOAT8(stat_chi2_cdf(x, df));
}
