/*-------------------------------------------------------------------------
 *
 * purchases_recv.c
 *	  Fuzz target: the binary input of rfm.purchases (rfm_purchases_recv),
 *	  what COPY ... (FORMAT binary) and binary protocol parameters feed it.
 *
 * An accepted value must pass check_purchases(), and sending it must give
 * back the input bytes (the binary form has exactly one spelling per value,
 * except that a -0 spend is sent as 0).
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
	Purchases  *p;
	Datum		d;

	if (purchases_recv_bytes((const char *) data, (int) size, &p))
	{
		bytea	   *bin;

		check_purchases(p);
		PGSTUB_CHECK(pgstub_call(rfm_purchases_send, 1, PointerGetDatum(p), 0, &d));
		bin = (bytea *) DatumGetPointer(d);
		PGSTUB_CHECK(VARSIZE(bin) - VARHDRSZ == size);
		/* equal bytes, but for spends of -0 (the last 8 bytes of an entry) sent as 0 */
		for (size_t i = 0; i < size; i++)
			PGSTUB_CHECK(((uint8 *) VARDATA(bin))[i] == data[i] ||
						 (i >= 5 && (i - 5) % 16 == 8 && data[i] == 0x80));
	}
	pgstub_reset();
	return 0;
}
