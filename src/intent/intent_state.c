/*-------------------------------------------------------------------------
 *
 * intent_state.c
 *	  rfm.intent_state, the state of rfm.intent_agg and rfm.intent_union since
 *	  1.7: a real type (not internal), so that Citus splits the aggregates
 *	  into partial aggregates on the workers and a combine on the coordinator.
 *
 * The state is a flat varlena (IntentAggState): a header and (key, count)
 * entries, key = (hour, kind) as in intent.h, with spare room (VARSIZE is the
 * capacity).  A transition updates it in place and returns the same pointer,
 * so nodeAgg neither copies nor frees it; no memory context per group (the
 * model refresh aggregates a million members at once, and a context costs a
 * kilobyte or more).  When the entries fill the room an unsorted state is
 * first compacted (sorted, equal keys merged); if that frees less than a
 * quarter, a chunk twice as big is made in CurrentMemoryContext and returned:
 * nodeAgg (ExecAggCopyTransValue, advance_transition_function) copies a new
 * pointer into the aggregate context and frees the old state.
 *
 * While the events of a member come in time order the entries stay sorted
 * with unique keys (flag INTENT_STATE_SORTED): an event of the hour of the
 * last entries is merged into, or inserted among, those at most 7 entries.
 * An older hour clears the flag; compaction restores it.
 *
 * Text form: "intent_state:" and the rfm.intent text form of the counts;
 * binary form: the binary form of that rfm.intent.  Both are read by the
 * rfm.intent input functions, which check every field.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "../rfm.h"
#include "intent.h"

PG_FUNCTION_INFO_V1(rfm_intent_state_in);
PG_FUNCTION_INFO_V1(rfm_intent_state_out);
PG_FUNCTION_INFO_V1(rfm_intent_state_recv);
PG_FUNCTION_INFO_V1(rfm_intent_state_send);
PG_FUNCTION_INFO_V1(rfm_intent_state_trans);
PG_FUNCTION_INFO_V1(rfm_intent_state_union_trans);
PG_FUNCTION_INFO_V1(rfm_intent_state_combine);
PG_FUNCTION_INFO_V1(rfm_intent_state_final);

extern Datum rfm_intent_in(PG_FUNCTION_ARGS);
extern Datum rfm_intent_out(PG_FUNCTION_ARGS);
extern Datum rfm_intent_recv(PG_FUNCTION_ARGS);
extern Datum rfm_intent_send(PG_FUNCTION_ARGS);

#define INTENT_STATE_VERSION	1
#define INTENT_STATE_SORTED		0x01	/* keys strictly increasing */
#define INTENT_STATE_PREFIX		"intent_state:"

typedef struct IntentAggState
{
	int32		vl_len_;		/* varlena header: the capacity */
	uint8		version;		/* INTENT_STATE_VERSION */
	uint8		flags;			/* INTENT_STATE_SORTED */
	uint16		reserved;		/* always 0 */
	int32		n;				/* entries in use */
	IntentEntry e[FLEXIBLE_ARRAY_MEMBER];
} IntentAggState;

#define IAS_HDRSZ			offsetof(IntentAggState, e)
#define IAS_CAP(s)			((int32) ((VARSIZE(s) - IAS_HDRSZ) / sizeof(IntentEntry)))
#define IAS_MAX_CAP			((int32) ((MaxAllocSize - IAS_HDRSZ) / sizeof(IntentEntry)))
/* the first chunk: 64 bytes, 6 entries */
#define IAS_FIRST_SIZE		64

/* An empty state of size bytes (rounded down to whole entries). */
static IntentAggState *
ias_alloc(Size size)
{
	int32		cap = (int32) ((size - IAS_HDRSZ) / sizeof(IntentEntry));
	IntentAggState *s = palloc(IAS_HDRSZ + (Size) cap * sizeof(IntentEntry));

	SET_VARSIZE(s, IAS_HDRSZ + (Size) cap * sizeof(IntentEntry));
	s->version = INTENT_STATE_VERSION;
	s->flags = INTENT_STATE_SORTED;
	s->reserved = 0;
	s->n = 0;
	return s;
}

/* A chunk size (a power of two, at most MaxAllocSize) that holds need entries. */
static Size
ias_size_for(int64 need)
{
	uint64		size;

	if (need > IAS_MAX_CAP)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many (event kind, hour) entries in one rfm.intent_state (%lld)", (long long) need),
				 errhint("A state holds at most %d entries; check the member column of the source.", IAS_MAX_CAP)));
	size = pg_nextpower2_64(IAS_HDRSZ + (uint64) need * sizeof(IntentEntry));
	return (Size) Min(size, MaxAllocSize);
}

/* Sort e[0..n) by key and merge equal keys; the new count. */
static int32
entries_compact(IntentEntry *e, int32 n)
{
	int32		out = 0;

	if (n < 2)
		return n;
	qsort(e, n, sizeof(IntentEntry), intent_entry_cmp);
	for (int32 i = 1; i < n; i++)
	{
		if (e[i].key == e[out].key)
			intent_count_add(&e[out].count, e[i].count);
		else
			e[++out] = e[i];
	}
	return out + 1;
}

