/*-------------------------------------------------------------------------
 *
 * campaign_compare.c
 *	  rfm.campaign_compare(treatment, control, confidence): the response
 *	  and revenue uplift of a treatment cell over a control cell with their
 *	  intervals and p-values, and rfm.srm_test(observed, expected_shares),
 *	  the sample-ratio-mismatch check of an allocation.
 *
 * The methods (docs/campaigns.md, "Statistics"):
 *
 *	  - response: the difference of proportions with Newcombe's hybrid score
 *		interval (Newcombe 1998, method 10: the Wilson limits of each
 *		proportion combined) and the two-proportion z-test with the pooled
 *		variance;
 *	  - revenue per member (non-buyers count as 0): Welch's t with the
 *		Welch-Satterthwaite degrees of freedom;
 *	  - CUPED (Deng et al. 2013): theta = cov(y, x) / var(x) over both arms
 *		pooled, each arm's mean of y moved by theta (mean x of the arm - mean
 *		x of both), the within-arm variance of y - theta x, then Welch;
 *	  - relative lift mean_t / mean_c - 1 with a linear delta-method interval
 *		on the normal quantile.
 *
 * The cells carry exact sums (numeric); the centred sums n sum(y^2) -
 * sum(y)^2 and n sum(xy) - sum(x) sum(y) are formed in numeric, exactly, and
 * rounded once to float8, so a variance never suffers the cancellation of
 * the textbook formula.
 *
 * Degenerate cells give NULLs, never errors or NaN: see compare() for
 * which output needs what.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "campaign.h"

PG_FUNCTION_INFO_V1(rfm_campaign_compare);
PG_FUNCTION_INFO_V1(rfm_srm_test);

/* The outputs of rfm.campaign_comparison, in order. */
enum
{
	OUT_RESPONSE_RATE,
	OUT_CONTROL_RESPONSE_RATE,
	OUT_RESPONSE_UPLIFT,
	OUT_RESPONSE_UPLIFT_LOW,
	OUT_RESPONSE_UPLIFT_HIGH,
	OUT_RESPONSE_P,
	OUT_REVENUE_PER_MEMBER,
	OUT_CONTROL_REVENUE_PER_MEMBER,
	OUT_REVENUE_UPLIFT,
	OUT_REVENUE_UPLIFT_LOW,
	OUT_REVENUE_UPLIFT_HIGH,
	OUT_REVENUE_P,
	OUT_REVENUE_DF,
	OUT_CUPED_THETA,
	OUT_CUPED_REVENUE_UPLIFT,
	OUT_CUPED_REVENUE_UPLIFT_LOW,
	OUT_CUPED_REVENUE_UPLIFT_HIGH,
	OUT_CUPED_REVENUE_P,
	OUT_RELATIVE_REVENUE_LIFT,
	OUT_RELATIVE_REVENUE_LIFT_LOW,
	OUT_RELATIVE_REVENUE_LIFT_HIGH,
	OUT_INCREMENTAL_REVENUE,
	OUT_NATTS
};

/* One cell read from an rfm.campaign_cell: counts, sums (numeric) and what follows from them. */
typedef struct Cell
{
	int64		n;
	int64		responders;
	Datum		sum[CAMPAIGN_CELL_NATTS];	/* numeric sums, by CAMPAIGN_CELL_* */
	float8		mean_y;
	float8		mean_x;
	float8		cyy;			/* n sum(y^2) - sum(y)^2, exact then rounded */
	float8		cxx;
	float8		cxy;
} Cell;

/* The outputs being built: value and whether it is set. */
typedef struct Out
{
	Datum		values[OUT_NATTS];
	bool		nulls[OUT_NATTS];
} Out;

static void
set(Out *o, int i, float8 v)
{
	if (isfinite(v))
	{
		o->values[i] = Float8GetDatum(v);
		o->nulls[i] = false;
	}
}

static Datum
num_mul(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_mul, a, b);
}

static float8
num_float8(Datum a)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, a));
}

/* n sab - sa sb, exactly, as float8. */
static float8
centred(int64 n, Datum sa, Datum sb, Datum sab)
{
	Datum		nn = NumericGetDatum(int64_to_numeric(n));

	return num_float8(DirectFunctionCall2(numeric_sub, num_mul(nn, sab), num_mul(sa, sb)));
}

