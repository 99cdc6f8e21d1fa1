/*-------------------------------------------------------------------------
 *
 * intent_score.c
 *	  The purchase-intent score of a member, its DCIU bucket and the
 *	  explanation of both.
 *
 * rfm.intent_score(i, as_of, half_life, horizon [, weights]) is
 *
 *	  sum over the (kind, hour) entries e counted at as_of of
 *		  weight[kind] * count(e) * 2 ^ (-(as_of - end of e's hour) / half_life)
 *
 * where an entry is counted when
 *	  - its hour has ended at as_of: end of hour <= as_of (later events are
 *		invisible, and so is the rest of the hour as_of falls in);
 *	  - its hour ends inside the horizon: end of hour > as_of - horizon;
 *	  - its hour is after the hour of the member's last purchase event that
 *		has ended at as_of (events in the purchase's own hour are taken as
 *		part of that purchase); purchase events themselves weigh nothing.
 *
 * Intervals are fixed durations, as EXTRACT(epoch FROM interval) counts
 * them (1 day = 24 hours, 1 month = 30 days), so the functions do not
 * depend on the session TimeZone and are IMMUTABLE.
 *
 * rfm.dciu buckets the score with cuts {I, C, D} (lower bounds, 0 < I < C
 * < D): D when score >= D, C when >= C, I when >= I, else U; a score of 0
 * (no counted event, e.g. a member who just bought) is always U.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "intent.h"
#include "intent_score.h"

PG_FUNCTION_INFO_V1(rfm_intent_score);
PG_FUNCTION_INFO_V1(rfm_dciu);
PG_FUNCTION_INFO_V1(rfm_dciu_of_score);
PG_FUNCTION_INFO_V1(rfm_dciu_explain);
PG_FUNCTION_INFO_V1(rfm_intent_default_weights);

/* view, search, favorite, cart_add, cart_remove, checkout (purchase: 0) */
const float8 intent_default_weights[INTENT_NWEIGHTS] = {1, 2, 3, 5, 0.5, 8};

const char *const dciu_labels[4] = {"D", "C", "I", "U"};

/* An interval as seconds, as EXTRACT(epoch FROM interval) counts it. */
static float8
interval_seconds(const Interval *iv)
{
	return iv->time / 1e6
		+ (DAYS_PER_YEAR * SECS_PER_DAY) * (iv->month / MONTHS_PER_YEAR)
		+ (DAYS_PER_MONTH * SECS_PER_DAY) * (iv->month % MONTHS_PER_YEAR)
		+ (float8) SECS_PER_DAY * iv->day;
}

/* Read a float8[] argument of exactly n non-NULL elements into out[]. */
static void
get_float8_array(ArrayType *arr, int n, float8 *out, const char *what, const char *hint)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what),
				 errhint("%s", hint)));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &nelems);
	if (nelems != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have %d elements, not %d", what, n, nelems),
				 errhint("%s", hint)));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL (element %d)", what, i + 1),
					 errhint("%s", hint)));
		out[i] = DatumGetFloat8(elems[i]);
	}
}

/* The DCIU cuts {I, C, D}: three finite values, 0 < I < C < D. */
void
dciu_get_cuts(ArrayType *arr, float8 cuts[3])
{
	const char *hint = "cuts are the lower bounds {I, C, D} of the score: three finite numbers with 0 < I < C < D, e.g. '{1, 5, 20}'; rfm.dciu_calibrate chooses them from data.";

	get_float8_array(arr, 3, cuts, "DCIU cuts", hint);
	for (int i = 0; i < 3; i++)
		if (isnan(cuts[i]) || isinf(cuts[i]) || cuts[i] <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("DCIU cut %s must be a finite positive number, not %g",
							i == 0 ? "I" : i == 1 ? "C" : "D", cuts[i]),
					 errhint("%s", hint)));
	if (!(cuts[0] < cuts[1] && cuts[1] < cuts[2]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("DCIU cuts must increase (I < C < D), not I %g, C %g, D %g", cuts[0], cuts[1], cuts[2]),
				 errhint("%s", hint)));
}

