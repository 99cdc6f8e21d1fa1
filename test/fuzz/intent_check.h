/*-------------------------------------------------------------------------
 *
 * intent_check.h
 *	  Invariants every accepted rfm.intent value must satisfy, shared by the
 *	  intent harnesses: it validates, and both of its external forms read
 *	  back to the same bytes (values are normalized on construction, so
 *	  byte equality is value equality, as rfm_intent_eq says).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_FUZZ_INTENT_CHECK_H
#define RFM_FUZZ_INTENT_CHECK_H

#include "pgstub.h"
#include "lib/stringinfo.h"
#include "../../src/intent/intent.h"

extern Datum rfm_intent_in(PG_FUNCTION_ARGS);
extern Datum rfm_intent_out(PG_FUNCTION_ARGS);
extern Datum rfm_intent_recv(PG_FUNCTION_ARGS);
extern Datum rfm_intent_send(PG_FUNCTION_ARGS);
extern Datum rfm_intent_eq(PG_FUNCTION_ARGS);
extern Datum rfm_intent_serialize(PG_FUNCTION_ARGS);
extern Datum rfm_intent_deserialize(PG_FUNCTION_ARGS);

/* intent_validate() as a function pgstub_call() can run. */
static Datum
intent_validate_fn(PG_FUNCTION_ARGS)
{
	Intent	   *p = (Intent *) PG_GETARG_POINTER(0);

	intent_validate(p, VARSIZE(p));
	PG_RETURN_VOID();
}

static inline bool
intent_same(const Intent *a, const Intent *b)
{
	Datum		d;

	PGSTUB_CHECK(pgstub_call(rfm_intent_eq, 2, PointerGetDatum(a), PointerGetDatum(b), &d));
	PGSTUB_CHECK(DatumGetBool(d) == (VARSIZE(a) == VARSIZE(b) &&
									 memcmp(a, b, VARSIZE(a)) == 0));
	return DatumGetBool(d);
}

/* Run rfm_intent_recv over len bytes (an exact-size copy, so overreads trap). */
static inline bool
intent_recv_bytes(const char *data, int len, Intent **p)
{
	StringInfoData buf;
	Datum		d;
	bool		ok;

	buf.data = palloc(Max(len, 1));
	memcpy(buf.data, data, len);
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	ok = pgstub_call(rfm_intent_recv, 1, PointerGetDatum(&buf), 0, &d);
	*p = (Intent *) DatumGetPointer(d);
	return ok;
}

/* Abort unless p is a valid value whose text and binary forms read back to it. */
static inline void
check_intent(Intent *p)
{
	Datum		d;
	char	   *text;
	bytea	   *bin;
	Intent	   *back;

	PGSTUB_CHECK(pgstub_call(intent_validate_fn, 1, PointerGetDatum(p), 0, &d));

	/* text: in(out(p)) = p, and out of that is the same text */
	PGSTUB_CHECK(pgstub_call(rfm_intent_out, 1, PointerGetDatum(p), 0, &d));
	text = DatumGetCString(d);
	PGSTUB_CHECK(pgstub_call(rfm_intent_in, 1, CStringGetDatum(text), 0, &d));
	back = (Intent *) DatumGetPointer(d);
	PGSTUB_CHECK(intent_same(p, back));
	PGSTUB_CHECK(pgstub_call(rfm_intent_out, 1, PointerGetDatum(back), 0, &d));
	PGSTUB_CHECK(strcmp(text, DatumGetCString(d)) == 0);

	/* binary: recv(send(p)) = p */
	PGSTUB_CHECK(pgstub_call(rfm_intent_send, 1, PointerGetDatum(p), 0, &d));
	bin = (bytea *) DatumGetPointer(d);
	PGSTUB_CHECK(VARSIZE(bin) - VARHDRSZ == 5 + 9 * intent_total(p));
	PGSTUB_CHECK(intent_recv_bytes(VARDATA(bin), VARSIZE(bin) - VARHDRSZ, &back));
	PGSTUB_CHECK(intent_same(p, back));
}

#endif							/* RFM_FUZZ_INTENT_CHECK_H */
