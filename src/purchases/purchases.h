/*-------------------------------------------------------------------------
 *
 * purchases.h
 *	  The rfm.purchases type: a member's purchase history compressed to one
 *	  entry per day (day, orders, net spend), and the aggregation state that
 *	  builds it.
 *
 * Every purchase-based label of rfm (RFM, NAPL, NES, BTYD summaries, tiers)
 * is a pure function of this value, so it is the one thing that has to be
 * compact, mergeable and strictly validated.
 *
 * On-disk layout (varlena, typalign double), version 2:
 *
 *	  int32  vl_len_
 *	  uint8  version		PURCHASES_VERSION; lets the format change later
 *	  uint8  flags			reserved, always 0
 *	  uint16 reserved		always 0
 *	  int32  ndays			number of entries
 *	  int32  padding		always 0, keeps the arrays 8-byte aligned
 *	  int64  spend[ndays]	net spend per day (refunds subtracted), in units
 *							of 1/PURCHASES_SCALE of the currency
 *	  int32  day[ndays]		DateADT, strictly increasing
 *	  int32  orders[ndays]	orders (rows with amount >= 0) per day, >= 0
 *
 * An entry with orders = 0 is a day that only saw refunds: it carries net
 * spend (always <= 0) but is not a purchase day.
 *
 * Spend is exact fixed point: 4 decimals (every ISO 4217 currency has at
 * most 4), summed as integers, so a sum does not depend on the order of the
 * rows or on the plan.  A spend lies within +-PURCHASES_MAX_SPEND units
 * (+-922,337,203,685,477.5807); PG_INT64_MIN is never stored, so a spend
 * can always be negated.
 *
 * Version 1 (rfm 1.0 to 1.6) had the same layout with float8 spend.  Values
 * of version 1 are still read, wherever bytes come from (tables, binary
 * input, aggregate states): DatumGetPurchasesP() validates them and converts
 * them to version 2, each spend rounded to the nearest unit (half away from
 * zero), so no code past it sees version 1.  Only version 2 is written.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_PURCHASES_H
#define RFM_PURCHASES_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/date.h"

#define PURCHASES_VERSION	2
#define PURCHASES_VERSION_FLOAT	1	/* float8 spend; read, never written */

/* Spend is stored in units of 1/PURCHASES_SCALE: 4 decimals. */
#define PURCHASES_SCALE		10000
#define PURCHASES_DECIMALS	4
/* Largest spend of a day or of a sum, in units, in absolute value. */
#define PURCHASES_MAX_SPEND	PG_INT64_MAX

/* Purchase days are limited to years 1..9999 (see purchases_check_day). */
#define PURCHASES_MIN_DAY	(-730119)	/* 0001-01-01 as DateADT */
#define PURCHASES_MAX_DAY	2921939		/* 9999-12-31 as DateADT */

typedef struct Purchases
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;
	uint8		flags;
	uint16		reserved;
	int32		ndays;
	int32		padding;
	/* int64 spend[ndays], int32 day[ndays], int32 orders[ndays] follow */
} Purchases;

#define PURCHASES_HDRSZ			MAXALIGN(sizeof(Purchases))
#define PURCHASES_SIZE(n)		(PURCHASES_HDRSZ + (Size) (n) * (sizeof(int64) + 2 * sizeof(int32)))
#define PURCHASES_SPEND(p)		((int64 *) ((char *) (p) + PURCHASES_HDRSZ))
#define PURCHASES_DAY(p)		((int32 *) (PURCHASES_SPEND(p) + (p)->ndays))
#define PURCHASES_ORDERS(p)		(PURCHASES_DAY(p) + (p)->ndays)
/* the spend array of a version 1 value (same place, same size) */
#define PURCHASES_SPEND_FLOAT(p)	((float8 *) ((char *) (p) + PURCHASES_HDRSZ))

/* Every value read from a Datum is of version 2 (purchases_detoast). */
#define DatumGetPurchasesP(X)	purchases_detoast(X, false)
#define PG_GETARG_PURCHASES_P(n) DatumGetPurchasesP(PG_GETARG_DATUM(n))
#define PG_GETARG_PURCHASES_P_COPY(n) purchases_detoast(PG_GETARG_DATUM(n), true)

/* One day of the aggregation state. */
typedef struct PurchaseEntry
{
	int32		day;
	int32		orders;
	int64		spend;			/* units */
} PurchaseEntry;