/* The bucket (index into dciu_labels) of a score. */
int
dciu_bucket_of(float8 score, const float8 cuts[3])
{
	if (score >= cuts[2])
		return 0;
	if (score >= cuts[1])
		return 1;
	if (score >= cuts[0])
		return 2;
	return 3;
}

/*
 * Read half_life, horizon and (when weights_arg >= 0) the weights of a
 * scoring call, validated.
 */
void
intent_get_params(FunctionCallInfo fcinfo, int half_life_arg, int weights_arg,
				  IntentParams *prm)
{
	float8		hl = interval_seconds(PG_GETARG_INTERVAL_P(half_life_arg));
	float8		hz = interval_seconds(PG_GETARG_INTERVAL_P(half_life_arg + 1));

	if (!(hl > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("half_life must be a positive interval, not %g seconds", hl),
				 errhint("An event half_life old weighs half as much as a new one; '3 days' is the default.")));
	if (!(hz > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be a positive interval, not %g seconds", hz),
				 errhint("Only events in (as_of - horizon, as_of] count; '14 days' is the default.")));
	prm->half_life = hl;
	prm->horizon = hz;
	if (weights_arg >= 0)
	{
		const char *hint = "weights are 6 finite non-negative numbers for view, search, favorite, cart_add, cart_remove, checkout, e.g. rfm.intent_weights('{\"cart_add\": 8}').";

		get_float8_array(PG_GETARG_ARRAYTYPE_P(weights_arg), INTENT_NWEIGHTS, prm->weight,
						 "intent weights", hint);
		for (int k = 0; k < INTENT_NWEIGHTS; k++)
			if (isnan(prm->weight[k]) || isinf(prm->weight[k]) || prm->weight[k] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("weight of %s must be a finite non-negative number, not %g",
								intent_kind_names[k], prm->weight[k]),
						 errhint("%s", hint)));
	}
	else
		memcpy(prm->weight, intent_default_weights, sizeof(prm->weight));
}

/* The score of p at as_of, with what went into it. */
void
intent_compute(const Intent *p, TimestampTz as_of, const IntentParams *prm, IntentScore *r)
{
	int32		n = intent_total(p);
	const int32 *hour = INTENT_HOUR(p);
	const int32 *count = INTENT_COUNT(p, n);
	int64		known;			/* hours < known have ended at as_of */
	int32		start[INTENT_NKINDS];
	int32		at = 0;
	int64		after;			/* hours > after count */
	float8		lo;				/* hour ends must be > lo (seconds since epoch) */
	float8		asof_s;

	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be finite, not %s", TIMESTAMP_IS_NOBEGIN(as_of) ? "-infinity" : "infinity"),
				 errhint("Pass the time at which the member's intent is evaluated.")));
	known = as_of / USECS_PER_HOUR - (as_of % USECS_PER_HOUR < 0 ? 1 : 0);
	for (int k = 0; k < INTENT_NKINDS; k++)
	{
		start[k] = at;
		at += p->nkind[k];
	}

	/* the last purchase hour that has ended at as_of */
	r->has_purchase = false;
	for (int32 j = p->nkind[INTENT_PURCHASE] - 1; j >= 0; j--)
	{
		int32		h = hour[start[INTENT_PURCHASE] + j];

		if (h < known)
		{
			r->has_purchase = true;
			r->last_purchase = h;
			break;
		}
	}
	after = r->has_purchase ? r->last_purchase : PG_INT64_MIN;
	asof_s = (float8) as_of / USECS_PER_SEC;
	lo = asof_s - prm->horizon;

	r->score = 0;
	for (int k = 0; k < INTENT_NWEIGHTS; k++)
	{
		r->events[k] = 0;
		r->contrib[k] = 0;
		for (int32 j = p->nkind[k] - 1; j >= 0; j--)
		{
			int32		h = hour[start[k] + j];
			float8		end_s = ((float8) h + 1) * SECS_PER_HOUR;

			if (h >= known)
				continue;
			if (h <= after || end_s <= lo)
				break;			/* hours decrease from here */
			r->events[k] += count[start[k] + j];
			r->contrib[k] += count[start[k] + j] * exp2(-(asof_s - end_s) / prm->half_life);
		}
		r->contrib[k] *= prm->weight[k];
		r->score += r->contrib[k];
	}
}

