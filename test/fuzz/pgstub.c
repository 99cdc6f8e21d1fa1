/*-------------------------------------------------------------------------
 *
 * pgstub.c
 *	  The backend facilities rfm's parsers use, for the fuzz harnesses.
 *	  See pgstub.h for what is stubbed and why.
 *
 * Only the contract of each function is reproduced (what the caller may
 * rely on), not PostgreSQL's code: the point is to exercise rfm's code, and
 * for that a stub must fail exactly where the real function fails (reading
 * past the end of a message, an allocation beyond MaxAllocSize).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "nodes/memnodes.h"
#include "port/pg_bswap.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "pgtime.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "common/int.h"
#include <ctype.h>

#include "pgstub.h"

/* ---------------------------------------------------------------- memory */

/*
 * Every chunk is its own malloc block: a header linking it into the list of
 * live chunks, then (as the backend requires, see GetMemoryChunkContext) the
 * owning context pointer right before the user's bytes.
 */
typedef struct StubChunk
{
	struct StubChunk *prev;
	struct StubChunk *next;
	Size		size;
	MemoryContext context;		/* must be last: GetMemoryChunkContext() */
} StubChunk;

StaticAssertDecl(sizeof(StubChunk) % MAXIMUM_ALIGNOF == 0, "chunk header must keep alignment");

static MemoryContextData stub_context = {.type = T_AllocSetContext, .name = "pgstub"};
static StubChunk chunks = {&chunks, &chunks, 0, NULL};

MemoryContext CurrentMemoryContext = &stub_context;
MemoryContext TopMemoryContext = &stub_context;
MemoryContext ErrorContext = &stub_context;

#define CHUNK_OF(ptr)	((StubChunk *) ((char *) (ptr) - sizeof(StubChunk)))

static void *
stub_alloc(Size size, bool huge, bool zero)
{
	StubChunk  *c;

	if (huge ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	c = malloc(sizeof(StubChunk) + size);
	if (c == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	c->size = size;
	c->context = &stub_context;
	c->next = chunks.next;
	c->prev = &chunks;
	chunks.next->prev = c;
	chunks.next = c;
	if (zero)
		memset(c + 1, 0, size);
	return c + 1;
}

static void *
stub_realloc(void *ptr, Size size, bool huge)
{
	StubChunk  *c = CHUNK_OF(ptr);
	void	   *n;

	if (huge ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	n = stub_alloc(size, huge, false);
	memcpy(n, ptr, Min(size, c->size));
	pfree(ptr);
	return n;
}

void
pfree(void *ptr)
{
	StubChunk  *c = CHUNK_OF(ptr);

	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c);
}

#if PG_VERSION_NUM >= 160000
/* A function since 16 (an inline reading the pointer before the chunk in 15). */
MemoryContext
GetMemoryChunkContext(void *pointer)
{
	return CHUNK_OF(pointer)->context;
}
#endif

void
pgstub_reset(void)
{
	while (chunks.next != &chunks)
		pfree(chunks.next + 1);
}

void *
palloc(Size size)
{
	return stub_alloc(size, false, false);
}

void *
palloc0(Size size)
{
	return stub_alloc(size, false, true);
}

void *
palloc_extended(Size size, int flags)
{
	return stub_alloc(size, (flags & MCXT_ALLOC_HUGE) != 0, (flags & MCXT_ALLOC_ZERO) != 0);
}

void *
repalloc(void *pointer, Size size)
{
	return stub_realloc(pointer, size, false);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return stub_realloc(pointer, size, true);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return stub_alloc(size, false, false);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return stub_alloc(size, false, true);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return palloc_extended(size, flags);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return stub_alloc(size, true, false);
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	return pstrdup(string);
}

char *
pstrdup(const char *in)
{
	Size		len = strlen(in) + 1;
	char	   *out = palloc(len);

	memcpy(out, in, len);
	return out;
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

bytea *
pgstub_bytea(const void *data, size_t len, int offset)
{
	char	   *buf = palloc(offset + VARHDRSZ + len);
	bytea	   *b = (bytea *) (buf + offset);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), data, len);
	return b;
}

/* The harnesses only build plain 4-byte-header values: nothing to detoast. */
struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	if (VARATT_IS_EXTENDED(datum))
		pgstub_fail(__FILE__, __LINE__, "a harness passed a toasted or short-header value");
	return datum;
}

struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	return pg_detoast_datum(datum);
}

struct varlena *
pg_detoast_datum_copy(struct varlena *datum)
{
	struct varlena *copy = palloc(VARSIZE(pg_detoast_datum(datum)));

	memcpy(copy, datum, VARSIZE(datum));
	return copy;
}

/* ---------------------------------------------------------------- errors */

static sigjmp_buf *error_jump = NULL;
static int	error_level;
static int	error_sqlstate;
static char error_message[1024];
static char error_scratch[1024];

void
pgstub_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "pgstub: %s:%d: %s\n", file, line, what);
	if (error_message[0] != '\0')
		fprintf(stderr, "pgstub: last error: %s\n", error_message);
	abort();
}

bool
errstart(int elevel, const char *domain)
{
	if (elevel < ERROR)
		return false;
	error_level = elevel;
	error_sqlstate = ERRCODE_INTERNAL_ERROR;
	error_message[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (error_level > ERROR)
		pgstub_fail(filename, lineno, "FATAL or PANIC raised");
	if (error_jump == NULL)
		pgstub_fail(filename, lineno, "ERROR raised outside pgstub_call()");
	siglongjmp(*error_jump, 1);
}

int
errcode(int sqlerrcode)
{
	error_sqlstate = sqlerrcode;
	return 0;
}

/*
 * errmsg() and friends format into a buffer, so that a bad format or argument
 * is caught here; only the message is kept.
 */
#define STUB_FORMAT_FUNCTION(name, buf) \
int \
name(const char *fmt,...) \
{ \
	va_list		ap; \
\
	va_start(ap, fmt); \
	vsnprintf(buf, sizeof(buf), fmt, ap); \
	va_end(ap); \
	return 0; \
}

STUB_FORMAT_FUNCTION(errmsg, error_message)
STUB_FORMAT_FUNCTION(errmsg_internal, error_message)
STUB_FORMAT_FUNCTION(errdetail, error_scratch)
STUB_FORMAT_FUNCTION(errdetail_internal, error_scratch)
STUB_FORMAT_FUNCTION(errhint, error_scratch)

int
pgstub_last_sqlstate(void)
{
	return error_sqlstate;
}

const char *
pgstub_last_message(void)
{
	return error_message;
}

bool
pgstub_call(PGFunction fn, int nargs, Datum arg0, Datum arg1, Datum *result)
{
	LOCAL_FCINFO(fcinfo, 2);
	FmgrInfo	flinfo;
	sigjmp_buf	jump;
	sigjmp_buf *volatile save = error_jump;
	volatile bool ok = false;

	memset(&flinfo, 0, sizeof(flinfo));
	flinfo.fn_addr = fn;
	flinfo.fn_nargs = nargs;
	flinfo.fn_mcxt = CurrentMemoryContext;
	InitFunctionCallInfoData(*fcinfo, &flinfo, nargs, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = arg0;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg1;
	fcinfo->args[1].isnull = false;
	if (sigsetjmp(jump, 0) == 0)
	{
		error_jump = &jump;
		*result = fn(fcinfo);
		if (fcinfo->isnull)
			*result = (Datum) 0;
		ok = true;
	}
	error_jump = save;
	return ok;
}

/* ------------------------------------------------- libpq/pqformat.c contract */

void
pq_begintypsend(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfoSpaces(buf, VARHDRSZ);
}

bytea *
pq_endtypsend(StringInfo buf)
{
	bytea	   *result = (bytea *) buf->data;

	SET_VARSIZE(result, buf->len);
	return result;
}

void
#if PG_VERSION_NUM >= 160000
pq_sendbytes(StringInfo buf, const void *data, int datalen)
#else
pq_sendbytes(StringInfo buf, const char *data, int datalen)
#endif
{
	appendBinaryStringInfo(buf, data, datalen);
}

void
pq_sendfloat8(StringInfo buf, float8 f)
{
	int64		bits;

	memcpy(&bits, &f, sizeof(bits));
	pq_sendint64(buf, bits);
}

void
#if PG_VERSION_NUM >= 160000
pq_copymsgbytes(StringInfo msg, void *buf, int datalen)
#else
pq_copymsgbytes(StringInfo msg, char *buf, int datalen)
#endif
{
	if (datalen < 0 || datalen > (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("insufficient data left in message")));
	memcpy(buf, &msg->data[msg->cursor], datalen);
	msg->cursor += datalen;
}

const char *
pq_getmsgbytes(StringInfo msg, int datalen)
{
	const char *result;

	if (datalen < 0 || datalen > (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("insufficient data left in message")));
	result = &msg->data[msg->cursor];
	msg->cursor += datalen;
	return result;
}

int
pq_getmsgbyte(StringInfo msg)
{
	if (msg->cursor >= msg->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("no data left in message")));
	return (unsigned char) msg->data[msg->cursor++];
}

unsigned int
pq_getmsgint(StringInfo msg, int b)
{
	uint8		n8;
	uint16		n16;
	uint32		n32;

	switch (b)
	{
		case 1:
			pq_copymsgbytes(msg, (char *) &n8, 1);
			return n8;
		case 2:
			pq_copymsgbytes(msg, (char *) &n16, 2);
			return pg_ntoh16(n16);
		case 4:
			pq_copymsgbytes(msg, (char *) &n32, 4);
			return pg_ntoh32(n32);
	}
	elog(ERROR, "unsupported integer size %d", b);
	return 0;
}

int64
pq_getmsgint64(StringInfo msg)
{
	uint64		n64;

	pq_copymsgbytes(msg, (char *) &n64, sizeof(n64));
	return pg_ntoh64(n64);
}

float8
pq_getmsgfloat8(StringInfo msg)
{
	int64		bits = pq_getmsgint64(msg);
	float8		f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

const char *
pq_getmsgstring(StringInfo msg)
{
	char	   *str = &msg->data[msg->cursor];
	int			slen = strnlen(str, msg->len - msg->cursor);

	if (msg->cursor + slen >= msg->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("invalid string in message")));
	msg->cursor += slen + 1;
	return str;
}

void
pq_getmsgend(StringInfo msg)
{
	if (msg->cursor != msg->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("invalid message format")));
}

