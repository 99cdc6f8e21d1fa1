/*-------------------------------------------------------------------------
 *
 * dciu_calibrate.c
 *	  Choosing the DCIU cuts from replayed history, and the lift table that
 *	  shows what the buckets are worth.
 *
 * rfm.dciu_calibrate(score, bought [, d_share, c_share]) collects one
 * (score, bought) pair per member: the member's intent score at a past
 * calibration time and whether the member bought in the period after it.
 * Its final function picks cuts {I, C, D}:
 *
 *	 1. I is the smallest positive score, so every member with a counted
 *		event is at least I and U holds exactly the scores of 0.
 *	 2. For a top share f, the cut is the smallest distinct score s such that
 *		at most f of all members score >= s (the largest score when even it
 *		is shared by more).  D uses f = d_share (default 2.5 %), C uses
 *		f = d_share + c_share (default 2.5 % + 5 %).  Cuts are then pushed
 *		apart to distinct scores so that I < C < D.
 *	 3. The observed purchase rates of the non-empty buckets must decrease
 *		strictly from D to U.  When they do not, a grid of shares (D 1 % to
 *		5 %, C 2 % to 7 %, D + C at most 10 %) is tried, and the ordered
 *		candidate closest to the requested shares wins; a NOTICE says so.
 *		When none is ordered with I at the smallest positive score, the grid
 *		is tried again with I cut so that D + C + I hold at most 60 %, 50 %,
 *		40 %, 30 %, then 20 % of the members (the lowest positive scores
 *		join U), stopping at the first share that gives an ordered
 *		candidate.  When no candidate is ordered, the requested one is
 *		returned with a NOTICE.
 *
 * With fewer than three distinct positive scores the missing cuts are put
 * above the largest score (2 and 4 times it), leaving those buckets empty.
 * Without any positive score there is nothing to cut: NULL and a NOTICE.
 *
 * rfm.dciu_lift_agg(bucket, bought, revenue) sums, per bucket, members,
 * next-period buyers and next-period revenue, and returns four
 * rfm.dciu_lift_row values (D, C, I, U) with the shares and rates.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "../rfm.h"
#include "intent_score.h"

PG_FUNCTION_INFO_V1(rfm_dciu_calibrate_trans);
PG_FUNCTION_INFO_V1(rfm_dciu_calibrate_combine);
PG_FUNCTION_INFO_V1(rfm_dciu_calibrate_serialize);
PG_FUNCTION_INFO_V1(rfm_dciu_calibrate_deserialize);
PG_FUNCTION_INFO_V1(rfm_dciu_calibrate_final);
PG_FUNCTION_INFO_V1(rfm_dciu_lift_trans);
PG_FUNCTION_INFO_V1(rfm_dciu_lift_combine);
PG_FUNCTION_INFO_V1(rfm_dciu_lift_serialize);
PG_FUNCTION_INFO_V1(rfm_dciu_lift_deserialize);
PG_FUNCTION_INFO_V1(rfm_dciu_lift_final);

#define CALIBRATE_VERSION	1
#define LIFT_VERSION		1

/* One member of the calibration sample. */
typedef struct CalPoint
{
	float8		score;
	bool		bought;
} CalPoint;

typedef struct CalState
{
	int64		n;
	int64		cap;
	float8		d_share;
	float8		c_share;
	CalPoint   *pts;
} CalState;

/*
 * Point buf at the bytes of a serialized state and check its version byte;
 * what names the aggregate in the error.
 */
static void
state_bytes(StringInfo buf, bytea *b, int version, const char *what)
{
	buf->data = VARDATA_ANY(b);
	buf->len = VARSIZE_ANY_EXHDR(b);
	buf->maxlen = buf->len;
	buf->cursor = 0;
	if (pq_getmsgbyte(buf) != version)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s state version", what),
				 errhint("The bytes do not come from this build of rfm.")));
}

static CalState *
cal_create(MemoryContext cxt, int64 cap)
{
	CalState   *s = MemoryContextAllocZero(cxt, sizeof(CalState));

	s->cap = Max(cap, 16);
	s->pts = MemoryContextAllocHuge(cxt, s->cap * sizeof(CalPoint));
	s->d_share = 0.025;
	s->c_share = 0.05;
	return s;
}

static void
cal_add(CalState *s, float8 score, bool bought)
{
	if (s->n == s->cap)
	{
		s->cap *= 2;
		s->pts = repalloc_huge(s->pts, s->cap * sizeof(CalPoint));
	}
	s->pts[s->n].score = score;
	s->pts[s->n].bought = bought;
	s->n++;
}