/* Fill the derived fields of a cell from its counts and sums. */
static void
cell_derive(Cell *c)
{
	if (c->n <= 0)
		return;
	c->mean_y = num_float8(c->sum[CAMPAIGN_CELL_SUM_Y]) / c->n;
	c->mean_x = num_float8(c->sum[CAMPAIGN_CELL_SUM_X]) / c->n;
	c->cyy = centred(c->n, c->sum[CAMPAIGN_CELL_SUM_Y], c->sum[CAMPAIGN_CELL_SUM_Y], c->sum[CAMPAIGN_CELL_SUM_Y2]);
	c->cxx = centred(c->n, c->sum[CAMPAIGN_CELL_SUM_X], c->sum[CAMPAIGN_CELL_SUM_X], c->sum[CAMPAIGN_CELL_SUM_X2]);
	c->cxy = centred(c->n, c->sum[CAMPAIGN_CELL_SUM_X], c->sum[CAMPAIGN_CELL_SUM_Y], c->sum[CAMPAIGN_CELL_SUM_XY]);
}

/* Read an rfm.campaign_cell argument; NULL fields and impossible counts are errors. */
static void
cell_read(HeapTupleHeader t, const char *which, Cell *c)
{
	for (int i = 0; i < CAMPAIGN_CELL_NATTS; i++)
	{
		bool		isnull;
		Datum		d = GetAttributeByNum(t, i + 1, &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the %s cell of rfm.campaign_compare has a NULL field (attribute %d)", which, i + 1),
					 errhint("Build cells with rfm.campaign_cell_agg, which never leaves a field NULL; coalesce an outer join's missing cell to a cell of zeros.")));
		c->sum[i] = d;
	}
	c->n = DatumGetInt64(c->sum[CAMPAIGN_CELL_MEMBERS]);
	c->responders = DatumGetInt64(c->sum[CAMPAIGN_CELL_RESPONDERS]);
	if (c->n < 0 || c->responders < 0 || c->responders > c->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s cell of rfm.campaign_compare has " INT64_FORMAT " responders among " INT64_FORMAT " members",
						which, c->responders, c->n),
				 errhint("Counts must satisfy 0 <= responders <= members.")));
	for (int i = CAMPAIGN_CELL_SUM_Y; i < CAMPAIGN_CELL_NATTS; i++)
		if (numeric_is_nan(DatumGetNumeric(c->sum[i])) || numeric_is_inf(DatumGetNumeric(c->sum[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the %s cell of rfm.campaign_compare has a sum that is not finite", which),
					 errhint("Build cells with rfm.campaign_cell_agg.")));
	cell_derive(c);
}

/* The Wilson score interval of r successes in n trials (n >= 1). */
static void
wilson(int64 r, int64 n, float8 z, float8 *lo, float8 *hi)
{
	float8		p = (float8) r / n;
	float8		z2 = z * z;
	float8		denom = 1.0 + z2 / n;
	float8		centre = (p + z2 / (2.0 * n)) / denom;
	float8		dist = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * (float8) n)) / denom;

	*lo = centre - dist;
	*hi = centre + dist;
}

/*
 * Welch's test of a difference of means diff with the per-arm variances vt,
 * vc (n - 1 denominators): interval, two-sided p and df into o at
 * positions low, high, p and df (df < 0: not wanted).  No output when the
 * standard error is 0.
 */
static void
welch(Out *o, float8 diff, float8 vt, int64 nt, float8 vc, int64 nc, float8 alpha,
	  int low, int high, int p, int df_at)
{
	float8		at = vt / nt;
	float8		ac = vc / nc;
	float8		se2 = at + ac;
	float8		se;
	float8		df;
	float8		q;

	if (!(se2 > 0.0) || !isfinite(se2))
		return;
	se = sqrt(se2);
	df = se2 * se2 / (at * at / (nt - 1) + ac * ac / (nc - 1));
	q = stat_t_isf(alpha / 2, df);
	set(o, low, diff - q * se);
	set(o, high, diff + q * se);
	set(o, p, 2.0 * stat_t_sf(fabs(diff / se), df));
	if (df_at >= 0)
		set(o, df_at, df);
}

/*
 * Everything of one comparison.  What needs what:
 *	  rates, response uplift and its interval: members >= 1 in both cells;
 *	  response_p: also a pooled rate strictly between 0 and 1;
 *	  means, revenue_uplift, incremental_revenue: members >= 1 in both;
 *	  Welch (revenue and CUPED): members >= 2 in both and a positive
 *	  standard error; CUPED: also a positive variance of x over both arms;
 *	  relative lift: a control mean other than 0, its interval members >= 2
 *	  in both and a positive standard error.
 */
