/*-------------------------------------------------------------------------
 *
 * intent_agg.c
 *	  The aggregates rfm.intent_agg(event, ts) and rfm.intent_union(intent),
 *	  with their combine, serialize and deserialize functions for parallel
 *	  and partial aggregation.
 *
 * A row increments the counter of its kind in the current hour of the state
 * (IntentState); a row of another hour flushes the current hour's non-zero
 * counters into a growable array of (key, count) entries.  Sorting and
 * merging happen lazily, when the array is full or the state is read, so a
 * transition costs O(1) amortized and allocates nothing per row.
 *
 * Rows with a NULL event or time are ignored (as count(x) ignores NULLs);
 * an unknown event name, an infinite time or a time outside the years
 * 1..9999 is an error.  Times in the future are kept: the labels ignore
 * whatever lies after their as_of.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "../rfm.h"
#include "intent.h"

PG_FUNCTION_INFO_V1(rfm_intent_trans);
PG_FUNCTION_INFO_V1(rfm_intent_union_trans);
PG_FUNCTION_INFO_V1(rfm_intent_combine);
PG_FUNCTION_INFO_V1(rfm_intent_serialize);
PG_FUNCTION_INFO_V1(rfm_intent_deserialize);
PG_FUNCTION_INFO_V1(rfm_intent_final);

/* Create an empty state in cxt. */
IntentState *
intent_state_create(MemoryContext cxt)
{
	IntentState *s = MemoryContextAllocZero(cxt, sizeof(IntentState));

	return s;
}

/* qsort comparator of IntentEntry by key */
int
intent_entry_cmp(const void *a, const void *b)
{
	int32		ka = ((const IntentEntry *) a)->key;
	int32		kb = ((const IntentEntry *) b)->key;

	return (ka > kb) - (ka < kb);
}

/* Sort more[] by key and merge equal keys. */
static void
state_compact(IntentState *s)
{
	int32		out = 0;

	if (!s->unsorted)
		return;
	s->unsorted = 0;
	if (s->n < 2)
		return;
	qsort(s->more, s->n, sizeof(IntentEntry), intent_entry_cmp);
	for (int32 i = 1; i < s->n; i++)
	{
		if (s->more[i].key == s->more[out].key)
			intent_count_add(&s->more[out].count, s->more[i].count);
		else
			s->more[++out] = s->more[i];
	}
	s->n = out + 1;
}

/* Make more[] hold at least need entries. */
static void
state_reserve(IntentState *s, int32 need)
{
	uint32		newcap;

	if ((uint32) need <= s->cap)
		return;
	if (need > PG_INT32_MAX / 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many (event kind, hour) entries in one rfm.intent value"),
				 errhint("A value holds at most 2^29 entries; check the member column of the source.")));
	newcap = Max((uint32) need, Max(s->cap * 2, 8));
	if (s->more == NULL)
		s->more = MemoryContextAllocHuge(GetMemoryChunkContext(s), newcap * sizeof(IntentEntry));
	else
		s->more = repalloc_huge(s->more, newcap * sizeof(IntentEntry));
	s->cap = newcap;
}

/* Append one entry to more[]. */
static void
state_push(IntentState *s, int32 key, int32 count)
{
	if ((uint32) s->n >= s->cap)
	{
		/*
		 * Full: an unsorted array is compacted first and grows only when
		 * that leaves less than a quarter free, so that repeated
		 * compactions stay amortized O(log n) per entry.
		 */
		if (s->unsorted)
		{
			state_compact(s);
			if (s->cap - (uint32) s->n <= s->cap / 4)
				state_reserve(s, s->cap + 1);
		}
		else
			state_reserve(s, s->n + 1);
	}
	if (s->n > 0 && key <= s->more[s->n - 1].key)
		s->unsorted = 1;
	s->more[s->n].key = key;
	s->more[s->n].count = count;
	s->n++;
}

