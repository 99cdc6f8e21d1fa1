/*-------------------------------------------------------------------------
 *
 * aggstate.c
 *	  Aggregate states of real types, kept as expanded objects while they
 *	  grow: what lets Citus split an aggregate into partial aggregates on
 *	  the workers and a combine on the coordinator (docs/scale-out.md).
 *
 * Citus splits an aggregate only when its state type is not internal and
 * has I/O functions.  The states of rfm.breaks and the lifetime value fits
 * are C structures (an array of values, a hash table of cells) that their
 * transition functions update in place; to keep that, the state type's
 * value is, inside an aggregate, an expanded object (utils/expandeddatum.h)
 * holding the C state in its own memory context, a child of the aggregate
 * context: nodeAgg (and Citus's worker_partial_agg) keep such a read-write
 * object as it is, without copying it per row.  Wherever the state leaves
 * the aggregate (a parallel worker's tuple, Citus, a text or binary
 * output) it is flattened into the family's serialized bytes, which carry a
 * version word and which the family's reader validates as it expands them.
 *
 * A family describes itself with an RfmStateKind: how to flatten its C
 * state, how to read (and validate) flat bytes into a new C state, and how
 * to merge two C states (its combine function).  The
 * text form of a state type made here is "<tag>:" followed by the flat
 * bytes in hexadecimal, lossless; its binary form is the flat bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#include "rfm.h"

typedef struct RfmExpandedState
{
	ExpandedObjectHeader hdr;
	const RfmStateKind *kind;
	void	   *state;			/* the family's C state, in hdr.eoh_context */
	struct varlena *flat;		/* the flat value, between get_flat_size and
								 * flatten_into, else NULL */
} RfmExpandedState;

static Size
state_flat_size(ExpandedObjectHeader *eohptr)
{
	RfmExpandedState *es = (RfmExpandedState *) eohptr;

	if (es->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(es->hdr.eoh_context);

		es->flat = es->kind->flatten(es->state);
		MemoryContextSwitchTo(old);
	}
	return VARSIZE(es->flat);
}

static void
state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	RfmExpandedState *es = (RfmExpandedState *) eohptr;

	(void) state_flat_size(eohptr);
	Assert(allocated_size == VARSIZE(es->flat));
	memcpy(result, es->flat, allocated_size);
	pfree(es->flat);
	es->flat = NULL;
}

static const ExpandedObjectMethods state_methods = {
	state_flat_size,
	state_flatten_into
};

/* The expanded state of this kind behind d (read-write or read-only), or NULL. */
static RfmExpandedState *
expanded_of(Datum d, const RfmStateKind *kind)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &state_methods && ((RfmExpandedState *) eoh)->kind == kind)
			return (RfmExpandedState *) eoh;
	}
	return NULL;
}

/*
 * A new, empty expanded state in a child context of aggcontext; the caller
 * sets ->state, allocated in rfm_state_context().
 */
RfmExpandedState *
rfm_state_create(MemoryContext aggcontext, const RfmStateKind *kind)
{
	MemoryContext cxt = AllocSetContextCreate(aggcontext, "rfm aggregate state", ALLOCSET_SMALL_SIZES);
	RfmExpandedState *es = MemoryContextAllocZero(cxt, sizeof(RfmExpandedState));

	EOH_init_header(&es->hdr, &state_methods, cxt);
	es->kind = kind;
	return es;
}

MemoryContext
rfm_state_context(RfmExpandedState *es)
{
	return es->hdr.eoh_context;
}

void *
rfm_state_get(RfmExpandedState *es)
{
	return es->state;
}

void
rfm_state_set(RfmExpandedState *es, void *state)
{
	es->state = state;
}

Datum
rfm_state_datum(RfmExpandedState *es)
{
	return EOHPGetRWDatum(&es->hdr);
}

/* The flat value of the state d (expanded or not), detoasted. */
static struct varlena *
state_flat(Datum d, const RfmStateKind *kind)
{
	RfmExpandedState *es = expanded_of(d, kind);

	if (es != NULL)
	{
		struct varlena *flat = palloc(state_flat_size(&es->hdr));

		state_flatten_into(&es->hdr, flat, VARSIZE(es->flat));
		return flat;
	}
	return PG_DETOAST_DATUM(d);
}

/*
 * The state d (not NULL) to update in place: itself when it is our
 * read-write expanded object made in this aggregate context, else a new expanded object in a child context
 * of aggcontext, read from d's flat value (validated).
 */
RfmExpandedState *
rfm_state_writable(Datum d, MemoryContext aggcontext, const RfmStateKind *kind)
{
	RfmExpandedState *es = expanded_of(d, kind);
	struct varlena *flat;

	if (es != NULL && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		MemoryContextGetParent(es->hdr.eoh_context) == aggcontext)
	{
		if (es->flat != NULL)
		{
			pfree(es->flat);
			es->flat = NULL;
		}
		return es;
	}
	flat = state_flat(d, kind);
	es = rfm_state_create(aggcontext, kind);
	es->state = kind->read(es->hdr.eoh_context, flat);
	if ((Pointer) flat != DatumGetPointer(d))
		pfree(flat);
	return es;
}

