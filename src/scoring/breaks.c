/*-------------------------------------------------------------------------
 *
 * breaks.c
 *	  rfm.breaks: the quantile cut points of a score, and rfm.score /
 *	  rfm.bins that apply and explain them.
 *
 * rfm.breaks(value, bins) returns the k/bins quantiles, k = 1..bins-1, with
 * linear interpolation between order statistics (R type 7, numpy's default,
 * and PostgreSQL's percentile_cont, computed with the same arithmetic so the
 * results are bit-identical).  Exact quantiles need every value, so the
 * state is the array of values.  Its type is rfm.breaks_state, an expanded
 * object while the aggregate grows it (src/aggstate.c), flat bytes where it
 * is shipped: the aggregate runs in parallel and Citus splits it into
 * partial aggregates on the workers and a combine on the coordinator.
 *
 * A value equal to a cut point goes to the lower bin and equal values always
 * share a score.  On tied data cut points coincide and some scores are never
 * given ("collapsed bins"); rfm.bins() shows which.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "../rfm.h"
#include "scoring.h"

PG_FUNCTION_INFO_V1(rfm_breaks_trans);
PG_FUNCTION_INFO_V1(rfm_breaks_combine);
PG_FUNCTION_INFO_V1(rfm_breaks_serialize);
PG_FUNCTION_INFO_V1(rfm_breaks_deserialize);
PG_FUNCTION_INFO_V1(rfm_breaks_state_trans);
PG_FUNCTION_INFO_V1(rfm_breaks_state_combine);
PG_FUNCTION_INFO_V1(rfm_breaks_state_final);
PG_FUNCTION_INFO_V1(rfm_breaks_state_in);
PG_FUNCTION_INFO_V1(rfm_breaks_state_out);
PG_FUNCTION_INFO_V1(rfm_breaks_state_recv);
PG_FUNCTION_INFO_V1(rfm_breaks_state_send);
PG_FUNCTION_INFO_V1(rfm_breaks_final);
PG_FUNCTION_INFO_V1(rfm_score);
PG_FUNCTION_INFO_V1(rfm_bins);

#define BREAKS_MAX_BINS 1000
/* first word of a flat rfm.breaks_state */
#define BREAKS_STATE_VERSION 1

typedef struct BreaksState
{
	int32		bins;
	int64		n;
	int64		cap;
	float8	   *values;
} BreaksState;

static void
check_bins(int32 bins)
{
	if (bins < 1 || bins > BREAKS_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of bins must be between 1 and %d, not %d", BREAKS_MAX_BINS, bins),
				 errhint("RFM scores usually use 5 bins.")));
}

/* Reject NaN and infinite values: they have no place among quantiles. */
void
scoring_check_value(float8 value, const char *what)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite, not %s", what,
						isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity")),
				 errhint("Filter out or repair non-finite values before scoring.")));
}

static BreaksState *
breaks_state_create(MemoryContext cxt, int32 bins, int64 cap)
{
	BreaksState *s = MemoryContextAlloc(cxt, sizeof(BreaksState));

	s->bins = bins;
	s->n = 0;
	s->cap = Max(cap, 16);
	s->values = MemoryContextAllocHuge(cxt, s->cap * sizeof(float8));
	return s;
}

static void
breaks_state_reserve(BreaksState *s, int64 need)
{
	if (need <= s->cap)
		return;
	s->cap = Max(need, s->cap * 2);
	s->values = repalloc_huge(s->values, s->cap * sizeof(float8));
}

/*
 * The flat value of a state (its binary form, in hex its text form, what
 * parallel workers and Citus ship): int32 version, int32 bins, int64 n,
 * then n float8 values, in network order.
 */
static struct varlena *
breaks_flatten(void *state)
{
	BreaksState *s = (BreaksState *) state;
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, BREAKS_STATE_VERSION);
	pq_sendint32(&buf, s->bins);
	pq_sendint64(&buf, s->n);
	for (int64 i = 0; i < s->n; i++)
		pq_sendfloat8(&buf, s->values[i]);
	return (struct varlena *) pq_endtypsend(&buf);
}

