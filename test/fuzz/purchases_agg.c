/*-------------------------------------------------------------------------
 *
 * purchases_agg.c
 *	  Fuzz target: the transition state of rfm.purchases_agg and
 *	  rfm.purchases_union (purchases_state_add, the lazy sort-and-merge of
 *	  purchases_state_compact, rfm_purchases_combine), against a plain
 *	  per-day tally.
 *
 * Each 4 input bytes are one row: a day among 256, a flags byte (which of
 * two partial states gets the row; order or refund; whether the int16 amount
 * is in units or in whole currency, 10000 units) and an int16 amount.  Spend
 * is integer units, so every sum is exact whatever order the state adds
 * them in.  The two partial states are combined as a parallel plan would;
 * the result must equal the tally and pass check_purchases().
 *
 * fuzz-sources: src/rfm.c src/purchases/purchases_type.c src/purchases/purchases_agg.c
 *
 *-------------------------------------------------------------------------
 */
#include "purchases_check.h"

extern Datum rfm_purchases_combine(PG_FUNCTION_ARGS);

#define AGG_FIRST_DAY	8766		/* 2024-01-01 */

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64		orders[256] = {0};
	int64		spend[256] = {0};
	bool		seen[256] = {false};
	PurchasesState *part[2];
	Datum		d;
	Purchases  *p;
	int32		n = 0;

	part[0] = purchases_state_create(CurrentMemoryContext, 1);
	part[1] = purchases_state_create(CurrentMemoryContext, 1);
	for (size_t i = 0; i + 4 <= size; i += 4)
	{
		int			day = data[i];
		bool		refund = (data[i + 1] & 2) != 0;
		int64		amount = abs((int16) (data[i + 2] << 8 | data[i + 3]));

		if (data[i + 1] & 4)
			amount *= PURCHASES_SCALE;

		if (refund)
			amount = -amount;
		purchases_state_add(part[data[i + 1] & 1], AGG_FIRST_DAY + day, refund ? 0 : 1, amount);
		orders[day] += refund ? 0 : 1;
		spend[day] += amount;
		seen[day] = true;
	}

	PGSTUB_CHECK(pgstub_call(rfm_purchases_combine, 2, PointerGetDatum(part[0]),
							 PointerGetDatum(part[1]), &d));
	p = purchases_from_state((PurchasesState *) DatumGetPointer(d));
	for (int day = 0; day < 256; day++)
	{
		if (!seen[day])
			continue;
		PGSTUB_CHECK(n < p->ndays);
		PGSTUB_CHECK(PURCHASES_DAY(p)[n] == AGG_FIRST_DAY + day);
		PGSTUB_CHECK(PURCHASES_ORDERS(p)[n] == orders[day]);
		PGSTUB_CHECK(PURCHASES_SPEND(p)[n] == spend[day]);
		n++;
	}
	PGSTUB_CHECK(n == p->ndays);
	check_purchases(p);
	pgstub_reset();
	return 0;
}
