/*-------------------------------------------------------------------------
 *
 * cron.c
 *	  Fuzz target: the scheduler's schedule parser (RfmParseSchedule: 5-field
 *	  cron expressions, @shorthands, intervals) and the next-run computation
 *	  (RfmNextRun), what rfm.next_run and job schedules go through.
 *
 * Any bytes up to the first NUL are the schedule.  For an accepted schedule
 * and each of a few fixed start times, the next run must be computed (no
 * error) and lie strictly after the start; for a cron schedule it must fall
 * on a whole minute that the schedule's fields match, and asking again from
 * just before it must give it again.  The one error allowed is an interval
 * that takes the time beyond the timestamp range ("timestamp out of range").  The stub's time zone is UTC and its
 * interval parser a small subset of PostgreSQL's (see pgstub.c).
 *
 * fuzz-sources: src/scheduler/cron.c
 *
 *-------------------------------------------------------------------------
 */
#include "pgstub.h"

#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "../../src/scheduler/scheduler.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RfmParseSchedule(arg0, arg1) as a function pgstub_call() can run. */
static Datum
parse_fn(PG_FUNCTION_ARGS)
{
	RfmParseSchedule(PG_GETARG_CSTRING(0), (RfmSchedule *) PG_GETARG_POINTER(1));
	PG_RETURN_VOID();
}

static const RfmSchedule *next_schedule;

/* RfmNextRun(next_schedule, arg0) as a function pgstub_call() can run. */
static Datum
next_fn(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(RfmNextRun(next_schedule, PG_GETARG_TIMESTAMPTZ(0)));
}

static TimestampTz
ts(int y, int m, int d, int h, int mi, int s, int us)
{
	return ((int64) (date2j(y, m, d) - POSTGRES_EPOCH_JDATE) * SECS_PER_DAY +
			(h * 60 + mi) * 60 + s) * USECS_PER_SEC + us;
}

/* Does the cron schedule s run at the UTC minute t? */
static bool
cron_matches(const RfmSchedule *s, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			jd;
	bool		day_ok,
				wday_ok;

	PGSTUB_CHECK(timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) == 0);
	if (tm.tm_sec != 0 || fsec != 0)
		return false;
	jd = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	day_ok = (s->days & ((uint32) 1 << tm.tm_mday)) != 0;
	wday_ok = (s->weekdays & ((uint32) 1 << j2day(jd))) != 0;
	return (s->minutes & (UINT64CONST(1) << tm.tm_min)) != 0 &&
		(s->hours & ((uint32) 1 << tm.tm_hour)) != 0 &&
		(s->months & ((uint32) 1 << tm.tm_mon)) != 0 &&
		(s->days_restricted && s->weekdays_restricted ? (day_ok || wday_ok) : (day_ok && wday_ok));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *str = palloc(size + 1);
	RfmSchedule s;
	Datum		d;

	memcpy(str, data, size);
	str[size] = '\0';
	if (pgstub_call(parse_fn, 2, CStringGetDatum(str), PointerGetDatum(&s), &d))
	{
		const TimestampTz starts[] = {
			ts(2000, 1, 1, 0, 0, 0, 0),
			ts(1999, 12, 31, 23, 59, 59, 999999),
			ts(2024, 2, 29, 23, 59, 30, 0),
			ts(2099, 12, 31, 23, 59, 0, 0),
			ts(1970, 1, 1, 12, 34, 56, 789),
		};

		next_schedule = &s;
		for (int i = 0; i < lengthof(starts); i++)
		{
			TimestampTz next;
			TimestampTz again;

			if (!pgstub_call(next_fn, 1, TimestampTzGetDatum(starts[i]), 0, &d))
			{
				/* only an interval may go beyond the timestamp range ('300000 years') */
				if (s.is_interval &&
					pgstub_last_sqlstate() == ERRCODE_DATETIME_VALUE_OUT_OF_RANGE)
					continue;
				pgstub_fail(__FILE__, __LINE__, "no next run for an accepted schedule");
			}
			next = DatumGetTimestampTz(d);
			PGSTUB_CHECK(next > starts[i]);
			if (s.is_interval)
				continue;
			PGSTUB_CHECK(cron_matches(&s, next));
			PGSTUB_CHECK(pgstub_call(next_fn, 1, TimestampTzGetDatum(next - 1), 0, &d));
			again = DatumGetTimestampTz(d);
			PGSTUB_CHECK(again == next);
		}
	}
	pgstub_reset();
	return 0;
}
