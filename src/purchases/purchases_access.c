/*-------------------------------------------------------------------------
 *
 * purchases_access.c
 *	  Accessors of rfm.purchases: first and last purchase, recency,
 *	  frequency, purchase days, monetary value, the BTYD summary, and the
 *	  entries as rows.
 *
 * Every accessor takes as_of and sees only entries on or before it (time
 * travel).  as_of NULL (or +infinity) means no cut-off.  A window w covers
 * the days d with as_of - w < d <= as_of; with as_of NULL it is anchored at
 * the member's last entry.  All return NULL when the member has no purchase
 * day (a day with orders > 0) on or before as_of.
 *
 * Spend is summed exactly, in int64 units (purchases_spend_sum), and turned
 * into a double once, at the end (purchases_units_float8): the CDNOW total
 * 2500315.63 comes out as the double nearest to 2500315.63, whatever the
 * order of the days.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/int.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "purchases.h"

PG_FUNCTION_INFO_V1(rfm_first_purchase);
PG_FUNCTION_INFO_V1(rfm_last_purchase);
PG_FUNCTION_INFO_V1(rfm_recency);
PG_FUNCTION_INFO_V1(rfm_frequency);
PG_FUNCTION_INFO_V1(rfm_purchase_days);
PG_FUNCTION_INFO_V1(rfm_monetary);
PG_FUNCTION_INFO_V1(rfm_btyd);
PG_FUNCTION_INFO_V1(rfm_entries);

/*
 * Restrict p to the entries with day <= as_of and locate the first and last
 * purchase days among them.  Returns false when there is no purchase day.
 */
bool
purchases_cut(const Purchases *p, bool has_as_of, DateADT as_of, PurchasesCut *cut)
{
	const int32 *day = PURCHASES_DAY(p);
	const int32 *orders = PURCHASES_ORDERS(p);
	int32		lo = 0;
	int32		hi = p->ndays;

	/* binary search: number of entries with day <= as_of */
	if (has_as_of && !DATE_IS_NOEND(as_of))
	{
		while (lo < hi)
		{
			int32		mid = lo + (hi - lo) / 2;

			if (day[mid] <= as_of)
				lo = mid + 1;
			else
				hi = mid;
		}
		cut->end = lo;
	}
	else
		cut->end = p->ndays;

	cut->p = p;
	cut->first = -1;
	cut->last = -1;
	for (int32 i = 0; i < cut->end; i++)
		if (orders[i] > 0)
		{
			cut->first = i;
			break;
		}
	for (int32 i = cut->end - 1; i >= cut->first && cut->first >= 0; i--)
		if (orders[i] > 0)
		{
			cut->last = i;
			break;
		}
	if (has_as_of && !DATE_IS_NOEND(as_of))
		cut->as_of = as_of;
	else
		cut->as_of = cut->end > 0 ? day[cut->end - 1] : 0;
	return cut->first >= 0;
}

/*
 * purchases_cut for the label functions, whose as_of is a required, finite
 * day (they are STRICT; an infinite as_of is an error, not "no cut-off").
 */
bool
purchases_cut_at(const Purchases *p, DateADT as_of, PurchasesCut *cut)
{
	if (DATE_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite date"),
				 errhint("Pass the day to evaluate, e.g. current_date.")));
	return purchases_cut(p, true, as_of, cut);
}

/*
 * First day inside the window w that ends on as_of: the days d with
 * as_of - w < d <= as_of, computed with timestamp arithmetic so that
 * calendar units ('3 months') mean what they say.
 */