static void
compare(Out *o, Cell *t, Cell *c, float8 confidence)
{
	float8		alpha = 1.0 - confidence;	/* exact for confidence >= 0.5 */
	float8		z = stat_normal_isf(alpha / 2);
	float8		vt;
	float8		vc;

	for (int i = 0; i < OUT_NATTS; i++)
		o->nulls[i] = true;
	if (t->n < 1 || c->n < 1)
		return;

	/* response */
	{
		float8		pt = (float8) t->responders / t->n;
		float8		pc = (float8) c->responders / c->n;
		float8		lt,
					ht,
					lc,
					hc;
		float8		pool = (float8) (t->responders + c->responders) / ((float8) t->n + c->n);

		wilson(t->responders, t->n, z, &lt, &ht);
		wilson(c->responders, c->n, z, &lc, &hc);
		set(o, OUT_RESPONSE_RATE, pt);
		set(o, OUT_CONTROL_RESPONSE_RATE, pc);
		set(o, OUT_RESPONSE_UPLIFT, pt - pc);
		set(o, OUT_RESPONSE_UPLIFT_LOW, (pt - pc) - sqrt((pt - lt) * (pt - lt) + (hc - pc) * (hc - pc)));
		set(o, OUT_RESPONSE_UPLIFT_HIGH, (pt - pc) + sqrt((ht - pt) * (ht - pt) + (pc - lc) * (pc - lc)));
		if (pool > 0.0 && pool < 1.0)
		{
			float8		se = sqrt(pool * (1.0 - pool) * (1.0 / t->n + 1.0 / c->n));

			set(o, OUT_RESPONSE_P, 2.0 * stat_normal_sf(fabs((pt - pc) / se)));
		}
	}

	/* revenue per member */
	set(o, OUT_REVENUE_PER_MEMBER, t->mean_y);
	set(o, OUT_CONTROL_REVENUE_PER_MEMBER, c->mean_y);
	set(o, OUT_REVENUE_UPLIFT, t->mean_y - c->mean_y);
	set(o, OUT_INCREMENTAL_REVENUE, (t->mean_y - c->mean_y) * t->n);
	if (c->mean_y != 0.0)
		set(o, OUT_RELATIVE_REVENUE_LIFT, t->mean_y / c->mean_y - 1.0);
	if (t->n < 2 || c->n < 2)
		return;
	vt = t->cyy / ((float8) t->n * (t->n - 1));
	vc = c->cyy / ((float8) c->n * (c->n - 1));
	welch(o, t->mean_y - c->mean_y, vt, t->n, vc, c->n, alpha,
		  OUT_REVENUE_UPLIFT_LOW, OUT_REVENUE_UPLIFT_HIGH, OUT_REVENUE_P, OUT_REVENUE_DF);

	/* relative lift, delta method: var(mt/mc) = var(mt)/mc^2 + mt^2 var(mc)/mc^4 */
	if (c->mean_y != 0.0)
	{
		float8		r = t->mean_y / c->mean_y;
		float8		mc2 = c->mean_y * c->mean_y;
		float8		se = sqrt(vt / t->n / mc2 + r * r * (vc / c->n) / mc2);

		if (se > 0.0)
		{
			set(o, OUT_RELATIVE_REVENUE_LIFT_LOW, r - 1.0 - z * se);
			set(o, OUT_RELATIVE_REVENUE_LIFT_HIGH, r - 1.0 + z * se);
		}
	}

	/* CUPED: theta over both arms pooled */
	{
		Cell		p;
		float8		theta;
		float8		adj_t;
		float8		adj_c;

		p.n = t->n + c->n;
		for (int i = CAMPAIGN_CELL_SUM_Y; i < CAMPAIGN_CELL_NATTS; i++)
			p.sum[i] = DirectFunctionCall2(numeric_add, t->sum[i], c->sum[i]);
		cell_derive(&p);
		if (!(p.cxx > 0.0))
			return;
		theta = p.cxy / p.cxx;
		set(o, OUT_CUPED_THETA, theta);
		/* (mean_t - theta (xt - xp)) - (mean_c - theta (xc - xp)) */
		set(o, OUT_CUPED_REVENUE_UPLIFT, (t->mean_y - c->mean_y) - theta * (t->mean_x - c->mean_x));
		adj_t = (t->cyy + theta * theta * t->cxx - 2.0 * theta * t->cxy) / ((float8) t->n * (t->n - 1));
		adj_c = (c->cyy + theta * theta * c->cxx - 2.0 * theta * c->cxy) / ((float8) c->n * (c->n - 1));
		welch(o, (t->mean_y - c->mean_y) - theta * (t->mean_x - c->mean_x),
			  Max(adj_t, 0.0), t->n, Max(adj_c, 0.0), c->n, alpha,
			  OUT_CUPED_REVENUE_UPLIFT_LOW, OUT_CUPED_REVENUE_UPLIFT_HIGH, OUT_CUPED_REVENUE_P, -1);
	}
}