/* ------------------------------------------------------------------ dates */

/*
 * Julian day number of a proleptic Gregorian date (the textbook integer
 * formula, valid from 4800 BC on; rfm only passes years 1 to 9999).
 */
int
date2j(int year, int month, int day)
{
	int64		a = (14 - month) / 12;
	int64		y = (int64) year + 4800 - a;
	int64		m = month + 12 * a - 3;

	return (int) (day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045);
}

/*
 * The inverse of date2j().  Any int is accepted (rfm formats out-of-range
 * days in its messages): the arithmetic is 64-bit, so nothing overflows.
 */
void
j2date(int jd, int *year, int *month, int *day)
{
	int64		a = (int64) jd + 32044;
	int64		b = (4 * a + 3) / 146097;
	int64		c = a - 146097 * b / 4;
	int64		d = (4 * c + 3) / 1461;
	int64		e = c - 1461 * d / 4;
	int64		m = (5 * e + 2) / 153;

	*day = (int) (e - (153 * m + 2) / 5 + 1);
	*month = (int) (m + 3 - 12 * (m / 10));
	*year = (int) (100 * b + d - 4800 + m / 10);
}

/* ------------------------------------------------------------- aggregates */

/* The harnesses call aggregate support functions directly: say yes. */
int
AggCheckCallContext(FunctionCallInfo fcinfo, MemoryContext *aggcontext)
{
	if (aggcontext)
		*aggcontext = CurrentMemoryContext;
	return 1;
}

