/*-------------------------------------------------------------------------
 *
 * purchases_type.c
 *	  Input, output, binary I/O, validation and equality of rfm.purchases.
 *
 * The text form is
 *
 *	  {YYYY-MM-DD:orders:spend,YYYY-MM-DD:orders:spend,...}
 *
 * with days strictly increasing, orders a non-negative integer and spend an
 * exact decimal of at most 4 decimals, printed without trailing zeros
 * (91.73, -10, 0.0001), so that purchases_in(purchases_out(p)) = p whatever
 * DateStyle or extra_float_digits say.  Input reads the decimal digits
 * exactly (not through a double): more than 4 decimals are rounded half away
 * from zero, and exponent forms (1e+15, 1e-05, as version 1 printed some
 * spends) are read exactly too.  '{}' is the empty history.
 *
 * Nothing that arrives as text or bytes is trusted: every entry goes through
 * purchases_check_entry() and the day order is checked before a value is
 * returned.  Bytes of format version 1 (float8 spend) are accepted wherever
 * bytes arrive and converted: purchases_upgrade() for values and aggregate
 * states, rfm_purchases_recv() for the binary form.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
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
 * Append a spend of units as an exact decimal: no exponent, no trailing
 * zeros (917300 -> 91.73, -100000 -> -10, 1 -> 0.0001).
 */
static void
append_units(StringInfo buf, int64 units)
{
	uint64		a = units < 0 ? -(uint64) units : (uint64) units;
	int			frac = (int) (a % PURCHASES_SCALE);
	int			decimals = PURCHASES_DECIMALS;

	if (units < 0)
		appendStringInfoChar(buf, '-');
	appendStringInfo(buf, UINT64_FORMAT, a / PURCHASES_SCALE);
	if (frac == 0)
		return;
	while (frac % 10 == 0)
	{
		frac /= 10;
		decimals--;
	}
	appendStringInfo(buf, ".%0*d", decimals, frac);
}

/* A spend of units as text, for messages. */
static char *
units_cstring(int64 units)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_units(&buf, units);
	return buf.data;
}

/*
 * The error for a spend, or a sum of spends, beyond what 64-bit units hold.
 * what names it ("net spend on 2024-01-01").
 */
void
purchases_spend_overflow(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s is out of range for rfm.purchases", what),
			 errhint("Spend is kept exactly, to 4 decimals, within -922,337,203,685,477.5807 .. 922,337,203,685,477.5807 "
					 "for a day and for any sum of days; amounts are at most 1e14 per order.")));
}

/*
 * The invariants of one entry, shared by text input, binary input,
 * deserialization and the aggregates.
 */
void
purchases_check_entry(int32 day, int32 orders, int64 spend)
{
	purchases_check_day(day);
	if (orders < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("negative order count %d in rfm.purchases", orders),
				 errhint("Order counts are never negative; refunds lower the spend instead.")));
	if (spend == PG_INT64_MIN)
		purchases_spend_overflow("spend -922337203685477.5808");
	if (orders == 0 && spend > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a day without orders cannot have positive spend (%s)", units_cstring(spend)),
				 errhint("A day with orders = 0 only holds refunds, so its spend is zero or negative.")));
}

/* The error for a NaN or infinite spend (text input, version 1 bytes). */
static void
spend_not_finite(bool nan, bool negative)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("spend must be finite, not %s", nan ? "NaN" : negative ? "-Infinity" : "Infinity"),
			 errhint("Reject or repair NaN and infinite amounts before aggregating them.")));
}

/* A float8 spend of version 1 as units, rounded half away from zero. */
static int64
float_spend_units(float8 spend)
{
	int64		units = 0;

	if (isnan(spend) || isinf(spend))
		spend_not_finite(isnan(spend), spend < 0);
	if (!purchases_float8_units(spend, &units))
		purchases_spend_overflow(psprintf("spend %g of a version 1 value", spend));
	return units;
}

/*
 * Check a whole value (from bytes or after construction): header fields,
 * size, every entry, and strictly increasing days.  Returns p, or for a
 * value of version 1 a converted copy of version 2.
 */
Purchases *
purchases_validate(Purchases *p, Size size)
{
	int32	   *day;
	int32	   *orders;
	int64	   *spend;

	if (size < PURCHASES_HDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("rfm.purchases value too short (%zu bytes)", size),
				 errhint("The bytes do not come from rfm; rebuild the value with rfm.purchases_agg.")));
	if ((p->version != PURCHASES_VERSION && p->version != PURCHASES_VERSION_FLOAT) ||
		p->flags != 0 || p->reserved != 0 || p->padding != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported rfm.purchases format version %d (flags %d)",
						p->version, p->flags),
				 errhint("This build reads versions %d and %d; was the value written by a newer rfm?",
						 PURCHASES_VERSION_FLOAT, PURCHASES_VERSION)));
	if (p->ndays < 0 || (Size) p->ndays > (size - PURCHASES_HDRSZ) / 16 ||
		PURCHASES_SIZE(p->ndays) != size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("rfm.purchases value of %zu bytes cannot hold %d days", size, p->ndays),
				 errhint("The bytes are truncated or corrupt; rebuild the value with rfm.purchases_agg.")));

	/* version 1: the same layout with float8 spend, converted in a copy */
	if (p->version == PURCHASES_VERSION_FLOAT)
	{
		Purchases  *v2 = palloc(size);
		const float8 *fspend = PURCHASES_SPEND_FLOAT(p);

		memcpy(v2, p, size);
		v2->version = PURCHASES_VERSION;
		spend = PURCHASES_SPEND(v2);
		for (int32 i = 0; i < p->ndays; i++)
			spend[i] = float_spend_units(fspend[i]);
		p = v2;
	}

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

