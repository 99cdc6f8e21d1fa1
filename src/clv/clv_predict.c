/*-------------------------------------------------------------------------
 *
 * clv_predict.c
 *	  What a fitted model says about a member: rfm.p_alive,
 *	  rfm.expected_purchases (conditional and unconditional),
 *	  rfm.expected_spend and rfm.clv.
 *
 * The model arrives as a row of rfm.bgnbd, rfm.pnbd or rfm.gamma_gamma;
 * only its parameters are read (the fit diagnostics are ignored), so a
 * model built by hand with rfm.bgnbd(r, alpha, a, b) works too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "executor/executor.h"
#include "fmgr.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(rfm_bgnbd_p_alive);
PG_FUNCTION_INFO_V1(rfm_pnbd_p_alive);
PG_FUNCTION_INFO_V1(rfm_bgnbd_expected_conditional);
PG_FUNCTION_INFO_V1(rfm_pnbd_expected_conditional);
PG_FUNCTION_INFO_V1(rfm_bgnbd_expected);
PG_FUNCTION_INFO_V1(rfm_pnbd_expected);
PG_FUNCTION_INFO_V1(rfm_expected_spend);
PG_FUNCTION_INFO_V1(rfm_bgnbd_clv);
PG_FUNCTION_INFO_V1(rfm_pnbd_clv);

/* longest CLV sum, in time units */
#define CLV_MAX_HORIZON 100000

/* The parameters of a model row; each must be a positive finite number. */
static void
get_model(HeapTupleHeader row, int kind, double *par)
{
	int			np = clv_npar(kind);

	for (int i = 0; i < np; i++)
	{
		bool		isnull;
		Datum		d = GetAttributeByNum(row, i + 1, &isnull);
		const char *name = clv_param_name(kind, i);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("model parameter %s must not be NULL", name),
					 errhint("Use the result of the fitting aggregate, or build the model with all its parameters.")));
		par[i] = DatumGetFloat8(d);
		if (!(par[i] > 0) || isinf(par[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model parameter %s must be a positive finite number, not %g", name, par[i]),
					 errhint("Use the result of the fitting aggregate.")));
	}
}

static void
check_horizon(double h)
{
	if (isnan(h) || isinf(h) || h < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be a finite number >= 0, not %g", h),
				 errhint("The horizon is in the time unit of x, t_x and t, e.g. 52 weeks.")));
}

static double
check_result(double v, const char *what)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s cannot be computed for these parameters", what),
				 errhint("The hypergeometric series did not converge or the parameters are extreme; check the fit.")));
	return v;
}

static double
p_alive(int kind, const double *par, double x, double t_x, double t)
{
	clv_check_summary(x, t_x, t);
	return check_result(kind == CLV_BGNBD ? clv_bgnbd_p_alive(par, x, t_x, t)
						: clv_pnbd_p_alive(par, x, t_x, t), "P(alive)");
}

static double
conditional(int kind, const double *par, double h, double x, double t_x, double t)
{
	check_horizon(h);
	clv_check_summary(x, t_x, t);
	return check_result(kind == CLV_BGNBD ? clv_bgnbd_conditional(par, h, x, t_x, t)
						: clv_pnbd_conditional(par, h, x, t_x, t), "expected purchases");
}

static double
expected(int kind, const double *par, double h)
{
	check_horizon(h);
	return check_result(kind == CLV_BGNBD ? clv_bgnbd_expected(par, h)
						: clv_pnbd_expected(par, h), "expected purchases");
}

/* E[M | x, monetary] of Gamma-Gamma; for x = 0 the population mean p v / (q - 1) */
static double
expected_spend(const double *g, double x, double m)
{
	clv_check_spend(x, m);
	if (g[0] * x + g[1] - 1 <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected spend is infinite when p x + q <= 1 (p = %g, q = %g, x = %g)", g[0], g[1], x),
				 errhint("The fitted spend distribution has no mean for this member; q > 1 is needed for x = 0.")));
	return check_result(clv_gg_expected_spend(g, x, m), "expected spend");
}

