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
 * On-disk layout (varlena, typalign double):
 *
 *	  int32  vl_len_
 *	  uint8  version		PURCHASES_VERSION; lets the format change later
 *	  uint8  flags			reserved, always 0 in version 1
 *	  uint16 reserved		always 0
 *	  int32  ndays			number of entries
 *	  int32  padding		always 0, keeps the arrays 8-byte aligned
 *	  float8 spend[ndays]	net spend per day (refunds subtracted)
 *	  int32  day[ndays]		DateADT, strictly increasing
 *	  int32  orders[ndays]	orders (rows with amount >= 0) per day, >= 0
 *
 * An entry with orders = 0 is a day that only saw refunds: it carries net
 * spend (always <= 0) but is not a purchase day.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_PURCHASES_H
#define RFM_PURCHASES_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/date.h"

#define PURCHASES_VERSION	1

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
	/* float8 spend[ndays], int32 day[ndays], int32 orders[ndays] follow */
} Purchases;

#define PURCHASES_HDRSZ			MAXALIGN(sizeof(Purchases))
#define PURCHASES_SIZE(n)		(PURCHASES_HDRSZ + (Size) (n) * (sizeof(float8) + 2 * sizeof(int32)))
#define PURCHASES_SPEND(p)		((float8 *) ((char *) (p) + PURCHASES_HDRSZ))
#define PURCHASES_DAY(p)		((int32 *) (PURCHASES_SPEND(p) + (p)->ndays))
#define PURCHASES_ORDERS(p)		(PURCHASES_DAY(p) + (p)->ndays)

#define DatumGetPurchasesP(X)	((Purchases *) PG_DETOAST_DATUM(X))
#define PG_GETARG_PURCHASES_P(n) DatumGetPurchasesP(PG_GETARG_DATUM(n))
#define PG_GETARG_PURCHASES_P_COPY(n) ((Purchases *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(n)))

/* One day of the aggregation state. */
typedef struct PurchaseEntry
{
	int32		day;
	int32		orders;
	float8		spend;
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
extern void purchases_check_entry(int32 day, int32 orders, float8 spend);
extern Purchases *purchases_validate(Purchases *p, Size size);

/* purchases_agg.c */
extern PurchasesState *purchases_state_create(MemoryContext cxt, int32 cap);
extern void purchases_state_add(PurchasesState *s, int32 day, int32 orders, float8 spend);
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

#endif							/* RFM_PURCHASES_H */
