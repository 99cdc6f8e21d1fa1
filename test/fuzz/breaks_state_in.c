/*-------------------------------------------------------------------------
 *
 * breaks_state_in.c
 *	  Fuzz target: the text input of rfm.breaks_state (rfm_breaks_state_in),
 *	  the state of rfm.breaks that Citus ships between its nodes.
 *
 * Any bytes up to the first NUL are the text.  An accepted value must be
 * written back by rfm_breaks_state_out as the same text, lower-cased (the
 * hex digits), and its binary form (rfm_breaks_state_send) must be its
 * bytes.
 *
 * fuzz-sources: src/rfm.c src/aggstate.c src/scoring/breaks.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>

#include "pgstub.h"

extern Datum rfm_breaks_state_in(PG_FUNCTION_ARGS);
extern Datum rfm_breaks_state_out(PG_FUNCTION_ARGS);
extern Datum rfm_breaks_state_send(PG_FUNCTION_ARGS);

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *str = palloc(size + 1);
	Datum		d;

	memcpy(str, data, size);
	str[size] = '\0';
	if (pgstub_call(rfm_breaks_state_in, 1, CStringGetDatum(str), 0, &d))
	{
		Datum		out;
		Datum		bin;
		const char *text;
		size_t		len = strlen(str);

		PGSTUB_CHECK(pgstub_call(rfm_breaks_state_out, 1, d, 0, &out));
		text = DatumGetCString(out);
		PGSTUB_CHECK(strlen(text) == len);
		for (size_t i = 0; i < len; i++)
			PGSTUB_CHECK(text[i] == tolower((unsigned char) str[i]));
		PGSTUB_CHECK(pgstub_call(rfm_breaks_state_send, 1, d, 0, &bin));
		PGSTUB_CHECK(VARSIZE(DatumGetPointer(bin)) == VARSIZE(DatumGetPointer(d)));
		PGSTUB_CHECK(memcmp(VARDATA(DatumGetPointer(bin)), VARDATA(DatumGetPointer(d)),
							VARSIZE(DatumGetPointer(d)) - VARHDRSZ) == 0);
	}
	pgstub_reset();
	return 0;
}
