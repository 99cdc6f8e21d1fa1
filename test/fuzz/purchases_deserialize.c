/*-------------------------------------------------------------------------
 *
 * purchases_deserialize.c
 *	  Fuzz target: the state deserialization of rfm.purchases_agg and
 *	  rfm.purchases_union (rfm_purchases_deserialize), which parallel
 *	  workers' bytes go through.
 *
 * The input is the serialized state (an rfm.purchases value without its
 * length word), given once at an 8-byte boundary and once at a 4-byte one
 * (bytea is only int-aligned; the function copies such values).  Accepted
 * input of version 2 must serialize back to the same bytes, input of
 * version 1 (float8 spend: a state of an older rfm.so) to its conversion,
 * and the result must pass check_purchases().
 *
 * fuzz-sources: src/rfm.c src/purchases/purchases_type.c src/purchases/purchases_agg.c
 *
 *-------------------------------------------------------------------------
 */
#include "purchases_check.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int offset = 0; offset <= 4; offset += 4)
	{
		bytea	   *in = pgstub_bytea(data, size, offset);
		Datum		state;
		bool		ok;

		ok = pgstub_call(rfm_purchases_deserialize, 1, PointerGetDatum(in), 0, &state);
		if (offset > 0)
			PGSTUB_CHECK(ok == (pgstub_call(rfm_purchases_deserialize, 1,
											PointerGetDatum(pgstub_bytea(data, size, 0)), 0,
											&state)));
		if (ok)
		{
			Datum		d;
			Purchases  *p;

			PGSTUB_CHECK(pgstub_call(rfm_purchases_serialize, 1, state, 0, &d));
			p = (Purchases *) DatumGetPointer(d);
			in = pgstub_bytea(data, size, 0);
			if (((Purchases *) in)->version == PURCHASES_VERSION)
			{
				PGSTUB_CHECK(VARSIZE(p) == VARSIZE(in));
				PGSTUB_CHECK(memcmp(VARDATA(p), VARDATA(in), size) == 0);
			}
			else
				PGSTUB_CHECK(purchases_converted((Purchases *) in, p));
			check_purchases(p);
		}
	}
	pgstub_reset();
	return 0;
}
