/*-------------------------------------------------------------------------
 *
 * cron.c
 *	  Schedules of rfm jobs: 5-field cron expressions (minute hour
 *	  day-of-month month day-of-week), the @hourly/@daily/... shorthands and
 *	  intervals ('6 hours'); rfm.next_run computes the next run after a time.
 *
 * Cron fields follow Vixie cron: "*", numbers, ranges "a-b", steps "/n"
 * (after "*", a range or a start), lists "x,y"; day of week 0-7 with both 0
 * and 7 meaning Sunday.  When both the day-of-month and the day-of-week
 * fields are restricted (do not start with "*"), a day matching either runs.
 * Times are local times of the session's TimeZone (the launcher's is the
 * server's).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "scheduler.h"

PG_FUNCTION_INFO_V1(rfm_next_run);

#define SCHEDULE_HINT \
	"A schedule is a cron expression of 5 fields \"minute hour day-of-month month day-of-week\" " \
	"(e.g. '0 2 * * *' daily at 02:00, '*/15 * * * *', '0 6 * * 1-5'), " \
	"@hourly, @daily, @weekly, @monthly or @yearly, or a positive interval such as '6 hours'."

/* One cron field: its name for messages and its range of values. */
typedef struct CronField
{
	const char *name;
	int			lo;
	int			hi;
} CronField;

static const CronField cron_fields[5] = {
	{"minute", 0, 59},
	{"hour", 0, 23},
	{"day-of-month", 1, 31},
	{"month", 1, 12},
	{"day-of-week", 0, 7},
};

/* The shorthands and the cron expressions they stand for. */
static const struct
{
	const char *name;
	const char *cron;
}			cron_macros[] = {
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/* Report a malformed schedule, naming it and the field at fault. */
static void
schedule_error(const char *schedule, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid schedule \"%s\"", schedule),
			 detail ? errdetail_internal("%s", detail) : 0,
			 errhint(SCHEDULE_HINT)));
}

/*
 * Read a number of a cron field at *p, advancing *p; -1 when there is no
 * number there (or it has more than 4 digits).
 */
static int
read_number(const char **p)
{
	int			n = 0;
	int			digits = 0;

	while (isdigit((unsigned char) **p))
	{
		if (++digits > 4)
			return -1;
		n = n * 10 + (**p - '0');
		(*p)++;
	}
	return digits ? n : -1;
}

/*
 * Parse one cron field (text of length len) into a bit set; errors name the
 * whole schedule and the field.
 */
static uint64
parse_field(const char *schedule, const CronField *f, const char *text, int len)
{
	char	   *field = pnstrdup(text, len);
	const char *p = field;
	uint64		bits = 0;

	for (;;)
	{
		int			from,
					to,
					step = 1;

		if (*p == '*')
		{
			from = f->lo;
			to = f->hi;
			p++;
		}
		else
		{
			from = read_number(&p);
			if (from < 0)
				goto bad;
			to = from;
			if (*p == '-')
			{
				p++;
				to = read_number(&p);
				if (to < 0)
					goto bad;
			}
			else if (*p == '/')
				to = f->hi;		/* "a/n" is "a-hi/n" */
		}
		if (*p == '/')
		{
			p++;
			step = read_number(&p);
			if (step <= 0)
				schedule_error(schedule,
							   psprintf("The step of the %s field \"%s\" must be a positive number.",
										f->name, field));
		}
		if (from < f->lo || to > f->hi)
			schedule_error(schedule,
						   psprintf("The %s field \"%s\" is out of range: values go from %d to %d.",
									f->name, field, f->lo, f->hi));
		if (from > to)
			schedule_error(schedule,
						   psprintf("The range %d-%d of the %s field \"%s\" goes backwards.",
									from, to, f->name, field));
		for (int v = from; v <= to; v += step)
			bits |= UINT64CONST(1) << v;
		if (*p == '\0')
			break;
		if (*p != ',')
			goto bad;
		p++;
	}
	pfree(field);
	return bits;

bad:
	schedule_error(schedule,
				   psprintf("The %s field \"%s\" is not a list of numbers, ranges (a-b), \"*\" and steps (/n).",
							f->name, field));
	return 0;					/* not reached */
}

