/*-------------------------------------------------------------------------
 *
 * tiers.c
 *	  Tier ladders and their replay: rfm.tier, rfm.tier_status and
 *	  rfm.tier_check.
 *
 * A policy is the set of rows of rfm.tier_rule with that name, ordered by
 * rank; the lowest rank is the entry tier (min_spend 0).  The qualifying
 * spend on day d is the net spend (refunds subtracted) of the entries in
 * the rolling window (d - spend_window, d], exactly what
 * rfm.monetary(p, d, spend_window) returns; the orders in that window count
 * for a tier's min_orders, when it has one.  A member qualifies for the
 * highest tier whose min_spend (or min_orders) is reached.  Spend is summed
 * and compared exactly, in the units of rfm.purchases (1/10000; a min_spend
 * with more decimals is rounded up to a unit), so 93.51 + 6.49 reaches 100.
 *
 * The replay starts on the first purchase day in the entry tier and walks
 * the days on which something can change:
 *	  - entry days (purchases and refunds),
 *	  - the days a refund drops out of the window (net spend rises),
 *	  - review days, and the last day of a grace period.
 * On every such day the member moves up to the tier qualified for, if it is
 * higher (upgrades are immediate).  On a review day a member who no longer
 * qualifies for the current tier moves down to the highest tier still
 * qualified for (one step at most with one_step_down), or, with a grace
 * period, keeps the tier until the grace ends and moves down then unless
 * qualified again meanwhile.  Reviews fall every review_every after the last
 * tier change ('anniversary') or on the calendar boundaries of
 * review_every ('calendar': '1 year' = every 1 January, '3 months' = the
 * quarters, '7 days' = Mondays).  Since the entry tier cannot be lost,
 * reviews are skipped while the member is in it.
 *
 * Nothing is stored: any as_of can be evaluated.  The ladder is read with
 * SPI once per query and call site (fn_extra), as rfm.segment reads its
 * map, and validated then, so a broken ladder gives an error that says
 * what to fix.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "tiers.h"

PG_FUNCTION_INFO_V1(rfm_tier);
PG_FUNCTION_INFO_V1(rfm_tier_status);
PG_FUNCTION_INFO_V1(rfm_tier_check);

#define NO_DAY		PG_INT32_MAX

/* Spans longer than this are surely a typo. */
#define TIER_MAX_MONTHS		1200
#define TIER_MAX_DAYS		36600

/* Calendar boundaries of day spans are counted from Monday 2000-01-03. */
#define CALENDAR_DAY_ANCHOR	2

/* Floor division, for days and months before the epochs. */
static int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/*
 * day + months + days, as PostgreSQL adds an interval to a timestamp:
 * months first (the day of month clamped to the month's length), then days.
 */
static int32
span_add(int32 day, int64 months, int64 days)
{
	int			y,
				m,
				d;
	int64		mi;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	mi = (int64) y * MONTHS_PER_YEAR + (m - 1) + months;
	y = (int) floor_div(mi, MONTHS_PER_YEAR);
	m = (int) (mi - (int64) y * MONTHS_PER_YEAR) + 1;
	if (d > day_tab[isleap(y)][m - 1])
		d = day_tab[isleap(y)][m - 1];
	return (int32) (date2j(y, m, d) - POSTGRES_EPOCH_JDATE + days);
}

/* First day of the window (day - w, day]: purchases_window_start's rule. */
static inline int32
window_start(const TierLadder *ladder, int32 day)
{
	return span_add(day, -ladder->window.months, -ladder->window.days) + 1;
}

/* The k-th anniversary review after since. */
static inline int32
anniversary(const TierLadder *ladder, int32 since, int64 k)
{
	return span_add(since, ladder->review.months * k, ladder->review.days * k);
}

/* The first anniversary review of since that falls after day. */
static int32
anniversary_after(const TierLadder *ladder, int32 since, int32 day)
{
	double		len = ladder->review.months * 30.436875 + ladder->review.days;
	int64		k = Max(1, (int64) floor((day - since) / len) - 1);

	while (k > 1 && anniversary(ladder, since, k - 1) > day)
		k--;
	while (anniversary(ladder, since, k) <= day)
		k++;
	return anniversary(ladder, since, k);
}

