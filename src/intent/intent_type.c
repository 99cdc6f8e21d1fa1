/*-------------------------------------------------------------------------
 *
 * intent_type.c
 *	  Input, output, binary I/O, validation and equality of rfm.intent.
 *
 * The text form lists one entry per (event kind, hour) that saw events:
 *
 *	  {kind:YYYY-MM-DDTHHZ:count,kind:YYYY-MM-DDTHHZ:count,...}
 *
 * e.g. {view:2017-11-25T10Z:3,cart_add:2017-11-25T11Z:1}.  Kinds come in
 * the order view, search, favorite, cart_add, cart_remove, checkout,
 * purchase; within a kind the hours (UTC) strictly increase; counts are
 * positive.  '{}' is the value without events.  The output is in exactly
 * this form, whatever DateStyle or TimeZone say, so it reads back equal.
 *
 * Nothing that arrives as text or bytes is trusted: every entry is checked
 * and the order is verified before a value is returned.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "../rfm.h"
#include "intent.h"

PG_FUNCTION_INFO_V1(rfm_intent_in);
PG_FUNCTION_INFO_V1(rfm_intent_out);
PG_FUNCTION_INFO_V1(rfm_intent_recv);
PG_FUNCTION_INFO_V1(rfm_intent_send);
PG_FUNCTION_INFO_V1(rfm_intent_eq);
PG_FUNCTION_INFO_V1(rfm_intent_ne);
PG_FUNCTION_INFO_V1(rfm_intent_hash);

const char *const intent_kind_names[INTENT_NKINDS] = {
	"view", "search", "favorite", "cart_add", "cart_remove", "checkout", "purchase"
};

/* Index of the event kind name[0..len-1], or -1. */
int
intent_kind_lookup(const char *name, int len)
{
	for (int k = 0; k < INTENT_NKINDS; k++)
		if ((int) strlen(intent_kind_names[k]) == len &&
			memcmp(intent_kind_names[k], name, len) == 0)
			return k;
	return -1;
}

/* Event hours are limited to the years 1..9999, as purchase days are. */
void
intent_check_hour(int32 hour)
{
	if (hour < INTENT_MIN_HOUR || hour > INTENT_MAX_HOUR)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("event time out of range: hour %d since 2000-01-01", hour),
				 errhint("Event times must lie in the years 1 to 9999.")));
}

/* The invariants of one entry, shared by text, binary and deserialization. */
void
intent_check_entry(int kind, int32 hour, int32 count)
{
	if (kind < 0 || kind >= INTENT_NKINDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unknown event kind %d in rfm.intent", kind),
				 errhint("Kinds are 0 to 6: view, search, favorite, cart_add, cart_remove, checkout, purchase.")));
	intent_check_hour(hour);
	if (count < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("event count must be positive, not %d", count),
				 errhint("An hour without events is simply left out of rfm.intent.")));
}

/* Number of (kind, hour) entries of a value. */
int32
intent_total(const Intent *p)
{
	int32		n = 0;

	for (int k = 0; k < INTENT_NKINDS; k++)
		n += p->nkind[k];
	return n;
}

/*
 * Check a whole value (from bytes or after construction): header fields,
 * size, every entry, and strictly increasing hours within each kind.
 */
Intent *
intent_validate(Intent *p, Size size)
{
	int64		n = 0;
	int32	   *hour;
	int32	   *count;
	int32		i = 0;

	if (size < INTENT_HDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("rfm.intent value too short (%zu bytes)", size),
				 errhint("The bytes do not come from rfm; rebuild the value with rfm.intent_agg.")));
	if (p->version != INTENT_VERSION || p->flags != 0 || p->reserved != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported rfm.intent format version %d (flags %d)", p->version, p->flags),
				 errhint("This build reads version %d; was the value written by a newer rfm?",
						 INTENT_VERSION)));
	for (int k = 0; k < INTENT_NKINDS; k++)
	{
		if (p->nkind[k] < 0)
			n = -1;
		if (n >= 0)
			n += p->nkind[k];
	}
	if (n < 0 || (Size) n > (size - INTENT_HDRSZ) / 8 || INTENT_SIZE(n) != size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("rfm.intent value of %zu bytes does not match its entry counts", size),
				 errhint("The bytes are truncated or corrupt; rebuild the value with rfm.intent_agg.")));
	hour = INTENT_HOUR(p);
	count = INTENT_COUNT(p, n);
	for (int k = 0; k < INTENT_NKINDS; k++)
		for (int32 j = 0; j < p->nkind[k]; j++, i++)
		{
			intent_check_entry(k, hour[i], count[i]);
			if (j > 0 && hour[i] <= hour[i - 1])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("rfm.intent hours of kind %s are not strictly increasing at entry %d",
								intent_kind_names[k], i + 1),
						 errhint("Each (kind, hour) appears once, hours in increasing order.")));
		}
	return p;
}