/* Compact s in place if it is not sorted. */
static void
ias_compact(IntentAggState *s)
{
	if (s->flags & INTENT_STATE_SORTED)
		return;
	s->n = entries_compact(s->e, s->n);
	s->flags |= INTENT_STATE_SORTED;
}

/* s with room for need entries: s itself, or a bigger copy in CurrentMemoryContext. */
static IntentAggState *
ias_reserve(IntentAggState *s, int64 need)
{
	IntentAggState *t;

	if (need <= IAS_CAP(s))
		return s;
	t = ias_alloc(ias_size_for(need));
	t->flags = s->flags;
	t->n = s->n;
	memcpy(t->e, s->e, (Size) s->n * sizeof(IntentEntry));
	return t;
}

/*
 * Add count events of key; the state (s, or a bigger copy when s is full).
 * A full unsorted state is compacted first and grows only when that leaves
 * less than a quarter free, so compactions stay amortized O(log n) per entry.
 */
static IntentAggState *
ias_add(IntentAggState *s, int32 key, int32 count)
{
	int32		hour = key / 8;
	int32		i;

	if (s->n >= IAS_CAP(s))
	{
		int32		cap = IAS_CAP(s);

		ias_compact(s);
		if (cap - s->n <= cap / 4)
			s = ias_reserve(s, (int64) cap + 1);
	}
	/* the entries of this hour at the end: merge into one of them */
	for (i = s->n - 1; i >= 0 && s->e[i].key / 8 == hour; i--)
		if (s->e[i].key == key)
		{
			intent_count_add(&s->e[i].count, count);
			return s;
		}
	i = s->n;
	if (s->flags & INTENT_STATE_SORTED)
	{
		/* keep the hour's entries in kind order */
		while (i > 0 && s->e[i - 1].key > key && s->e[i - 1].key / 8 == hour)
			i--;
		if (i > 0 && s->e[i - 1].key > key)
			s->flags &= ~INTENT_STATE_SORTED;
		if (i < s->n)
			memmove(&s->e[i + 1], &s->e[i], (Size) (s->n - i) * sizeof(IntentEntry));
	}
	s->e[i].key = key;
	s->e[i].count = count;
	s->n++;
	return s;
}

/* The state arguments as plain 4-byte-header varlenas (read only). */
static IntentAggState *
ias_arg(FunctionCallInfo fcinfo, int argno)
{
	IntentAggState *s = (IntentAggState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (s->version != INTENT_STATE_VERSION || s->n < 0 || s->n > IAS_CAP(s))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt rfm.intent_state (version %d, %d entries)", s->version, s->n),
				 errhint("Rebuild the state from its rows.")));
	return s;
}

/*
 * The left state of a transition or combine, which the aggregate owns and we
 * update in place; a value that is not ours (a short or toasted varlena,
 * e.g. a partial state read from a tuple) is copied first.
 */
static IntentAggState *
ias_own_arg(FunctionCallInfo fcinfo, int argno)
{
	Pointer		p = DatumGetPointer(PG_GETARG_DATUM(argno));

	if (VARATT_IS_EXTENDED(p))
	{
		IntentAggState *s = ias_arg(fcinfo, argno);
		IntentAggState *t = ias_alloc(ias_size_for(Max(s->n, 1)));

		t->flags = s->flags;
		t->n = s->n;
		memcpy(t->e, s->e, (Size) s->n * sizeof(IntentEntry));
		return t;
	}
	return ias_arg(fcinfo, argno);
}

/* A state holding the counts of a (valid) rfm.intent value. */
static IntentAggState *
ias_from_intent(const Intent *p)
{
	int32		n = intent_total(p);
	const int32 *hour = INTENT_HOUR(p);
	const int32 *count = INTENT_COUNT(p, n);
	IntentAggState *s = ias_alloc(Max(ias_size_for(n), IAS_FIRST_SIZE));
	int32		i = 0;

	for (int k = 0; k < INTENT_NKINDS; k++)
		for (int32 j = 0; j < p->nkind[k]; j++, i++)
		{
			s->e[i].key = INTENT_KEY(hour[i], k);
			s->e[i].count = count[i];
		}
	s->n = n;
	s->flags = 0;
	ias_compact(s);
	return s;
}

/* The normalized rfm.intent value of a state (s is not changed). */
static Intent *
ias_to_intent(const IntentAggState *s)
{
	const IntentEntry *e = s->e;
	int32		n = s->n;

	if (!(s->flags & INTENT_STATE_SORTED))
	{
		IntentEntry *copy = palloc((Size) Max(n, 1) * sizeof(IntentEntry));

		memcpy(copy, s->e, (Size) n * sizeof(IntentEntry));
		n = entries_compact(copy, n);
		e = copy;
	}
	return intent_from_entries(e, n);
}