/* ------------------------------------------------------------ fmgr, dates */

/* Used by the scheduler for timestamptz + interval. */
Datum
DirectFunctionCall2Coll(PGFunction func, Oid collation, Datum arg1, Datum arg2)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 2, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg2;
	fcinfo->args[1].isnull = false;
	result = func(fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function %p returned NULL", (void *) func);
	return result;
}

/* Used by rfm to format values in error messages. */
Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 1, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	result = func(fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function %p returned NULL", (void *) func);
	return result;
}

/* date_out in ISO style, enough for messages. */
Datum
date_out(PG_FUNCTION_ARGS)
{
	DateADT		date = PG_GETARG_DATEADT(0);
	int			y,
				m,
				d;

	if (DATE_NOT_FINITE(date))
		PG_RETURN_CSTRING(pstrdup(DATE_IS_NOBEGIN(date) ? "-infinity" : "infinity"));
	j2date(date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	PG_RETURN_CSTRING(psprintf("%04d-%02d-%02d", y, m, d));
}

/* ------------------------------------------------- timestamps, in UTC only */

/*
 * The scheduler's next-run computation (src/scheduler/cron.c) converts
 * between timestamps and broken-down local times of session_timezone.  The
 * stub has no time zone database: session_timezone is NULL and means UTC,
 * the contract of these functions for a zone without offset or DST; being
 * handed any other zone is a harness bug.
 */
static void
stub_require_utc(const pg_tz *tz)
{
	if (tz != NULL)
		pgstub_fail(__FILE__, __LINE__, "the stub knows no time zone but UTC (NULL)");
}

/* Day of week of a Julian day, 0 = Sunday (any int, as the backend's). */
int
j2day(int jd)
{
	int			d = (int) (((int64) jd + 1) % 7);

	return d < 0 ? d + 7 : d;
}

int
timestamp2tm(Timestamp dt, int *tzp, struct pg_tm *tm, fsec_t *fsec, const char **tzn,
			 pg_tz *attimezone)
{
	int64		date = dt / USECS_PER_DAY;
	int64		time = dt % USECS_PER_DAY;

	stub_require_utc(attimezone);
	if (TIMESTAMP_NOT_FINITE(dt))
		return -1;
	if (time < 0)
	{
		time += USECS_PER_DAY;
		date--;
	}
	date += POSTGRES_EPOCH_JDATE;
	if (date < 0 || date > INT_MAX)
		return -1;
	memset(tm, 0, sizeof(*tm));
	j2date((int) date, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
	tm->tm_hour = (int) (time / USECS_PER_HOUR);
	tm->tm_min = (int) (time / USECS_PER_MINUTE % MINS_PER_HOUR);
	tm->tm_sec = (int) (time / USECS_PER_SEC % SECS_PER_MINUTE);
	tm->tm_wday = j2day((int) date);
	tm->tm_zone = "UTC";
	*fsec = (fsec_t) (time % USECS_PER_SEC);
	if (tzp != NULL)
		*tzp = 0;
	if (tzn != NULL)
		*tzn = "UTC";
	return 0;
}

/* tm (with fsec and, if tzp, the zone offset in seconds west) to a timestamp; -1 out of range. */
int
tm2timestamp(struct pg_tm *tm, fsec_t fsec, int *tzp, Timestamp *result)
{
	int64		date;
	int64		time;

	if (!IS_VALID_JULIAN(tm->tm_year, tm->tm_mon, tm->tm_mday))
		return -1;
	date = date2j(tm->tm_year, tm->tm_mon, tm->tm_mday) - POSTGRES_EPOCH_JDATE;
	time = ((tm->tm_hour * MINS_PER_HOUR + tm->tm_min) * SECS_PER_MINUTE + tm->tm_sec) *
		USECS_PER_SEC + fsec;
	if (pg_mul_s64_overflow(date, USECS_PER_DAY, result) ||
		pg_add_s64_overflow(*result, time, result) ||
		(tzp != NULL && pg_add_s64_overflow(*result, (int64) *tzp * USECS_PER_SEC, result)) ||
		!IS_VALID_TIMESTAMP(*result))
		return -1;
	return 0;
}

int
DetermineTimeZoneOffset(struct pg_tm *tm, pg_tz *tzp)
{
	stub_require_utc(tzp);
	tm->tm_isdst = 0;
	tm->tm_gmtoff = 0;
	return 0;
}

const char *
timestamptz_to_str(TimestampTz t)
{
	static char buf[64];
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		snprintf(buf, sizeof(buf), "timestamp " INT64_FORMAT, t);
	else
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", tm.tm_year, tm.tm_mon,
				 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
	return buf;
}

/*
 * timestamptz + interval in UTC: months first (the day of month clamped to
 * the month's length), then days, then the time; out of range is an ERROR.
 */
Datum
timestamptz_pl_interval(PG_FUNCTION_ARGS)
{
	TimestampTz t = PG_GETARG_TIMESTAMPTZ(0);
	Interval   *span = PG_GETARG_INTERVAL_P(1);
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(t))
		PG_RETURN_TIMESTAMPTZ(t);
	if (span->month != 0 || span->day != 0)
	{
		static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int64		mon;
		int			jd;

		if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
			goto range;
		mon = (int64) tm.tm_year * 12 + (tm.tm_mon - 1) + span->month;
		if (mon < 0 || mon / 12 > 300000)
			goto range;
		tm.tm_year = (int) (mon / 12);
		tm.tm_mon = (int) (mon % 12) + 1;
		if (tm.tm_mday > mdays[tm.tm_mon - 1] + (tm.tm_mon == 2 && isleap(tm.tm_year)))
			tm.tm_mday = mdays[tm.tm_mon - 1] + (tm.tm_mon == 2 && isleap(tm.tm_year));
		if (!IS_VALID_JULIAN(tm.tm_year, tm.tm_mon, tm.tm_mday))
			goto range;
		jd = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
		if ((int64) jd + span->day < 0 || (int64) jd + span->day > INT_MAX)
			goto range;
		j2date(jd + span->day, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
		if (tm2timestamp(&tm, fsec, NULL, &t) != 0)
			goto range;
	}
	if (pg_add_s64_overflow(t, span->time, &t) || !IS_VALID_TIMESTAMP(t))
		goto range;
	PG_RETURN_TIMESTAMPTZ(t);

range:
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("timestamp out of range")));
	PG_RETURN_NULL();
}