/* Days in month m (1-12) of a leap year: the most a month can have. */
static int
max_days_in_month(int m)
{
	static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return days[m - 1];
}

/* Parse a 5-field cron expression (already free of shorthands). */
static void
parse_cron(const char *schedule, const char *expr, RfmSchedule *s)
{
	const char *start[5];
	int			len[5];
	int			n = 0;
	const char *p = expr;
	uint64		bits[5];

	while (*p)
	{
		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		if (n == 5)
		{
			n++;
			break;
		}
		start[n] = p;
		while (*p && !isspace((unsigned char) *p))
			p++;
		len[n] = p - start[n];
		n++;
	}
	if (n != 5)
		schedule_error(schedule,
					   n > 5 ? "A cron expression has 5 fields, found more."
					   : psprintf("A cron expression has 5 fields, found %d.", n));

	for (int i = 0; i < 5; i++)
		bits[i] = parse_field(schedule, &cron_fields[i], start[i], len[i]);

	memset(s, 0, sizeof(*s));
	s->minutes = bits[0];
	s->hours = (uint32) bits[1];
	s->days = (uint32) bits[2];
	s->months = (uint32) bits[3];
	s->weekdays = (uint32) bits[4];
	if (s->weekdays & (1 << 7))	/* 7 is Sunday too */
		s->weekdays = (s->weekdays | 1) & 0x7F;
	s->days_restricted = (start[2][0] != '*');
	s->weekdays_restricted = (start[4][0] != '*');

	/*
	 * A day-of-month that no chosen month has ('0 0 31 2 *') would never run,
	 * unless the day-of-week field may pick the day instead.
	 */
	if (!(s->days_restricted && s->weekdays_restricted))
	{
		bool		possible = false;

		for (int m = 1; m <= 12 && !possible; m++)
			if (s->months & (1 << m))
				for (int d = 1; d <= max_days_in_month(m); d++)
					if (s->days & ((uint32) 1 << d))
					{
						possible = true;
						break;
					}
		if (!possible)
			schedule_error(schedule, "No chosen month has the chosen day of month, so it would never run.");
	}
}

/*
 * Parse an interval without raising an error; false when text is not an
 * interval.
 */
bool
RfmParseInterval(const char *text, Interval *result)
{
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_itm_in itm_in;
	int			dterr;

	if (strlen(text) >= sizeof(workbuf))
		return false;
	dterr = ParseDateTime(text, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm_in);
	if (dterr == DTERR_BAD_FORMAT)
	{
		char	   *copy = pstrdup(text);

		dterr = DecodeISO8601Interval(copy, &dtype, &itm_in);
		pfree(copy);
	}
	if (dterr != 0 || dtype != DTK_DELTA)
		return false;
	return itmin2interval(&itm_in, result) == 0;
}

/*
 * Parse a schedule; a malformed one is an error that names it, says what is
 * wrong and shows the expected format.
 */
void
RfmParseSchedule(const char *text, RfmSchedule *s)
{
	const char *p = text;
	bool		cron_chars = true;

	while (isspace((unsigned char) *p))
		p++;
	if (*p == '@')
	{
		int			len = strlen(p);

		while (len > 0 && isspace((unsigned char) p[len - 1]))
			len--;
		for (int i = 0; i < lengthof(cron_macros); i++)
			if (len == strlen(cron_macros[i].name) &&
				pg_strncasecmp(p, cron_macros[i].name, len) == 0)
			{
				parse_cron(text, cron_macros[i].cron, s);
				return;
			}
		schedule_error(text, "Known shorthands are @hourly, @daily, @midnight, @weekly, @monthly, @yearly and @annually.");
	}

	for (const char *q = p; *q; q++)
		if (!(isdigit((unsigned char) *q) || isspace((unsigned char) *q) || strchr("*/,-", *q)))
			cron_chars = false;
	if (cron_chars)
	{
		parse_cron(text, p, s);
		return;
	}

	memset(s, 0, sizeof(*s));
	if (!RfmParseInterval(text, &s->interval))
		schedule_error(text, NULL);
	if (s->interval.month < 0 || s->interval.day < 0 || s->interval.time < 0 ||
		(s->interval.month == 0 && s->interval.day == 0 && s->interval.time < USECS_PER_SEC))
		schedule_error(text, "An interval schedule must be positive and at least 1 second.");
	s->is_interval = true;
}

