/*-------------------------------------------------------------------------
 *
 * purchases_agg.c
 *	  The aggregates rfm.purchases_agg (four overloads, an internal state
 *	  with combine, serialize and deserialize functions for parallel and
 *	  partial aggregation) and rfm.purchases_union (its state an
 *	  rfm.purchases value, expanded while it grows: Citus splits it).
 *
 * The transition state is a growable array of (day, orders, spend) entries
 * (PurchasesState).  A row for the same day as the last entry is merged in
 * place; any other row is appended, and if it is out of order the state is
 * marked unsorted.  Sorting and merging happen lazily, when the array is
 * full or the state is read, so a transition costs O(1) amortized and
 * allocates nothing per row: the array only grows by doubling.
 *
 * Spend is exact fixed point (int64 units of 1/10000, purchases.h): each
 * amount is converted once, numeric exactly when it has at most 4 decimals
 * (rounded half away from zero beyond, as round(amount, 4)), float8 by
 * rounding amount * 10000; sums are integer additions, checked for
 * overflow.  So a history does not depend on the order of the rows or on
 * the plan (serial, parallel, partitionwise): every plan gives the same
 * bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/numeric.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "../rfm.h"
#include "purchases.h"

PG_FUNCTION_INFO_V1(rfm_purchases_trans_date_numeric);
PG_FUNCTION_INFO_V1(rfm_purchases_trans_date_float8);
PG_FUNCTION_INFO_V1(rfm_purchases_trans_tstz_numeric);
PG_FUNCTION_INFO_V1(rfm_purchases_trans_tstz_float8);
PG_FUNCTION_INFO_V1(rfm_purchases_union_trans);
PG_FUNCTION_INFO_V1(rfm_purchases_union_merge);
PG_FUNCTION_INFO_V1(rfm_purchases_union_final);
PG_FUNCTION_INFO_V1(rfm_purchases_combine);
PG_FUNCTION_INFO_V1(rfm_purchases_serialize);
PG_FUNCTION_INFO_V1(rfm_purchases_deserialize);
PG_FUNCTION_INFO_V1(rfm_purchases_final);

/* Create an empty state in cxt with room for cap entries. */
PurchasesState *
purchases_state_create(MemoryContext cxt, int32 cap)
{
	PurchasesState *s = MemoryContextAlloc(cxt, sizeof(PurchasesState));

	s->n = 0;
	s->unsorted = 0;
	s->cap = Max(cap - 1, 0);
	s->more = s->cap > 0 ? MemoryContextAllocHuge(cxt, s->cap * sizeof(PurchaseEntry)) : NULL;
	return s;
}

/* Add b to a day's totals, refusing overflow instead of wrapping. */
static inline void
entry_merge(PurchaseEntry *a, int32 orders, int64 spend)
{
	if (pg_add_s32_overflow(a->orders, orders, &a->orders))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("more than 2147483647 orders on %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(a->day)))),
				 errhint("Check the source for duplicated rows.")));
	if (unlikely(pg_add_s64_overflow(a->spend, spend, &a->spend) || a->spend == PG_INT64_MIN))
		purchases_spend_overflow(psprintf("net spend on %s",
										  DatumGetCString(DirectFunctionCall1(date_out,
																			  DateADTGetDatum(a->day)))));
}

static int
entry_cmp(const void *a, const void *b)
{
	int32		da = ((const PurchaseEntry *) a)->day;
	int32		db = ((const PurchaseEntry *) b)->day;

	return (da > db) - (da < db);
}

/* Make more[] hold at least need entries, doubling its capacity. */
static void
state_reserve(PurchasesState *s, int32 need)
{
	uint32		newcap;

	if ((uint32) need <= s->cap)
		return;
	if (need > PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many purchase days in one rfm.purchases value"),
				 errhint("A history holds at most 2^30 days; check the member column of the source.")));
	newcap = Max((uint32) need, Max(s->cap * 2, 4));
	if (s->more == NULL)
		s->more = MemoryContextAllocHuge(GetMemoryChunkContext(s), newcap * sizeof(PurchaseEntry));
	else
		s->more = repalloc_huge(s->more, newcap * sizeof(PurchaseEntry));
	s->cap = newcap;
}

