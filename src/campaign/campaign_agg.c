/*-------------------------------------------------------------------------
 *
 * campaign_agg.c
 *	  The aggregate rfm.campaign_cell_agg(y, x, responded): the exact
 *	  sufficient statistics of a cell of members (a campaign arm, or an arm
 *	  within a dimension) for rfm.campaign_compare, with its combine,
 *	  serialize and deserialize functions for parallel and partial
 *	  aggregation.
 *
 * One row is one member: y the outcome (revenue in the test period), x the
 * pre-period covariate (revenue before it, for CUPED), responded whether
 * the member responded (bought).  NULL y or x count as 0 (a member who
 * bought nothing has revenue 0), NULL responded as false: every row is a
 * member of the cell.
 *
 * y and x are taken to int64 units of 1/10000 exactly as rfm.purchases
 * takes amounts (purchases.h: numeric exactly when it has at most 4
 * decimals, rounded half away from zero beyond; float8 by rounding
 * value * 10000), limited to absolute values of 1e14.  The sums of units,
 * squares and products are kept in 128-bit integers and checked for
 * overflow, so the result does not depend on the order of the rows or on
 * the plan: a parallel plan gives exactly the serial cell.  The final
 * function turns each sum back into numeric, exactly: scale 4 for the sums
 * of y and x, 8 for the squares and products.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/int.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/numeric.h"

#include "../rfm.h"
#include "../purchases/purchases.h"
#include "campaign.h"

PG_FUNCTION_INFO_V1(rfm_campaign_trans_numeric);
PG_FUNCTION_INFO_V1(rfm_campaign_trans_float8);
PG_FUNCTION_INFO_V1(rfm_campaign_combine);
PG_FUNCTION_INFO_V1(rfm_campaign_serialize);
PG_FUNCTION_INFO_V1(rfm_campaign_deserialize);
PG_FUNCTION_INFO_V1(rfm_campaign_final);

#define CAMPAIGN_VALUE_HINT \
	"Values must be finite numbers of absolute value at most 1e14 (they are kept to 4 decimals); filter or repair the row."

#ifdef HAVE_INT128

/* The transition state: counts and exact sums of units. */
typedef struct CampaignState
{
	int64		members;
	int64		responders;
	int128		sum_y;			/* units (1e-4) */
	int128		sum_y2;			/* units^2 (1e-8) */
	int128		sum_x;
	int128		sum_x2;
	int128		sum_xy;
} CampaignState;

/* The serialized state: a version byte, padding, then the fields. */
#define CAMPAIGN_STATE_VERSION	1
#define CAMPAIGN_STATE_BYTES	(8 + 2 * sizeof(int64) + 5 * sizeof(int128))

/* *a += b, refusing overflow instead of wrapping. */
static inline void
add128(int128 *a, int128 b, const char *what)
{
	bool		overflow;

#ifdef HAVE__BUILTIN_OP_OVERFLOW
	overflow = __builtin_add_overflow(*a, b, a);
#else
	uint128		r = (uint128) *a + (uint128) b;

	/* overflow when both have the same sign and the sum has the other */
	overflow = ((*a < 0) == (b < 0)) && (((int128) r < 0) != (*a < 0));
	if (!overflow)
		*a = (int128) r;
#endif
	if (unlikely(overflow))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the sum of %s of a campaign cell is out of range", what),
				 errhint("Sums of squares are kept exactly up to 1.7e30 (in currency units squared); split the cell or scale the values down.")));
}

static inline void
add64(int64 *a, int64 b, const char *what)
{
	if (unlikely(pg_add_s64_overflow(*a, b, a)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("too many %s in one campaign cell", what),
				 errhint("A cell counts at most 2^63 - 1 members.")));
}

/* a += b */
static void
state_merge(CampaignState *a, const CampaignState *b)
{
	add64(&a->members, b->members, "members");
	add64(&a->responders, b->responders, "responders");
	add128(&a->sum_y, b->sum_y, "y");
	add128(&a->sum_y2, b->sum_y2, "y^2");
	add128(&a->sum_x, b->sum_x, "x");
	add128(&a->sum_x2, b->sum_x2, "x^2");
	add128(&a->sum_xy, b->sum_xy, "x*y");
}