static void
check_score(float8 score)
{
	if (isnan(score) || isinf(score) || score < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("intent score must be a finite non-negative number, not %g", score),
				 errhint("Pass scores computed by rfm.intent_score; a member without events scores 0.")));
}

/*
 * rfm.dciu_calibrate(score, bought [, d_share, c_share]).  A NULL score is a
 * member without events (score 0); a row with NULL bought is ignored.
 */
Datum
rfm_dciu_calibrate_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.dciu_calibrate");
	CalState   *s = PG_ARGISNULL(0) ? NULL : (CalState *) PG_GETARG_POINTER(0);
	float8		score = PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1);

	if (PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	check_score(score);
	if (s == NULL)
	{
		s = cal_create(aggcontext, 1024);
		if (PG_NARGS() > 3)
		{
			float8		d = PG_ARGISNULL(3) ? -1 : PG_GETARG_FLOAT8(3);
			float8		c = PG_ARGISNULL(4) ? -1 : PG_GETARG_FLOAT8(4);

			if (!(d > 0 && c > 0 && d + c < 1))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("DCIU target shares must be positive with d_share + c_share < 1, not %g and %g", d, c),
						 errhint("The defaults are d_share 0.025 and c_share 0.05 (D the top 2.5 %%, C the next 5 %%).")));
			s->d_share = d;
			s->c_share = c;
		}
	}
	cal_add(s, score, PG_GETARG_BOOL(2));
	PG_RETURN_POINTER(s);
}

Datum
rfm_dciu_calibrate_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.dciu_calibrate_combine");
	CalState   *a = PG_ARGISNULL(0) ? NULL : (CalState *) PG_GETARG_POINTER(0);
	CalState   *b = PG_ARGISNULL(1) ? NULL : (CalState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = cal_create(aggcontext, b->n);
		a->d_share = b->d_share;
		a->c_share = b->c_share;
	}
	for (int64 i = 0; i < b->n; i++)
		cal_add(a, b->pts[i].score, b->pts[i].bought);
	PG_RETURN_POINTER(a);
}

/* Serialized: version, d_share, c_share, n, then (score, bought) per member. */
Datum
rfm_dciu_calibrate_serialize(PG_FUNCTION_ARGS)
{
	CalState   *s = (CalState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) rfm_agg_context(fcinfo, "rfm.dciu_calibrate_serialize");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CALIBRATE_VERSION);
	pq_sendfloat8(&buf, s->d_share);
	pq_sendfloat8(&buf, s->c_share);
	pq_sendint64(&buf, s->n);
	for (int64 i = 0; i < s->n; i++)
	{
		pq_sendfloat8(&buf, s->pts[i].score);
		pq_sendbyte(&buf, s->pts[i].bought ? 1 : 0);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
rfm_dciu_calibrate_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.dciu_calibrate_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	CalState   *s;
	int64		n;
	float8		d,
				c;

	state_bytes(&buf, b, CALIBRATE_VERSION, "rfm.dciu_calibrate");
	d = pq_getmsgfloat8(&buf);
	c = pq_getmsgfloat8(&buf);
	n = pq_getmsgint64(&buf);
	if (!(d > 0 && c > 0 && d + c < 1) || n < 0 || n > (buf.len - buf.cursor) / 9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("corrupt rfm.dciu_calibrate state"),
				 errhint("The bytes do not come from this build of rfm.")));
	s = cal_create(aggcontext, n);
	s->d_share = d;
	s->c_share = c;
	for (int64 i = 0; i < n; i++)
	{
		float8		score = pq_getmsgfloat8(&buf);
		int			bought = pq_getmsgbyte(&buf);

		check_score(score);
		if (bought != 0 && bought != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("corrupt rfm.dciu_calibrate state"),
					 errhint("The bytes do not come from this build of rfm.")));
		cal_add(s, score, bought == 1);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

/* Sort by score, largest first. */
static int
point_cmp_desc(const void *a, const void *b)
{
	float8		x = ((const CalPoint *) a)->score;
	float8		y = ((const CalPoint *) b)->score;

	return (x < y) - (x > y);
}

/* Distinct positive scores, largest first, with cumulative member counts. */
typedef struct Distinct
{
	int			n;
	float8	   *value;
	int64	   *cum;			/* members with score >= value[i] */
} Distinct;