/*
 * Sort the entries by day and merge equal days.  Works in place: more[] is
 * sorted and merged, then "last" is merged into it or put where it belongs,
 * the largest day becoming the new "last".
 */
void
purchases_state_compact(PurchasesState *s)
{
	int32		m = s->n - 1;	/* entries in more[] */
	int32		out = 0;
	int32		lo = 0;
	int32		hi;

	if (!s->unsorted)
		return;
	s->unsorted = 0;
	if (m == 0)
		return;
	qsort(s->more, m, sizeof(PurchaseEntry), entry_cmp);
	for (int32 i = 1; i < m; i++)
	{
		if (s->more[i].day == s->more[out].day)
			entry_merge(&s->more[out], s->more[i].orders, s->more[i].spend);
		else
			s->more[++out] = s->more[i];
	}
	m = out + 1;

	/* first position in more[] whose day is >= last.day */
	hi = m;
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (s->more[mid].day < s->last.day)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m && s->more[lo].day == s->last.day)
	{
		entry_merge(&s->more[lo], s->last.orders, s->last.spend);
		s->last = s->more[--m];
	}
	else if (lo < m)
	{
		PurchaseEntry top = s->more[m - 1];

		memmove(&s->more[lo + 1], &s->more[lo], (m - 1 - lo) * sizeof(PurchaseEntry));
		s->more[lo] = s->last;
		s->last = top;
	}
	s->n = m + 1;
}

/* Add orders and spend on day (a valid entry). */
void
purchases_state_add(PurchasesState *s, int32 day, int32 orders, int64 spend)
{
	if (s->n > 0)
	{
		if (s->last.day == day)
		{
			entry_merge(&s->last, orders, spend);
			return;
		}
		if ((uint32) s->n > s->cap)
		{
			/*
			 * more[] is full.  An unsorted state is compacted first, and grows
			 * only if that leaves less than a quarter free (so repeated
			 * compactions stay amortized O(log n) per entry).
			 */
			if (s->unsorted)
			{
				purchases_state_compact(s);
				if (s->last.day == day)
				{
					entry_merge(&s->last, orders, spend);
					return;
				}
				if (s->cap - (uint32) (s->n - 1) <= s->cap / 4)
					state_reserve(s, s->cap + 1);
			}
			else
				state_reserve(s, s->n);
		}
		if (day < s->last.day)
			s->unsorted = 1;
		s->more[s->n - 1] = s->last;
	}
	s->last.day = day;
	s->last.orders = orders;
	s->last.spend = spend;
	s->n++;
}

/* Entry i of a state (0 <= i < n). */
static inline const PurchaseEntry *
state_entry(const PurchasesState *s, int32 i)
{
	return i == s->n - 1 ? &s->last : &s->more[i];
}

/* Write the compacted state s as an rfm.purchases value of PURCHASES_SIZE(s->n) bytes at p. */
static void
state_write(const PurchasesState *s, Purchases *p)
{
	int32	   *day;
	int32	   *orders;
	int64	   *spend;

	memset(p, 0, PURCHASES_HDRSZ);
	SET_VARSIZE(p, PURCHASES_SIZE(s->n));
	p->version = PURCHASES_VERSION;
	p->ndays = s->n;
	day = PURCHASES_DAY(p);
	orders = PURCHASES_ORDERS(p);
	spend = PURCHASES_SPEND(p);
	for (int32 i = 0; i < s->n; i++)
	{
		const PurchaseEntry *e = state_entry(s, i);

		day[i] = e->day;
		orders[i] = e->orders;
		spend[i] = e->spend;
	}
}

/* Build a normalized rfm.purchases value (in CurrentMemoryContext). */
Purchases *
purchases_from_state(PurchasesState *s)
{
	Purchases  *p;

	purchases_state_compact(s);
	p = palloc(PURCHASES_SIZE(s->n));
	state_write(s, p);
	return p;
}

