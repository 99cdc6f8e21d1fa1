/*-------------------------------------------------------------------------
 *
 * purchases_type.c
 *	  Input, output, binary I/O, validation and equality of rfm.purchases.
 *
 * The text form is
 *
 *	  {YYYY-MM-DD:orders:spend,YYYY-MM-DD:orders:spend,...}
 *
 * with days strictly increasing, orders a non-negative integer and spend a
 * finite number printed in the shortest form that reads back exactly, so
 * that purchases_in(purchases_out(p)) = p whatever DateStyle or
 * extra_float_digits say.  '{}' is the empty history.
 *
 * Nothing that arrives as text or bytes is trusted: every entry goes through
 * purchases_check_entry() and the day order is checked before a value is
 * returned.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "../rfm.h"
#include "purchases.h"

PG_FUNCTION_INFO_V1(rfm_purchases_in);
PG_FUNCTION_INFO_V1(rfm_purchases_out);
PG_FUNCTION_INFO_V1(rfm_purchases_recv);
PG_FUNCTION_INFO_V1(rfm_purchases_send);
PG_FUNCTION_INFO_V1(rfm_purchases_eq);
PG_FUNCTION_INFO_V1(rfm_purchases_ne);
PG_FUNCTION_INFO_V1(rfm_purchases_hash);

/*
 * A purchase day must be a real calendar day of years 1..9999.  Infinite
 * dates and far-away years are almost always a broken source column, so they
 * are rejected instead of being carried into every label.
 */
void
purchases_check_day(int32 day)
{
	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchase day must be finite, not %s",
						DATE_IS_NOBEGIN(day) ? "-infinity" : "infinity"),
				 errhint("Filter out rows whose order time is infinite.")));
	if (day < PURCHASES_MIN_DAY || day > PURCHASES_MAX_DAY)
	{
		int			y,
					m,
					d;

		/*
		 * Any date value has a Julian day that j2date() takes; a day read
		 * from bytes may not (day + POSTGRES_EPOCH_JDATE would overflow or
		 * be negative), so that one is reported as a day count.
		 */
		if (day < -POSTGRES_EPOCH_JDATE || day > PG_INT32_MAX - POSTGRES_EPOCH_JDATE)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("purchase day out of range: %d days after 2000-01-01", day),
					 errhint("Purchase days must lie in the years 1 to 9999.")));
		j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("purchase day out of range: year %d", y),
				 errhint("Purchase days must lie in the years 1 to 9999.")));
	}
}

/*
 * The invariants of one entry, shared by text input, binary input,
 * deserialization and the aggregates.
 */
void
purchases_check_entry(int32 day, int32 orders, float8 spend)
{
	purchases_check_day(day);
	if (orders < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("negative order count %d in rfm.purchases", orders),
				 errhint("Order counts are never negative; refunds lower the spend instead.")));
	if (isnan(spend) || isinf(spend))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("spend must be finite, not %s", isnan(spend) ? "NaN" :
						(spend > 0 ? "Infinity" : "-Infinity")),
				 errhint("Reject or repair NaN and infinite amounts before aggregating them.")));
	if (orders == 0 && spend > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a day without orders cannot have positive spend (%g)", spend),
				 errhint("A day with orders = 0 only holds refunds, so its spend is zero or negative.")));
}

/*
 * Check a whole value (from bytes or after construction): header fields,
 * size, every entry, and strictly increasing days.  Returns p.
 */
Purchases *
purchases_validate(Purchases *p, Size size)
{
	int32	   *day;
	int32	   *orders;
	float8	   *spend;

	if (size < PURCHASES_HDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("rfm.purchases value too short (%zu bytes)", size),
				 errhint("The bytes do not come from rfm; rebuild the value with rfm.purchases_agg.")));
	if (p->version != PURCHASES_VERSION || p->flags != 0 || p->reserved != 0 || p->padding != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported rfm.purchases format version %d (flags %d)",
						p->version, p->flags),
				 errhint("This build reads version %d; was the value written by a newer rfm?",
						 PURCHASES_VERSION)));
	if (p->ndays < 0 || (Size) p->ndays > (size - PURCHASES_HDRSZ) / 16 ||
		PURCHASES_SIZE(p->ndays) != size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("rfm.purchases value of %zu bytes cannot hold %d days", size, p->ndays),
				 errhint("The bytes are truncated or corrupt; rebuild the value with rfm.purchases_agg.")));

	day = PURCHASES_DAY(p);
	orders = PURCHASES_ORDERS(p);
	spend = PURCHASES_SPEND(p);
	for (int32 i = 0; i < p->ndays; i++)
	{
		purchases_check_entry(day[i], orders[i], spend[i]);
		if (i > 0 && day[i] <= day[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("rfm.purchases days are not strictly increasing at entry %d", i + 1),
					 errhint("Each day appears once, in increasing order.")));
	}
	return p;
}

/* Report a syntax error in text input, pointing at the offending spot. */
static void
purchases_syntax_error(const char *str, const char *at, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type rfm.purchases: \"%s\"", str),
			 errdetail("Expected %s at character %d.", expected, (int) (at - str) + 1),
			 errhint("The text form is {YYYY-MM-DD:orders:spend,...} with days in increasing order, e.g. {2024-01-05:2:59.8,2024-02-01:1:-10}.")));
}

