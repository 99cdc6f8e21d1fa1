/*-------------------------------------------------------------------------
 *
 * intent.h
 *	  The rfm.intent type: a member's browsing events counted per event kind
 *	  and per hour, the state every purchase-intent (DCIU) label is computed
 *	  from.
 *
 * An event at time ts falls in hour bucket floor(ts / 1 hour), counted in
 * UTC (so the value does not depend on the session TimeZone).  The hour is
 * the resolution of every rule: an event is known at as_of when the end of
 * its hour is at or before as_of.
 *
 * On-disk layout (varlena, typalign int):
 *
 *	  int32  vl_len_
 *	  uint8  version		INTENT_VERSION; lets the format change later
 *	  uint8  flags			reserved, always 0 in version 1
 *	  uint16 reserved		always 0
 *	  int32  nkind[7]		entries per event kind, in INTENT_KINDS order
 *	  int32  hour[n]		hours since 2000-01-01 00:00 UTC; per kind
 *							strictly increasing, kinds one after another
 *	  int32  count[n]		events in that hour, >= 1
 *
 * with n = the sum of nkind[], so a value costs 36 + 8 bytes per
 * (kind, hour) that saw events.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_INTENT_H
#define RFM_INTENT_H

#include "postgres.h"

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"

#define INTENT_VERSION		1
#define INTENT_NKINDS		7
#define INTENT_PURCHASE		6	/* index of "purchase" in INTENT_KINDS */

/* Hours of years 1..9999, relative to 2000-01-01 00:00 UTC. */
#define INTENT_MIN_HOUR		(-730119 * 24)
#define INTENT_MAX_HOUR		(2921940 * 24 - 1)

/* Event names, in the order of storage, text output and weight arrays. */
extern const char *const intent_kind_names[INTENT_NKINDS];

typedef struct Intent
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;
	uint8		flags;
	uint16		reserved;
	int32		nkind[INTENT_NKINDS];
	/* int32 hour[n], int32 count[n] follow */
} Intent;

#define INTENT_HDRSZ			sizeof(Intent)
#define INTENT_SIZE(n)			(INTENT_HDRSZ + (Size) (n) * 2 * sizeof(int32))
#define INTENT_HOUR(p)			((int32 *) ((char *) (p) + INTENT_HDRSZ))
#define INTENT_COUNT(p, n)		(INTENT_HOUR(p) + (n))

#define DatumGetIntentP(X)		((Intent *) PG_DETOAST_DATUM(X))
#define PG_GETARG_INTENT_P(n)	DatumGetIntentP(PG_GETARG_DATUM(n))

/*
 * One (hour, kind) of the aggregation state: key = (hour - INTENT_MIN_HOUR)
 * * 8 + kind, so that keys sort by hour, then kind, and fit an int32.
 */
typedef struct IntentEntry
{
	int32		key;
	int32		count;
} IntentEntry;

#define INTENT_KEY(hour, kind)	((int32) (((hour) - INTENT_MIN_HOUR) * 8 + (kind)))
#define INTENT_KEY_HOUR(key)	((key) / 8 + INTENT_MIN_HOUR)
#define INTENT_KEY_KIND(key)	((key) % 8)

/*
 * The transition state of rfm.intent_agg and rfm.intent_union.
 *
 * The counts of the current hour (cur_hour, cur[]) sit in the fixed header,
 * so a run of events of one member in one hour, whatever their kinds, only
 * increments a counter.  A new hour flushes the current one into more[],
 * which grows by doubling; out-of-order hours set "unsorted" and more[] is
 * sorted and merged lazily, when full or when the state is read.
 */
typedef struct IntentState
{
	int32		n;				/* entries in more[] */
	uint32		cap:31;			/* capacity of more[] */
	uint32		unsorted:1;		/* more[] may be out of order or repeat keys */
	int32		cur_hour;		/* hour of cur[], when has_cur */
	int32		has_cur;
	int32		cur[INTENT_NKINDS];
	IntentEntry *more;
} IntentState;

/* intent_type.c */
extern int	intent_kind_lookup(const char *name, int len);
extern void intent_check_hour(int32 hour);
extern void intent_check_entry(int kind, int32 hour, int32 count);
extern Intent *intent_validate(Intent *p, Size size);
extern int32 intent_total(const Intent *p);

/* a += b, refusing overflow instead of wrapping. */
static inline void
intent_count_add(int32 *a, int32 b)
{
	if (unlikely(pg_add_s32_overflow(*a, b, a)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("more than 2147483647 events of one kind in one hour"),
				 errhint("Check the event source for duplicated rows.")));
}

/* intent_agg.c */
extern int	intent_entry_cmp(const void *a, const void *b);
extern int32 intent_event_hour(TimestampTz ts);
extern int	intent_event_kind(text *event);
extern Intent *intent_from_entries(const IntentEntry *e, int32 n);
extern IntentState *intent_state_create(MemoryContext cxt);
extern void intent_state_add(IntentState *s, int32 hour, int kind, int32 count);
extern void intent_state_add_intent(IntentState *s, const Intent *p);
extern Intent *intent_from_state(IntentState *s);

#endif							/* RFM_INTENT_H */