/* The common body of the transitions: one member with y and x in units. */
static CampaignState *
campaign_trans(FunctionCallInfo fcinfo, int64 y, int64 x)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.campaign_cell_agg");
	CampaignState *s = PG_ARGISNULL(0) ? NULL : (CampaignState *) PG_GETARG_POINTER(0);
	CampaignState row;

	if (s == NULL)
		s = MemoryContextAllocZero(aggcontext, sizeof(CampaignState));
	row.members = 1;
	row.responders = (!PG_ARGISNULL(3) && PG_GETARG_BOOL(3)) ? 1 : 0;
	/* |y|, |x| <= 1e18 units: squares and products fit in 128 bits */
	row.sum_y = y;
	row.sum_y2 = (int128) y * y;
	row.sum_x = x;
	row.sum_x2 = (int128) x * x;
	row.sum_xy = (int128) x * y;
	state_merge(s, &row);
	return s;
}

static void
value_error(const char *what, const char *shown)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s for rfm.campaign_cell_agg: %s", what, shown),
			 errhint(CAMPAIGN_VALUE_HINT)));
}

/* Argument argno as units; NULL is 0. */
static int64
numeric_value_units(FunctionCallInfo fcinfo, int argno, const char *what)
{
	struct varlena *v;
	int64		units = 0;
	bool		negative;

	if (PG_ARGISNULL(argno))
		return 0;
	v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
	if (unlikely(!purchases_numeric_units(v, &units, &negative)))
		value_error(what, DatumGetCString(DirectFunctionCall1(numeric_out, PointerGetDatum(v))));
	return units;
}

static int64
float8_value_units(FunctionCallInfo fcinfo, int argno, const char *what)
{
	float8		value;
	int64		units = 0;

	if (PG_ARGISNULL(argno))
		return 0;
	value = PG_GETARG_FLOAT8(argno);
	if (unlikely(!(fabs(value) <= PURCHASES_MAX_AMOUNT)))
		value_error(what, float8out_internal(value));
	(void) purchases_float8_units(value, &units);
	return units;
}

Datum
rfm_campaign_trans_numeric(PG_FUNCTION_ARGS)
{
	int64		y = numeric_value_units(fcinfo, 1, "y");
	int64		x = numeric_value_units(fcinfo, 2, "x");

	PG_RETURN_POINTER(campaign_trans(fcinfo, y, x));
}

Datum
rfm_campaign_trans_float8(PG_FUNCTION_ARGS)
{
	int64		y = float8_value_units(fcinfo, 1, "y");
	int64		x = float8_value_units(fcinfo, 2, "x");

	PG_RETURN_POINTER(campaign_trans(fcinfo, y, x));
}

Datum
rfm_campaign_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.campaign_combine");
	CampaignState *a = PG_ARGISNULL(0) ? NULL : (CampaignState *) PG_GETARG_POINTER(0);
	CampaignState *b = PG_ARGISNULL(1) ? NULL : (CampaignState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = MemoryContextAlloc(aggcontext, sizeof(CampaignState));
		*a = *b;
		PG_RETURN_POINTER(a);
	}
	state_merge(a, b);
	PG_RETURN_POINTER(a);
}

Datum
rfm_campaign_serialize(PG_FUNCTION_ARGS)
{
	CampaignState *s = (CampaignState *) PG_GETARG_POINTER(0);
	bytea	   *b;
	char	   *p;

	(void) rfm_agg_context(fcinfo, "rfm.campaign_serialize");
	b = palloc0(VARHDRSZ + CAMPAIGN_STATE_BYTES);
	SET_VARSIZE(b, VARHDRSZ + CAMPAIGN_STATE_BYTES);
	p = VARDATA(b);
	p[0] = CAMPAIGN_STATE_VERSION;
	p += 8;
	memcpy(p, &s->members, sizeof(int64));
	p += sizeof(int64);
	memcpy(p, &s->responders, sizeof(int64));
	p += sizeof(int64);
	memcpy(p, &s->sum_y, sizeof(int128));
	p += sizeof(int128);
	memcpy(p, &s->sum_y2, sizeof(int128));
	p += sizeof(int128);
	memcpy(p, &s->sum_x, sizeof(int128));
	p += sizeof(int128);
	memcpy(p, &s->sum_x2, sizeof(int128));
	p += sizeof(int128);
	memcpy(p, &s->sum_xy, sizeof(int128));
	PG_RETURN_BYTEA_P(b);
}