/*
 * CLV over a horizon H with discount rate d per time unit:
 *
 *	 spend(x, m) * sum_{i = 1}^{ceil H} (E[Y(min(i, H))] - E[Y(i - 1)]) / (1 + d)^i
 *
 * E[Y(h)] the conditional expected purchases in (T, T + h]: the purchases
 * expected in time unit i are discounted at the end of that unit, the last
 * unit possibly partial.  spend is the Gamma-Gamma expected spend.
 */
static double
clv(int kind, const double *m, const double *g, double x, double t_x, double t,
	double monetary, double h, double d)
{
	double		spend = expected_spend(g, x, monetary);
	double		total = 0.0,
				prev = 0.0,
				disc = 1.0;
	int			steps;

	check_horizon(h);
	clv_check_summary(x, t_x, t);
	if (isnan(d) || isinf(d) || d <= -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be a finite number > -1, not %g", d),
				 errhint("The rate is per time unit: 10%% a year in weeks is 1.1^(1/52) - 1, about 0.00183.")));
	if (h > CLV_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("horizon %g is longer than %d time units", h, CLV_MAX_HORIZON),
				 errhint("Use a coarser time unit.")));
	steps = (int) ceil(h);
	for (int i = 1; i <= steps; i++)
	{
		double		hi = i < h ? i : h;
		double		e = kind == CLV_BGNBD ? clv_bgnbd_conditional(m, hi, x, t_x, t)
			: clv_pnbd_conditional(m, hi, x, t_x, t);

		disc /= 1.0 + d;
		total += (e - prev) * disc;
		prev = e;
	}
	return check_result(total * spend, "CLV");
}

Datum
rfm_bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	double		par[4];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_BGNBD, par);
	PG_RETURN_FLOAT8(p_alive(CLV_BGNBD, par, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3)));
}

Datum
rfm_pnbd_p_alive(PG_FUNCTION_ARGS)
{
	double		par[4];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_PNBD, par);
	PG_RETURN_FLOAT8(p_alive(CLV_PNBD, par, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3)));
}

Datum
rfm_bgnbd_expected_conditional(PG_FUNCTION_ARGS)
{
	double		par[4];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_BGNBD, par);
	PG_RETURN_FLOAT8(conditional(CLV_BGNBD, par, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
								 PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4)));
}

Datum
rfm_pnbd_expected_conditional(PG_FUNCTION_ARGS)
{
	double		par[4];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_PNBD, par);
	PG_RETURN_FLOAT8(conditional(CLV_PNBD, par, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
								 PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4)));
}

Datum
rfm_bgnbd_expected(PG_FUNCTION_ARGS)
{
	double		par[4];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_BGNBD, par);
	PG_RETURN_FLOAT8(expected(CLV_BGNBD, par, PG_GETARG_FLOAT8(1)));
}

Datum
rfm_pnbd_expected(PG_FUNCTION_ARGS)
{
	double		par[4];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_PNBD, par);
	PG_RETURN_FLOAT8(expected(CLV_PNBD, par, PG_GETARG_FLOAT8(1)));
}

Datum
rfm_expected_spend(PG_FUNCTION_ARGS)
{
	double		g[3];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_GG, g);
	PG_RETURN_FLOAT8(expected_spend(g, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2)));
}

Datum
rfm_bgnbd_clv(PG_FUNCTION_ARGS)
{
	double		m[4],
				g[3];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_BGNBD, m);
	get_model(PG_GETARG_HEAPTUPLEHEADER(1), CLV_GG, g);
	PG_RETURN_FLOAT8(clv(CLV_BGNBD, m, g, PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4),
						 PG_GETARG_FLOAT8(5), PG_GETARG_FLOAT8(6), PG_GETARG_FLOAT8(7)));
}

Datum
rfm_pnbd_clv(PG_FUNCTION_ARGS)
{
	double		m[4],
				g[3];

	get_model(PG_GETARG_HEAPTUPLEHEADER(0), CLV_PNBD, m);
	get_model(PG_GETARG_HEAPTUPLEHEADER(1), CLV_GG, g);
	PG_RETURN_FLOAT8(clv(CLV_PNBD, m, g, PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4),
						 PG_GETARG_FLOAT8(5), PG_GETARG_FLOAT8(6), PG_GETARG_FLOAT8(7)));
}
