/*-------------------------------------------------------------------------
 *
 * job.c
 *	  The job worker: one dynamic background worker per scheduled run,
 *	  started by the launcher, connected as the model's owner (never as a
 *	  superuser on the owner's behalf), running rfm._execute_run.
 *
 * The launcher has committed the run's "running" row before the worker
 * starts.  The worker takes the run's lock (held until it exits, so the
 * launcher can tell a live run from a crashed one), stamps its pid on the
 * row, then refreshes and records succeeded or failed in one transaction
 * (rfm._execute_run); an error outside that function is recorded as failed
 * in a new transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

#include "scheduler.h"

/*
 * Register a dynamic worker for a run; *handle is the worker's handle, or
 * NULL when no background worker slot is free.
 */
void
RfmStartJobWorker(int64 run_id, Oid role, const char *model, void **handle)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *h;
	RfmJobArgs	args;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "rfm", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "rfm_job_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "rfm job run " INT64_FORMAT " (model %s)", run_id, model);
	strlcpy(worker.bgw_type, "rfm job", BGW_MAXLEN);
	worker.bgw_main_arg = Int64GetDatum(run_id);
	worker.bgw_notify_pid = MyProcPid;

	args.database = MyDatabaseId;
	args.role = role;
	args.run_id = run_id;
	StaticAssertStmt(sizeof(RfmJobArgs) <= BGW_EXTRALEN, "RfmJobArgs must fit in bgw_extra");
	memcpy(worker.bgw_extra, &args, sizeof(args));

	*handle = RegisterDynamicBackgroundWorker(&worker, &h) ? h : NULL;
}

/* Run one statement with the run id as $1 in its own transaction; returns SPI_processed. */
static uint64
run_step(const char *sql, int64 run_id, const char *activity)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(run_id)};
	uint64		n;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
	if (SPI_execute_with_args(sql, 1, types, values, NULL, false, 0) < 0)
		elog(ERROR, "rfm job: SPI_execute failed: %s", sql);
	n = SPI_processed;
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return n;
}

/*
 * Main of a job worker.  SIGINT (pg_cancel_backend) cancels the refresh,
 * which is recorded as failed; SIGTERM (pg_terminate_backend) ends the
 * worker: the refresh rolls back and the launcher marks the run crashed.
 */
void
rfm_job_main(Datum main_arg)
{
	RfmJobArgs	args;
	LOCKTAG		tag;
	char	   *activity;
	MemoryContext ctx;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.database, args.role, 0);

	/* held until exit: the launcher sees the run alive while it is taken */
	SET_LOCKTAG_RFM_RUN(tag, MyDatabaseId, args.run_id);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);

	/* DROP EXTENSION rfm may have come between the launch and now */
	StartTransactionCommand();
	if (!OidIsValid(get_extension_oid("rfm", true)))
		proc_exit(0);
	CommitTransactionCommand();

	activity = psprintf("rfm job run " INT64_FORMAT, args.run_id);
	if (run_step("UPDATE rfm.job_run SET pid = pg_catalog.pg_backend_pid(), started = pg_catalog.now() "
				 "WHERE run_id = $1 AND status = 'running'", args.run_id, activity) == 0)
		proc_exit(0);			/* no longer running (marked crashed): nothing to do */

	/* never with a superuser's rights (rfm.schedule refuses such models; a job made before may remain) */
	if (superuser_arg(args.role))
	{
		(void) run_step("UPDATE rfm.job_run SET status = 'failed', ended = pg_catalog.now(), "
						"message = 'the scheduler does not run a model owned by a superuser: create it as an ordinary role (docs/security.md)' "
						"WHERE run_id = $1 AND status = 'running'", args.run_id, activity);
		proc_exit(0);
	}

	ctx = CurrentMemoryContext;
	PG_TRY();
	{
		/* a job worker has no client statement: rfm.job_timeout is its statement timeout */
		if (rfm_job_timeout > 0)
			enable_timeout_after(STATEMENT_TIMEOUT, rfm_job_timeout);
		(void) run_step("SELECT rfm._execute_run($1)", args.run_id, activity);
		disable_timeout(STATEMENT_TIMEOUT, false);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		char	   *sql;

		disable_timeout(STATEMENT_TIMEOUT, false);
		MemoryContextSwitchTo(ctx);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(LOG,
				(errmsg("rfm job run " INT64_FORMAT " failed: %s", args.run_id, edata->message)));
		sql = psprintf("UPDATE rfm.job_run SET status = 'failed', ended = pg_catalog.now(), message = %s "
					   "WHERE run_id = $1 AND status = 'running'",
					   quote_literal_cstr(edata->message));
		(void) run_step(sql, args.run_id, activity);
	}
	PG_END_TRY();
	proc_exit(0);
}