/* Never trust bytes: the size, the version and what the sums imply are checked. */
Datum
rfm_campaign_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.campaign_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(b);
	CampaignState *s;

	if (VARSIZE_ANY_EXHDR(b) != CAMPAIGN_STATE_BYTES || p[0] != CAMPAIGN_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid rfm.campaign_cell_agg state: %d bytes of version %d",
						(int) VARSIZE_ANY_EXHDR(b), VARSIZE_ANY_EXHDR(b) > 0 ? (int) p[0] : -1),
				 errhint("States come from the serialize function of the same rfm library; do not mix versions.")));
	s = MemoryContextAlloc(aggcontext, sizeof(CampaignState));
	p += 8;
	memcpy(&s->members, p, sizeof(int64));
	p += sizeof(int64);
	memcpy(&s->responders, p, sizeof(int64));
	p += sizeof(int64);
	memcpy(&s->sum_y, p, sizeof(int128));
	p += sizeof(int128);
	memcpy(&s->sum_y2, p, sizeof(int128));
	p += sizeof(int128);
	memcpy(&s->sum_x, p, sizeof(int128));
	p += sizeof(int128);
	memcpy(&s->sum_x2, p, sizeof(int128));
	p += sizeof(int128);
	memcpy(&s->sum_xy, p, sizeof(int128));
	if (s->members < 0 || s->responders < 0 || s->responders > s->members ||
		s->sum_y2 < 0 || s->sum_x2 < 0 ||
		(s->members == 0 && (s->sum_y != 0 || s->sum_y2 != 0 || s->sum_x != 0 ||
							 s->sum_x2 != 0 || s->sum_xy != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid rfm.campaign_cell_agg state: inconsistent counts or sums"),
				 errhint("States come from the serialize function of the same rfm library; do not mix versions.")));
	PG_RETURN_POINTER(s);
}

/* An int128 of units of 10^-scale as an exact numeric of that scale. */
static Datum
int128_numeric(int128 v, int scale)
{
	char		buf[64];
	char	   *end = buf + sizeof(buf) - 1;
	char	   *c = end;
	uint128		u = v < 0 ? -(uint128) v : (uint128) v;
	int			digits = 0;

	*c = '\0';
	do
	{
		*--c = '0' + (int) (u % 10);
		u /= 10;
		if (++digits == scale)
			*--c = '.';
	} while (u != 0 || digits <= scale);
	if (v < 0)
		*--c = '-';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(c), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}

/* The cell; an empty input gives a cell of zeros (0 members). */
Datum
rfm_campaign_final(PG_FUNCTION_ARGS)
{
	CampaignState *s = PG_ARGISNULL(0) ? NULL : (CampaignState *) PG_GETARG_POINTER(0);
	CampaignState zero = {0};
	TupleDesc	tupdesc;
	Datum		values[CAMPAIGN_CELL_NATTS];
	bool		nulls[CAMPAIGN_CELL_NATTS] = {0};

	if (s == NULL)
		s = &zero;
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm.campaign_cell_agg must return rfm.campaign_cell");
	tupdesc = BlessTupleDesc(tupdesc);
	values[CAMPAIGN_CELL_MEMBERS] = Int64GetDatum(s->members);
	values[CAMPAIGN_CELL_RESPONDERS] = Int64GetDatum(s->responders);
	values[CAMPAIGN_CELL_SUM_Y] = int128_numeric(s->sum_y, PURCHASES_DECIMALS);
	values[CAMPAIGN_CELL_SUM_Y2] = int128_numeric(s->sum_y2, 2 * PURCHASES_DECIMALS);
	values[CAMPAIGN_CELL_SUM_X] = int128_numeric(s->sum_x, PURCHASES_DECIMALS);
	values[CAMPAIGN_CELL_SUM_X2] = int128_numeric(s->sum_x2, 2 * PURCHASES_DECIMALS);
	values[CAMPAIGN_CELL_SUM_XY] = int128_numeric(s->sum_xy, 2 * PURCHASES_DECIMALS);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

#else							/* !HAVE_INT128 */

/* Without 128-bit integers the exact sums cannot be kept: say so. */
static void
no_int128(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("rfm.campaign_cell_agg needs 128-bit integers, which this build of rfm lacks"),
			 errhint("Build rfm with a compiler that has __int128 (gcc, clang), or sum the cell in SQL: count(*), sum(y), sum(y * y), ... as numeric.")));
}

Datum rfm_campaign_trans_numeric(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_trans_float8(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_combine(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_serialize(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_deserialize(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_final(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }

#endif							/* HAVE_INT128 */