/* Report a syntax error in text input, pointing at the offending spot. */
static void
intent_syntax_error(const char *str, const char *at, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type rfm.intent: \"%s\"", str),
			 errdetail("Expected %s at character %d.", expected, (int) (at - str) + 1),
			 errhint("The text form is {kind:YYYY-MM-DDTHHZ:count,...}, kinds in the order view, search, favorite, cart_add, cart_remove, checkout, purchase, e.g. {view:2024-01-05T10Z:3,cart_add:2024-01-05T11Z:1}.")));
}

/* Parse YYYY-MM-DDTHHZ (UTC) into an hour; false on bad syntax or value. */
static bool
parse_hour(const char **s, int32 *hour)
{
	int32		day;
	int			h;

	if (!rfm_parse_date(s, &day) || *(*s)++ != 'T' || !rfm_parse_digits(s, 2, &h) || *(*s)++ != 'Z' || h > 23)
		return false;
	*hour = day * 24 + h;
	return true;
}

Datum
rfm_intent_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *s = str;
	IntentState *state = intent_state_create(CurrentMemoryContext);
	int			prev_kind = -1;
	int32		prev_hour = 0;

	while (isspace((unsigned char) *s))
		s++;
	if (*s != '{')
		intent_syntax_error(str, s, "\"{\"");
	s++;
	while (isspace((unsigned char) *s))
		s++;
	if (*s == '}')
		s++;
	else
	{
		for (;;)
		{
			const char *name;
			const char *at;
			int			kind;
			int32		hour;
			long		count;
			char	   *end;

			while (isspace((unsigned char) *s))
				s++;
			name = s;
			while ((*s >= 'a' && *s <= 'z') || *s == '_')
				s++;
			kind = intent_kind_lookup(name, (int) (s - name));
			if (kind < 0)
				intent_syntax_error(str, name, "an event kind (view, search, favorite, cart_add, cart_remove, checkout, purchase)");
			if (*s++ != ':')
				intent_syntax_error(str, s - 1, "\":\" after the event kind");
			at = s;
			if (!parse_hour(&s, &hour))
				intent_syntax_error(str, at, "a valid hour YYYY-MM-DDTHHZ");
			if (*s++ != ':')
				intent_syntax_error(str, s - 1, "\":\" after the hour");
			if (!isdigit((unsigned char) *s))
				intent_syntax_error(str, s, "a positive event count");
			errno = 0;
			count = strtol(s, &end, 10);
			if (errno != 0 || count > PG_INT32_MAX)
				intent_syntax_error(str, s, "an event count below 2147483648");
			s = end;
			intent_check_entry(kind, hour, (int32) count);
			if (kind < prev_kind || (kind == prev_kind && hour <= prev_hour))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid input syntax for type rfm.intent: \"%s\"", str),
						 errdetail("Entry %s:%.14s is not after the entry before it.",
								   intent_kind_names[kind], at),
						 errhint("List the kinds in the order view, search, favorite, cart_add, cart_remove, checkout, purchase, and each kind's hours once, in increasing order.")));
			intent_state_add(state, hour, kind, (int32) count);
			prev_kind = kind;
			prev_hour = hour;
			while (isspace((unsigned char) *s))
				s++;
			if (*s == ',')
			{
				s++;
				continue;
			}
			if (*s == '}')
			{
				s++;
				break;
			}
			intent_syntax_error(str, s, "\",\" or \"}\"");
		}
	}
	while (isspace((unsigned char) *s))
		s++;
	if (*s != '\0')
		intent_syntax_error(str, s, "the end of input");

	PG_RETURN_POINTER(intent_from_state(state));
}

