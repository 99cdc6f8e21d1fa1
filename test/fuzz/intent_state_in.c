/*-------------------------------------------------------------------------
 *
 * intent_state_in.c
 *	  Fuzz target: the text input of rfm.intent_state (rfm_intent_state_in),
 *	  the state of rfm.intent_agg and rfm.intent_union that Citus ships
 *	  between its nodes.
 *
 * Any bytes up to the first NUL are the text.  An accepted value's text
 * form (rfm_intent_state_out) must read back to the same text, and its
 * binary form (rfm_intent_state_send) must read back (rfm_intent_state_recv)
 * to a state of the same text.
 *
 * fuzz-sources: src/rfm.c src/intent/intent_type.c src/intent/intent_agg.c src/intent/intent_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "pgstub.h"

#include "lib/stringinfo.h"

extern Datum rfm_intent_state_in(PG_FUNCTION_ARGS);
extern Datum rfm_intent_state_out(PG_FUNCTION_ARGS);
extern Datum rfm_intent_state_send(PG_FUNCTION_ARGS);
extern Datum rfm_intent_state_recv(PG_FUNCTION_ARGS);

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *str = palloc(size + 1);
	Datum		d;

	memcpy(str, data, size);
	str[size] = '\0';
	if (pgstub_call(rfm_intent_state_in, 1, CStringGetDatum(str), 0, &d))
	{
		Datum		out;
		Datum		again;
		Datum		out2;
		Datum		bin;
		Datum		back;
		Datum		out3;
		StringInfoData buf;

		PGSTUB_CHECK(pgstub_call(rfm_intent_state_out, 1, d, 0, &out));
		PGSTUB_CHECK(pgstub_call(rfm_intent_state_in, 1, out, 0, &again));
		PGSTUB_CHECK(pgstub_call(rfm_intent_state_out, 1, again, 0, &out2));
		PGSTUB_CHECK(strcmp(DatumGetCString(out), DatumGetCString(out2)) == 0);
		PGSTUB_CHECK(pgstub_call(rfm_intent_state_send, 1, d, 0, &bin));
		buf.data = VARDATA(DatumGetPointer(bin));
		buf.len = VARSIZE(DatumGetPointer(bin)) - VARHDRSZ;
		buf.maxlen = buf.len;
		buf.cursor = 0;
		PGSTUB_CHECK(pgstub_call(rfm_intent_state_recv, 1, PointerGetDatum(&buf), 0, &back));
		PGSTUB_CHECK(pgstub_call(rfm_intent_state_out, 1, back, 0, &out3));
		PGSTUB_CHECK(strcmp(DatumGetCString(out), DatumGetCString(out3)) == 0);
	}
	pgstub_reset();
	return 0;
}