/*
 * Local day of a timestamptz in the session time zone, as the SQL cast
 * ts::date computes it, but fast: the UTC offset is cached per call site
 * (fn_extra) for each stretch of time between two DST transitions, so a
 * scan over millions of orders calls the time-zone library only a few times
 * per transition instead of once per row.
 */
#define TZCACHE_SPANS 16

typedef struct TzDayCache
{
	pg_tz	   *tz;				/* zone the spans belong to */
	int			n;
	int			next;			/* round-robin victim when full */
	struct
	{
		pg_time_t	lo;			/* earliest time seen in the span */
		pg_time_t	hi;			/* next transition (exclusive) */
		long int	gmtoff;		/* UTC offset in [lo, hi) */
	}			span[TZCACHE_SPANS];
} TzDayCache;

#define UNIX_TO_PG_EPOCH_DAYS	(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE)

static int32
local_day(FunctionCallInfo fcinfo, TimestampTz ts)
{
	TzDayCache *c = (TzDayCache *) fcinfo->flinfo->fn_extra;
	pg_time_t	t;
	long int	before_off;
	long int	after_off;
	int			before_dst;
	int			after_dst;
	pg_time_t	boundary;
	int			res;
	int			i;

	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order time must be finite, not %s",
						TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"),
				 errhint("Filter out rows whose order time is infinite.")));

	/* seconds since the Unix epoch, rounded down */
	t = ts / USECS_PER_SEC - (ts % USECS_PER_SEC < 0 ? 1 : 0)
		+ (pg_time_t) UNIX_TO_PG_EPOCH_DAYS * SECS_PER_DAY;

	if (c == NULL || c->tz != session_timezone)
	{
		if (c == NULL)
			c = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(TzDayCache));
		c->tz = session_timezone;
		c->n = 0;
		c->next = 0;
		fcinfo->flinfo->fn_extra = c;
	}

	for (i = 0; i < c->n; i++)
		if (t >= c->span[i].lo && t < c->span[i].hi)
			goto found;

	res = pg_next_dst_boundary(&t, &before_off, &before_dst, &boundary,
							   &after_off, &after_dst, session_timezone);
	if (res < 0)
	{
		/* the zone library cannot say; do it the slow, general way */
		struct pg_tm tm;
		fsec_t		fsec;
		int			tz;

		if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("order time out of range"),
					 errhint("Order times must lie in the years 1 to 9999.")));
		return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	}
	if (res == 0)
		boundary = PG_INT64_MAX;

	/* extend the span that ends at the same transition, if there is one */
	for (i = 0; i < c->n; i++)
		if (c->span[i].hi == boundary && c->span[i].gmtoff == before_off)
		{
			c->span[i].lo = Min(c->span[i].lo, t);
			goto found;
		}
	if (c->n < TZCACHE_SPANS)
		i = c->n++;
	else
	{
		i = c->next;
		c->next = (c->next + 1) % TZCACHE_SPANS;
	}
	c->span[i].lo = t;
	c->span[i].hi = boundary;
	c->span[i].gmtoff = before_off;

found:
	{
		pg_time_t	local = t + c->span[i].gmtoff;
		pg_time_t	days = local / SECS_PER_DAY - (local % SECS_PER_DAY < 0 ? 1 : 0);

		return (int32) (days - UNIX_TO_PG_EPOCH_DAYS);
	}
}

/* The error for an amount that is not finite or beyond the limit. */
static void
amount_error(const char *shown)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid purchase amount: %s", shown),
			 errhint(PURCHASES_AMOUNT_HINT)));
}

/*
 * A float8 amount as units: amount * 10000 rounded half away from zero, so a
 * binary double is taken to 4 decimals (0.1 + 0.2, which is
 * 0.30000000000000004, is 3000 units).  NaN, infinities and amounts beyond
 * 1e14 are errors.
 */
static inline int64
float8_amount_units(float8 amount)
{
	int64		units = 0;

	if (unlikely(!(fabs(amount) <= PURCHASES_MAX_AMOUNT)))
		amount_error(isnan(amount) ? "NaN" : isinf(amount) ? (amount > 0 ? "Infinity" : "-Infinity") :
					 DatumGetCString(DirectFunctionCall1(float8out, Float8GetDatum(amount))));
	(void) purchases_float8_units(amount, &units);
	return units;
}

