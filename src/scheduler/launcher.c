/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The scheduler's launcher: a background worker, started when rfm is in
 *	  shared_preload_libraries, that sleeps on its latch until the next job
 *	  of rfm.job is due and then starts one dynamic worker per run (job.c).
 *
 * The launcher connects to rfm.database as the bootstrap superuser but runs
 * no user code: jobs run in their own workers, as the model's owner.  Each
 * loop, in one transaction per step:
 *	  - runs left "running" by a worker that is gone are marked crashed (at
 *		start-up these are the runs a server crash interrupted);
 *	  - run history older than rfm.history_retention is deleted;
 *	  - due jobs get a "running" rfm.job_run row and their next run time,
 *		committed before their worker starts; a model never has two runs;
 *	  - it sleeps until the next job is due, or until a committed change to
 *		rfm.job, CREATE EXTENSION rfm, a finishing worker or a reload sets
 *		its latch.
 * Without the extension in rfm.database it says so once and waits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "scheduler.h"

PG_FUNCTION_INFO_V1(rfm_wake_scheduler);
PG_FUNCTION_INFO_V1(rfm_job_changed);

/* Settings (GUCs) */
static char *rfm_database = NULL;
static int	rfm_max_workers = 4;
int			rfm_job_timeout = 3600 * 1000;
static char *rfm_history_retention = NULL;
static bool rfm_scheduler_enabled = true;

/* Longest sleep: with nothing due the launcher still looks again hourly. */
#define MAX_SLEEP_MS (3600 * 1000L)
/* the longest sleep while every worker slot is taken, or only running models' jobs are due */
#define FULL_SLEEP_MS (60 * 1000L)
/* After a failed connection to rfm.database, wait this long before retrying. */
#define RECONNECT_DELAY_MS (60 * 1000L)
/* After an error in a step, wait this long before trying again. */
#define RETRY_DELAY_MS (60 * 1000L)

/* Shared state: where to wake the launcher. */
typedef struct RfmSchedulerShared
{
	slock_t		mutex;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	bool		connect_failed; /* the last launcher could not connect */
} RfmSchedulerShared;

static RfmSchedulerShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* A wake-up of the launcher to send when this transaction commits. */
static bool wake_at_commit = false;
static bool xact_callback_registered = false;

/* This process is the launcher. */
static bool am_launcher = false;

/* A worker this launcher started, until it exits. */
typedef struct LaunchedRun
{
	int64		run_id;
	BackgroundWorkerHandle *handle;
} LaunchedRun;

static List *launched = NIL;

/* A history retention must be a positive interval. */
static bool
check_history_retention(char **newval, void **extra, GucSource source)
{
	Interval	iv;

	if (*newval == NULL || !RfmParseInterval(*newval, &iv) ||
		iv.month < 0 || iv.day < 0 || iv.time < 0 ||
		(iv.month == 0 && iv.day == 0 && iv.time == 0))
	{
		GUC_check_errdetail("rfm.history_retention must be a positive interval such as '30 days'.");
		return false;
	}
	return true;
}

/* Reserve the shared state (PostgreSQL 15 asks for it in this hook). */
static void
scheduler_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(RfmSchedulerShared)));
}