/* ------------------------------------------------------------- intervals */

/*
 * PostgreSQL's interval parser (ParseDateTime, DecodeInterval) is the
 * backend's own code, not rfm's, and is not reproduced.  The stub reads a
 * small subset so that rfm's code around it (RfmParseInterval's buffer and
 * fallback, the positivity check, the interval next run) is exercised: one
 * to six pairs "<integer> <unit>", unit one of microsecond, second, minute,
 * hour, day, week, month, year, optionally plural, any case, separated by
 * spaces; anything else is DTERR_BAD_FORMAT, as is every ISO 8601 form.
 * Field overflow is DTERR_FIELD_OVERFLOW, as in the backend.
 */
static struct pg_itm_in stub_itm;
static int	stub_itm_err;

int
ParseDateTime(const char *timestr, char *workbuf, size_t buflen, char **field, int *ftype,
			  int maxfields, int *numfields)
{
	const char *p = timestr;
	int			pairs = 0;
	static const struct
	{
		const char *name;
		int64		usec;
		int			days;
		int			months;
	}			units[] = {
		{"microsecond", 1, 0, 0}, {"second", USECS_PER_SEC, 0, 0},
		{"minute", USECS_PER_MINUTE, 0, 0}, {"hour", USECS_PER_HOUR, 0, 0},
		{"day", 0, 1, 0}, {"week", 0, 7, 0}, {"month", 0, 0, 1}, {"year", 0, 0, 12},
	};

	if (strlen(timestr) >= buflen)
		return DTERR_BAD_FORMAT;
	memset(&stub_itm, 0, sizeof(stub_itm));
	stub_itm_err = DTERR_BAD_FORMAT;
	*numfields = 1;
	field[0] = workbuf;
	ftype[0] = DTK_STRING;
	strcpy(workbuf, timestr);
	for (;;)
	{
		int64		n = 0;
		bool		neg = false;
		int			digits = 0;
		int			len = 0;
		int			u;
		int64		add;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		if (++pairs > 6)
			return 0;
		if (*p == '-' || *p == '+')
			neg = (*p++ == '-');
		while (isdigit((unsigned char) *p))
		{
			if (++digits > 18)
			{
				stub_itm_err = DTERR_FIELD_OVERFLOW;
				return 0;
			}
			n = n * 10 + (*p++ - '0');
		}
		if (digits == 0)
			return 0;
		if (neg)
			n = -n;
		while (isspace((unsigned char) *p))
			p++;
		while (isalpha((unsigned char) p[len]))
			len++;
		for (u = 0; u < lengthof(units); u++)
		{
			int			ulen = strlen(units[u].name);

			if ((len == ulen || (len == ulen + 1 && tolower((unsigned char) p[ulen]) == 's')) &&
				pg_strncasecmp(p, units[u].name, ulen) == 0)
				break;
		}
		if (u == lengthof(units))
			return 0;
		p += len;
		if (units[u].usec != 0)
		{
			if (pg_mul_s64_overflow(n, units[u].usec, &add) ||
				pg_add_s64_overflow(stub_itm.tm_usec, add, &stub_itm.tm_usec))
				goto overflow;
		}
		else if (units[u].days != 0)
		{
			if (pg_mul_s64_overflow(n, units[u].days, &add) || add + stub_itm.tm_mday != (int) (add + stub_itm.tm_mday))
				goto overflow;
			stub_itm.tm_mday += (int) add;
		}
		else
		{
			if (pg_mul_s64_overflow(n, units[u].months, &add) || add + stub_itm.tm_mon != (int) (add + stub_itm.tm_mon))
				goto overflow;
			stub_itm.tm_mon += (int) add;
		}
	}
	if (pairs > 0)
		stub_itm_err = 0;
	return 0;

overflow:
	stub_itm_err = DTERR_FIELD_OVERFLOW;
	return 0;
}