int32
purchases_window_start(int32 as_of, Interval *w)
{
	int			overflow = 0;
	Timestamp	end = date2timestamp_opt_overflow(as_of, &overflow);
	Timestamp	start;
	int64		start_day;

	if (overflow != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of date out of range for a window"),
				 errhint("Use an as_of in the years 1 to 9999.")));
	start = DatumGetTimestamp(DirectFunctionCall2(timestamp_mi_interval,
												  TimestampGetDatum(end),
												  IntervalPGetDatum(w)));
	if (TIMESTAMP_IS_NOBEGIN(start))
		return PG_INT32_MIN;
	start_day = start / USECS_PER_DAY - (start % USECS_PER_DAY < 0 ? 1 : 0) + 1;
	if (start_day > as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window %s is not positive",
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(w)))),
				 errhint("Use a positive interval such as '3 months', or NULL for all history.")));
	return (int32) start_day;
}

/*
 * Net spend of the entries [lo, hi) in units, exactly; a sum beyond the
 * range of units is an error (no real history comes near it).
 */
int64
purchases_spend_sum(const Purchases *p, int32 lo, int32 hi)
{
	const int64 *spend = PURCHASES_SPEND(p);
	int64		total = 0;

	for (int32 i = lo; i < hi; i++)
		if (unlikely(pg_add_s64_overflow(total, spend[i], &total)))
			purchases_spend_overflow("net spend of the history");
	if (unlikely(total == PG_INT64_MIN))
		purchases_spend_overflow("net spend of the history");
	return total;
}

/*
 * Common argument handling of the accessors: (p, as_of [, w]).  Returns
 * false when the result is NULL (no history, or no purchase day by as_of).
 * On true, *start is the first entry inside the window (0 without one).
 */
static bool
accessor_args(FunctionCallInfo fcinfo, bool has_window, PurchasesCut *cut, int32 *start)
{
	Purchases  *p;
	bool		has_as_of;
	DateADT		as_of = 0;

	if (PG_ARGISNULL(0))
		return false;
	p = PG_GETARG_PURCHASES_P(0);
	has_as_of = !PG_ARGISNULL(1);
	if (has_as_of)
		as_of = PG_GETARG_DATEADT(1);
	if (has_as_of && DATE_IS_NOBEGIN(as_of))
		return false;
	if (!purchases_cut(p, has_as_of, as_of, cut))
		return false;

	*start = 0;
	if (has_window && PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		int32		first_day = purchases_window_start(cut->as_of, PG_GETARG_INTERVAL_P(2));
		const int32 *day = PURCHASES_DAY(p);
		int32		lo = 0;
		int32		hi = cut->end;

		while (lo < hi)
		{
			int32		mid = lo + (hi - lo) / 2;

			if (day[mid] < first_day)
				lo = mid + 1;
			else
				hi = mid;
		}
		*start = lo;
	}
	return true;
}

Datum
rfm_first_purchase(PG_FUNCTION_ARGS)
{
	PurchasesCut cut;
	int32		start;

	if (!accessor_args(fcinfo, false, &cut, &start))
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(PURCHASES_DAY(cut.p)[cut.first]);
}

Datum
rfm_last_purchase(PG_FUNCTION_ARGS)
{
	PurchasesCut cut;
	int32		start;

	if (!accessor_args(fcinfo, false, &cut, &start))
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(PURCHASES_DAY(cut.p)[cut.last]);
}

/* Days from the last purchase day to as_of; NULL without an as_of. */
Datum
rfm_recency(PG_FUNCTION_ARGS)
{
	PurchasesCut cut;
	int32		start;

	if (PG_ARGISNULL(1) || !accessor_args(fcinfo, false, &cut, &start))
		PG_RETURN_NULL();
	if (DATE_IS_NOEND(PG_GETARG_DATEADT(1)))
		PG_RETURN_NULL();
	PG_RETURN_INT32(cut.as_of - PURCHASES_DAY(cut.p)[cut.last]);
}

Datum
rfm_frequency(PG_FUNCTION_ARGS)
{
	PurchasesCut cut;
	int32		start;
	const int32 *orders;
	int64		total = 0;

	if (!accessor_args(fcinfo, true, &cut, &start))
		PG_RETURN_NULL();
	orders = PURCHASES_ORDERS(cut.p);
	for (int32 i = start; i < cut.end; i++)
		total += orders[i];
	if (total > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("frequency %lld does not fit in an integer", (long long) total),
				 errhint("Use a shorter window.")));
	PG_RETURN_INT32((int32) total);
}

