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

#include "common/int.h"
#include "fmgr.h"
#include "utils/date.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

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
 * Largest accepted order amount, in absolute value, and the same in units.
 * No real order comes near it, and nine orders of it still fit in a day
 * (9e18 units of the 9.22e18 an int64 holds).
 */
#define PURCHASES_MAX_AMOUNT	1e14
#define PURCHASES_MAX_AMOUNT_UNITS	(INT64CONST(100000000000000) * PURCHASES_SCALE)
#define PURCHASES_AMOUNT_HINT \
	"Amounts must be finite numbers of absolute value at most 1e14 (they are kept to 4 decimals); filter or repair the row."

/*
 * Exact numeric -> units, without a cast (rfm.purchases_agg and
 * rfm.campaign_cell_agg).
 *
 * The on-disk numeric format (stable across releases, pg_upgrade relies on
 * it) is read directly: base-10000 digits d_0, d_1, ... with a weight w, the
 * value being the sum of d_i * 10000^(w - i).  A unit is 1/10000, so d_i is
 * worth d_i * 10000^(w + 1 - i) units: the digits with i <= w + 1 make the
 * integer number of units, digit w + 2 (the 5th to 8th decimals) decides the
 * rounding, half away from zero when it is >= 5000 (as round(x, 4) rounds),
 * and later digits cannot change it.  So every finite numeric is converted
 * exactly, with a few integer operations and no allocation.  Returns false
 * for NaN, infinities and amounts beyond 1e14 (after rounding); *refund says
 * whether the amount is negative (also when it rounds to 0).
 */
#define NUM_SIGN_MASK			0xC000
#define NUM_NEG					0x4000
#define NUM_SHORT				0x8000
#define NUM_SPECIAL				0xC000
#define NUM_SHORT_SIGN_MASK		0x2000
#define NUM_SHORT_WEIGHT_SIGN	0x0040
#define NUM_SHORT_WEIGHT_MASK	0x003F
#define NUM_NBASE				10000

static inline bool
purchases_numeric_units(const struct varlena *v, int64 *units, bool *refund)
{
	const char *data = VARDATA_ANY(v);
	Size		len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	int			weight;
	bool		negative;
	int			hdr;
	int			ndigits;
	int			i;
	int64		u = 0;

	if (len < sizeof(uint16))
		return false;
	memcpy(&header, data, sizeof(uint16));
	if ((header & NUM_SIGN_MASK) == NUM_SPECIAL)
		return false;			/* NaN, Infinity */
	if ((header & NUM_SIGN_MASK) == NUM_SHORT)
	{
		hdr = sizeof(uint16);
		negative = (header & NUM_SHORT_SIGN_MASK) != 0;
		weight = (header & NUM_SHORT_WEIGHT_SIGN) ? (int) (header | ~NUM_SHORT_WEIGHT_MASK)
			: (int) (header & NUM_SHORT_WEIGHT_MASK);
	}
	else
	{
		int16		w;

		if (len < 2 * sizeof(uint16))
			return false;
		hdr = 2 * sizeof(uint16);
		negative = (header & NUM_SIGN_MASK) == NUM_NEG;
		memcpy(&w, data + sizeof(uint16), sizeof(int16));
		weight = w;
	}
	ndigits = (int) ((len - hdr) / sizeof(int16));
	for (i = 0; i < ndigits && i <= weight + 2; i++)
	{
		int16		digit;

		memcpy(&digit, data + hdr + i * sizeof(int16), sizeof(int16));
		if (unlikely(digit < 0 || digit >= NUM_NBASE))
			return false;		/* corrupt */
		if (i == weight + 2)
		{
			if (digit >= NUM_NBASE / 2 && unlikely(pg_add_s64_overflow(u, 1, &u)))
				return false;
			break;
		}
		if (unlikely(pg_mul_s64_overflow(u, NUM_NBASE, &u) || pg_add_s64_overflow(u, digit, &u)))
			return false;
	}
	/* the zero digits numeric does not store, down to the units */
	for (; i <= weight + 1 && u != 0; i++)
		if (unlikely(pg_mul_s64_overflow(u, NUM_NBASE, &u)))
			return false;
	if (unlikely(u > PURCHASES_MAX_AMOUNT_UNITS))
		return false;
	*units = negative ? -u : u;
	*refund = negative;
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