int
DecodeInterval(char **field, int *ftype, int nf, int range, int *dtype, struct pg_itm_in *itm_in)
{
	*dtype = DTK_DELTA;
	*itm_in = stub_itm;
	return stub_itm_err;
}

int
DecodeISO8601Interval(char *str, int *dtype, struct pg_itm_in *itm_in)
{
	return DTERR_BAD_FORMAT;
}

int
itmin2interval(struct pg_itm_in *itm_in, Interval *span)
{
	int64		total_months = (int64) itm_in->tm_year * MONTHS_PER_YEAR + itm_in->tm_mon;

	if (total_months > INT_MAX || total_months < INT_MIN)
		return -1;
	span->month = (int32) total_months;
	span->day = itm_in->tm_mday;
	span->time = itm_in->tm_usec;
	return 0;
}

/* ------------------------------------------------------------ unreachable */

/*
 * Backend functions that rfm's sources reference but no fuzzed path calls.
 * Reaching one is a harness bug, reported as a crash.
 */
#define UNREACHABLE(name) \
	pgstub_fail(__FILE__, __LINE__, "unreachable backend function " name " called")

char	   *GUC_check_errdetail_string;

pg_tz	   *session_timezone = NULL;

Datum
float8out(PG_FUNCTION_ARGS)
{
	UNREACHABLE("float8out");
}