/*
 * The transition state of rfm.purchases_agg and rfm.purchases_union.
 *
 * A fixed 32-byte header holds the most recent entry ("last"); the earlier
 * entries live in a separate array ("more") that only grows.  In hash
 * aggregation the header is allocated right after the group's key and
 * per-group data, so a row that adds to the last day or appends a new day
 * reads nothing but the header: pushing the previous last entry into "more"
 * is a store, which does not stall on a cache miss the way a load does.
 *
 * Entries 0 .. n-2 are more[0 .. n-2]; entry n-1 is "last".  Out-of-order
 * days set "unsorted"; the state is sorted and merged (compacted) lazily,
 * when "more" is full or when the state is read.
 */
typedef struct PurchasesState
{
	int32		n;				/* entries, "last" included */
	uint32		cap:31;			/* capacity of more[] */
	uint32		unsorted:1;		/* entries may be out of order or repeat days */
	PurchaseEntry last;			/* entry n-1, when n > 0 */
	PurchaseEntry *more;		/* entries 0 .. n-2 */
} PurchasesState;

/* purchases_type.c */
extern void purchases_check_day(int32 day);
extern void purchases_check_entry(int32 day, int32 orders, int64 spend);
extern void purchases_spend_overflow(const char *what);
extern Purchases *purchases_validate(Purchases *p, Size size);
extern Purchases *purchases_upgrade(Purchases *p);

/*
 * A double as units: value * PURCHASES_SCALE rounded to the nearest integer,
 * half away from zero.  False for NaN, infinities and values beyond the
 * range of units.  No libm call: the product is split into its integer part
 * (exact in int64) and a fraction (exact in double, as |x| < 2^63 and the
 * integer part has the same sign).
 */
static inline bool
purchases_float8_units(float8 value, int64 *units)
{
	float8		x = value * PURCHASES_SCALE;
	int64		u;
	float8		frac;

	if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0))
		return false;			/* NaN, infinite, or beyond int64 */
	u = (int64) x;
	frac = x - (float8) u;
	if (frac >= 0.5)
		u++;
	else if (frac <= -0.5)
		u--;
	if (u == PG_INT64_MIN)
		return false;
	*units = u;
	return true;
}

/*
 * A detoasted rfm.purchases of version 2: values of version 2 as they are
 * (validated when they were built), others through purchases_upgrade(),
 * which converts version 1 and refuses anything else.
 */
static inline Purchases *
purchases_detoast(Datum d, bool copy)
{
	Purchases  *p = (Purchases *) (copy ? PG_DETOAST_DATUM_COPY(d) : PG_DETOAST_DATUM(d));

	if (likely(p->version == PURCHASES_VERSION))
		return p;
	return purchases_upgrade(p);
}

/* purchases_agg.c */
extern PurchasesState *purchases_state_create(MemoryContext cxt, int32 cap);
extern void purchases_state_add(PurchasesState *s, int32 day, int32 orders, int64 spend);
extern void purchases_state_compact(PurchasesState *s);
extern Purchases *purchases_from_state(PurchasesState *s);

/* purchases_access.c */

/*
 * The part of a history that a label function looks at: the entries with
 * day <= as_of, plus the positions of the first and last purchase day
 * (orders > 0) among them.  Built once per call by purchases_cut().
 */
typedef struct PurchasesCut
{
	const Purchases *p;
	int32		end;			/* entries [0, end) have day <= as_of */
	int32		first;			/* index of the first purchase day, or -1 */
	int32		last;			/* index of the last purchase day, or -1 */
	int32		as_of;			/* the cut-off day (last entry's day if none) */
} PurchasesCut;

extern bool purchases_cut(const Purchases *p, bool has_as_of, DateADT as_of,
						  PurchasesCut *cut);
extern bool purchases_cut_at(const Purchases *p, DateADT as_of, PurchasesCut *cut);
extern int32 purchases_window_start(int32 as_of, Interval *w);
extern int64 purchases_spend_sum(const Purchases *p, int32 lo, int32 hi);

/*
 * Units as a double: one division of two exact doubles (when |units| < 2^53),
 * so 917300 units give the double nearest to 91.73, which prints as 91.73.
 */
static inline float8
purchases_units_float8(int64 units)
{
	return (float8) units / (float8) PURCHASES_SCALE;
}

#endif							/* RFM_PURCHASES_H */
