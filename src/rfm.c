/*-------------------------------------------------------------------------
 *
 * rfm.c
 *	  Module entry point of the rfm extension: settings.
 *
 * Every SQL function of rfm works without preloading; only the scheduler
 * (src/scheduler) needs shared_preload_libraries = 'rfm'.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/datetime.h"
#include "utils/guc.h"

#include "rfm.h"
#include "scheduler/scheduler.h"

#if PG_VERSION_NUM < 150000
#error "rfm requires PostgreSQL 15 or later"
#endif

PG_MODULE_MAGIC;

void		_PG_init(void);

/* rfm.locale: the locale of rfm.label_name (rows of rfm.label) */
static char *rfm_locale = NULL;

/*
 * A locale is a short tag such as en or zh-TW.  Common spellings are written
 * the way rfm.label spells them (BCP 47): zh_TW, zh-tw and ZH-TW become
 * zh-TW, EN becomes en (the language lower case, a two-letter region upper
 * case, a four-letter script title case, '_' as '-').  Whether rfm.label has
 * names in it is checked when names are read (rfm.label_name).
 */
static void
normalize_locale(char *s)
{
	int			part = 0;
	char	   *start = s;

	for (char *p = s;; p++)
	{
		if (*p == '_')
			*p = '-';
		if (*p == '-' || *p == '\0')
		{
			size_t		n = p - start;

			for (size_t i = 0; i < n; i++)
			{
				char		c = start[i];
				bool		upper = part > 0 && (n == 2 || (n == 4 && i == 0));

				if (upper && c >= 'a' && c <= 'z')
					start[i] = c - 'a' + 'A';
				else if (!upper && c >= 'A' && c <= 'Z')
					start[i] = c - 'A' + 'a';
			}
			if (*p == '\0')
				break;
			part++;
			start = p + 1;
		}
	}
}

static bool
check_locale(char **newval, void **extra, GucSource source)
{
	char	   *s = *newval;
	size_t		len = s ? strlen(s) : 0;

	if (len == 0 || len > 35)
	{
		GUC_check_errdetail("rfm.locale must be a language tag such as en or zh-TW.");
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			  (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
		{
			GUC_check_errdetail("rfm.locale must be a language tag such as en or zh-TW.");
			return false;
		}
	normalize_locale(s);
	return true;
}

void
_PG_init(void)
{
	DefineCustomStringVariable("rfm.locale",
							   "Locale of the display names returned by rfm.label_name.",
							   "Names come from the rows of rfm.label with this locale, falling back to en.",
							   &rfm_locale,
							   "en",
							   PGC_USERSET,
							   0,
							   check_locale, NULL, NULL);
	RfmSchedulerInit();
	MarkGUCPrefixReserved("rfm");
}

/*
 * The memory context of the aggregate calling a support function, or an
 * error when the function is called outside an aggregate.
 */
MemoryContext
rfm_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname),
				 errhint("It is a support function of an rfm aggregate; call the aggregate instead.")));
	return aggcontext;
}

/*
 * Parse exactly n decimal digits at *s into *result and move *s past them;
 * false (and *s unmoved) if a non-digit comes first.  Used by the text input
 * functions of rfm.purchases and rfm.intent.
 */
bool
rfm_parse_digits(const char **s, int n, int *result)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*result = v;
	return true;
}

/*
 * Parse YYYY-MM-DD at *s into a day (days since 2000-01-01, as DateADT) and
 * move *s past it; false on bad syntax or a date that does not exist (e.g.
 * 2023-02-30).  The text forms of rfm.purchases and rfm.intent share it.
 */
bool
rfm_parse_date(const char **s, int32 *day)
{
	int			y,
				m,
				d,
				ry,
				rm,
				rd;
	int			jd;

	if (!rfm_parse_digits(s, 4, &y) || **s != '-')
		return false;
	(*s)++;
	if (!rfm_parse_digits(s, 2, &m) || **s != '-')
		return false;
	(*s)++;
	if (!rfm_parse_digits(s, 2, &d))
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	jd = date2j(y, m, d);
	j2date(jd, &ry, &rm, &rd);
	if (ry != y || rm != m || rd != d)
		return false;			/* e.g. 2023-02-30 */
	*day = jd - POSTGRES_EPOCH_JDATE;
	return true;
}

/*
 * Equality and hash of the types whose values are normalized on construction
 * (rfm.purchases, rfm.intent): equal values have equal bytes, so equality is
 * byte equality and the hash is that of the bytes after the header.
 */
bool
rfm_bytes_equal(const struct varlena *a, const struct varlena *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

Datum
rfm_bytes_hash(const struct varlena *v)
{
	return hash_any((const unsigned char *) v + VARHDRSZ, VARSIZE(v) - VARHDRSZ);
}