/*
 * A numeric amount as units; NaN, infinities and amounts beyond 1e14 are
 * errors.  Compressed or out-of-line values (rare for a number) are
 * detoasted first.
 */
static inline int64
numeric_arg_units(FunctionCallInfo fcinfo, int argno, bool *refund)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	int64		units = 0;

	if (unlikely(VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v)))
		v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
	if (unlikely(!purchases_numeric_units(v, &units, refund)))
		amount_error(DatumGetCString(DirectFunctionCall1(numeric_out, PointerGetDatum(v))));
	return units;
}

/*
 * The common body of the four purchases_agg transitions: one row is one
 * order (amount >= 0) or one refund (amount < 0), units its amount.
 */
static inline PurchasesState *
purchases_trans(FunctionCallInfo fcinfo, int32 day, int64 units, bool refund)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.purchases_agg");
	PurchasesState *s = PG_ARGISNULL(0) ? NULL : (PurchasesState *) PG_GETARG_POINTER(0);

	purchases_check_day(day);
	if (s == NULL)
		s = purchases_state_create(aggcontext, 1);
	purchases_state_add(s, day, refund ? 0 : 1, units);
	return s;
}

/* NULL time or amount: the row is ignored, as sum() ignores NULLs. */
#define SKIP_NULL_ROW() \
	do { \
		if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) \
		{ \
			if (PG_ARGISNULL(0)) \
				PG_RETURN_NULL(); \
			PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
		} \
	} while (0)

Datum
rfm_purchases_trans_date_numeric(PG_FUNCTION_ARGS)
{
	bool		refund = false;
	int64		units;

	SKIP_NULL_ROW();
	units = numeric_arg_units(fcinfo, 2, &refund);
	PG_RETURN_POINTER(purchases_trans(fcinfo, PG_GETARG_DATEADT(1), units, refund));
}

Datum
rfm_purchases_trans_date_float8(PG_FUNCTION_ARGS)
{
	float8		amount;

	SKIP_NULL_ROW();
	amount = PG_GETARG_FLOAT8(2);
	PG_RETURN_POINTER(purchases_trans(fcinfo, PG_GETARG_DATEADT(1), float8_amount_units(amount),
									  amount < 0));
}

Datum
rfm_purchases_trans_tstz_numeric(PG_FUNCTION_ARGS)
{
	bool		refund = false;
	int64		units;

	SKIP_NULL_ROW();
	units = numeric_arg_units(fcinfo, 2, &refund);
	PG_RETURN_POINTER(purchases_trans(fcinfo, local_day(fcinfo, PG_GETARG_TIMESTAMPTZ(1)),
									  units, refund));
}

Datum
rfm_purchases_trans_tstz_float8(PG_FUNCTION_ARGS)
{
	float8		amount;
	int64		units;

	SKIP_NULL_ROW();
	amount = PG_GETARG_FLOAT8(2);
	units = float8_amount_units(amount);
	PG_RETURN_POINTER(purchases_trans(fcinfo, local_day(fcinfo, PG_GETARG_TIMESTAMPTZ(1)),
									  units, amount < 0));
}

/* Copy a state into cxt (combine with an empty left side). */
static PurchasesState *
state_copy(MemoryContext cxt, PurchasesState *src)
{
	PurchasesState *s = purchases_state_create(cxt, src->n);

	if (src->n > 1)
		memcpy(s->more, src->more, (src->n - 1) * sizeof(PurchaseEntry));
	s->n = src->n;
	s->last = src->last;
	s->unsorted = src->unsorted;
	return s;
}