/* Create or attach the shared state. */
static void
scheduler_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("rfm scheduler", sizeof(RfmSchedulerShared), &found);
	if (!found)
	{
		SpinLockInit(&shared->mutex);
		shared->launcher_pid = 0;
		shared->launcher_latch = NULL;
		shared->connect_failed = false;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Define the scheduler's settings and, when rfm is being preloaded, the
 * launcher's own (rfm.database) and register the launcher.  Called by
 * _PG_init before the rfm prefix is reserved.
 */
void
RfmSchedulerInit(void)
{
	BackgroundWorker worker;

	DefineCustomBoolVariable("rfm.scheduler",
							 "Starts scheduled model refreshes.",
							 "Off: the launcher keeps running but starts no job; due jobs run once it is on again.",
							 &rfm_scheduler_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("rfm.max_workers",
							"Most scheduled refreshes running at once.",
							"Each takes a slot of max_worker_processes.",
							&rfm_max_workers,
							4, 1, 64,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("rfm.job_timeout",
							"Longest a scheduled refresh may run.",
							"A job worker's refresh is canceled after this long and its run recorded as failed; 0 = no limit.",
							&rfm_job_timeout,
							3600 * 1000, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomStringVariable("rfm.history_retention",
							   "How long rfm.job_run keeps finished runs.",
							   "An interval such as '30 days'; older runs are deleted by the launcher.",
							   &rfm_history_retention,
							   "30 days",
							   PGC_SIGHUP,
							   0,
							   check_history_retention, NULL, NULL);

	/*
	 * The rest is for the launcher alone.  A postmaster-only setting can be
	 * defined only while the library is preloaded (anywhere else it is a
	 * FATAL error that ends the session: CREATE EXTENSION, LOAD, the first
	 * call of any rfm function), so rfm.database exists only then.
	 */
	if (IsBinaryUpgrade || !process_shared_preload_libraries_in_progress)
		return;

	DefineCustomStringVariable("rfm.database",
							   "Database whose rfm.job the scheduler runs.",
							   "Needs rfm in shared_preload_libraries and CREATE EXTENSION rfm in that database.",
							   &rfm_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = scheduler_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = scheduler_shmem_startup;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strlcpy(worker.bgw_library_name, "rfm", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "rfm_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "rfm launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "rfm launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/* At commit, wake the launcher if this transaction asked for it. */
static void
scheduler_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && wake_at_commit && shared != NULL)
	{
		Latch	   *latch;

		SpinLockAcquire(&shared->mutex);
		latch = shared->launcher_latch;
		SpinLockRelease(&shared->mutex);
		if (latch)
			SetLatch(latch);
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE)
		wake_at_commit = false;
}

/*
 * Wake the launcher when the current transaction commits, so that it sees a
 * changed rfm.job at once (not before the commit, when it could not see it).
 * The launcher's own changes need no wake-up.
 */
static void
wake_launcher_at_commit(void)
{
	if (am_launcher)
		return;
	if (!xact_callback_registered)
	{
		RegisterXactCallback(scheduler_xact_callback, NULL);
		xact_callback_registered = true;
	}
	wake_at_commit = true;
}

/*
 * rfm._wake_scheduler(): wake the launcher when the calling transaction
 * commits (CREATE EXTENSION rfm calls it).  Does nothing without a
 * preloaded launcher.
 */
Datum
rfm_wake_scheduler(PG_FUNCTION_ARGS)
{
	wake_launcher_at_commit();
	PG_RETURN_VOID();
}

/*
 * rfm._job_changed(): statement trigger on rfm.job; any change to the jobs
 * (rfm.schedule, rfm.unschedule, UPDATE ... SET active) wakes the launcher
 * at commit.
 */
Datum
rfm_job_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("rfm._job_changed() called outside a trigger"),
				 errhint("It is the trigger of rfm.job; change rfm.job to use it.")));
	wake_launcher_at_commit();
	return PointerGetDatum(NULL);
}

/* Forget this launcher's latch when it exits. */
static void
launcher_detach(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->launcher_pid == MyProcPid)
	{
		shared->launcher_pid = 0;
		shared->launcher_latch = NULL;
	}
	SpinLockRelease(&shared->mutex);
}

/* Start a transaction with a snapshot and SPI, as every launcher step does. */
static void
step_begin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Commit the transaction of a step. */
static void
step_end(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* Run a statement of the launcher; an error is a bug, so it stops the launcher. */
static void
run_sql(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);

	if (rc != expected)
		elog(ERROR, "rfm launcher: SPI_execute failed with %d: %s", rc, sql);
}

/* Is this launcher's worker of run_id still starting or running? */
static bool
run_in_own_worker(int64 run_id)
{
	ListCell   *lc;

	foreach(lc, launched)
	{
		LaunchedRun *r = lfirst(lc);
		pid_t		pid;

		if (r->run_id == run_id)
			return GetBackgroundWorkerPid(r->handle, &pid) != BGWH_STOPPED;
	}
	return false;
}

/* Forget the workers that have exited. */
static void
forget_stopped_workers(void)
{
	ListCell   *lc;

	foreach(lc, launched)
	{
		LaunchedRun *r = lfirst(lc);
		pid_t		pid;

		if (GetBackgroundWorkerPid(r->handle, &pid) == BGWH_STOPPED)
		{
			pfree(r->handle);
			pfree(r);
			launched = foreach_delete_current(launched, lc);
		}
	}
}

/*
 * Mark crashed the runs left "running" whose worker is gone: a live worker
 * holds the run's lock until it exits, so a run whose lock is free has no
 * worker.  The worker refuses to start a run that is no longer running, and
 * records its result only on a running row, so the two never disagree.
 */
static void
reap_orphan_runs(bool at_startup)
{
	List	   *orphans = NIL;
	ListCell   *lc;
	Oid			types[2] = {INT8OID, TEXTOID};

	step_begin("rfm launcher: looking for crashed runs");
	run_sql("SELECT run_id FROM rfm.job_run WHERE status = 'running'", 0, NULL, NULL, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 1, &isnull));
		LOCKTAG		tag;

		if (run_in_own_worker(run_id))
			continue;
		SET_LOCKTAG_RFM_RUN(tag, MyDatabaseId, run_id);
		if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
			continue;
		LockRelease(&tag, ExclusiveLock, false);
		orphans = lappend(orphans, palloc(sizeof(int64)));
		*(int64 *) llast(orphans) = run_id;
	}
	foreach(lc, orphans)
	{
		Datum		values[2];

		values[0] = Int64GetDatum(*(int64 *) lfirst(lc));
		values[1] = CStringGetTextDatum(at_startup
										? "the server stopped or crashed during this run"
										: "the job worker exited without recording a result");
		run_sql("UPDATE rfm.job_run SET status = 'crashed', ended = now(), message = $2 "
				"WHERE run_id IN (SELECT run_id FROM rfm.job_run WHERE run_id = $1 AND status = 'running' "
				"                  FOR UPDATE SKIP LOCKED)", 2, types, values, SPI_OK_UPDATE);
	}
	step_end();					/* frees the list with the SPI memory */
}

