/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *	  Lifecycle stages from a purchase history: 91APP's NAPL and ORDERLY's
 *	  NES, and an explanation of a member's NES stage.
 *
 * NAPL (rfm.napl): with n purchase days up to as_of and "in window" meaning
 * the last purchase day lies in (as_of - w, as_of]:
 *	  N = one purchase day, in window;	A = repeat buyer, in window;
 *	  P = repeat buyer, not in window;	L = one purchase day, not in window.
 *
 * NES (rfm.nes): with purchase days d1 < ... < dn up to as_of and
 * r = as_of - dn, the member's own cycle c is (dn - d1) / (n - 1) ('mean')
 * or the median gap ('median'), and fallback_cycle when n = 1:
 *	  r <= m1 c: N (n = 1) or E0 (n >= 2); r <= m2 c: S1; r <= m3 c: S2;
 *	  else S3.
 *
 * Both return NULL for a member without a purchase day by as_of.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "../purchases/purchases.h"

PG_FUNCTION_INFO_V1(rfm_napl);
PG_FUNCTION_INFO_V1(rfm_napl_of);
PG_FUNCTION_INFO_V1(rfm_nes);
PG_FUNCTION_INFO_V1(rfm_nes_explain);
PG_FUNCTION_INFO_V1(rfm_recheck);

static const char *const napl_labels[] = {"N", "A", "P", "L"};
static const char *const nes_labels[] = {"N", "E0", "S1", "S2", "S3"};

/*
 * The OID of enum label "labels[i]" of the function's result type, looked
 * up once per call site.
 */
static Datum
enum_result(FunctionCallInfo fcinfo, const char *const *labels, int nlabels, int i)
{
	Oid		   *oids = (Oid *) fcinfo->flinfo->fn_extra;

	if (oids == NULL)
	{
		Oid			enumtype = get_fn_expr_rettype(fcinfo->flinfo);

		oids = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, nlabels * sizeof(Oid));
		for (int k = 0; k < nlabels; k++)
		{
			HeapTuple	tup = SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(enumtype),
											  CStringGetDatum(labels[k]));

			if (!HeapTupleIsValid(tup))
				elog(ERROR, "enum label \"%s\" of type %u not found", labels[k], enumtype);
			oids[k] = ((Form_pg_enum) GETSTRUCT(tup))->oid;
			ReleaseSysCache(tup);
		}
		fcinfo->flinfo->fn_extra = oids;
	}
	return ObjectIdGetDatum(oids[i]);
}

/*
 * The NAPL stage (index into napl_labels) of a member who bought on more than
 * one day (repeat) or not, whose last purchase day is last_day: New or Active
 * when that day is in the window ending on as_of, else Lost or Potential.
 */
static int
napl_stage(bool repeat, int32 last_day, DateADT as_of, Interval *w)
{
	bool		in_window = last_day >= purchases_window_start(as_of, w);

	return in_window ? (repeat ? 1 : 0) : (repeat ? 2 : 3);
}

Datum
rfm_napl(PG_FUNCTION_ARGS)
{
	Purchases  *p = PG_GETARG_PURCHASES_P(0);
	DateADT		as_of = PG_GETARG_DATEADT(1);
	Interval   *w = PG_GETARG_INTERVAL_P(2);
	const int32 *day = PURCHASES_DAY(p);
	const int32 *orders = PURCHASES_ORDERS(p);
	PurchasesCut cut;
	bool		repeat = false;

	if (!purchases_cut_at(p, as_of, &cut))
		PG_RETURN_NULL();
	for (int32 i = cut.first + 1; i <= cut.last && !repeat; i++)
		repeat = orders[i] > 0;
	PG_RETURN_DATUM(enum_result(fcinfo, napl_labels, 4, napl_stage(repeat, day[cut.last], as_of, w)));
}

/*
 * rfm._napl_of(purchase_days, last_day, as_of, w): the NAPL stage of a member
 * from the summary a model keeps (purchase days and last purchase day by
 * as_of), as rfm.napl computes it from the history.
 */