/* The first calendar boundary of review_every that falls after day. */
static int32
calendar_after(const TierLadder *ladder, int32 day)
{
	if (ladder->review.months > 0)
	{
		int			y,
					m,
					d;
		int64		n = ladder->review.months;
		int64		mi;

		j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		mi = (floor_div((int64) y * MONTHS_PER_YEAR + (m - 1), n) + 1) * n;
		y = (int) floor_div(mi, MONTHS_PER_YEAR);
		m = (int) (mi - (int64) y * MONTHS_PER_YEAR) + 1;
		return (int32) (date2j(y, m, 1) - POSTGRES_EPOCH_JDATE);
	}
	return (int32) (CALENDAR_DAY_ANCHOR +
					(floor_div((int64) day - CALENDAR_DAY_ANCHOR, ladder->review.days) + 1) *
					ladder->review.days);
}

/* The next review after day, for a member whose last change was since. */
static inline int32
review_after(const TierLadder *ladder, int32 since, int32 day)
{
	return ladder->calendar ? calendar_after(ladder, day) : anniversary_after(ladder, since, day);
}

/* The first day on which an entry of day d is no longer in the window. */
static int32
drop_day(const TierLadder *ladder, int32 d)
{
	int32		c = span_add(d, ladder->window.months, ladder->window.days);

	while (window_start(ladder, c) <= d)
		c++;
	while (window_start(ladder, c - 1) > d)
		c--;
	return c;
}

/*
 * Whether spend (units) reaches a tier's min_spend: an exact comparison, as
 * both are in units (min_spend_units is min_spend rounded up to a unit).
 */
static inline bool
spend_reaches(int64 spend, const TierStep *t)
{
	return spend >= t->min_spend_units;
}

/* The highest tier that spend (units) and orders in the window qualify for. */
static inline int
qualified_tier(const TierLadder *ladder, int64 spend, int64 orders)
{
	for (int i = ladder->ntiers - 1; i > 0; i--)
	{
		const TierStep *t = &ladder->tiers[i];

		if (spend_reaches(spend, t) || (t->min_orders >= 0 && orders >= t->min_orders))
			return i;
	}
	return 0;
}

/*
 * Net spend (units) and orders of the entries [lo, hi): the spend is
 * purchases_spend_sum's, as rfm.monetary's, so the two agree to the last bit.
 */
static inline int64
window_sum(const Purchases *p, int32 lo, int32 hi, int64 *orders)
{
	const int32 *ord = PURCHASES_ORDERS(p);
	int64		n = 0;

	for (int32 i = lo; i < hi; i++)
		n += ord[i];
	*orders = n;
	return purchases_spend_sum(p, lo, hi);
}

/* threshold - spend in currency, exactly in units (0 when reached). */
static float8
spend_missing(const TierStep *t, int64 spend)
{
	int64		missing;

	if (spend >= t->min_spend_units)
		return 0;
	if (pg_sub_s64_overflow(t->min_spend_units, spend, &missing))
		return t->min_spend - purchases_units_float8(spend);
	return purchases_units_float8(missing);
}

/*
 * Replay p up to as_of under the ladder.  Returns false when the member has
 * no purchase day on or before as_of (the result is NULL then).
 */
