/*-------------------------------------------------------------------------
 *
 * intent_recv.c
 *	  Fuzz target: the binary input of rfm.intent (rfm_intent_recv), what
 *	  COPY ... (FORMAT binary) and binary protocol parameters feed it.
 *
 * An accepted value must pass check_intent(), and sending it must give back
 * the input bytes exactly (the binary form has one spelling per value:
 * entries ordered by kind, then strictly increasing hour).
 *
 * fuzz-sources: src/rfm.c src/intent/intent_type.c src/intent/intent_agg.c
 *
 *-------------------------------------------------------------------------
 */
#include "intent_check.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Intent	   *p;
	Datum		d;

	if (intent_recv_bytes((const char *) data, (int) size, &p))
	{
		bytea	   *bin;

		check_intent(p);
		PGSTUB_CHECK(pgstub_call(rfm_intent_send, 1, PointerGetDatum(p), 0, &d));
		bin = (bytea *) DatumGetPointer(d);
		PGSTUB_CHECK(VARSIZE(bin) - VARHDRSZ == size);
		PGSTUB_CHECK(memcmp(VARDATA(bin), data, size) == 0);
	}
	pgstub_reset();
	return 0;
}
