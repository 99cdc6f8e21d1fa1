/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  rfm.report_progress: let pg_stat_activity show what a long refresh is
 *	  doing ("rfm.refresh(cdnow): relabelling 23570 members").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(rfm_report_progress);

/*
 * Replace this backend's query text in pg_stat_activity.  The real query
 * text comes back with the next statement the client sends.
 */
Datum
rfm_report_progress(PG_FUNCTION_ARGS)
{
	char	   *msg = text_to_cstring(PG_GETARG_TEXT_PP(0));

	pgstat_report_activity(STATE_RUNNING, msg);
	PG_RETURN_VOID();
}
