/*-------------------------------------------------------------------------
 *
 * scheduler.h
 *	  The scheduler of rfm: schedules (cron.c), the launcher (launcher.c)
 *	  and the job worker (job.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_SCHEDULER_H
#define RFM_SCHEDULER_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "storage/lock.h"

/* A parsed schedule: a cron expression or an interval. */
typedef struct RfmSchedule
{
	bool		is_interval;
	Interval	interval;		/* is_interval: the time between runs */
	uint64		minutes;		/* bit m set: minute m (0-59) matches */
	uint32		hours;			/* bits 0-23 */
	uint32		days;			/* bits 1-31, day of month */
	uint32		months;			/* bits 1-12 */
	uint32		weekdays;		/* bits 0-6, Sunday is 0 */
	bool		days_restricted;	/* day-of-month field is not "*" */
	bool		weekdays_restricted;	/* day-of-week field is not "*" */
} RfmSchedule;

/* What the launcher passes to a job worker in bgw_extra. */
typedef struct RfmJobArgs
{
	Oid			database;
	Oid			role;
	int64		run_id;
} RfmJobArgs;

/* The lock a job worker holds while its run is in progress (pg_locks: advisory, objsubid 21069). */
#define RFM_RUN_LOCK_FIELD4 0x524D
#define SET_LOCKTAG_RFM_RUN(tag, dbid, run_id) \
	SET_LOCKTAG_ADVISORY(tag, dbid, (uint32) ((uint64) (run_id) >> 32), \
						 (uint32) (run_id), RFM_RUN_LOCK_FIELD4)

/* cron.c */
extern void RfmParseSchedule(const char *text, RfmSchedule *schedule);
extern TimestampTz RfmNextRun(const RfmSchedule *schedule, TimestampTz after);
extern bool RfmParseInterval(const char *text, Interval *result);

/* launcher.c */
extern void RfmSchedulerInit(void);
extern PGDLLEXPORT void rfm_launcher_main(Datum main_arg);

/* job.c */
/* rfm.job_timeout: the longest a job worker's refresh may run, in ms (0: no limit) */
extern int	rfm_job_timeout;

extern void RfmStartJobWorker(int64 run_id, Oid role, const char *model,
							  void **handle);
extern PGDLLEXPORT void rfm_job_main(Datum main_arg);

#endif							/* RFM_SCHEDULER_H */