/* Append hour as YYYY-MM-DDTHHZ. */
static void
append_hour(StringInfo buf, int32 hour)
{
	int32		day = hour >= 0 ? hour / 24 : -((-hour + 23) / 24);
	int			y,
				m,
				d;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	appendStringInfo(buf, "%04d-%02d-%02dT%02dZ", y, m, d, hour - day * 24);
}

Datum
rfm_intent_out(PG_FUNCTION_ARGS)
{
	Intent	   *p = PG_GETARG_INTENT_P(0);
	int32		n = intent_total(p);
	int32	   *hour = INTENT_HOUR(p);
	int32	   *count = INTENT_COUNT(p, n);
	StringInfoData buf;
	int32		i = 0;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int k = 0; k < INTENT_NKINDS; k++)
		for (int32 j = 0; j < p->nkind[k]; j++, i++)
		{
			appendStringInfo(&buf, "%s%s:", i > 0 ? "," : "", intent_kind_names[k]);
			append_hour(&buf, hour[i]);
			appendStringInfo(&buf, ":%d", count[i]);
		}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, entry count, then (kind byte, hour, count) per
 * entry in the order of the text form.  Independent of the in-memory layout.
 */
Datum
rfm_intent_send(PG_FUNCTION_ARGS)
{
	Intent	   *p = PG_GETARG_INTENT_P(0);
	int32		n = intent_total(p);
	int32	   *hour = INTENT_HOUR(p);
	int32	   *count = INTENT_COUNT(p, n);
	StringInfoData buf;
	int32		i = 0;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, INTENT_VERSION);
	pq_sendint32(&buf, n);
	for (int k = 0; k < INTENT_NKINDS; k++)
		for (int32 j = 0; j < p->nkind[k]; j++, i++)
		{
			pq_sendbyte(&buf, k);
			pq_sendint32(&buf, hour[i]);
			pq_sendint32(&buf, count[i]);
		}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
rfm_intent_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int32		n;
	int			prev_kind = -1;
	int32		prev_hour = 0;
	IntentState *state;

	if (version != INTENT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary rfm.intent version %d", version),
				 errhint("This build reads version %d.", INTENT_VERSION)));
	n = pq_getmsgint(buf, 4);
	if (n < 0 || n > (buf->len - buf->cursor) / 9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary rfm.intent claims %d entries but holds %d bytes",
						n, buf->len - buf->cursor),
				 errhint("Binary rfm.intent is a version byte, an int32 entry count and 9 bytes per entry.")));
	state = intent_state_create(CurrentMemoryContext);
	for (int32 i = 0; i < n; i++)
	{
		int			kind = pq_getmsgbyte(buf);
		int32		hour = pq_getmsgint(buf, 4);
		int32		count = pq_getmsgint(buf, 4);

		intent_check_entry(kind, hour, count);
		if (kind < prev_kind || (kind == prev_kind && hour <= prev_hour))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("binary rfm.intent entries are out of order at entry %d", i + 1),
					 errhint("Entries are ordered by kind, then strictly increasing hour.")));
		intent_state_add(state, hour, kind, count);
		prev_kind = kind;
		prev_hour = hour;
	}
	pq_getmsgend(buf);
	PG_RETURN_POINTER(intent_from_state(state));
}

/* Values are normalized on construction, so equality is byte equality (rfm_bytes_equal). */
Datum
rfm_intent_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rfm_bytes_equal((struct varlena *) PG_GETARG_INTENT_P(0),
								   (struct varlena *) PG_GETARG_INTENT_P(1)));
}

Datum
rfm_intent_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!rfm_bytes_equal((struct varlena *) PG_GETARG_INTENT_P(0),
									(struct varlena *) PG_GETARG_INTENT_P(1)));
}

Datum
rfm_intent_hash(PG_FUNCTION_ARGS)
{
	return rfm_bytes_hash((struct varlena *) PG_GETARG_INTENT_P(0));
}