char *
text_to_cstring(const text *t)
{
	UNREACHABLE("text_to_cstring");
}

Datum
timestamptz_out(PG_FUNCTION_ARGS)
{
	UNREACHABLE("timestamptz_out");
}

Datum
numeric_out(PG_FUNCTION_ARGS)
{
	UNREACHABLE("numeric_out");
}

Datum
numeric_float8_no_overflow(PG_FUNCTION_ARGS)
{
	UNREACHABLE("numeric_float8_no_overflow");
}

bool
numeric_is_inf(Numeric num)
{
	UNREACHABLE("numeric_is_inf");
}

int
pg_next_dst_boundary(const pg_time_t *timep, long int *before_gmtoff, int *before_isdst,
					 pg_time_t *boundary, long int *after_gmtoff, int *after_isdst,
					 const pg_tz *tz)
{
	UNREACHABLE("pg_next_dst_boundary");
}

void
DefineCustomStringVariable(const char *name, const char *short_desc, const char *long_desc,
						   char **valueAddr, const char *bootValue, GucContext context,
						   int flags, GucStringCheckHook check_hook,
						   GucStringAssignHook assign_hook, GucShowHook show_hook)
{
	UNREACHABLE("DefineCustomStringVariable");
}

void
MarkGUCPrefixReserved(const char *className)
{
	UNREACHABLE("MarkGUCPrefixReserved");
}

/* _PG_init's scheduler set-up (src/scheduler): rfm.c refers to it, no harness runs it */
void		RfmSchedulerInit(void);

void
RfmSchedulerInit(void)
{
	UNREACHABLE("RfmSchedulerInit");
}

void
pre_format_elog_string(int errnumber, const char *domain)
{
	UNREACHABLE("pre_format_elog_string");
}

char *
format_elog_string(const char *fmt,...)
{
	UNREACHABLE("format_elog_string");
}

ArrayType *
construct_array(Datum *elems, int nelems, Oid elmtype, int elmlen, bool elmbyval, char elmalign)
{
	UNREACHABLE("construct_array");
}

void
deconstruct_array(ArrayType *array, Oid elmtype, int elmlen, bool elmbyval, char elmalign,
				  Datum **elemsp, bool **nullsp, int *nelemsp)
{
	UNREACHABLE("deconstruct_array");
}

void
InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	UNREACHABLE("InitMaterializedSRF");
}

void
#if PG_VERSION_NUM >= 180000
tuplestore_putvalues(Tuplestorestate *state, TupleDesc tdesc, const Datum *values, const bool *isnull)
#else
tuplestore_putvalues(Tuplestorestate *state, TupleDesc tdesc, Datum *values, bool *isnull)
#endif
{
	UNREACHABLE("tuplestore_putvalues");
}

/*
 * Memory contexts: the input functions of the aggregate states (src/aggstate.c) read a state into a context of
 * their own to check it; here every context is the one pool pgstub_reset() frees.  The expanded states
 * themselves are not reached by the harnesses (no aggregate context here).
 */
MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name, Size minContextSize, Size initBlockSize,
							  Size maxBlockSize)
{
	return &stub_context;
}

void
MemoryContextDelete(MemoryContext context)
{
}

MemoryContext
MemoryContextGetParent(MemoryContext context)
{
	UNREACHABLE("MemoryContextGetParent");
}

void
EOH_init_header(ExpandedObjectHeader *eohptr, const ExpandedObjectMethods *methods, MemoryContext obj_context)
{
	UNREACHABLE("EOH_init_header");
}

ExpandedObjectHeader *
DatumGetEOHP(Datum d)
{
	UNREACHABLE("DatumGetEOHP");
}