static void
bad_state(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid rfm.breaks_state: %s", why),
			 errhint("A state comes from rfm.breaks (rfm.breaks_state_out or _send); it is not typed in.")));
}

/* Read a flat state into cxt, checking every field and value. */
static void *
breaks_read(MemoryContext cxt, struct varlena *flat)
{
	StringInfoData buf;
	int32		bins;
	int64		n;
	BreaksState *s;

	buf.data = VARDATA_ANY(flat);
	buf.len = VARSIZE_ANY_EXHDR(flat);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 16)
		bad_state(psprintf("%d bytes are too short for the header (16 bytes)", buf.len));
	if (pq_getmsgint(&buf, 4) != BREAKS_STATE_VERSION)
		bad_state(psprintf("unknown format version (this rfm writes version %d)", BREAKS_STATE_VERSION));
	bins = pq_getmsgint(&buf, 4);
	check_bins(bins);
	n = pq_getmsgint64(&buf);
	if (n < 0 || n != (buf.len - buf.cursor) / 8 || (buf.len - buf.cursor) % 8 != 0)
		bad_state(psprintf("it claims %lld values in %d bytes", (long long) n, buf.len - buf.cursor));
	s = breaks_state_create(cxt, bins, n);
	for (int64 i = 0; i < n; i++)
	{
		float8		v = pq_getmsgfloat8(&buf);

		scoring_check_value(v, "a value to score");
		s->values[i] = v;
	}
	s->n = n;
	pq_getmsgend(&buf);
	return s;
}

static void breaks_merge(void *a, void *b);

static const RfmStateKind breaks_kind = {
	"rfm.breaks_state", "breaks", breaks_flatten, breaks_read, breaks_merge
};

static void
check_same_bins(int32 before, int32 now)
{
	if (before != now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of bins changed from %d to %d within one rfm.breaks", before, now),
				 errhint("The number of bins must be the same for every row.")));
}

/* The bins argument of a transition, not NULL. */
static int32
trans_bins(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("number of bins must not be NULL"),
				 errhint("Pass the number of scores, e.g. rfm.breaks(recency, 5).")));
	return PG_GETARG_INT32(2);
}

/* Add the value argument of a transition, unless NULL, to s. */
static void
trans_add(FunctionCallInfo fcinfo, BreaksState *s)
{
	float8		value;

	if (PG_ARGISNULL(1))
		return;
	value = PG_GETARG_FLOAT8(1);
	scoring_check_value(value, "a value to score");
	breaks_state_reserve(s, s->n + 1);
	s->values[s->n++] = value;
}

/* Append the values of the state b to the state a. */
static void
breaks_merge(void *state_a, void *state_b)
{
	BreaksState *a = (BreaksState *) state_a;
	BreaksState *b = (BreaksState *) state_b;

	check_same_bins(a->bins, b->bins);
	breaks_state_reserve(a, a->n + b->n);
	memcpy(a->values + a->n, b->values, b->n * sizeof(float8));
	a->n += b->n;
}

/* Transition: (state, value, bins); the state is updated in place. */
Datum
rfm_breaks_state_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.breaks support function");
	int32		bins = trans_bins(fcinfo);
	RfmExpandedState *es;
	BreaksState *s;

	if (PG_ARGISNULL(0))
	{
		check_bins(bins);
		if (PG_ARGISNULL(1))
			PG_RETURN_NULL();
		es = rfm_state_create(aggcontext, &breaks_kind);
		s = breaks_state_create(rfm_state_context(es), bins, 64);
		rfm_state_set(es, s);
	}
	else
	{
		es = rfm_state_writable(PG_GETARG_DATUM(0), aggcontext, &breaks_kind);
		s = (BreaksState *) rfm_state_get(es);
		check_same_bins(s->bins, bins);
	}
	trans_add(fcinfo, s);
	PG_RETURN_DATUM(rfm_state_datum(es));
}

/* Combine: the values of the right state appended to the left one. */
Datum
rfm_breaks_state_combine(PG_FUNCTION_ARGS)
{
	return rfm_state_combine(fcinfo, rfm_agg_context(fcinfo, "rfm.breaks support function"), &breaks_kind);
}

