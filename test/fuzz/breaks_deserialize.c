/*-------------------------------------------------------------------------
 *
 * breaks_deserialize.c
 *	  Fuzz target: the state deserialization of rfm.breaks
 *	  (rfm_breaks_deserialize).
 *
 * Accepted input must serialize back to exactly the same bytes.
 *
 * fuzz-sources: src/rfm.c src/aggstate.c src/scoring/breaks.c
 *
 *-------------------------------------------------------------------------
 */
#include "pgstub.h"

extern Datum rfm_breaks_serialize(PG_FUNCTION_ARGS);
extern Datum rfm_breaks_deserialize(PG_FUNCTION_ARGS);

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bytea	   *in;
	Datum		state;

	in = pgstub_bytea(data, size, 0);
	if (pgstub_call(rfm_breaks_deserialize, 1, PointerGetDatum(in), 0, &state))
	{
		Datum		d;
		bytea	   *out;

		PGSTUB_CHECK(pgstub_call(rfm_breaks_serialize, 1, state, 0, &d));
		out = (bytea *) DatumGetPointer(d);
		PGSTUB_CHECK(VARSIZE(out) == VARSIZE(in));
		PGSTUB_CHECK(memcmp(VARDATA(out), data, size) == 0);
	}
	pgstub_reset();
	return 0;
}