Datum
rfm_napl_of(PG_FUNCTION_ARGS)
{
	int32		days = PG_GETARG_INT32(0);
	DateADT		last_day = PG_GETARG_DATEADT(1);
	DateADT		as_of = PG_GETARG_DATEADT(2);

	if (DATE_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite date"),
				 errhint("Pass the day to evaluate, e.g. current_date.")));
	PG_RETURN_DATUM(enum_result(fcinfo, napl_labels, 4,
								napl_stage(days >= 2, last_day, as_of, PG_GETARG_INTERVAL_P(3))));
}

/* The three NES multipliers, validated. */
static void
get_multipliers(ArrayType *arr, float8 mult[3])
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) > 1 || ARR_ELEMTYPE(arr) != FLOAT8OID)
		n = -1;
	else
		deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &nulls, &n);
	if (n != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("NES needs exactly 3 multipliers, got %d", Max(n, 0)),
				 errhint("Use '{1,2,3}' (ORDERLY) or '{2,2.5,3}'.")));
	for (int i = 0; i < 3; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("NES multiplier %d is NULL", i + 1),
					 errhint("Use '{1,2,3}' (ORDERLY) or '{2,2.5,3}'.")));
		mult[i] = DatumGetFloat8(elems[i]);
		if (!(mult[i] > 0) || isinf(mult[i]) || (i > 0 && mult[i] < mult[i - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("NES multipliers must be positive, finite and non-decreasing: {%g,%g,%g}",
							DatumGetFloat8(elems[0]), DatumGetFloat8(elems[1]), DatumGetFloat8(elems[2])),
					 errhint("Use '{1,2,3}' (ORDERLY) or '{2,2.5,3}'.")));
	}
}

static int
int32_cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Everything NES decides on, for rfm.nes and rfm.nes_explain. */
typedef struct NesResult
{
	int			stage;			/* index into nes_labels */
	int32		n;				/* purchase days up to as_of */
	int32		recency;		/* as_of - last purchase day */
	float8		cycle;			/* the member's cycle, or the fallback */
	bool		fallback;		/* cycle is the fallback (n = 1) */
	float8		mult[3];
} NesResult;

/* Returns false when the member has no purchase day by as_of. */
static bool
nes_compute(FunctionCallInfo fcinfo, NesResult *res)
{
	Purchases  *p = PG_GETARG_PURCHASES_P(0);
	DateADT		as_of = PG_GETARG_DATEADT(1);
	float8		fallback = PG_GETARG_FLOAT8(2);
	char	   *cycle = text_to_cstring(PG_GETARG_TEXT_PP(4));
	bool		median;
	const int32 *day = PURCHASES_DAY(p);
	const int32 *orders = PURCHASES_ORDERS(p);
	PurchasesCut cut;

	get_multipliers(PG_GETARG_ARRAYTYPE_P(3), res->mult);
	if (strcmp(cycle, "mean") == 0)
		median = false;
	else if (strcmp(cycle, "median") == 0)
		median = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown NES cycle \"%s\"", cycle),
				 errhint("Use 'mean' ((last - first) / (n - 1)) or 'median' (the median gap).")));
	if (!(fallback > 0) || isinf(fallback))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fallback_cycle must be a positive number of days, not %g", fallback),
				 errhint("A model uses the median cycle of its repeat buyers; 30 is a common fixed choice.")));
	if (!purchases_cut_at(p, as_of, &cut))
		return false;

	res->n = 0;
	for (int32 i = cut.first; i <= cut.last; i++)
		res->n += orders[i] > 0;
	res->recency = as_of - day[cut.last];
	res->fallback = res->n == 1;
	if (res->n == 1)
		res->cycle = fallback;
	else if (!median)
		res->cycle = (float8) (day[cut.last] - day[cut.first]) / (res->n - 1);
	else
	{
		int32	   *gaps = palloc((res->n - 1) * sizeof(int32));
		int32		k = 0;
		int32		prev = day[cut.first];

		for (int32 i = cut.first + 1; i <= cut.last; i++)
			if (orders[i] > 0)
			{
				gaps[k++] = day[i] - prev;
				prev = day[i];
			}
		qsort(gaps, k, sizeof(int32), int32_cmp);
		res->cycle = k % 2 ? gaps[k / 2] : (gaps[k / 2 - 1] + gaps[k / 2]) / 2.0;
	}

	if (res->recency <= res->mult[0] * res->cycle)
		res->stage = res->n == 1 ? 0 : 1;
	else if (res->recency <= res->mult[1] * res->cycle)
		res->stage = 2;
	else if (res->recency <= res->mult[2] * res->cycle)
		res->stage = 3;
	else
		res->stage = 4;
	return true;
}

