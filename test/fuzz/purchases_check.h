/*-------------------------------------------------------------------------
 *
 * purchases_check.h
 *	  Invariants every accepted rfm.purchases value must satisfy, shared by
 *	  the purchases harnesses: it is of format version 2 (what is read in
 *	  version 1 is converted), it validates, its spends are exact units
 *	  (never PG_INT64_MIN, so that they can be negated), and both of its
 *	  external forms read back to the same bytes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_FUZZ_PURCHASES_CHECK_H
#define RFM_FUZZ_PURCHASES_CHECK_H

#include <math.h>

#include "pgstub.h"
#include "lib/stringinfo.h"
#include "../../src/purchases/purchases.h"

extern Datum rfm_purchases_in(PG_FUNCTION_ARGS);
extern Datum rfm_purchases_out(PG_FUNCTION_ARGS);
extern Datum rfm_purchases_recv(PG_FUNCTION_ARGS);
extern Datum rfm_purchases_send(PG_FUNCTION_ARGS);
extern Datum rfm_purchases_serialize(PG_FUNCTION_ARGS);
extern Datum rfm_purchases_deserialize(PG_FUNCTION_ARGS);

/* purchases_validate() as a function pgstub_call() can run. */
static Datum
validate_fn(PG_FUNCTION_ARGS)
{
	Purchases  *p = (Purchases *) PG_GETARG_POINTER(0);

	purchases_validate(p, VARSIZE(p));
	PG_RETURN_VOID();
}

static inline bool
purchases_same(const Purchases *a, const Purchases *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

/* Run rfm_purchases_recv over len bytes (an exact-size copy, so overreads trap). */
static inline bool
purchases_recv_bytes(const char *data, int len, Purchases **p)
{
	StringInfoData buf;
	Datum		d;
	bool		ok;

	buf.data = palloc(Max(len, 1));
	memcpy(buf.data, data, len);
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	ok = pgstub_call(rfm_purchases_recv, 1, PointerGetDatum(&buf), 0, &d);
	*p = (Purchases *) DatumGetPointer(d);
	return ok;
}

/*
 * Whether b is a's conversion from version 1 to version 2: the same size,
 * days and orders, version 2, each spend the float8 spend rounded to units.
 */
static inline bool
purchases_converted(const Purchases *v1, const Purchases *v2)
{
	const float8 *fspend = PURCHASES_SPEND_FLOAT(v1);

	if (VARSIZE(v1) != VARSIZE(v2) || v1->ndays != v2->ndays || v2->version != PURCHASES_VERSION ||
		memcmp(PURCHASES_DAY(v1), PURCHASES_DAY(v2), 2 * sizeof(int32) * v1->ndays) != 0)
		return false;
	for (int32 i = 0; i < v1->ndays; i++)
	{
		int64		units;

		if (!purchases_float8_units(fspend[i], &units) || units != PURCHASES_SPEND(v2)[i])
			return false;
	}
	return true;
}

/* Abort unless p is a valid value of version 2 whose text and binary forms read back to it. */
static inline void
check_purchases(Purchases *p)
{
	Datum		d;
	char	   *text;
	bytea	   *bin;
	Purchases  *back;
	int64	   *spend = PURCHASES_SPEND(p);

	PGSTUB_CHECK(p->version == PURCHASES_VERSION);
	PGSTUB_CHECK(pgstub_call(validate_fn, 1, PointerGetDatum(p), 0, &d));
	for (int32 i = 0; i < p->ndays; i++)
		PGSTUB_CHECK(spend[i] != PG_INT64_MIN);

	/* text: in(out(p)) = p, and out of that is the same text */
	PGSTUB_CHECK(pgstub_call(rfm_purchases_out, 1, PointerGetDatum(p), 0, &d));
	text = DatumGetCString(d);
	PGSTUB_CHECK(pgstub_call(rfm_purchases_in, 1, CStringGetDatum(text), 0, &d));
	back = (Purchases *) DatumGetPointer(d);
	PGSTUB_CHECK(purchases_same(p, back));
	PGSTUB_CHECK(pgstub_call(rfm_purchases_out, 1, PointerGetDatum(back), 0, &d));
	PGSTUB_CHECK(strcmp(text, DatumGetCString(d)) == 0);

	/* binary: recv(send(p)) = p */
	PGSTUB_CHECK(pgstub_call(rfm_purchases_send, 1, PointerGetDatum(p), 0, &d));
	bin = (bytea *) DatumGetPointer(d);
	PGSTUB_CHECK(purchases_recv_bytes(VARDATA(bin), VARSIZE(bin) - VARHDRSZ, &back));
	PGSTUB_CHECK(purchases_same(p, back));
}

#endif							/* RFM_FUZZ_PURCHASES_CHECK_H */