Datum
rfm_purchases_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *s = str;
	PurchasesState *state = purchases_state_create(CurrentMemoryContext, 8);
	int32		prev_day = 0;

	while (isspace((unsigned char) *s))
		s++;
	if (*s != '{')
		purchases_syntax_error(str, s, "\"{\"");
	s++;
	while (isspace((unsigned char) *s))
		s++;
	if (*s == '}')
		s++;
	else
	{
		for (;;)
		{
			int32		day;
			long		orders;
			double		spend;
			char	   *end;

			while (isspace((unsigned char) *s))
				s++;
			if (!rfm_parse_date(&s, &day))
				purchases_syntax_error(str, s, "a valid day YYYY-MM-DD");
			if (*s != ':')
				purchases_syntax_error(str, s, "\":\" after the day");
			s++;
			if (!isdigit((unsigned char) *s))
				purchases_syntax_error(str, s, "a non-negative order count");
			errno = 0;
			orders = strtol(s, &end, 10);
			if (errno != 0 || orders > PG_INT32_MAX)
				purchases_syntax_error(str, s, "an order count below 2147483648");
			s = end;
			if (*s != ':')
				purchases_syntax_error(str, s, "\":\" after the order count");
			s++;
			errno = 0;
			spend = strtod(s, &end);

			/*
			 * ERANGE also flags a subnormal result (|spend| < DBL_MIN), which
			 * is exact enough and is what purchases_out() prints for such a
			 * spend: refuse only overflow and underflow to zero, as float8in
			 * does.
			 */
			if (end == s || (errno == ERANGE && (spend == 0 || isinf(spend))))
				purchases_syntax_error(str, s, "a finite spend");
			s = end;
			purchases_check_entry(day, (int32) orders, spend);
			if (state->n > 0 && day <= prev_day)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid input syntax for type rfm.purchases: \"%s\"", str),
						 errdetail("Day %d is not after the day before it.", state->n + 1),
						 errhint("List each day once, in increasing order.")));
			purchases_state_add(state, day, (int32) orders, spend);
			prev_day = day;
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
			purchases_syntax_error(str, s, "\",\" or \"}\"");
		}
	}
	while (isspace((unsigned char) *s))
		s++;
	if (*s != '\0')
		purchases_syntax_error(str, s, "the end of input");

	PG_RETURN_POINTER(purchases_from_state(state));
}

Datum
rfm_purchases_out(PG_FUNCTION_ARGS)
{
	Purchases  *p = PG_GETARG_PURCHASES_P(0);
	int32	   *day = PURCHASES_DAY(p);
	int32	   *orders = PURCHASES_ORDERS(p);
	float8	   *spend = PURCHASES_SPEND(p);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int32 i = 0; i < p->ndays; i++)
	{
		int			y,
					m,
					d;
		char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

		j2date(day[i] + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		double_to_shortest_decimal_buf(spend[i], num);
		appendStringInfo(&buf, "%s%04d-%02d-%02d:%d:%s",
						 i > 0 ? "," : "", y, m, d, orders[i], num);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, entry count, then (day, orders, spend) per
 * entry.  Independent of the in-memory layout, so the latter can change.
 */
Datum
rfm_purchases_send(PG_FUNCTION_ARGS)
{
	Purchases  *p = PG_GETARG_PURCHASES_P(0);
	int32	   *day = PURCHASES_DAY(p);
	int32	   *orders = PURCHASES_ORDERS(p);
	float8	   *spend = PURCHASES_SPEND(p);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PURCHASES_VERSION);
	pq_sendint32(&buf, p->ndays);
	for (int32 i = 0; i < p->ndays; i++)
	{
		pq_sendint32(&buf, day[i]);
		pq_sendint32(&buf, orders[i]);
		pq_sendfloat8(&buf, spend[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
rfm_purchases_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int32		n;
	int32		prev_day = 0;
	PurchasesState *state;

	if (version != PURCHASES_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary rfm.purchases version %d", version),
				 errhint("This build reads version %d.", PURCHASES_VERSION)));
	n = pq_getmsgint(buf, 4);
	if (n < 0 || n > (buf->len - buf->cursor) / 16)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary rfm.purchases claims %d days but holds %d bytes",
						n, buf->len - buf->cursor),
				 errhint("Binary rfm.purchases is a version byte, an int32 day count and 16 bytes per day.")));

	state = purchases_state_create(CurrentMemoryContext, Max(n, 1));
	for (int32 i = 0; i < n; i++)
	{
		int32		day = pq_getmsgint(buf, 4);
		int32		orders = pq_getmsgint(buf, 4);
		float8		spend = pq_getmsgfloat8(buf);

		purchases_check_entry(day, orders, spend);
		if (i > 0 && day <= prev_day)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("binary rfm.purchases days are not strictly increasing at entry %d", i + 1),
					 errhint("Each day appears once, in increasing order.")));
		purchases_state_add(state, day, orders, spend);
		prev_day = day;
	}
	pq_getmsgend(buf);
	PG_RETURN_POINTER(purchases_from_state(state));
}

/*
 * Equality is byte equality (rfm_bytes_equal): values are normalized on
 * construction (sorted, merged, -0 spend stored as 0, zeroed padding), so
 * equal histories have equal bytes.
 */
Datum
rfm_purchases_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rfm_bytes_equal((struct varlena *) PG_GETARG_PURCHASES_P(0),
								   (struct varlena *) PG_GETARG_PURCHASES_P(1)));
}

Datum
rfm_purchases_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!rfm_bytes_equal((struct varlena *) PG_GETARG_PURCHASES_P(0),
									(struct varlena *) PG_GETARG_PURCHASES_P(1)));
}

Datum
rfm_purchases_hash(PG_FUNCTION_ARGS)
{
	return rfm_bytes_hash((struct varlena *) PG_GETARG_PURCHASES_P(0));
}