/* Datum of enum label dciu_labels[i] of type typid, cached per call site. */
Datum
dciu_enum_datum(FunctionCallInfo fcinfo, Oid typid, int i)
{
	Oid		   *oids = (Oid *) fcinfo->flinfo->fn_extra;

	if (oids == NULL)
	{
		oids = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, 4 * sizeof(Oid));
		for (int k = 0; k < 4; k++)
			oids[k] = DatumGetObjectId(DirectFunctionCall2(enum_in, CStringGetDatum(dciu_labels[k]),
														   ObjectIdGetDatum(typid)));
		fcinfo->flinfo->fn_extra = oids;
	}
	return ObjectIdGetDatum(oids[i]);
}

/*
 * rfm.intent_score(i, as_of, half_life, horizon) and
 * rfm.intent_score(i, as_of, half_life, horizon, weights)
 */
Datum
rfm_intent_score(PG_FUNCTION_ARGS)
{
	IntentParams prm;
	IntentScore r;

	intent_get_params(fcinfo, 2, PG_NARGS() > 4 ? 4 : -1, &prm);
	intent_compute(PG_GETARG_INTENT_P(0), PG_GETARG_TIMESTAMPTZ(1), &prm, &r);
	PG_RETURN_FLOAT8(r.score);
}

/*
 * rfm.dciu(i, as_of, cuts), rfm.dciu(i, as_of, cuts, half_life, horizon)
 * and rfm.dciu(i, as_of, cuts, half_life, horizon, weights)
 */
Datum
rfm_dciu(PG_FUNCTION_ARGS)
{
	IntentParams prm;
	IntentScore r;
	float8		cuts[3];

	dciu_get_cuts(PG_GETARG_ARRAYTYPE_P(2), cuts);
	if (PG_NARGS() > 3)
		intent_get_params(fcinfo, 3, PG_NARGS() > 5 ? 5 : -1, &prm);
	else
	{
		Interval	hl = {0, 3, 0};
		Interval	hz = {0, 14, 0};

		prm.half_life = interval_seconds(&hl);
		prm.horizon = interval_seconds(&hz);
		memcpy(prm.weight, intent_default_weights, sizeof(prm.weight));
	}
	intent_compute(PG_GETARG_INTENT_P(0), PG_GETARG_TIMESTAMPTZ(1), &prm, &r);
	PG_RETURN_DATUM(dciu_enum_datum(fcinfo, get_fn_expr_rettype(fcinfo->flinfo),
									dciu_bucket_of(r.score, cuts)));
}

/* rfm.dciu(score, cuts): the bucket of a score computed before. */
Datum
rfm_dciu_of_score(PG_FUNCTION_ARGS)
{
	float8		score = PG_GETARG_FLOAT8(0);
	float8		cuts[3];

	dciu_get_cuts(PG_GETARG_ARRAYTYPE_P(1), cuts);
	if (isnan(score) || score < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("intent score must be a non-negative number, not %g", score),
				 errhint("Pass a score computed by rfm.intent_score.")));
	PG_RETURN_DATUM(dciu_enum_datum(fcinfo, get_fn_expr_rettype(fcinfo->flinfo),
									dciu_bucket_of(score, cuts)));
}

/*
 * Append a duration in seconds as days, hours, minutes or seconds, so that
 * the text does not depend on IntervalStyle.
 */