/* Index of the smallest distinct score held by at most target members. */
static int
cut_index(const Distinct *dv, float8 target)
{
	int			i = 0;

	while (i + 1 < dv->n && dv->cum[i + 1] <= target)
		i++;
	return i;
}

/* Members and buyers per bucket for cuts. */
static void
bucket_counts(const CalState *s, const float8 cuts[3], int64 members[4], int64 buyers[4])
{
	memset(members, 0, 4 * sizeof(int64));
	memset(buyers, 0, 4 * sizeof(int64));
	for (int64 i = 0; i < s->n; i++)
	{
		int			b = s->pts[i].score > 0 ? dciu_bucket_of(s->pts[i].score, cuts) : 3;

		members[b]++;
		buyers[b] += s->pts[i].bought;
	}
}

/* True when the purchase rates of the non-empty buckets decrease from D to U. */
static bool
rates_ordered(const int64 members[4], const int64 buyers[4])
{
	float8		prev = INFINITY;

	for (int b = 0; b < 4; b++)
	{
		float8		rate;

		if (members[b] == 0)
			continue;
		rate = (float8) buyers[b] / members[b];
		if (!(rate < prev))
			return false;
		prev = rate;
	}
	return true;
}

/*
 * The cuts for the top shares fd (D), fd + fc (C) and fi (I; fi < 0: every
 * positive score).  Needs at least three distinct positive scores.
 */
static void
cuts_for(const CalState *s, const Distinct *dv, float8 fd, float8 fc, float8 fi, float8 cuts[3])
{
	int			last = dv->n - 1;
	int			id = cut_index(dv, fd * s->n);
	int			ic = cut_index(dv, (fd + fc) * s->n);
	int			ii = fi < 0 ? last : cut_index(dv, fi * s->n);

	/* push apart so that id < ic < ii <= last */
	if (ic <= id)
		ic = id + 1;
	if (ii <= ic)
		ii = ic + 1;
	if (ii > last)
	{
		ii = last;
		ic = Min(ic, ii - 1);
		id = Min(id, ic - 1);
	}
	cuts[0] = dv->value[ii];
	cuts[1] = dv->value[ic];
	cuts[2] = dv->value[id];
}

static void
format_rates(StringInfo buf, const int64 members[4], const int64 buyers[4])
{
	for (int b = 0; b < 4; b++)
		appendStringInfo(buf, "%s%s " INT64_FORMAT "/" INT64_FORMAT, b ? ", " : "",
						 dciu_labels[b], buyers[b], members[b]);
}