/* Delete finished runs older than rfm.history_retention. */
static void
delete_old_runs(void)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	step_begin("rfm launcher: deleting old run history");
	values[0] = CStringGetTextDatum(rfm_history_retention);
	run_sql("DELETE FROM rfm.job_run WHERE run_id IN (SELECT run_id FROM rfm.job_run "
			"  WHERE status <> 'running' AND ended < now() - $1::interval FOR UPDATE SKIP LOCKED)",
			1, types, values, SPI_OK_DELETE);
	step_end();
}

/* A due job and the run the launcher created for it. */
typedef struct DueRun
{
	int64		run_id;
	Oid			role;
	char	   *model;
} DueRun;

/*
 * Give jobs without a next run time one, then create and commit a "running"
 * row for each due job (at most the free worker slots, never a second run of
 * a model) and advance its next run past now, so runs missed while the server
 * was down run once.  Jobs whose owner cannot log in fail at once.  Returns
 * the runs to start; *sleep_ms is how long to wait afterwards.
 */
static List *
claim_due_runs(long *sleep_ms)
{
	List	   *runs = NIL;
	int			running;
	bool		isnull;
	Datum		d;
	MemoryContext outer = CurrentMemoryContext;

	step_begin("rfm launcher: looking for due jobs");
	run_sql("UPDATE rfm.job SET next_run = rfm.next_run(schedule, now()) "
			"WHERE job_id IN (SELECT job_id FROM rfm.job WHERE next_run IS NULL FOR UPDATE SKIP LOCKED)",
			0, NULL, NULL, SPI_OK_UPDATE);
	run_sql("SELECT count(*)::int4 FROM rfm.job_run WHERE status = 'running'", 0, NULL, NULL, SPI_OK_SELECT);
	running = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	if (rfm_scheduler_enabled && running < rfm_max_workers)
	{
		Oid			types[1] = {INT4OID};
		Datum		values[1] = {Int32GetDatum(rfm_max_workers - running)};

		/*
		 * One statement claims the due jobs: the new rows and the advanced
		 * next_run commit together, before any worker starts.
		 */
		run_sql("WITH due AS ("
				"  SELECT j.job_id, j.model, j.owner, j.next_run,"
				"         coalesce((SELECT r.rolcanlogin FROM pg_catalog.pg_roles r WHERE r.oid = j.owner), false) AS can_login"
				"    FROM rfm.job j"
				"   WHERE j.active AND j.next_run <= now()"
				"     AND NOT EXISTS (SELECT FROM rfm.job_run r WHERE r.model = j.model AND r.status = 'running')"
				"   ORDER BY j.next_run, j.job_id LIMIT $1 FOR UPDATE OF j SKIP LOCKED),"
				" advanced AS ("
				"  UPDATE rfm.job j SET next_run = CASE WHEN rfm.next_run(j.schedule, due.next_run) > now()"
				"                                  THEN rfm.next_run(j.schedule, due.next_run)"
				"                                  ELSE rfm.next_run(j.schedule, now()) END"
				"    FROM due WHERE j.job_id = due.job_id)"
				" INSERT INTO rfm.job_run (job_id, model, owner, scheduled, status, ended, message)"
				" SELECT job_id, model, owner, next_run,"
				"        CASE WHEN can_login THEN 'running' ELSE 'failed' END,"
				"        CASE WHEN can_login THEN NULL ELSE now() END,"
				"        CASE WHEN can_login THEN NULL"
				"             ELSE format('role %s does not exist or cannot log in: scheduled refreshes connect as the model''s owner', owner) END"
				"   FROM due"
				" RETURNING run_id, owner::oid, model, status = 'running'",
				1, types, values, SPI_OK_INSERT_RETURNING);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	t = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			MemoryContext old;
			DueRun	   *r;

			if (!DatumGetBool(SPI_getbinval(t, td, 4, &isnull)))
				continue;
			old = MemoryContextSwitchTo(outer);
			r = palloc(sizeof(DueRun));
			r->run_id = DatumGetInt64(SPI_getbinval(t, td, 1, &isnull));
			r->role = DatumGetObjectId(SPI_getbinval(t, td, 2, &isnull));
			r->model = TextDatumGetCString(SPI_getbinval(t, td, 3, &isnull));
			runs = lappend(runs, r);
			MemoryContextSwitchTo(old);
		}
		running += list_length(runs);
	}

	/*
	 * Sleep until the next job that could start is due.  With every slot
	 * taken, or only jobs of running models due, a finishing worker wakes us;
	 * and we look again within a minute whatever happens, so that no due job
	 * waits long on a count of runs we cannot see end.
	 */
	*sleep_ms = FULL_SLEEP_MS;
	if (rfm_scheduler_enabled && running < rfm_max_workers)
	{
		*sleep_ms = MAX_SLEEP_MS;
		run_sql("SELECT (extract(epoch FROM min(j.next_run) - now()) * 1000)::float8"
				"  FROM rfm.job j WHERE j.active"
				"   AND NOT EXISTS (SELECT FROM rfm.job_run r WHERE r.model = j.model AND r.status = 'running')",
				0, NULL, NULL, SPI_OK_SELECT);
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
			*sleep_ms = (long) Max(10.0, Min((double) MAX_SLEEP_MS, DatumGetFloat8(d)));
	}
	step_end();
	return runs;
}