/*
 * The first run of a schedule strictly after a time.  Cron fields are read
 * in the session's TimeZone; a local time skipped by a daylight-saving change
 * runs at the equivalent time after the change.
 */
TimestampTz
RfmNextRun(const RfmSchedule *s, TimestampTz after)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	int			jd;
	int			hour;
	int			minute;

	if (TIMESTAMP_NOT_FINITE(after))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the time to compute the next run after must be finite"),
				 errhint("Pass a time such as now().")));
	if (s->is_interval)
		return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													   TimestampTzGetDatum(after),
													   IntervalPGetDatum(&s->interval)));

	if (timestamp2tm(after, &tz, &tm, &fsec, NULL, session_timezone) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));

	/* start at the minute after "after" */
	jd = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	hour = tm.tm_hour;
	minute = tm.tm_min + 1;
	if (minute == 60)
	{
		minute = 0;
		if (++hour == 24)
		{
			hour = 0;
			jd++;
		}
	}

	/*
	 * The Gregorian calendar repeats every 400 years (146097 days, a whole
	 * number of weeks), so a schedule with no run in that span never runs.
	 * Shorter spans are not enough: when day of month and day of week must
	 * both match (one of the two fields starts with "*" but is a step, as
	 * in Feb 1 on a Monday or Feb 29 on a Sunday), runs can be 11 or 40
	 * years apart (see sql/hardening.sql).  parse_cron() accepts
	 * only schedules with a day in some chosen month, which does come round
	 * on every weekday within the cycle; a day costs a j2date().
	 */
	for (int i = 0; i <= 146097; i++, jd++, hour = 0, minute = 0)
	{
		int			y,
					m,
					d;
		bool		day_ok,
					wday_ok;

		j2date(jd, &y, &m, &d);
		if (!(s->months & (1 << m)))
			continue;
		day_ok = (s->days & ((uint32) 1 << d)) != 0;
		wday_ok = (s->weekdays & (1 << j2day(jd))) != 0;
		if (s->days_restricted && s->weekdays_restricted ? !(day_ok || wday_ok) : !(day_ok && wday_ok))
			continue;

		for (int h = hour; h < 24; h++, minute = 0)
		{
			if (!(s->hours & (1 << h)))
				continue;
			for (int mi = minute; mi < 60; mi++)
			{
				struct pg_tm c;
				TimestampTz result;
				int			offset;

				if (!(s->minutes & (UINT64CONST(1) << mi)))
					continue;
				memset(&c, 0, sizeof(c));
				c.tm_year = y;
				c.tm_mon = m;
				c.tm_mday = d;
				c.tm_hour = h;
				c.tm_min = mi;
				offset = DetermineTimeZoneOffset(&c, session_timezone);
				if (tm2timestamp(&c, 0, &offset, &result) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("timestamp out of range")));
				if (result > after)
					return result;
			}
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("schedule has no run in the 400 years after %s", timestamptz_to_str(after))));
	return 0;					/* not reached */
}

/*
 * rfm.next_run(schedule text, after timestamptz): the first run of a
 * schedule after a time; validates the schedule.
 */
Datum
rfm_next_run(PG_FUNCTION_ARGS)
{
	char	   *str = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TimestampTz after = PG_GETARG_TIMESTAMPTZ(1);
	RfmSchedule s;

	RfmParseSchedule(str, &s);
	PG_RETURN_TIMESTAMPTZ(RfmNextRun(&s, after));
}