bool
tier_replay(const TierLadder *ladder, const Purchases *p, DateADT as_of, TierResult *res)
{
	const int32 *day = PURCHASES_DAY(p);
	const int64 *spend = PURCHASES_SPEND(p);
	PurchasesCut cut;
	int32		end;
	int32		lo = 0;			/* window entries are [lo, hi) */
	int32		hi = 0;
	int32		e;				/* next entry day to visit */
	int32		neg;			/* next refund whose drop-out is to visit */
	int32		neg_drop = NO_DAY;
	int			cur = 0;
	int32		since;
	int64		k = 1;			/* next_review is the k-th anniversary */
	int32		next_review;
	int32		grace_end = NO_DAY;
	int32		prev;
	bool		has_grace = ladder->grace.months > 0 || ladder->grace.days > 0;
	int64		orders;
	int64		total;

	if (!purchases_cut_at(p, as_of, &cut))
		return false;
	if (as_of > PURCHASES_MAX_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of %s is out of range for tiers",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(as_of)))),
				 errhint("Use an as_of in the years 1 to 9999.")));
	end = cut.end;
	since = day[cut.first];
	next_review = review_after(ladder, since, since);
	e = cut.first;
	neg = 0;
	prev = since - 1;

	for (;;)
	{
		int32		d = NO_DAY;
		int			q;

		/* the next day on which something can change */
		while (e < end && day[e] <= prev)
			e++;
		if (e < end)
			d = day[e];
		while (neg < end)
		{
			if (spend[neg] < 0)
			{
				if (neg_drop == NO_DAY)
					neg_drop = drop_day(ladder, day[neg]);
				if (neg_drop > prev)
					break;
			}
			neg++;
			neg_drop = NO_DAY;
		}
		if (neg < end && neg_drop < d)
			d = neg_drop;
		if ((cur > 0 || grace_end != NO_DAY) && next_review < d)
			d = next_review;
		if (grace_end < d)
			d = grace_end;
		if (d > as_of)
			break;

		/* qualifying spend at the end of day d */
		while (hi < end && day[hi] <= d)
			hi++;
		{
			int32		ws = window_start(ladder, d);

			while (lo < hi && day[lo] < ws)
				lo++;
		}
		total = window_sum(p, lo, hi, &orders);
		q = qualified_tier(ladder, total, orders);

		if (q > cur)
		{
			/* upgrades are immediate and restart the anniversary clock */
			cur = q;
			since = d;
			k = 1;
			next_review = review_after(ladder, since, d);
			grace_end = NO_DAY;
		}
		else
		{
			bool		down = false;

			if (grace_end != NO_DAY)
			{
				if (q >= cur)
					grace_end = NO_DAY; /* qualified again in time */
				else if (d == grace_end)
					down = true;
			}
			if (!down && d == next_review && cur > 0)
			{
				if (q < cur && !has_grace)
					down = true;
				else
				{
					if (q < cur && grace_end == NO_DAY)
						grace_end = span_add(d, ladder->grace.months, ladder->grace.days);
					if (ladder->calendar)
						next_review = calendar_after(ladder, d);
					else
						next_review = anniversary(ladder, since, ++k);
				}
			}
			if (down)
			{
				cur = ladder->one_step_down ? Max(q, cur - 1) : q;
				since = d;
				k = 1;
				next_review = review_after(ladder, since, d);
				grace_end = NO_DAY;
			}
		}
		prev = d;
	}

	/* reviews were skipped in the entry tier: find the next one now */
	if (cur == 0)
		next_review = review_after(ladder, since, as_of);

	res->tier = cur;
	res->since = since;
	res->next_review = grace_end != NO_DAY ? grace_end : next_review;

	/* the window ending as_of */
	hi = end;
	{
		int32		ws = window_start(ladder, as_of);

		while (lo < hi && day[lo] < ws)
			lo++;
	}
	res->qualifying_units = window_sum(p, lo, hi, &orders);
	res->qualifying_spend = purchases_units_float8(res->qualifying_units);

	/* what still counts at the next review, and what is missing */
	res->spend_to_keep = 0;
	if (cur > 0)
	{
		const TierStep *t = &ladder->tiers[cur];
		int32		ws = window_start(ladder, res->next_review);
		int64		kept;

		while (lo < hi && day[lo] < ws)
			lo++;
		kept = window_sum(p, lo, hi, &orders);
		if (!(t->min_orders >= 0 && orders >= t->min_orders))
			res->spend_to_keep = spend_missing(t, kept);
	}
	return true;
}

/* An interval of rfm.tier_rule as whole months and days, validated. */
static TierSpan
get_span(Interval *iv, const char *column, const char *policy, const char *tier, bool zero_ok)
{
	TierSpan	s;
	char	   *shown = DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(iv)));

	if (iv->time != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s '%s' of tier \"%s\" in policy \"%s\" is not a whole number of days",
						column, shown, tier, policy),
				 errhint("Tiers count whole days: use days, months or years, e.g. '1 year'.")));
	if (iv->month < 0 || iv->day < 0 || (!zero_ok && iv->month == 0 && iv->day == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s '%s' of tier \"%s\" in policy \"%s\" is not positive",
						column, shown, tier, policy),
				 errhint("Use a positive interval such as '1 year'.")));
	if (iv->month > TIER_MAX_MONTHS || iv->day > TIER_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s '%s' of tier \"%s\" in policy \"%s\" is too long",
						column, shown, tier, policy),
				 errhint("Use at most 100 years.")));
	s.months = iv->month;
	s.days = iv->day;
	return s;
}

