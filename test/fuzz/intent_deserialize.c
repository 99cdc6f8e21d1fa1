/*-------------------------------------------------------------------------
 *
 * intent_deserialize.c
 *	  Fuzz target: the state deserialization of rfm.intent_agg and
 *	  rfm.intent_union (rfm_intent_deserialize), which parallel workers'
 *	  bytes go through.
 *
 * The input is the serialized state (an rfm.intent value without its
 * length word), given once at an 8-byte boundary and once at a 4-byte one
 * (bytea is only int-aligned; rfm.intent needs no more).  Both must accept
 * the same inputs; accepted input must serialize back to exactly the same
 * bytes, and the result must pass check_intent().
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
	for (int offset = 0; offset <= 4; offset += 4)
	{
		bytea	   *in = pgstub_bytea(data, size, offset);
		Datum		state;
		bool		ok;

		ok = pgstub_call(rfm_intent_deserialize, 1, PointerGetDatum(in), 0, &state);
		if (offset > 0)
			PGSTUB_CHECK(ok == (pgstub_call(rfm_intent_deserialize, 1,
											PointerGetDatum(pgstub_bytea(data, size, 0)), 0,
											&state)));
		if (ok)
		{
			Datum		d;
			Intent	   *p;

			PGSTUB_CHECK(pgstub_call(rfm_intent_serialize, 1, state, 0, &d));
			p = (Intent *) DatumGetPointer(d);
			PGSTUB_CHECK(VARSIZE(p) == VARSIZE(in));
			PGSTUB_CHECK(memcmp(VARDATA(p), VARDATA(in), size) == 0);
			check_intent(p);
		}
	}
	pgstub_reset();
	return 0;
}