/* Move the counters of the current hour into more[]. */
static void
state_flush(IntentState *s)
{
	if (!s->has_cur)
		return;
	for (int k = 0; k < INTENT_NKINDS; k++)
		if (s->cur[k] > 0)
			state_push(s, INTENT_KEY(s->cur_hour, k), s->cur[k]);
	s->has_cur = 0;
}

/* Add count events of kind in hour (a valid entry). */
void
intent_state_add(IntentState *s, int32 hour, int kind, int32 count)
{
	if (s->has_cur && s->cur_hour == hour)
	{
		intent_count_add(&s->cur[kind], count);
		return;
	}
	state_flush(s);
	memset(s->cur, 0, sizeof(s->cur));
	s->cur_hour = hour;
	s->cur[kind] = count;
	s->has_cur = 1;
}

/* Add every entry of a (valid) value. */
void
intent_state_add_intent(IntentState *s, const Intent *p)
{
	int32		n = intent_total(p);
	const int32 *hour = INTENT_HOUR(p);
	const int32 *count = INTENT_COUNT(p, n);
	int32		i = 0;

	for (int k = 0; k < INTENT_NKINDS; k++)
		for (int32 j = 0; j < p->nkind[k]; j++, i++)
			state_push(s, INTENT_KEY(hour[i], k), count[i]);
}

/* Build a normalized rfm.intent value (in CurrentMemoryContext). */
Intent *
intent_from_state(IntentState *s)
{
	state_flush(s);
	state_compact(s);
	return intent_from_entries(s->more, s->n);
}

/*
 * The rfm.intent value (in CurrentMemoryContext) of n entries sorted by key,
 * keys unique.
 */
Intent *
intent_from_entries(const IntentEntry *e, int32 n)
{
	Intent	   *p;
	int32	   *hour;
	int32	   *count;
	int32		pos[INTENT_NKINDS];
	int32		at = 0;

	p = palloc0(INTENT_SIZE(n));
	SET_VARSIZE(p, INTENT_SIZE(n));
	p->version = INTENT_VERSION;
	for (int32 i = 0; i < n; i++)
		p->nkind[INTENT_KEY_KIND(e[i].key)]++;
	for (int k = 0; k < INTENT_NKINDS; k++)
	{
		pos[k] = at;
		at += p->nkind[k];
	}
	hour = INTENT_HOUR(p);
	count = INTENT_COUNT(p, n);
	/* keys are sorted by hour, so each kind's hours come out increasing */
	for (int32 i = 0; i < n; i++)
	{
		int			k = INTENT_KEY_KIND(e[i].key);

		hour[pos[k]] = INTENT_KEY_HOUR(e[i].key);
		count[pos[k]++] = e[i].count;
	}
	return p;
}

/* The hour bucket of an event time: floor(ts / 1 hour), UTC. */
int32
intent_event_hour(TimestampTz ts)
{
	int64		h;

	if (unlikely(TIMESTAMP_NOT_FINITE(ts)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("event time must be finite, not %s",
						TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"),
				 errhint("Filter out rows whose event time is infinite.")));
	h = ts / USECS_PER_HOUR - (ts % USECS_PER_HOUR < 0 ? 1 : 0);
	if (unlikely(h < INTENT_MIN_HOUR || h > INTENT_MAX_HOUR))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("event time out of range: %s",
						DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(ts)))),
				 errhint("Event times must lie in the years 1 to 9999.")));
	return (int32) h;
}

/* The kind of an event name, or an error listing the accepted names. */
int
intent_event_kind(text *event)
{
	int			len = VARSIZE_ANY_EXHDR(event);
	int			kind = intent_kind_lookup(VARDATA_ANY(event), len);

	if (unlikely(kind < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown event \"%.*s\"", Min(len, 64), VARDATA_ANY(event)),
				 errdetail("Accepted events: view, search, favorite, cart_add, cart_remove, checkout, purchase."),
				 errhint("In a model, map your event names with the option events.event_names, e.g. {\"pv\": \"view\", \"cart\": \"cart_add\"}; in a query, with CASE, e.g. CASE behavior WHEN 'pv' THEN 'view' WHEN 'cart' THEN 'cart_add' WHEN 'fav' THEN 'favorite' WHEN 'buy' THEN 'purchase' END.")));
	return kind;
}