/*
 * The slow path of purchases_detoast(): a detoasted value that is not of
 * version 2.  Version 1 (tables written by rfm 1.6 and before) is validated
 * and converted; anything else is refused by purchases_validate().
 */
Purchases *
purchases_upgrade(Purchases *p)
{
	return purchases_validate(p, VARSIZE(p));
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

/*
 * Read a spend at *sp: an optional sign, decimal digits with at most one
 * point, an optional exponent (e, E, then an optionally signed integer).
 * The digits are read exactly, straight into units, the digit after the
 * 4th decimal deciding the rounding (half away from zero), so 0.00005 is 1
 * unit and 1e-05 is 0.  Leading spaces are skipped (as strtod did).
 * Returns false, consuming nothing, when there is no number; NaN and
 * infinities, and numbers beyond the range of units, are errors.
 */
static bool
parse_spend(const char **sp, int64 *units)
{
	const char *s = *sp;
	const char *start;
	const char *digits;
	const char *end;
	bool		negative = false;
	int64		before_point = 0;	/* digits before the point */
	int64		ndigits = 0;
	int64		exponent = 0;
	int64		whole;			/* the digits [0, whole) make the units */
	int64		k = 0;
	int64		u = 0;
	bool		round_up = false;
	bool		point = false;

	while (isspace((unsigned char) *s))
		s++;
	start = s;
	if (*s == '+' || *s == '-')
		negative = *s++ == '-';
	if (pg_strncasecmp(s, "nan", 3) == 0 || pg_strncasecmp(s, "inf", 3) == 0)
		spend_not_finite(pg_strncasecmp(s, "nan", 3) == 0, negative);
	for (digits = s;; s++)
	{
		if (isdigit((unsigned char) *s))
			ndigits++;
		else if (*s == '.' && !point)
			point = true;
		else
			break;
		if (!point)
			before_point = ndigits;
	}
	if (ndigits == 0)
		return false;
	end = s;
	if (*s == 'e' || *s == 'E')
	{
		const char *e = s + 1;
		bool		eneg = false;

		if (*e == '+' || *e == '-')
			eneg = *e++ == '-';
		if (isdigit((unsigned char) *e))
		{
			/* saturates far beyond any exponent that can matter */
			for (; isdigit((unsigned char) *e); e++)
				if (exponent < 1000000)
					exponent = exponent * 10 + (*e - '0');
			exponent = eneg ? -exponent : exponent;
			s = e;
		}
	}
	*sp = s;

	whole = before_point + exponent + PURCHASES_DECIMALS;
	for (const char *c = digits; c < end && k <= whole; c++)
	{
		if (*c == '.')
			continue;
		if (k == whole)
			round_up = *c >= '5';
		else if (pg_mul_s64_overflow(u, 10, &u) || pg_add_s64_overflow(u, *c - '0', &u))
			goto overflow;
		k++;
	}
	/* digits not written before the point (1e3: three zeros) */
	for (; k < whole && u != 0; k++)
		if (pg_mul_s64_overflow(u, 10, &u))
			goto overflow;
	if (round_up && pg_add_s64_overflow(u, 1, &u))
		goto overflow;
	*units = negative ? -u : u;
	return true;

overflow:
	purchases_spend_overflow(psprintf("spend %.*s", (int) Min(s - start, 40), start));
	return false;
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
			int64		spend = 0;
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
			if (!parse_spend(&s, &spend))
				purchases_syntax_error(str, s, "a finite spend");
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
	int64	   *spend = PURCHASES_SPEND(p);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int32 i = 0; i < p->ndays; i++)
	{
		int			y,
					m,
					d;

		j2date(day[i] + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		appendStringInfo(&buf, "%s%04d-%02d-%02d:%d:",
						 i > 0 ? "," : "", y, m, d, orders[i]);
		append_units(&buf, spend[i]);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte (2), entry count, then (day, orders, spend) per
 * entry, spend an int64 of units.  Independent of the in-memory layout, so
 * the latter can change.  Version 1 (spend a float8) is still received.
 */
Datum
rfm_purchases_send(PG_FUNCTION_ARGS)
{
	Purchases  *p = PG_GETARG_PURCHASES_P(0);
	int32	   *day = PURCHASES_DAY(p);
	int32	   *orders = PURCHASES_ORDERS(p);
	int64	   *spend = PURCHASES_SPEND(p);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PURCHASES_VERSION);
	pq_sendint32(&buf, p->ndays);
	for (int32 i = 0; i < p->ndays; i++)
	{
		pq_sendint32(&buf, day[i]);
		pq_sendint32(&buf, orders[i]);
		pq_sendint64(&buf, spend[i]);
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

	if (version != PURCHASES_VERSION && version != PURCHASES_VERSION_FLOAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary rfm.purchases version %d", version),
				 errhint("This build reads versions %d and %d.", PURCHASES_VERSION_FLOAT, PURCHASES_VERSION)));
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
		int64		spend = version == PURCHASES_VERSION ? pq_getmsgint64(buf)
			: float_spend_units(pq_getmsgfloat8(buf));

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
 * Equality is byte equality (rfm_bytes_equal) of the version 2 forms:
 * values are normalized on construction (sorted, merged, zeroed padding),
 * and a value of version 1 is compared and hashed as its conversion, so
 * equal histories have equal bytes whichever version they were stored in.
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