Datum
rfm_campaign_compare(PG_FUNCTION_ARGS)
{
	float8		confidence = PG_GETARG_FLOAT8(2);
	Cell		t;
	Cell		c;
	Out			o;
	TupleDesc	tupdesc;

	if (!(confidence > 0.0 && confidence < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence %s of rfm.campaign_compare is outside (0, 1)", float8out_internal(confidence)),
				 errhint("Pass the confidence level of the two-sided intervals as a fraction, such as 0.95 or 0.99.")));
	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	cell_read(PG_GETARG_HEAPTUPLEHEADER(0), "treatment", &t);
	cell_read(PG_GETARG_HEAPTUPLEHEADER(1), "control", &c);
	compare(&o, &t, &c, confidence);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE || tupdesc->natts != OUT_NATTS)
		elog(ERROR, "rfm.campaign_compare must return rfm.campaign_comparison");
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, o.values, o.nulls)));
}

/*
 * Pearson's chi-square of observed counts against the expected allocation
 * (shares normalized to sum 1), df = k - 1, p from the chi-square upper
 * tail.  No members at all: chi_square and p NULL.
 */
Datum
rfm_srm_test(PG_FUNCTION_ARGS)
{
	ArrayType  *obs = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *shares = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *od;
	Datum	   *sd;
	bool	   *on;
	bool	   *sn;
	int			k;
	int			ks;
	float8		total = 0.0;
	float8		share_sum = 0.0;
	float8		chi = 0.0;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (ARR_NDIM(obs) > 1 || ARR_NDIM(shares) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("rfm.srm_test takes one-dimensional arrays"),
				 errhint("Pass one count and one expected share per arm, in the same order.")));
	deconstruct_array(obs, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &od, &on, &k);
	deconstruct_array(shares, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &sd, &sn, &ks);
	if (k != ks || k < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rfm.srm_test got %d observed counts and %d expected shares", k, ks),
				 errhint("Pass one count and one expected share per arm, in the same order, for at least two arms.")));
	for (int i = 0; i < k; i++)
	{
		if (on[i] || sn[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rfm.srm_test got a NULL %s for arm %d", on[i] ? "count" : "share", i + 1),
					 errhint("Count an empty arm as 0; every arm needs a share.")));
		if (DatumGetInt64(od[i]) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rfm.srm_test got the negative count " INT64_FORMAT " for arm %d", DatumGetInt64(od[i]), i + 1),
					 errhint("Observed counts are numbers of members, 0 or more.")));
		if (!(DatumGetFloat8(sd[i]) > 0.0) || isinf(DatumGetFloat8(sd[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rfm.srm_test got the share %s for arm %d", float8out_internal(DatumGetFloat8(sd[i])), i + 1),
					 errhint("Expected shares must be positive and finite (they are normalized to sum 1); leave out arms that were meant to get nobody.")));
		total += (float8) DatumGetInt64(od[i]);
		share_sum += DatumGetFloat8(sd[i]);
	}
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm.srm_test must return a record");
	tupdesc = BlessTupleDesc(tupdesc);
	values[1] = Int32GetDatum(k - 1);
	if (total > 0.0)
	{
		for (int i = 0; i < k; i++)
		{
			float8		e = total * (DatumGetFloat8(sd[i]) / share_sum);
			float8		d = (float8) DatumGetInt64(od[i]) - e;

			chi += d * d / e;
		}
		values[0] = Float8GetDatum(chi);
		values[2] = Float8GetDatum(stat_chi2_sf(chi, k - 1));
	}
	else
		nulls[0] = nulls[2] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