/* A span as text independent of IntervalStyle: "1 year 6 months 3 days". */
static char *
span_text(TierSpan s)
{
	StringInfoData buf;
	int			parts[3] = {s.months / MONTHS_PER_YEAR, s.months % MONTHS_PER_YEAR, s.days};
	const char *const units[3] = {"year", "month", "day"};

	initStringInfo(&buf);
	for (int i = 0; i < 3; i++)
		if (parts[i] != 0)
			appendStringInfo(&buf, "%s%d %s%s", buf.len > 0 ? " " : "", parts[i], units[i],
							 parts[i] == 1 ? "" : "s");
	if (buf.len == 0)
		appendStringInfoString(&buf, "0 days");
	return buf.data;
}

/* Error for a setting that differs between two tiers of a policy. */
static void
mixed_setting(const char *policy, const char *column, const char *tier1, const char *v1,
			  const char *tier2, const char *v2)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("tier policy \"%s\" mixes %s values: %s (tier \"%s\") and %s (tier \"%s\")",
					policy, column, v1, tier1, v2, tier2),
			 errhint("All tiers of a policy share spend_window, review_every, review_anchor, grace and one_step_down: "
					 "UPDATE rfm.tier_rule SET %s = ... WHERE policy = '%s'.", column, policy)));
}

