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

#include "fmgr.h"
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

/* A locale is a short tag such as en or zh-TW. */
static bool
check_locale(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
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