/*
 * The support functions of rfm.breaks with an internal state, which the
 * catalog of rfm 1.6 and older still calls until ALTER EXTENSION rfm UPDATE
 * (and the scripts of those versions name): the same work on a BreaksState
 * the executor keeps; serialized, it is the flat rfm.breaks_state.
 */
Datum
rfm_breaks_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.breaks support function");
	BreaksState *s = PG_ARGISNULL(0) ? NULL : (BreaksState *) PG_GETARG_POINTER(0);
	int32		bins = trans_bins(fcinfo);

	if (s == NULL)
	{
		check_bins(bins);
		if (PG_ARGISNULL(1))
			PG_RETURN_NULL();
		s = breaks_state_create(aggcontext, bins, 64);
	}
	else
		check_same_bins(s->bins, bins);
	trans_add(fcinfo, s);
	PG_RETURN_POINTER(s);
}

Datum
rfm_breaks_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.breaks support function");
	BreaksState *a = PG_ARGISNULL(0) ? NULL : (BreaksState *) PG_GETARG_POINTER(0);
	BreaksState *b = PG_ARGISNULL(1) ? NULL : (BreaksState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = breaks_state_create(aggcontext, b->bins, b->n);
	breaks_merge(a, b);
	PG_RETURN_POINTER(a);
}

Datum
rfm_breaks_serialize(PG_FUNCTION_ARGS)
{
	(void) rfm_agg_context(fcinfo, "rfm.breaks support function");
	PG_RETURN_POINTER(breaks_flatten(PG_GETARG_POINTER(0)));
}

Datum
rfm_breaks_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.breaks support function");

	PG_RETURN_POINTER(breaks_read(aggcontext, PG_GETARG_VARLENA_PP(0)));
}

/* rfm.breaks_state I/O: the text form is "breaks:" and the flat bytes in hex; both inputs validate. */
Datum
rfm_breaks_state_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(rfm_state_in(PG_GETARG_CSTRING(0), &breaks_kind));
}

Datum
rfm_breaks_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(rfm_state_out(PG_GETARG_DATUM(0), &breaks_kind));
}

Datum
rfm_breaks_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(rfm_state_recv((StringInfo) PG_GETARG_POINTER(0), &breaks_kind));
}

Datum
rfm_breaks_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(rfm_state_send(PG_GETARG_DATUM(0), &breaks_kind));
}

static int
float8_cmp(const void *a, const void *b)
{
	float8		x = *(const float8 *) a;
	float8		y = *(const float8 *) b;

	return (x > y) - (x < y);
}

/*
 * The k/bins quantiles of the sorted values, R type 7: h = (n - 1) p,
 * x[floor h] + (h - floor h) (x[ceil h] - x[floor h]), with p and the
 * interpolation computed exactly as percentile_cont does.
 */
static Datum
breaks_final(BreaksState *s)
{
	Datum	   *cuts;

	if (s->n == 0)
		return (Datum) 0;
	qsort(s->values, s->n, sizeof(float8), float8_cmp);
	cuts = palloc(Max(s->bins - 1, 1) * sizeof(Datum));
	for (int32 k = 1; k < s->bins; k++)
	{
		float8		p = (float8) k / (float8) s->bins;
		float8		h = p * (float8) (s->n - 1);
		int64		lo = (int64) floor(h);
		int64		hi = (int64) ceil(h);
		float8		first = s->values[lo];
		float8		second = s->values[hi];

		cuts[k - 1] = Float8GetDatum(first + (h - lo) * (second - first));
	}
	return PointerGetDatum(construct_array(cuts, s->bins - 1, FLOAT8OID,
										   sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Final (rfm.breaks_state): sorting the values in place changes no result (FINALFUNC_MODIFY = READ_WRITE). */
Datum
rfm_breaks_state_final(PG_FUNCTION_ARGS)
{
	Datum		result;

	if (PG_ARGISNULL(0) ||
		(result = breaks_final((BreaksState *) rfm_state_readable(PG_GETARG_DATUM(0), &breaks_kind))) == (Datum) 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/* Final (internal state, rfm 1.6 and older) */
Datum
rfm_breaks_final(PG_FUNCTION_ARGS)
{
	Datum		result;

	if (PG_ARGISNULL(0) || (result = breaks_final((BreaksState *) PG_GETARG_POINTER(0))) == (Datum) 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * The cut points of a breaks array, validated: one dimension, no NULLs,
 * finite, non-decreasing.  Returns the number of cut points.
 */
int
scoring_get_breaks(ArrayType *arr, float8 **cuts)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) > 1 || ARR_ELEMTYPE(arr) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must be a one-dimensional double precision array"),
				 errhint("Use the result of rfm.breaks(value, bins).")));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	*cuts = palloc(Max(n, 1) * sizeof(float8));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("breaks must not contain NULL (element %d)", i + 1),
					 errhint("Use the result of rfm.breaks(value, bins), or list finite cut points.")));
		(*cuts)[i] = DatumGetFloat8(elems[i]);
		scoring_check_value((*cuts)[i], "a cut point");
		if (i > 0 && (*cuts)[i] < (*cuts)[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("breaks must be in non-decreasing order (element %d is %g after %g)",
							i + 1, (*cuts)[i], (*cuts)[i - 1]),
					 errhint("Sort the cut points in ascending order; use descending => true to reverse the scores.")));
	}
	return n;
}

