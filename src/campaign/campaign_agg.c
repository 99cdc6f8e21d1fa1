/*-------------------------------------------------------------------------
 *
 * campaign_agg.c
 *	  The aggregate rfm.campaign_cell_agg(y, x, responded): the exact
 *	  sufficient statistics of a cell of members (a campaign arm, or an arm
 *	  within a dimension) for rfm.campaign_compare; its state type
 *	  rfm.campaign_state (text and binary I/O) and combine function, for
 *	  parallel aggregation and for Citus's split into partial aggregates on
 *	  the workers and a combine on the coordinator.
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
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/numeric.h"

#include "../rfm.h"
#include "../purchases/purchases.h"
#include "campaign.h"

PG_FUNCTION_INFO_V1(rfm_campaign_state_in);
PG_FUNCTION_INFO_V1(rfm_campaign_state_out);
PG_FUNCTION_INFO_V1(rfm_campaign_state_recv);
PG_FUNCTION_INFO_V1(rfm_campaign_state_send);
PG_FUNCTION_INFO_V1(rfm_campaign_trans_numeric);
PG_FUNCTION_INFO_V1(rfm_campaign_trans_float8);
PG_FUNCTION_INFO_V1(rfm_campaign_combine);
PG_FUNCTION_INFO_V1(rfm_campaign_final);

#define CAMPAIGN_VALUE_HINT \
	"Values must be finite numbers of absolute value at most 1e14 (they are kept to 4 decimals); filter or repair the row."
#define CAMPAIGN_STATE_TEXT_HINT \
	"An rfm.campaign_state is (members,responders,sum_y,sum_y2,sum_x,sum_x2,sum_xy): seven integers without spaces, the sums in units of 1e-4 (squares and products 1e-8), as its output prints them; members >= responders >= 0, squares >= 0, all sums 0 when members is 0."

#ifdef HAVE_INT128

/*
 * The transition state, the SQL type rfm.campaign_state (a fixed-length base
 * type of CAMPAIGN_STATE_BYTES, aligned as double: PostgreSQL's int128 is
 * aligned to MAXALIGN): counts and exact sums of units.  A real type rather
 * than internal, so that Citus splits the aggregate into a partial aggregate
 * per shard and a combine on the coordinator, the state travelling in its
 * binary (send/recv) or text form.
 */
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

StaticAssertDecl(sizeof(CampaignState) == CAMPAIGN_STATE_BYTES,
				 "rfm.campaign_state's INTERNALLENGTH must be the size of CampaignState");

/* The binary (send/recv) form: a version byte, then the fields. */
#define CAMPAIGN_STATE_VERSION	1

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

/*
 * The state argno, to be updated: itself when called as an aggregate (the
 * state then lives in the aggregate's memory and no one else sees it, so the
 * transition and the combine update it in place: no allocation per row, as
 * int4_avg_accum does), a copy when called as a plain function.  A NULL
 * state (none is made by the aggregate, whose INITCOND is the empty state)
 * counts as empty.
 */
static CampaignState *
state_for_update(FunctionCallInfo fcinfo, int argno)
{
	CampaignState *s;

	if (!PG_ARGISNULL(argno) && AggCheckCallContext(fcinfo, NULL))
		return (CampaignState *) PG_GETARG_POINTER(argno);
	s = palloc0(sizeof(CampaignState));
	if (!PG_ARGISNULL(argno))
		memcpy(s, PG_GETARG_POINTER(argno), sizeof(CampaignState));
	return s;
}

/* The common body of the transitions: one member with y and x in units. */
static CampaignState *
campaign_trans(FunctionCallInfo fcinfo, int64 y, int64 x)
{
	CampaignState *s = state_for_update(fcinfo, 0);
	CampaignState row;

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

/* Two states pooled; strict (the aggregate's states are never NULL). */
Datum
rfm_campaign_combine(PG_FUNCTION_ARGS)
{
	CampaignState *a = state_for_update(fcinfo, 0);

	state_merge(a, (CampaignState *) PG_GETARG_POINTER(1));
	PG_RETURN_POINTER(a);
}

/* What a state's counts and sums imply; the error names the first broken rule. */
static void
state_check(const CampaignState *s, const char *shown, int sqlstate)
{
	const char *broken = NULL;

	if (s->members < 0)
		broken = "members is negative";
	else if (s->responders < 0 || s->responders > s->members)
		broken = "responders is not between 0 and members";
	else if (s->sum_y2 < 0 || s->sum_x2 < 0)
		broken = "a sum of squares is negative";
	else if (s->members == 0 && (s->sum_y != 0 || s->sum_y2 != 0 || s->sum_x != 0 ||
								 s->sum_x2 != 0 || s->sum_xy != 0))
		broken = "a state of 0 members has a sum other than 0";
	if (broken != NULL)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid rfm.campaign_state %s: %s", shown, broken),
				 errhint(CAMPAIGN_STATE_TEXT_HINT)));
}