/*
 * rfm.purchases_union: merge histories (shards, incremental refresh).
 *
 * Its state is an rfm.purchases value (a real type with text and binary
 * I/O, which Citus knows how to ship: it splits the aggregate into partial
 * aggregates on the workers and a combine on the coordinator).  The
 * transition and combine functions are strict and there is no initial
 * value, so the first history of a group becomes its state as it is (a copy
 * made by the executor); the second one turns the state into an expanded
 * object (utils/expandeddatum.h): a PurchasesState in its own memory context,
 * a child of the aggregate's, which later rows update in place, growing by
 * doubling, with no allocation per row, and which the executor keeps without
 * copying (a read-write expanded datum whose context belongs to the
 * aggregate).  Wherever the state is stored or sent (parallel workers,
 * Citus, a tuple), it is flattened into a normalized rfm.purchases value by
 * the methods below; the final function returns that value.
 */
typedef struct PurchasesExpanded
{
	ExpandedObjectHeader hdr;
	PurchasesState *s;			/* allocated in hdr.eoh_context */
} PurchasesExpanded;

static Size
expanded_flat_size(ExpandedObjectHeader *eohptr)
{
	PurchasesExpanded *pe = (PurchasesExpanded *) eohptr;

	/* compacting changes no entry, only how they are laid out */
	purchases_state_compact(pe->s);
	return PURCHASES_SIZE(pe->s->n);
}

static void
expanded_flatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	PurchasesExpanded *pe = (PurchasesExpanded *) eohptr;

	purchases_state_compact(pe->s);
	Assert(allocated_size == PURCHASES_SIZE(pe->s->n));
	state_write(pe->s, (Purchases *) result);
}

static const ExpandedObjectMethods purchases_expanded_methods = {
	expanded_flat_size,
	expanded_flatten
};

/* The expanded state behind d, read-write or read-only, or NULL if d is flat. */
static PurchasesExpanded *
expanded_of(Datum d)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &purchases_expanded_methods)
			return (PurchasesExpanded *) eoh;
	}
	return NULL;
}

/* Add every entry of the history d (flat or expanded, left unchanged) to s. */
static void
state_add_datum(PurchasesState *s, Datum d)
{
	PurchasesExpanded *other = expanded_of(d);

	if (other != NULL)
	{
		for (int32 i = 0; i < other->s->n; i++)
		{
			const PurchaseEntry *e = state_entry(other->s, i);

			purchases_state_add(s, e->day, e->orders, e->spend);
		}
	}
	else
	{
		Purchases  *p = DatumGetPurchasesP(d);
		int32	   *day = PURCHASES_DAY(p);
		int32	   *orders = PURCHASES_ORDERS(p);
		int64	   *spend = PURCHASES_SPEND(p);

		for (int32 i = 0; i < p->ndays; i++)
			purchases_state_add(s, day[i], orders[i], spend[i]);
		if ((Pointer) p != DatumGetPointer(d))
			pfree(p);
	}
}

/*
 * The state (argument 0, not NULL) to update: itself when it is already our
 * read-write expanded object, else a new expanded object, in a child context
 * of the aggregate's, holding its entries.
 */
