/*-------------------------------------------------------------------------
 *
 * intent_in.c
 *	  Fuzz target: the text input of rfm.intent (rfm_intent_in).
 *
 * Any bytes up to the first NUL are the text.  An accepted value must pass
 * check_intent(): valid, and its text and binary forms read back to the
 * same bytes.
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
	char	   *str = palloc(size + 1);
	Datum		d;

	memcpy(str, data, size);
	str[size] = '\0';
	if (pgstub_call(rfm_intent_in, 1, CStringGetDatum(str), 0, &d))
		check_intent((Intent *) DatumGetPointer(d));
	pgstub_reset();
	return 0;
}