/* Read and validate one policy (in cxt); unknown policies are an error. */
static TierLadder *
load_ladder(MemoryContext cxt, const char *policy)
{
	TierLadder *ladder;
	Datum		arg = CStringGetTextDatum(policy);
	Oid			argtype = TEXTOID;
	MemoryContext old;
	TupleDesc	desc;
	const char *const settings[] = {"spend_window", "review_every", "review_anchor", "grace", "one_step_down"};

	SPI_connect();
	if (SPI_execute_with_args("SELECT tier, rank, min_spend::float8, min_orders, "
							  "spend_window, review_every, review_anchor, grace, one_step_down, "
							  "spend_window::text, review_every::text, review_anchor, grace::text, one_step_down::text, "
							  "least(ceil(min_spend * 10000), 9223372036854775807)::int8 "
							  "FROM rfm.tier_rule WHERE policy = $1 ORDER BY rank",
							  1, &argtype, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read rfm.tier_rule");
	if (SPI_processed == 0)
	{
		char	   *known = NULL;

		if (SPI_execute("SELECT string_agg(DISTINCT policy, ', ' ORDER BY policy) FROM rfm.tier_rule",
						true, 0) == SPI_OK_SELECT && SPI_processed == 1)
			known = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown tier policy \"%s\"", policy),
				 errhint("Known policies: %s. Add a policy by inserting its tiers into rfm.tier_rule.",
						 known ? known : "none")));
	}

	old = MemoryContextSwitchTo(cxt);
	desc = SPI_tuptable->tupdesc;
	ladder = palloc0(sizeof(TierLadder));
	ladder->policy = pstrdup(policy);
	ladder->ntiers = (int) SPI_processed;
	ladder->tiers = palloc0(ladder->ntiers * sizeof(TierStep));
	for (int i = 0; i < ladder->ntiers; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TierStep   *t = &ladder->tiers[i];
		bool		isnull;
		Datum		v;

		t->name = SPI_getvalue(tup, desc, 1);
		t->rank = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		t->min_spend = DatumGetFloat8(SPI_getbinval(tup, desc, 3, &isnull));
		/* exact, in the units spend is summed in: 10000 per currency unit */
		StaticAssertStmt(PURCHASES_SCALE == 10000, "the query above multiplies by PURCHASES_SCALE");
		t->min_spend_units = DatumGetInt64(SPI_getbinval(tup, desc, 15, &isnull));
		v = SPI_getbinval(tup, desc, 4, &isnull);
		t->min_orders = isnull ? -1 : DatumGetInt32(v);

		/* the settings of the policy: the same on every tier */
		for (int c = 0; c < 5 && i > 0; c++)
		{
			char	   *a = SPI_getvalue(SPI_tuptable->vals[0], desc, 10 + c);
			char	   *b = SPI_getvalue(tup, desc, 10 + c);

			if (strcmp(a, b) != 0)
				mixed_setting(policy, settings[c], ladder->tiers[0].name, a, t->name, b);
		}
		if (i == 0)
		{
			char	   *anchor = SPI_getvalue(tup, desc, 7);

			ladder->window = get_span(DatumGetIntervalP(SPI_getbinval(tup, desc, 5, &isnull)),
									  "spend_window", policy, t->name, false);
			ladder->review = get_span(DatumGetIntervalP(SPI_getbinval(tup, desc, 6, &isnull)),
									  "review_every", policy, t->name, false);
			ladder->grace = get_span(DatumGetIntervalP(SPI_getbinval(tup, desc, 8, &isnull)),
									 "grace", policy, t->name, true);
			ladder->calendar = strcmp(anchor, "calendar") == 0;
			ladder->one_step_down = DatumGetBool(SPI_getbinval(tup, desc, 9, &isnull));
		}

		/* thresholds */
		if (i == 0 && (t->min_spend != 0 || t->min_orders >= 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("entry tier \"%s\" (rank %d) of policy \"%s\" has a threshold",
							t->name, t->rank, policy),
					 errdetail("Its min_spend is %.15g and its min_orders is %s.", t->min_spend,
							   t->min_orders >= 0 ? SPI_getvalue(tup, desc, 4) : "NULL"),
					 errhint("The tier of the lowest rank is the entry tier every member starts in on the first purchase: "
							 "set its min_spend to 0 and its min_orders to NULL.")));
		if (i > 0 && !(t->min_spend > ladder->tiers[i - 1].min_spend))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("min_spend of policy \"%s\" does not increase with rank: tier \"%s\" (rank %d) needs %.15g, tier \"%s\" (rank %d) needs %.15g",
							policy, ladder->tiers[i - 1].name, ladder->tiers[i - 1].rank,
							ladder->tiers[i - 1].min_spend, t->name, t->rank, t->min_spend),
					 errhint("A higher rank needs a higher min_spend; exactly one tier (the lowest rank) has min_spend 0.")));
		if (t->min_orders >= 0)
			for (int j = i - 1; j > 0; j--)
				if (ladder->tiers[j].min_orders >= 0)
				{
					if (!(t->min_orders > ladder->tiers[j].min_orders))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("min_orders of policy \"%s\" does not increase with rank: tier \"%s\" (rank %d) needs %d, tier \"%s\" (rank %d) needs %d",
										policy, ladder->tiers[j].name, ladder->tiers[j].rank,
										ladder->tiers[j].min_orders, t->name, t->rank, t->min_orders),
								 errhint("A higher rank needs more orders, or leave its min_orders NULL.")));
					break;
				}
	}

	/* review settings */
	if (ladder->calendar)
	{
		TierSpan	r = ladder->review;

		if (!((r.months > 0 && r.days == 0 && (12 % r.months == 0 || r.months % 12 == 0)) ||
			  (r.months == 0 && r.days > 0)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("review_every '%s' of policy \"%s\" has no calendar boundaries",
							span_text(r), policy),
					 errhint("Calendar reviews need whole years, or months that divide a year ('1 month', '3 months', '6 months'), "
							 "or days ('7 days' = every Monday).")));
	}
	if ((int64) ladder->grace.months * 31 + ladder->grace.days >=
		(int64) ladder->review.months * 28 + ladder->review.days &&
		(ladder->grace.months > 0 || ladder->grace.days > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grace '%s' of policy \"%s\" is not shorter than review_every '%s'",
						span_text(ladder->grace), policy, span_text(ladder->review)),
				 errhint("A grace period postpones a downgrade within one review period: make it shorter.")));
	/* the one-line description of rfm.tier_check */
	{
		StringInfoData buf;
		HeapTuple	tup = SPI_tuptable->vals[0];

		initStringInfo(&buf);
		appendStringInfo(&buf, "%s: %s", policy, ladder->tiers[0].name);
		for (int i = 1; i < ladder->ntiers; i++)
		{
			appendStringInfo(&buf, " < %s (%.15g", ladder->tiers[i].name, ladder->tiers[i].min_spend);
			if (ladder->tiers[i].min_orders >= 0)
				appendStringInfo(&buf, " or %d orders", ladder->tiers[i].min_orders);
			appendStringInfoChar(&buf, ')');
		}
		appendStringInfo(&buf, "; net spend in a rolling %s; %s review every %s",
						 span_text(ladder->window), SPI_getvalue(tup, desc, 7),
						 span_text(ladder->review));
		if (ladder->grace.months > 0 || ladder->grace.days > 0)
			appendStringInfo(&buf, ", grace %s", span_text(ladder->grace));
		if (ladder->one_step_down)
			appendStringInfoString(&buf, ", one step down at most");
		ladder->summary = buf.data;
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	return ladder;
}