static PurchasesExpanded *
union_state(FunctionCallInfo fcinfo, MemoryContext aggcontext)
{
	Datum		d = PG_GETARG_DATUM(0);
	PurchasesExpanded *pe = expanded_of(d);
	MemoryContext cxt;

	if (pe != NULL && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		return pe;
	cxt = AllocSetContextCreate(aggcontext, "rfm.purchases_union state", ALLOCSET_SMALL_SIZES);
	pe = MemoryContextAlloc(cxt, sizeof(PurchasesExpanded));
	EOH_init_header(&pe->hdr, &purchases_expanded_methods, cxt);
	pe->s = purchases_state_create(cxt, 8);
	state_add_datum(pe->s, d);
	return pe;
}

/*
 * Transition and combine (both strict, both this function): the state with
 * one more history, or another state, merged in.
 */
Datum
rfm_purchases_union_merge(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.purchases_union");
	PurchasesExpanded *pe = union_state(fcinfo, aggcontext);

	state_add_datum(pe->s, PG_GETARG_DATUM(1));
	PG_RETURN_DATUM(EOHPGetRWDatum(&pe->hdr));
}

/*
 * The transition of rfm.purchases_union in rfm 1.0 to 1.6 (not strict; state
 * internal, a PurchasesState in the aggregate context, finished by
 * rfm.purchases_final): kept under its symbol for a 1.6 catalog running this
 * library until ALTER EXTENSION rfm UPDATE, which drops that function (the
 * new transition is another symbol: given the old arguments it would crash).
 */
Datum
rfm_purchases_union_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.purchases_union");
	PurchasesState *s = PG_ARGISNULL(0) ? NULL : (PurchasesState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (s == NULL)
		s = purchases_state_create(aggcontext, 8);
	state_add_datum(s, PG_GETARG_DATUM(1));
	PG_RETURN_POINTER(s);
}

/*
 * Final (strict): the state as a flat, normalized value of version 2.  A
 * state of one history is that history (a stored value of version 1 is
 * converted).
 */
Datum
rfm_purchases_union_final(PG_FUNCTION_ARGS)
{
	PurchasesExpanded *pe = expanded_of(PG_GETARG_DATUM(0));

	if (pe != NULL)
		PG_RETURN_POINTER(purchases_from_state(pe->s));
	PG_RETURN_POINTER(PG_GETARG_PURCHASES_P(0));
}

Datum
rfm_purchases_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.purchases_combine");
	PurchasesState *a = PG_ARGISNULL(0) ? NULL : (PurchasesState *) PG_GETARG_POINTER(0);
	PurchasesState *b = PG_ARGISNULL(1) ? NULL : (PurchasesState *) PG_GETARG_POINTER(1);
	bool		b_is_ours;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}

	/*
	 * A state deserialized by this aggregate already lives in aggcontext and
	 * nothing else refers to it: adopt it, or free it once merged.  States
	 * of a partial aggregate without serialization belong to that node.
	 */
	b_is_ours = GetMemoryChunkContext(b) == aggcontext;
	if (a == NULL)
		PG_RETURN_POINTER(b_is_ours ? b : state_copy(aggcontext, b));
	for (int32 i = 0; i < b->n; i++)
	{
		const PurchaseEntry *e = state_entry(b, i);

		purchases_state_add(a, e->day, e->orders, e->spend);
	}
	if (b_is_ours)
	{
		if (b->more != NULL)
			pfree(b->more);
		pfree(b);
	}
	PG_RETURN_POINTER(a);
}

/* The serialized state is the rfm.purchases value itself. */
Datum
rfm_purchases_serialize(PG_FUNCTION_ARGS)
{
	PurchasesState *s = (PurchasesState *) PG_GETARG_POINTER(0);

	(void) rfm_agg_context(fcinfo, "rfm.purchases_serialize");
	PG_RETURN_BYTEA_P((bytea *) purchases_from_state(s));
}

Datum
rfm_purchases_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.purchases_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_P(0);
	Size		size = VARSIZE(b);
	Purchases  *p;
	PurchasesState *s;
	int32	   *day;
	int32	   *orders;
	int64	   *spend;

	/* bytea is only int-aligned; the arrays need double alignment */
	if ((uintptr_t) b % MAXIMUM_ALIGNOF != 0)
	{
		p = palloc(size);
		memcpy(p, b, size);
	}
	else
		p = (Purchases *) b;
	/* version 1 (a state of an older rfm.so) comes back converted */
	p = purchases_validate(p, size);

	/* sorted and unique (validated): fill the state directly */
	s = purchases_state_create(aggcontext, Max(p->ndays, 1));
	day = PURCHASES_DAY(p);
	orders = PURCHASES_ORDERS(p);
	spend = PURCHASES_SPEND(p);
	for (int32 i = 0; i < p->ndays; i++)
	{
		PurchaseEntry *e = i == p->ndays - 1 ? &s->last : &s->more[i];

		e->day = day[i];
		e->orders = orders[i];
		e->spend = spend[i];
	}
	s->n = p->ndays;
	PG_RETURN_POINTER(s);
}

Datum
rfm_purchases_final(PG_FUNCTION_ARGS)
{
	PurchasesState *s = PG_ARGISNULL(0) ? NULL : (PurchasesState *) PG_GETARG_POINTER(0);

	if (s == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(purchases_from_state(s));
}