Datum
rfm_dciu_calibrate_final(PG_FUNCTION_ARGS)
{
	CalState   *s = PG_ARGISNULL(0) ? NULL : (CalState *) PG_GETARG_POINTER(0);
	static const float8 grid_d[] = {0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05};
	static const float8 grid_c[] = {0.02, 0.03, 0.04, 0.05, 0.06, 0.07};
	static const float8 grid_i[] = {-1, 0.6, 0.5, 0.4, 0.3, 0.2};
	Distinct	dv;
	float8		cuts[3];
	float8		best[3];
	float8		best_dist = INFINITY;
	float8		best_d = 0,
				best_c = 0,
				best_i = -1;
	int64		members[4];
	int64		buyers[4];
	Datum		d[3];

	if (s == NULL)
		PG_RETURN_NULL();
	qsort(s->pts, s->n, sizeof(CalPoint), point_cmp_desc);
	dv.n = 0;
	dv.value = palloc(sizeof(float8) * Max(s->n, 1));
	dv.cum = palloc(sizeof(int64) * Max(s->n, 1));
	for (int64 i = 0; i < s->n && s->pts[i].score > 0; i++)
	{
		if (dv.n == 0 || dv.value[dv.n - 1] != s->pts[i].score)
			dv.value[dv.n++] = s->pts[i].score;
		dv.cum[dv.n - 1] = i + 1;
	}
	if (dv.n == 0)
	{
		ereport(NOTICE,
				(errmsg("no DCIU cuts: none of the " INT64_FORMAT " members has a positive intent score", s->n),
				 errhint("Check that the events reach the calibration time and horizon.")));
		PG_RETURN_NULL();
	}
	if (dv.n < 3)
		ereport(NOTICE,
				(errmsg("only %d distinct positive intent score%s: the DCIU cuts above the largest score leave buckets empty",
						dv.n, dv.n == 1 ? "" : "s")));

	if (dv.n < 3)
	{
		cuts[0] = dv.value[dv.n - 1];
		cuts[1] = dv.n == 2 ? dv.value[0] : 2 * dv.value[0];
		cuts[2] = (dv.n == 2 ? 2 : 4) * dv.value[0];
	}
	else
		cuts_for(s, &dv, s->d_share, s->c_share, -1, cuts);
	bucket_counts(s, cuts, members, buyers);
	if (dv.n >= 3 && !rates_ordered(members, buyers))
	{
		StringInfoData msg;

		initStringInfo(&msg);
		format_rates(&msg, members, buyers);
		for (int f = 0; f < lengthof(grid_i) && isinf(best_dist); f++)
			for (int i = 0; i < lengthof(grid_d); i++)
				for (int j = 0; j < lengthof(grid_c); j++)
				{
					float8		c[3];
					int64		m2[4],
								b2[4];
					float8		dist = fabs(grid_d[i] - s->d_share) + fabs(grid_c[j] - s->c_share);

					if (grid_d[i] + grid_c[j] > 0.10 + 1e-9 || dist >= best_dist)
						continue;
					cuts_for(s, &dv, grid_d[i], grid_c[j], grid_i[f], c);
					bucket_counts(s, c, m2, b2);
					if (rates_ordered(m2, b2))
					{
						memcpy(best, c, sizeof(best));
						best_dist = dist;
						best_d = grid_d[i];
						best_c = grid_c[j];
						best_i = grid_i[f];
					}
				}
		if (isinf(best_dist))
			ereport(NOTICE,
					(errmsg("DCIU purchase rates are not ordered D > C > I > U for any candidate cuts; returning the cuts of the requested shares"),
					 errdetail("Buyers/members per bucket: %s.", msg.data)));
		else
		{
			if (best_i < 0)
				ereport(NOTICE,
						(errmsg("DCIU purchase rates were not ordered D > C > I > U with the requested shares; using D %g %%, C %g %% instead",
								100 * best_d, 100 * best_c),
						 errdetail("Buyers/members per bucket with the requested shares: %s.", msg.data)));
			else
				ereport(NOTICE,
						(errmsg("DCIU purchase rates were not ordered D > C > I > U with the requested shares; using D %g %%, C %g %% and D + C + I %g %% of the members (the lowest positive scores join U) instead",
								100 * best_d, 100 * best_c, 100 * best_i),
						 errdetail("Buyers/members per bucket with the requested shares: %s.", msg.data)));
			memcpy(cuts, best, sizeof(cuts));
		}
	}
	for (int i = 0; i < 3; i++)
		d[i] = Float8GetDatum(cuts[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, 3, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

/* ---- rfm.dciu_lift_agg ---- */

typedef struct LiftState
{
	float8		members[4];
	float8		buyers[4];
	float8		revenue[4];
} LiftState;

/* Index (D C I U) of a dciu_bucket enum value, cached per call site. */
static int
bucket_index(FunctionCallInfo fcinfo, Oid value)
{
	Oid		   *oids = (Oid *) fcinfo->flinfo->fn_extra;
	char	   *label;

	if (oids == NULL)
	{
		oids = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, 4 * sizeof(Oid));
		fcinfo->flinfo->fn_extra = oids;
	}
	for (int b = 0; b < 4; b++)
		if (oids[b] == value)
			return b;
	label = DatumGetCString(DirectFunctionCall1(enum_out, ObjectIdGetDatum(value)));
	for (int b = 0; b < 4; b++)
		if (strcmp(label, dciu_labels[b]) == 0)
		{
			oids[b] = value;
			return b;
		}
	elog(ERROR, "unexpected DCIU bucket \"%s\"", label);
	return -1;
}

/* rfm.dciu_lift_agg(bucket, bought, revenue): NULL bucket rows are ignored. */
Datum
rfm_dciu_lift_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.dciu_lift_agg");
	LiftState  *s = PG_ARGISNULL(0) ? NULL : (LiftState *) PG_GETARG_POINTER(0);
	int			b;
	float8		rev = PG_ARGISNULL(3) ? 0 : PG_GETARG_FLOAT8(3);

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (isnan(rev) || isinf(rev))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revenue must be finite, not %g", rev),
				 errhint("Pass the member's revenue in the period after the calibration time (0 or NULL without one).")));
	b = bucket_index(fcinfo, PG_GETARG_OID(1));
	if (s == NULL)
		s = MemoryContextAllocZero(aggcontext, sizeof(LiftState));
	s->members[b] += 1;
	s->buyers[b] += (!PG_ARGISNULL(2) && PG_GETARG_BOOL(2)) ? 1 : 0;
	s->revenue[b] += rev;
	PG_RETURN_POINTER(s);
}