/* Record that a run could not start (no free background worker slot). */
static void
fail_run(int64 run_id, const char *message)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	step_begin("rfm launcher: recording a run that could not start");
	values[0] = Int64GetDatum(run_id);
	values[1] = CStringGetTextDatum(message);
	run_sql("UPDATE rfm.job_run SET status = 'failed', ended = now(), message = $2 "
			"WHERE run_id IN (SELECT run_id FROM rfm.job_run WHERE run_id = $1 AND status = 'running' "
			"                  FOR UPDATE SKIP LOCKED)", 2, types, values, SPI_OK_UPDATE);
	step_end();
}

/* Start the workers of the claimed runs. */
static void
start_runs(List *runs)
{
	ListCell   *lc;

	foreach(lc, runs)
	{
		DueRun	   *r = lfirst(lc);
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		void	   *handle = NULL;

		RfmStartJobWorker(r->run_id, r->role, r->model, &handle);
		if (handle)
		{
			LaunchedRun *l = palloc(sizeof(LaunchedRun));

			l->run_id = r->run_id;
			l->handle = handle;
			launched = lappend(launched, l);
		}
		MemoryContextSwitchTo(old);
		pfree(r->model);
		if (!handle)
			fail_run(r->run_id,
					 "no free background worker slot: raise max_worker_processes or lower rfm.max_workers");
	}
}

