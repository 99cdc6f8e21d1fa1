/*-------------------------------------------------------------------------
 *
 * purchases_recv.c
 *	  Fuzz target: the binary input of rfm.purchases (rfm_purchases_recv),
 *	  what COPY ... (FORMAT binary) and binary protocol parameters feed it.
 *
 * An accepted value must pass check_purchases().  Input of version 2 must
 * be sent back as the same bytes (the binary form has exactly one spelling
 * per value); input of version 1 (float8 spend) as version 2 with the same
 * size, days and orders, and each spend rounded to units.
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
		if (data[0] == PURCHASES_VERSION)
			PGSTUB_CHECK(memcmp(VARDATA(bin), data, size) == 0);
		else
		{
			PGSTUB_CHECK(data[0] == PURCHASES_VERSION_FLOAT && ((uint8 *) VARDATA(bin))[0] == PURCHASES_VERSION);
			for (size_t i = 5; i < size; i += 16)
			{
				union
				{
					uint64		bits;
					float8		f;
				}			v;
				int64		units;
				int64		sent = 0;

				/* day and orders as they came; the spend in units */
				PGSTUB_CHECK(memcmp(VARDATA(bin) + i, data + i, 8) == 0);
				v.bits = 0;
				for (int b = 0; b < 8; b++)
				{
					v.bits = v.bits << 8 | data[i + 8 + b];
					sent = (int64) ((uint64) sent << 8 | ((uint8 *) VARDATA(bin))[i + 8 + b]);
				}
				PGSTUB_CHECK(purchases_float8_units(v.f, &units) && units == sent);
			}
		}
	}
	pgstub_reset();
	return 0;
}