Datum
rfm_purchase_days(PG_FUNCTION_ARGS)
{
	PurchasesCut cut;
	int32		start;
	const int32 *orders;
	int32		n = 0;

	if (!accessor_args(fcinfo, true, &cut, &start))
		PG_RETURN_NULL();
	orders = PURCHASES_ORDERS(cut.p);
	for (int32 i = start; i < cut.end; i++)
		n += orders[i] > 0;
	PG_RETURN_INT32(n);
}

/* Net spend in the window: orders minus refunds, refund-only days included. */
Datum
rfm_monetary(PG_FUNCTION_ARGS)
{
	PurchasesCut cut;
	int32		start;

	if (!accessor_args(fcinfo, true, &cut, &start))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(purchases_units_float8(purchases_spend_sum(cut.p, start, cut.end)));
}

/*
 * rfm.btyd(p, calibration_end, unit_days): the repeat-buying summary of the
 * BTYD literature.  x = purchase days up to calibration_end minus one;
 * t_x = (last - first) / unit; t = (end - first) / unit; monetary = mean
 * spend of the repeat purchase days (first day excluded; refund-only days are
 * not transactions and are left out), 0 when x = 0: their spend summed
 * exactly, divided by x in double precision.
 */
Datum
rfm_btyd(PG_FUNCTION_ARGS)
{
	Purchases  *p = PG_GETARG_PURCHASES_P(0);
	DateADT		end = PG_GETARG_DATEADT(1);
	float8		unit = PG_GETARG_FLOAT8(2);
	PurchasesCut cut;
	const int32 *day;
	const int32 *orders;
	const int64 *spend;
	int32		x = -1;
	int64		repeat_spend = 0;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (!(unit > 0) || isinf(unit))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unit_days must be a positive finite number, not %g", unit),
				 errhint("Use 7 for weeks, 1 for days.")));
	if (DATE_NOT_FINITE(end))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calibration_end must be a finite date"),
				 errhint("Pass the last day of the calibration period, e.g. '1997-09-30'.")));
	if (!purchases_cut(p, true, end, &cut))
		PG_RETURN_NULL();

	day = PURCHASES_DAY(p);
	orders = PURCHASES_ORDERS(p);
	spend = PURCHASES_SPEND(p);
	for (int32 i = cut.first; i <= cut.last; i++)
	{
		if (orders[i] == 0)
			continue;
		if (x >= 0 && unlikely(pg_add_s64_overflow(repeat_spend, spend[i], &repeat_spend)))
			purchases_spend_overflow("repeat spend of the history");
		x++;
	}

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm.btyd must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int32GetDatum(x);
	values[1] = Float8GetDatum((day[cut.last] - day[cut.first]) / unit);
	values[2] = Float8GetDatum((end - day[cut.first]) / unit);
	values[3] = Float8GetDatum(x > 0 ? purchases_units_float8(repeat_spend) / x : 0.0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* rfm.entries(p): the stored days as rows (day, orders, spend). */
Datum
rfm_entries(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Purchases  *p;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	tupdesc;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "rfm.entries must return a composite type");
		funcctx->tuple_desc = BlessTupleDesc(tupdesc);
		funcctx->user_fctx = PG_GETARG_PURCHASES_P_COPY(0);
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	p = (Purchases *) funcctx->user_fctx;
	if (funcctx->call_cntr < (uint64) p->ndays)
	{
		int32		i = (int32) funcctx->call_cntr;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = DateADTGetDatum(PURCHASES_DAY(p)[i]);
		values[1] = Int32GetDatum(PURCHASES_ORDERS(p)[i]);
		values[2] = Float8GetDatum(purchases_units_float8(PURCHASES_SPEND(p)[i]));
		SRF_RETURN_NEXT(funcctx,
						HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}