/* Text input: "intent_state:" and an rfm.intent in text form (checked by rfm.intent's input). */
Datum
rfm_intent_state_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	Intent	   *p;

	if (strncmp(str, INTENT_STATE_PREFIX, strlen(INTENT_STATE_PREFIX)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type rfm.intent_state: \"%.64s\"", str),
				 errhint("An rfm.intent_state is written \"intent_state:\" followed by an rfm.intent, e.g. intent_state:{view:2024-01-01T10Z:2}.")));
	p = (Intent *) DatumGetPointer(DirectFunctionCall1(rfm_intent_in,
													   CStringGetDatum(str + strlen(INTENT_STATE_PREFIX))));
	PG_RETURN_POINTER(ias_from_intent(p));
}

Datum
rfm_intent_state_out(PG_FUNCTION_ARGS)
{
	IntentAggState *s = ias_arg(fcinfo, 0);
	char	   *text = DatumGetCString(DirectFunctionCall1(rfm_intent_out,
														   PointerGetDatum(ias_to_intent(s))));

	PG_RETURN_CSTRING(psprintf("%s%s", INTENT_STATE_PREFIX, text));
}

/* Binary input: an rfm.intent in binary form (checked by rfm.intent's receive). */
Datum
rfm_intent_state_recv(PG_FUNCTION_ARGS)
{
	Intent	   *p = (Intent *) DatumGetPointer(DirectFunctionCall1(rfm_intent_recv, PG_GETARG_DATUM(0)));

	PG_RETURN_POINTER(ias_from_intent(p));
}

Datum
rfm_intent_state_send(PG_FUNCTION_ARGS)
{
	IntentAggState *s = ias_arg(fcinfo, 0);

	PG_RETURN_DATUM(DirectFunctionCall1(rfm_intent_send, PointerGetDatum(ias_to_intent(s))));
}

/* rfm.intent_agg(event text, ts timestamptz): rows with a NULL are ignored. */
Datum
rfm_intent_state_trans(PG_FUNCTION_ARGS)
{
	IntentAggState *s;
	int			kind;
	int32		hour;

	(void) rfm_agg_context(fcinfo, "rfm.intent_agg");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	kind = intent_event_kind(PG_GETARG_TEXT_PP(1));
	hour = intent_event_hour(PG_GETARG_TIMESTAMPTZ(2));
	s = PG_ARGISNULL(0) ? ias_alloc(IAS_FIRST_SIZE) : ias_own_arg(fcinfo, 0);
	PG_RETURN_POINTER(ias_add(s, INTENT_KEY(hour, kind), 1));
}

/* rfm.intent_union(rfm.intent): counts summed (shards, incremental refresh). */
Datum
rfm_intent_state_union_trans(PG_FUNCTION_ARGS)
{
	IntentAggState *s;
	Intent	   *p;
	int32		n;
	const int32 *hour;
	const int32 *count;
	int32		i = 0;

	(void) rfm_agg_context(fcinfo, "rfm.intent_union");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	p = PG_GETARG_INTENT_P(1);
	n = intent_total(p);
	hour = INTENT_HOUR(p);
	count = INTENT_COUNT(p, n);
	s = PG_ARGISNULL(0) ? ias_alloc(IAS_FIRST_SIZE) : ias_own_arg(fcinfo, 0);
	if ((int64) s->n + n > IAS_CAP(s))
	{
		/* full: compacted first, grown when that leaves less than a quarter free (as ias_add) */
		int32		cap = IAS_CAP(s);

		ias_compact(s);
		if ((int64) s->n + n > cap - cap / 4)
			s = ias_reserve(s, Max((int64) cap + 1, (int64) s->n + n));
	}
	for (int k = 0; k < INTENT_NKINDS; k++)
		for (int32 j = 0; j < p->nkind[k]; j++, i++)
			s->e[s->n++] = (IntentEntry) {INTENT_KEY(hour[i], k), count[i]};
	if (n > 0)
		s->flags &= ~INTENT_STATE_SORTED;
	PG_RETURN_POINTER(s);
}

/*
 * Combine: the entries of the right state appended to the left (updated in
 * place when it has room), compacted.  A NULL left gives a copy of the right,
 * which belongs to its tuple or node.
 */
Datum
rfm_intent_state_combine(PG_FUNCTION_ARGS)
{
	IntentAggState *a;
	IntentAggState *b;

	(void) rfm_agg_context(fcinfo, "rfm.intent_combine");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = ias_arg(fcinfo, 1);
	if (PG_ARGISNULL(0))
		a = ias_alloc(Max(ias_size_for(Max(b->n, 1)), IAS_FIRST_SIZE));
	else
		a = ias_own_arg(fcinfo, 0);
	ias_compact(a);
	a = ias_reserve(a, (int64) a->n + b->n);
	memcpy(&a->e[a->n], b->e, (Size) b->n * sizeof(IntentEntry));
	if (b->n > 0 && (a->n > 0 || !(b->flags & INTENT_STATE_SORTED)))
		a->flags &= ~INTENT_STATE_SORTED;
	a->n += b->n;
	ias_compact(a);
	PG_RETURN_POINTER(a);
}

/* The rfm.intent of the state (the state is not changed). */
Datum
rfm_intent_state_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(ias_to_intent(ias_arg(fcinfo, 0)));
}