Datum
rfm_dciu_lift_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.dciu_lift_combine");
	LiftState  *a = PG_ARGISNULL(0) ? NULL : (LiftState *) PG_GETARG_POINTER(0);
	LiftState  *b = PG_ARGISNULL(1) ? NULL : (LiftState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = MemoryContextAllocZero(aggcontext, sizeof(LiftState));
	for (int i = 0; i < 4; i++)
	{
		a->members[i] += b->members[i];
		a->buyers[i] += b->buyers[i];
		a->revenue[i] += b->revenue[i];
	}
	PG_RETURN_POINTER(a);
}

Datum
rfm_dciu_lift_serialize(PG_FUNCTION_ARGS)
{
	LiftState  *s = (LiftState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) rfm_agg_context(fcinfo, "rfm.dciu_lift_serialize");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, LIFT_VERSION);
	for (int i = 0; i < 4; i++)
	{
		pq_sendfloat8(&buf, s->members[i]);
		pq_sendfloat8(&buf, s->buyers[i]);
		pq_sendfloat8(&buf, s->revenue[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
rfm_dciu_lift_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.dciu_lift_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	LiftState  *s = MemoryContextAllocZero(aggcontext, sizeof(LiftState));

	state_bytes(&buf, b, LIFT_VERSION, "rfm.dciu_lift_agg");
	for (int i = 0; i < 4; i++)
	{
		s->members[i] = pq_getmsgfloat8(&buf);
		s->buyers[i] = pq_getmsgfloat8(&buf);
		s->revenue[i] = pq_getmsgfloat8(&buf);
		if (!(s->members[i] >= 0 && s->buyers[i] >= 0 && s->buyers[i] <= s->members[i]) ||
			isnan(s->revenue[i]) || isinf(s->revenue[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("corrupt rfm.dciu_lift_agg state"),
					 errhint("The bytes do not come from this build of rfm.")));
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

/* share = part / whole, NULL when the whole is 0 */
static Datum
share(float8 part, float8 whole, bool *isnull)
{
	*isnull = whole == 0;
	return Float8GetDatum(whole == 0 ? 0 : part / whole);
}

/*
 * Four rfm.dciu_lift_row values, D C I U: bucket, members, share_of_members,
 * buyers, share_of_buyers, revenue, share_of_revenue, purchase_rate, lift.
 */
Datum
rfm_dciu_lift_final(PG_FUNCTION_ARGS)
{
	LiftState  *s = PG_ARGISNULL(0) ? NULL : (LiftState *) PG_GETARG_POINTER(0);
	Oid			arrtype = get_fn_expr_rettype(fcinfo->flinfo);
	Oid			rowtype = get_element_type(arrtype);
	TupleDesc	tupdesc;
	float8		tm = 0,
				tb = 0,
				tr = 0;
	Datum		rows[4];

	if (s == NULL)
		PG_RETURN_NULL();
	if (!OidIsValid(rowtype))
		elog(ERROR, "could not determine the row type of rfm.dciu_lift_agg");
	tupdesc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(rowtype, -1));
	for (int b = 0; b < 4; b++)
	{
		tm += s->members[b];
		tb += s->buyers[b];
		tr += s->revenue[b];
	}
	for (int b = 0; b < 4; b++)
	{
		Datum		v[9];
		bool		nulls[9] = {0};
		bool		rate_null;

		v[0] = dciu_enum_datum(fcinfo, TupleDescAttr(tupdesc, 0)->atttypid, b);
		v[1] = Int64GetDatum((int64) s->members[b]);
		v[2] = share(s->members[b], tm, &nulls[2]);
		v[3] = Int64GetDatum((int64) s->buyers[b]);
		v[4] = share(s->buyers[b], tb, &nulls[4]);
		v[5] = Float8GetDatum(s->revenue[b]);
		v[6] = share(s->revenue[b], tr, &nulls[6]);
		v[7] = share(s->buyers[b], s->members[b], &nulls[7]);
		/* lift: the bucket's purchase rate over the overall rate */
		v[8] = share(s->members[b] > 0 ? s->buyers[b] / s->members[b] : 0, tb / tm, &rate_null);
		nulls[8] = rate_null || s->members[b] == 0;
		rows[b] = HeapTupleGetDatum(heap_form_tuple(tupdesc, v, nulls));
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(rows, 4, rowtype, -1, false, TYPALIGN_DOUBLE));
}