/*
 * The validated cut points of a breaks array, cached per call site: scoring
 * a million members passes the same array a million times, and comparing its
 * bytes is much cheaper than deconstructing and validating it again.
 */
typedef struct BreaksCache
{
	Size		len;
	char	   *bytes;			/* copy of the array datum */
	int			n;
	float8	   *cuts;
} BreaksCache;

static int
get_breaks_cached(FunctionCallInfo fcinfo, ArrayType *arr, float8 **cuts)
{
	BreaksCache *c = (BreaksCache *) fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE(arr);
	float8	   *parsed;
	int			n;
	MemoryContext old;

	if (c != NULL && c->len == len && memcmp(c->bytes, arr, len) == 0)
	{
		*cuts = c->cuts;
		return c->n;
	}
	n = scoring_get_breaks(arr, &parsed);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (c == NULL)
		c = palloc0(sizeof(BreaksCache));
	else
	{
		pfree(c->bytes);
		pfree(c->cuts);
	}
	c->len = len;
	c->bytes = palloc(len);
	memcpy(c->bytes, arr, len);
	c->n = n;
	c->cuts = palloc(Max(n, 1) * sizeof(float8));
	memcpy(c->cuts, parsed, n * sizeof(float8));
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = c;
	*cuts = c->cuts;
	return n;
}

/*
 * rfm.score(value, breaks, descending): 1 + the number of cut points
 * strictly below value; descending gives bins + 1 - that.
 */
Datum
rfm_score(PG_FUNCTION_ARGS)
{
	float8		value = PG_GETARG_FLOAT8(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	bool		descending = PG_GETARG_BOOL(2);
	float8	   *cuts;
	int			n;
	int			lo = 0;
	int			hi;

	scoring_check_value(value, "a value to score");
	n = get_breaks_cached(fcinfo, arr, &cuts);
	/* number of cut points < value: binary search over the sorted cuts */
	hi = n;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cuts[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	PG_RETURN_INT32(descending ? n + 1 - lo : 1 + lo);
}

/*
 * rfm.bins(breaks, descending): one row per score with the values it takes,
 * (low, high] ("low" NULL for the lowest bin, "high" NULL for the highest),
 * and whether the bin is empty because two cut points coincide.
 */
Datum
rfm_bins(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	bool		descending = PG_GETARG_BOOL(1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	float8	   *cuts;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = scoring_get_breaks(arr, &cuts);
	for (int bin = 0; bin <= n; bin++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		int			score = descending ? n + 1 - bin : bin + 1;

		values[0] = Int32GetDatum(score);
		if (bin == 0)
			nulls[1] = true;
		else
			values[1] = Float8GetDatum(cuts[bin - 1]);
		if (bin == n)
			nulls[2] = true;
		else
			values[2] = Float8GetDatum(cuts[bin]);
		values[3] = BoolGetDatum(bin > 0 && bin < n && cuts[bin - 1] == cuts[bin]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