/*
 * The C state behind d (not NULL), to read only: an expanded object's own,
 * or one read from d's flat value into CurrentMemoryContext.
 */
void *
rfm_state_readable(Datum d, const RfmStateKind *kind)
{
	RfmExpandedState *es = expanded_of(d, kind);

	if (es != NULL)
		return es->state;
	return kind->read(CurrentMemoryContext, PG_DETOAST_DATUM(d));
}

/*
 * The combine function of a family (not strict): the right state (argument
 * 1) merged into the left one (argument 0), updated in place; a NULL side
 * gives the other.
 */
Datum
rfm_state_combine(FunctionCallInfo fcinfo, MemoryContext aggcontext, const RfmStateKind *kind)
{
	RfmExpandedState *es;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(rfm_state_datum(rfm_state_writable(PG_GETARG_DATUM(1), aggcontext, kind)));
	es = rfm_state_writable(PG_GETARG_DATUM(0), aggcontext, kind);
	kind->merge(es->state, rfm_state_readable(PG_GETARG_DATUM(1), kind));
	PG_RETURN_DATUM(rfm_state_datum(es));
}

/* Check flat bytes as the family's reader does, keeping nothing. */
static void
state_validate(struct varlena *flat, const RfmStateKind *kind)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "rfm state check", ALLOCSET_DEFAULT_SIZES);

	(void) kind->read(cxt, flat);
	MemoryContextDelete(cxt);
}

static void
bad_text(const char *str, const RfmStateKind *kind, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%.40s%s\"", kind->type, str,
					strlen(str) > 40 ? "..." : ""),
			 errdetail("%s", why),
			 errhint("The text of an aggregate state is \"%s:\" followed by its bytes in hexadecimal, as %s_out writes it; "
					 "it is not a value to type in.",
					 kind->tag, kind->type)));
}

/* Text input: "<tag>:<hex>", the bytes validated. */
Datum
rfm_state_in(const char *str, const RfmStateKind *kind)
{
	size_t		taglen = strlen(kind->tag);
	size_t		hexlen;
	struct varlena *flat;
	const char *hex;

	if (strncmp(str, kind->tag, taglen) != 0 || str[taglen] != ':')
		bad_text(str, kind, psprintf("It does not start with \"%s:\".", kind->tag));
	hex = str + taglen + 1;
	hexlen = strlen(hex);
	if (hexlen % 2 != 0)
		bad_text(str, kind, "It has an odd number of hexadecimal digits.");
	if (hexlen / 2 > MaxAllocSize - VARHDRSZ)
		bad_text(str, kind, "It is too long.");
	for (size_t i = 0; i < hexlen; i++)
		if (!isxdigit((unsigned char) hex[i]))
			bad_text(str, kind, psprintf("\"%c\" at position %zu is not a hexadecimal digit.",
										 hex[i], taglen + 2 + i));
	flat = palloc(VARHDRSZ + hexlen / 2);
	SET_VARSIZE(flat, VARHDRSZ + hexlen / 2);
	for (size_t i = 0; i < hexlen / 2; i++)
	{
		char		pair[3] = {hex[2 * i], hex[2 * i + 1], '\0'};

		((unsigned char *) VARDATA(flat))[i] = (unsigned char) strtoul(pair, NULL, 16);
	}
	state_validate(flat, kind);
	return PointerGetDatum(flat);
}

/* Text output: "<tag>:<hex>". */
char *
rfm_state_out(Datum d, const RfmStateKind *kind)
{
	static const char digits[] = "0123456789abcdef";
	struct varlena *flat = state_flat(d, kind);
	size_t		len = VARSIZE_ANY_EXHDR(flat);
	const unsigned char *bytes = (const unsigned char *) VARDATA_ANY(flat);
	size_t		taglen = strlen(kind->tag);
	char	   *out = palloc(taglen + 2 + 2 * len);
	char	   *p = out + taglen + 1;

	memcpy(out, kind->tag, taglen);
	out[taglen] = ':';
	for (size_t i = 0; i < len; i++)
	{
		*p++ = digits[bytes[i] >> 4];
		*p++ = digits[bytes[i] & 15];
	}
	*p = '\0';
	return out;
}

/* Binary input: the flat bytes, validated. */
Datum
rfm_state_recv(StringInfo buf, const RfmStateKind *kind)
{
	int			len = buf->len - buf->cursor;
	struct varlena *flat = palloc(VARHDRSZ + len);

	SET_VARSIZE(flat, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(flat), len);
	state_validate(flat, kind);
	return PointerGetDatum(flat);
}

/* Binary output: the flat bytes. */
bytea *
rfm_state_send(Datum d, const RfmStateKind *kind)
{
	struct varlena *flat = state_flat(d, kind);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(flat), VARSIZE_ANY_EXHDR(flat));
	return pq_endtypsend(&buf);
}