Datum
rfm_nes(PG_FUNCTION_ARGS)
{
	NesResult	res;

	if (!nes_compute(fcinfo, &res))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(enum_result(fcinfo, nes_labels, 5, res.stage));
}

/*
 * rfm.nes_explain: the stage and why, e.g.
 * "S2: 74 days since the last purchase = 2.3 x the member's cycle of 32 days
 * (mean gap of 6 purchase days; S1 after 32, S2 after 64, S3 after 96 days)".
 */
Datum
rfm_nes_explain(PG_FUNCTION_ARGS)
{
	NesResult	res;
	char	   *cycle = text_to_cstring(PG_GETARG_TEXT_PP(4));
	StringInfoData buf;

	if (!nes_compute(fcinfo, &res))
		PG_RETURN_NULL();
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s: %d day%s since the last purchase = %.1f × ",
					 nes_labels[res.stage], res.recency, res.recency == 1 ? "" : "s",
					 res.recency / res.cycle);
	if (res.fallback)
		appendStringInfo(&buf, "the fallback cycle of %g days (one purchase day, no cycle of its own)",
						 res.cycle);
	else
		appendStringInfo(&buf, "the member's cycle of %g days (%s gap of %d purchase days)",
						 round(res.cycle * 10) / 10, cycle, res.n);
	appendStringInfo(&buf, "; S1 after %g, S2 after %g, S3 after %g days",
					 round(res.mult[0] * res.cycle * 10) / 10,
					 round(res.mult[1] * res.cycle * 10) / 10,
					 round(res.mult[2] * res.cycle * 10) / 10);
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

/*
 * rfm._recheck(p, as_of, fallback_cycle, multipliers, cycle): the first day
 * after as_of on which a model must label this member again although nothing
 * was added to its history: the day of its next entry (an order or refund
 * dated after as_of), or, for a repeat buyer, the day its NES stage moves on
 * (its recency passes the next multiple of its own cycle; with an integer
 * recency r, r <= x until r = floor(x) + 1).  NULL when neither comes.
 * One-time buyers' NES stage follows the model's fallback cycle, which moves
 * with the other members: rfm.refresh watches it itself.
 */
Datum
rfm_recheck(PG_FUNCTION_ARGS)
{
	Purchases  *p = PG_GETARG_PURCHASES_P(0);
	DateADT		as_of = PG_GETARG_DATEADT(1);
	PurchasesCut cut;
	NesResult	res;
	int64		next = PG_INT64_MAX;

	(void) purchases_cut_at(p, as_of, &cut);
	if (cut.end < p->ndays)
		next = PURCHASES_DAY(p)[cut.end];
	if (nes_compute(fcinfo, &res) && !res.fallback && res.stage < 4)
	{
		float8		limit = floor(res.mult[res.stage - 1] * res.cycle);
		float8		day = (float8) (as_of - res.recency) + limit + 1;

		if (day < (float8) next)
			next = (int64) day;
	}
	if (next > PURCHASES_MAX_DAY)
		PG_RETURN_NULL();
	PG_RETURN_DATEADT((DateADT) next);
}