/* rfm.intent_agg(event text, ts timestamptz) */
Datum
rfm_intent_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.intent_agg");
	IntentState *s = PG_ARGISNULL(0) ? NULL : (IntentState *) PG_GETARG_POINTER(0);
	int			kind;
	int32		hour;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	kind = intent_event_kind(PG_GETARG_TEXT_PP(1));
	hour = intent_event_hour(PG_GETARG_TIMESTAMPTZ(2));
	if (s == NULL)
		s = intent_state_create(aggcontext);
	intent_state_add(s, hour, kind, 1);
	PG_RETURN_POINTER(s);
}

/* rfm.intent_union(rfm.intent): merge values (shards, incremental refresh). */
Datum
rfm_intent_union_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.intent_union");
	IntentState *s = PG_ARGISNULL(0) ? NULL : (IntentState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (s == NULL)
		s = intent_state_create(aggcontext);
	intent_state_add_intent(s, PG_GETARG_INTENT_P(1));
	PG_RETURN_POINTER(s);
}

/* Copy a state into cxt (combine with an empty left side). */
static IntentState *
state_copy(MemoryContext cxt, IntentState *src)
{
	IntentState *s = MemoryContextAlloc(cxt, sizeof(IntentState));

	*s = *src;
	s->more = NULL;
	s->cap = 0;
	if (src->n > 0)
	{
		s->more = MemoryContextAllocHuge(cxt, src->n * sizeof(IntentEntry));
		s->cap = src->n;
		memcpy(s->more, src->more, src->n * sizeof(IntentEntry));
	}
	return s;
}

Datum
rfm_intent_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.intent_combine");
	IntentState *a = PG_ARGISNULL(0) ? NULL : (IntentState *) PG_GETARG_POINTER(0);
	IntentState *b = PG_ARGISNULL(1) ? NULL : (IntentState *) PG_GETARG_POINTER(1);
	bool		b_is_ours;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	/* a deserialized state is ours to adopt or free; others belong to their node */
	b_is_ours = GetMemoryChunkContext(b) == aggcontext;
	if (a == NULL)
		PG_RETURN_POINTER(b_is_ours ? b : state_copy(aggcontext, b));
	state_flush(a);
	for (int32 i = 0; i < b->n; i++)
		state_push(a, b->more[i].key, b->more[i].count);
	if (b->has_cur)
		for (int k = 0; k < INTENT_NKINDS; k++)
			if (b->cur[k] > 0)
				state_push(a, INTENT_KEY(b->cur_hour, k), b->cur[k]);
	if (b_is_ours)
	{
		if (b->more != NULL)
			pfree(b->more);
		pfree(b);
	}
	PG_RETURN_POINTER(a);
}

/* The serialized state is the rfm.intent value itself. */
Datum
rfm_intent_serialize(PG_FUNCTION_ARGS)
{
	IntentState *s = (IntentState *) PG_GETARG_POINTER(0);

	(void) rfm_agg_context(fcinfo, "rfm.intent_serialize");
	PG_RETURN_BYTEA_P((bytea *) intent_from_state(s));
}

Datum
rfm_intent_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, "rfm.intent_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_P(0);
	Intent	   *p = (Intent *) b;
	IntentState *s;

	intent_validate(p, VARSIZE(b));
	s = intent_state_create(aggcontext);
	state_reserve(s, Max(intent_total(p), 1));
	intent_state_add_intent(s, p);
	PG_RETURN_POINTER(s);
}

Datum
rfm_intent_final(PG_FUNCTION_ARGS)
{
	IntentState *s = PG_ARGISNULL(0) ? NULL : (IntentState *) PG_GETARG_POINTER(0);

	if (s == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(intent_from_state(s));
}