/* v in decimal at the end of buf (of at least 41 bytes + sign), returning its start. */
static char *
int128_decimal(int128 v, char *end)
{
	uint128		u = v < 0 ? -(uint128) v : (uint128) v;
	char	   *c = end;

	*c = '\0';
	do
	{
		*--c = '0' + (int) (u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--c = '-';
	return c;
}

/*
 * One integer at *s, [-]digits, into *v, moving *s past it; false if there is
 * none or it does not fit in 128 bits (64 when is64).
 */
static bool
parse_integer(const char **s, int128 *v, bool is64)
{
	const char *c = *s;
	bool		negative = (*c == '-');
	uint128		limit = is64 ? (uint128) PG_INT64_MAX : ~(uint128) 0 >> 1;
	uint128		u = 0;

	if (negative)
		c++, limit += 1;
	if (*c < '0' || *c > '9')
		return false;
	for (; *c >= '0' && *c <= '9'; c++)
	{
		int			d = *c - '0';

		if (u > (limit - d) / 10)
			return false;
		u = u * 10 + d;
	}
	*v = negative ? (int128) -u : (int128) u;
	*s = c;
	return true;
}

/* Text input: (members,responders,sum_y,sum_y2,sum_x,sum_x2,sum_xy), exactly. */
Datum
rfm_campaign_state_in(PG_FUNCTION_ARGS)
{
	const char *text = PG_GETARG_CSTRING(0);
	const char *c = text;
	CampaignState *s = palloc0(sizeof(CampaignState));
	int128		field[7];

	if (*c++ != '(')
		goto bad;
	for (int i = 0; i < 7; i++)
	{
		if (!parse_integer(&c, &field[i], i < 2))
			goto bad;
		if (*c++ != (i < 6 ? ',' : ')'))
			goto bad;
	}
	if (*c != '\0')
		goto bad;
	s->members = (int64) field[0];
	s->responders = (int64) field[1];
	s->sum_y = field[2];
	s->sum_y2 = field[3];
	s->sum_x = field[4];
	s->sum_x2 = field[5];
	s->sum_xy = field[6];
	state_check(s, psprintf("\"%s\"", text), ERRCODE_INVALID_TEXT_REPRESENTATION);
	PG_RETURN_POINTER(s);

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type rfm.campaign_state: \"%s\"", text),
			 errhint(CAMPAIGN_STATE_TEXT_HINT)));
	PG_RETURN_NULL();
}

/* Text output: the counts and the sums of units in decimal, exactly. */
Datum
rfm_campaign_state_out(PG_FUNCTION_ARGS)
{
	CampaignState *s = (CampaignState *) PG_GETARG_POINTER(0);
	char		buf[5][48];

	PG_RETURN_CSTRING(psprintf("(" INT64_FORMAT "," INT64_FORMAT ",%s,%s,%s,%s,%s)",
							   s->members, s->responders,
							   int128_decimal(s->sum_y, buf[0] + 47),
							   int128_decimal(s->sum_y2, buf[1] + 47),
							   int128_decimal(s->sum_x, buf[2] + 47),
							   int128_decimal(s->sum_x2, buf[3] + 47),
							   int128_decimal(s->sum_xy, buf[4] + 47)));
}

static void
send128(StringInfo buf, int128 v)
{
	pq_sendint64(buf, (int64) (v >> 64));
	pq_sendint64(buf, (int64) (uint64) v);
}

static int128
recv128(StringInfo buf)
{
	int128		high = pq_getmsgint64(buf);
	uint64		low = (uint64) pq_getmsgint64(buf);

	return (int128) (((uint128) high << 64) | low);
}

/* Binary output: the version byte, the counts, each sum as two int64 (high, low), network order. */
Datum
rfm_campaign_state_send(PG_FUNCTION_ARGS)
{
	CampaignState *s = (CampaignState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CAMPAIGN_STATE_VERSION);
	pq_sendint64(&buf, s->members);
	pq_sendint64(&buf, s->responders);
	send128(&buf, s->sum_y);
	send128(&buf, s->sum_y2);
	send128(&buf, s->sum_x);
	send128(&buf, s->sum_x2);
	send128(&buf, s->sum_xy);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Binary input: never trust bytes (the version, the length and what the sums imply are checked). */
Datum
rfm_campaign_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	CampaignState *s = palloc0(sizeof(CampaignState));
	int			version;

	if (buf->len - buf->cursor != 1 + 2 * 8 + 5 * 16 ||
		(version = pq_getmsgbyte(buf)) != CAMPAIGN_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary rfm.campaign_state: %d bytes, version %d",
						buf->len - buf->cursor,
						buf->len > buf->cursor ? (int) (unsigned char) buf->data[buf->cursor] : -1),
				 errhint("This build reads version %d, 97 bytes; do not mix rfm versions.", CAMPAIGN_STATE_VERSION)));
	s->members = pq_getmsgint64(buf);
	s->responders = pq_getmsgint64(buf);
	s->sum_y = recv128(buf);
	s->sum_y2 = recv128(buf);
	s->sum_x = recv128(buf);
	s->sum_x2 = recv128(buf);
	s->sum_xy = recv128(buf);
	state_check(s, "(binary)", ERRCODE_INVALID_BINARY_REPRESENTATION);
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

Datum rfm_campaign_state_in(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_state_out(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_state_recv(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_state_send(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_trans_numeric(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_trans_float8(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_combine(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }
Datum rfm_campaign_final(PG_FUNCTION_ARGS) { no_int128(); PG_RETURN_NULL(); }

#endif							/* HAVE_INT128 */