/* Is rfm installed in this database (with its job table)? */
static bool
extension_installed(void)
{
	bool		installed;

	StartTransactionCommand();
	installed = OidIsValid(get_extension_oid("rfm", true));
	CommitTransactionCommand();
	return installed;
}

/*
 * Main of the launcher.  SIGTERM (pg_terminate_backend) ends it with exit
 * code 1, so the postmaster starts it again after bgw_restart_time; a server
 * shutdown ends it for good.
 */
void
rfm_launcher_main(Datum main_arg)
{
	bool		failed_before;
	bool		said_missing = false;
	bool		reaped_at_startup = false;
	TimestampTz last_cleanup = 0;

	am_launcher = true;
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* A missing rfm.database: retry once a minute, not at every restart. */
	SpinLockAcquire(&shared->mutex);
	failed_before = shared->connect_failed;
	shared->connect_failed = true;
	SpinLockRelease(&shared->mutex);
	if (failed_before)
		(void) WaitLatch(MyLatch, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, RECONNECT_DELAY_MS, PG_WAIT_EXTENSION);

	BackgroundWorkerInitializeConnection(rfm_database, NULL, 0);

	SpinLockAcquire(&shared->mutex);
	shared->connect_failed = false;
	shared->launcher_pid = MyProcPid;
	shared->launcher_latch = MyLatch;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(launcher_detach, 0);

	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("application_name", "rfm launcher", PGC_SUSET, PGC_S_OVERRIDE);
	/*
	 * Rows of rfm.job and rfm.job_run its owner may lock are skipped when
	 * locked (SKIP LOCKED); a lock held anywhere else for longer than this is
	 * an error, after which the launcher starts again.
	 */
	SetConfigOption("lock_timeout", "10s", PGC_SUSET, PGC_S_OVERRIDE);
	ereport(LOG,
			(errmsg("rfm launcher started in database \"%s\"", rfm_database)));

	for (;;)
	{
		long		sleep_ms = MAX_SLEEP_MS;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			last_cleanup = 0;	/* apply a new rfm.history_retention now */
		}

		forget_stopped_workers();
		if (!extension_installed())
		{
			if (!said_missing)
				ereport(LOG,
						(errmsg("rfm launcher: extension \"rfm\" is not installed in database \"%s\"; waiting for CREATE EXTENSION rfm",
								rfm_database)));
			said_missing = true;
			reaped_at_startup = false;
		}
		else
		{
			List	   *runs = NIL;

			said_missing = false;

			/*
			 * An error here (say, a library newer than the installed
			 * extension's tables) is logged and retried a minute later: the
			 * launcher does not exit, so it cannot loop on restarts.
			 */
			PG_TRY();
			{
				reap_orphan_runs(!reaped_at_startup);
				reaped_at_startup = true;
				if (TimestampDifferenceExceeds(last_cleanup, GetCurrentTimestamp(), 60 * 1000))
				{
					delete_old_runs();
					last_cleanup = GetCurrentTimestamp();
				}
				runs = claim_due_runs(&sleep_ms);
				start_runs(runs);
				list_free_deep(runs);
			}
			PG_CATCH();
			{
				MemoryContextSwitchTo(TopMemoryContext);
				EmitErrorReport();
				FlushErrorState();
				AbortCurrentTransaction();
				ereport(LOG,
						(errmsg("rfm launcher: retrying in %ld seconds", RETRY_DELAY_MS / 1000)));
				runs = NIL;
				sleep_ms = RETRY_DELAY_MS;
			}
			PG_END_TRY();
			if (runs != NIL)
				continue;		/* look again: more may be due */
		}
		pgstat_report_activity(STATE_IDLE, NULL);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