/*
 * The ladder of a policy, read once per query and call site.
 */
TierLadder *
tier_ladder_get(FunctionCallInfo fcinfo, text *policy_text)
{
	char	   *policy = text_to_cstring(policy_text);
	List	   *ladders = (List *) fcinfo->flinfo->fn_extra;
	TierLadder *ladder;
	ListCell   *lc;
	MemoryContext old;

	foreach(lc, ladders)
	{
		if (strcmp(((TierLadder *) lfirst(lc))->policy, policy) == 0)
			return (TierLadder *) lfirst(lc);
	}
	ladder = load_ladder(fcinfo->flinfo->fn_mcxt, policy);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	fcinfo->flinfo->fn_extra = lappend(ladders, ladder);
	MemoryContextSwitchTo(old);
	return ladder;
}

/*
 * The arguments (p, as_of, policy) of rfm.tier and rfm.tier_status: the
 * policy's ladder, or NULL when the member has no purchase by as_of.
 */
static TierLadder *
tier_args(FunctionCallInfo fcinfo, TierResult *res)
{
	Purchases  *p = PG_GETARG_PURCHASES_P(0);
	DateADT		as_of = PG_GETARG_DATEADT(1);
	TierLadder *ladder = tier_ladder_get(fcinfo, PG_GETARG_TEXT_PP(2));

	return tier_replay(ladder, p, as_of, res) ? ladder : NULL;
}

/* rfm.tier(p, as_of, policy): the tier's name, NULL before the first purchase. */
Datum
rfm_tier(PG_FUNCTION_ARGS)
{
	TierResult	res;
	TierLadder *ladder = tier_args(fcinfo, &res);

	if (ladder == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(ladder->tiers[res.tier].name));
}

/*
 * rfm.tier_status(p, as_of, policy): (tier, since, next_review,
 * qualifying_spend, spend_to_keep, next_tier, spend_to_upgrade).
 */
Datum
rfm_tier_status(PG_FUNCTION_ARGS)
{
	TierResult	res;
	TierLadder *ladder = tier_args(fcinfo, &res);
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};

	if (ladder == NULL)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm.tier_status must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = CStringGetTextDatum(ladder->tiers[res.tier].name);
	values[1] = DateADTGetDatum(res.since);
	values[2] = DateADTGetDatum(res.next_review);
	values[3] = Float8GetDatum(res.qualifying_spend);
	values[4] = Float8GetDatum(res.spend_to_keep);
	if (res.tier + 1 < ladder->ntiers)
	{
		const TierStep *next = &ladder->tiers[res.tier + 1];

		values[5] = CStringGetTextDatum(next->name);
		values[6] = Float8GetDatum(spend_missing(next, res.qualifying_units));
	}
	else
		nulls[5] = nulls[6] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * rfm.tier_check(policy): validate a policy and describe it in one line,
 * e.g. "example: base < silver (100) < gold (250) < platinum (500); ...".
 */
Datum
rfm_tier_check(PG_FUNCTION_ARGS)
{
	TierLadder *ladder = tier_ladder_get(fcinfo, PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(ladder->summary));
}