static void
append_duration(StringInfo buf, float8 secs)
{
	static const struct
	{
		float8		unit;
		const char *name;
	}			units[] = {{SECS_PER_DAY, "day"}, {SECS_PER_HOUR, "hour"}, {SECS_PER_MINUTE, "minute"}};

	for (int u = 0; u < lengthof(units); u++)
		if (fmod(secs, units[u].unit) == 0)
		{
			appendStringInfo(buf, "%g %s%s", secs / units[u].unit, units[u].name,
							 secs == units[u].unit ? "" : "s");
			return;
		}
	appendStringInfo(buf, "%g seconds", secs);
}

/*
 * rfm.dciu_explain(i, as_of, cuts, half_life, horizon [, weights]): the
 * bucket, the score, and per event kind the events counted and their share
 * of the score, largest first, e.g.
 * "C: score 6.836 (cuts I 1, C 5, D 20); 4 events counted (after the last
 * purchase, hour 2023-12-30T10Z) in the 14 days before as_of, half-life
 * 3 days: cart_add 1 -> 4.454 (65%), view 3 -> 2.381 (35%)".
 */
Datum
rfm_dciu_explain(PG_FUNCTION_ARGS)
{
	Intent	   *p = PG_GETARG_INTENT_P(0);
	IntentParams prm;
	IntentScore r;
	float8		cuts[3];
	int			order[INTENT_NWEIGHTS];
	int			nk = 0;
	int64		total = 0;
	StringInfoData buf;

	dciu_get_cuts(PG_GETARG_ARRAYTYPE_P(2), cuts);
	intent_get_params(fcinfo, 3, PG_NARGS() > 5 ? 5 : -1, &prm);
	intent_compute(p, PG_GETARG_TIMESTAMPTZ(1), &prm, &r);

	for (int k = 0; k < INTENT_NWEIGHTS; k++)
	{
		total += r.events[k];
		if (r.events[k] > 0)
		{
			int			pos = nk++;

			/* insertion sort: larger contribution first, then kind order */
			while (pos > 0 && r.contrib[order[pos - 1]] < r.contrib[k])
			{
				order[pos] = order[pos - 1];
				pos--;
			}
			order[pos] = k;
		}
	}

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s: score %.4g (cuts I %g, C %g, D %g); ",
					 dciu_labels[dciu_bucket_of(r.score, cuts)], r.score, cuts[0], cuts[1], cuts[2]);
	appendStringInfo(&buf, INT64_FORMAT " event%s counted (", total, total == 1 ? "" : "s");
	if (r.has_purchase)
	{
		int32		day = r.last_purchase >= 0 ? r.last_purchase / 24 : -((-r.last_purchase + 23) / 24);
		int			y,
					m,
					d;

		j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		appendStringInfo(&buf, "after the last purchase, hour %04d-%02d-%02dT%02dZ", y, m, d,
						 r.last_purchase - day * 24);
	}
	else
		appendStringInfoString(&buf, "no purchase before as_of");
	appendStringInfoString(&buf, ") in the ");
	append_duration(&buf, prm.horizon);
	appendStringInfoString(&buf, " before as_of, half-life ");
	append_duration(&buf, prm.half_life);
	if (nk == 0)
		appendStringInfoString(&buf, ": nothing counts");
	for (int i = 0; i < nk; i++)
	{
		int			k = order[i];

		appendStringInfo(&buf, "%s %s " INT64_FORMAT " → %.4g (%.0f%%)", i == 0 ? ":" : ",",
						 intent_kind_names[k], r.events[k], r.contrib[k],
						 r.score > 0 ? 100 * r.contrib[k] / r.score : 0.0);
	}
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

/* rfm.intent_default_weights(): the built-in weights, in event order. */
Datum
rfm_intent_default_weights(PG_FUNCTION_ARGS)
{
	Datum		d[INTENT_NWEIGHTS];

	for (int k = 0; k < INTENT_NWEIGHTS; k++)
		d[k] = Float8GetDatum(intent_default_weights[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, INTENT_NWEIGHTS, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
