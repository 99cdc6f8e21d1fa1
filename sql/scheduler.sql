-- Scheduler: the cron parser (rfm.next_run), rfm.schedule, rfm.unschedule,
-- rfm.run_job and who may schedule what.  The launcher of this instance
-- watches database postgres, so no job here runs by itself.
SET DateStyle = ISO;
SET TimeZone = 'UTC';
SET client_min_messages = warning;

-- the next runs of a schedule after a time
CREATE FUNCTION runs(schedule text, after timestamptz, n int DEFAULT 5) RETURNS SETOF text
  LANGUAGE sql AS $$
  WITH RECURSIVE r(t, i) AS (
    SELECT rfm.next_run(schedule, after), 1
    UNION ALL SELECT rfm.next_run(schedule, t), i + 1 FROM r WHERE i < n)
  SELECT to_char(t, 'Dy YYYY-MM-DD HH24:MI:SS') FROM r ORDER BY i $$;

-- minutes, steps, lists, ranges with steps
SELECT runs('*/15 * * * *', '2024-01-01 10:07');
SELECT runs('5,10,55 * * * *', '2024-01-01 10:07');
SELECT runs('0 9-17/4 * * *', '2024-01-01 10:00');
SELECT runs('10-12 23 * * *', '2024-01-01 23:11', 4);
SELECT runs('0 22/1 * * *', '2024-01-01 00:00', 3);
-- strictly after: a run at the given time is not the next one
SELECT runs('0 2 * * *', '2024-01-01 02:00', 2);
SELECT runs('0 2 * * *', '2024-01-01 01:59:59.999', 1);
-- the end of a year
SELECT runs('59 23 31 12 *', '2024-06-01', 2);
-- weekdays; Sunday is 0 and 7
SELECT runs('30 8 * * 1-5', '2024-01-05 09:00', 4);
SELECT runs('0 0 * * 0', '2024-01-01', 2) AS sunday_0, runs('0 0 * * 7', '2024-01-01', 2) AS sunday_7;
SELECT runs('0 0 * * 5-7', '2024-01-01', 4);
-- day of month and day of week both restricted: either matches (Vixie cron)
SELECT runs('0 0 13 * 5', '2024-01-01', 6);
-- only one restricted: both must match
SELECT runs('0 0 13 * *', '2024-01-01', 2);
SELECT runs('0 0 * * 5', '2024-01-01', 2);
-- a field starting with * counts as unrestricted, as in Vixie cron: odd days that are Fridays
SELECT runs('0 0 */2 * 5', '2024-01-01', 3);
-- month ends and February 29
SELECT runs('0 0 31 * *', '2024-01-31 12:00', 4);
SELECT runs('0 0 29 2 *', '2024-03-01', 2);
SELECT runs('0 0 30 * *', '2024-01-31', 2);
SELECT runs('0 12 1 1,4,7,10 *', '2024-02-15', 4);
-- shorthands
SELECT runs('@hourly', '2024-01-01 10:30', 2);
SELECT runs('@daily', '2024-01-01 10:30', 2);
SELECT runs('@midnight', '2024-01-01 10:30', 1);
SELECT runs('@weekly', '2024-01-01 10:30', 2);
SELECT runs('@monthly', '2024-01-15', 2);
SELECT runs('@yearly', '2024-01-15', 2);
SELECT runs(' @DAILY ', '2024-01-01', 1);
-- intervals: from the previous run; months follow the calendar
SELECT runs('6 hours', '2024-01-01 10:07', 3);
SELECT runs('1 second', '2024-01-01 10:07', 2);
SELECT runs('1 month', '2024-01-31', 3);
SELECT runs('P1D', '2024-01-01', 2);
SELECT runs('1 day 2 hours', '2024-01-01', 2);
-- cron fields are local times of the session TimeZone; a time skipped by
-- daylight saving runs an hour later, a repeated one runs once
SET TimeZone = 'America/New_York';
SELECT runs('30 2 * * *', '2024-03-09 12:00', 3);
SELECT runs('30 1 * * *', '2024-11-02 12:00', 3);
SELECT rfm.next_run('0 0 * * *', '2024-01-01 12:00+00') AT TIME ZONE 'UTC' AS new_york_midnight_in_utc;
SET TimeZone = 'UTC';
SELECT rfm.next_run(NULL, now()) IS NULL AS strict;

-- malformed schedules: errors naming the value and the fault, with the format as HINT
SELECT rfm.next_run('0 2 * *', '2024-01-01');
SELECT rfm.next_run('6 hourz', '2024-01-01');
CREATE FUNCTION schedule_error(schedule text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  msg text;
  detail text;
  hint text;
BEGIN
  PERFORM rfm.next_run(schedule, '2024-01-01');
  RETURN 'ok';
EXCEPTION WHEN invalid_parameter_value THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RETURN msg || coalesce(': ' || nullif(detail, ''), '') || CASE WHEN hint LIKE 'A schedule is a cron expression%' THEN ' [hint]' ELSE ' [no hint]' END;
END $$;
SELECT s AS schedule, schedule_error(s) AS error
  FROM unnest(ARRAY['', '* * * *', '* * * * * *', '60 * * * *', '* 24 * * *', '0 0 0 * *', '0 0 32 * *',
                    '* * * 0 *', '* * * 13 *', '* * * * 8', '5-1 * * * *', '*/0 * * * *', '1-2-3 * * * *',
                    '1, * * * *', ',1 * * * *', '*5 * * * *', '1-/2 * * * *', '99999 * * * *', 'a b c d e',
                    '0 0 30 2 *', '0 0 31 4,6 *', '@sometimes', '@', '-1 hours', '0 seconds', '0.5 seconds',
                    '1 day -2 hours', 'banana', '5', 'infinity']) s;
-- a day no month has is fine when the day of week may pick the day
SELECT runs('0 0 30 2 1', '2024-01-01', 2);
SELECT rfm.next_run('@daily', 'infinity');

-- scheduling: an owner with a model on a table it may read
CREATE TABLE sched_orders (member_id int, ordered_at date, amount numeric);
INSERT INTO sched_orders
  SELECT i % 40, date '2024-01-01' + (i * 7) % 200, (i % 13) * 10 + 5 FROM generate_series(1, 600) i;
CREATE ROLE rfm_sched_owner LOGIN;
CREATE ROLE rfm_sched_other LOGIN;
CREATE ROLE rfm_sched_group NOLOGIN;
DO $$ BEGIN
  EXECUTE format('GRANT CREATE ON DATABASE %I TO rfm_sched_owner, rfm_sched_other, rfm_sched_group', current_database());
END $$;
GRANT SELECT, TRIGGER ON sched_orders TO rfm_sched_owner, rfm_sched_other, rfm_sched_group;

SET ROLE rfm_sched_owner;
SELECT rfm.create_model('sched', 'sched_orders');
SELECT rfm.schedule('sched', '0 2 * * *') AS job_id \gset
SELECT job_id = :job_id AS same_job, model, schedule, owner, active, next_run FROM rfm.job;
-- scheduling again replaces the schedule of the same job; refresh_day yesterday refreshes as of the day before
-- the run (a run at 02:00 then labels a whole day)
SELECT rfm.schedule('sched', '@hourly', refresh_day => 'yesterday') = :job_id AS same_job;
SELECT model, schedule, refresh_day FROM rfm.job;
SELECT rfm.schedule('sched', '@hourly', refresh_day => 'tomorrow');
SELECT rfm.schedule('sched', '0 2 * *');
SELECT rfm.schedule('sched', NULL);
SELECT rfm.schedule('nope', '@daily');
-- a job may not be written directly with a bad schedule or another owner
UPDATE rfm.job SET schedule = 'sometimes';
UPDATE rfm.job SET owner = 'rfm_sched_other';

-- rfm.run_job runs the refresh here and now and records the run
SELECT status, model, owner, pid = pg_backend_pid() AS this_session, ended >= started AS ended,
       message, members, rebuilt, changed, elapsed IS NOT NULL AS has_elapsed
  FROM rfm.run_job(:job_id);
SELECT count(*) AS labels FROM rfm_sched.labels;
SELECT as_of = current_date - 1 AS as_of_yesterday FROM rfm_sched.refreshes;
SELECT job_id = :job_id AS same_job, status, members FROM rfm.job_run ORDER BY run_id;
SELECT status FROM rfm.run_job(12345);
RESET ROLE;

-- security: another role sees neither the model nor its job, and cannot
-- schedule, run or forge them
SET ROLE rfm_sched_other;
SELECT rfm.schedule('sched', '@daily');
SELECT rfm.unschedule('sched');
SELECT count(*) AS jobs_seen FROM rfm.job;
SELECT count(*) AS runs_seen FROM rfm.job_run;
SELECT status FROM rfm.run_job(:job_id);
INSERT INTO rfm.job (model, schedule, owner) VALUES ('sched', '@daily', 'rfm_sched_owner');
INSERT INTO rfm.job_run (job_id, model, owner, status) VALUES (:job_id, 'sched', 'rfm_sched_owner', 'succeeded');
-- nor make a job of its own model run as another role
SELECT rfm.create_model('other', 'sched_orders');
INSERT INTO rfm.job (model, schedule, owner) VALUES ('other', '@daily', 'rfm_sched_owner');
SELECT rfm.schedule('other', '@daily') > 0 AS scheduled;
SELECT model, owner FROM rfm.job;
RESET ROLE;

-- a role that lost SELECT on the source cannot schedule a refresh of it
REVOKE SELECT ON sched_orders FROM rfm_sched_other;
SET ROLE rfm_sched_other;
SELECT rfm.schedule('other', '@hourly');
-- its existing job then fails with the error, leaving the labels as they were
SELECT status, message FROM rfm.run_job((SELECT job_id FROM rfm.job WHERE model = 'other'));
-- dropping a model drops its job (its owner drops it)
SELECT rfm.drop_model('other');
RESET ROLE;
SELECT model FROM rfm.job;

-- a role that cannot log in cannot own a job (the scheduler connects as the owner)
SET ROLE rfm_sched_group;
SELECT rfm.create_model('grp', 'sched_orders');
SELECT rfm.schedule('grp', '@daily');
SELECT rfm.drop_model('grp');
RESET ROLE;

-- a superuser acts on another role's model as that role (SET ROLE): scheduling, running and dropping it as
-- itself is refused, since the model's work would then run with a superuser's rights
SELECT rfm.schedule('sched', '@daily');
SET ROLE rfm_sched_owner;
SELECT rfm.schedule('sched', '@daily') = :job_id AS same_job;
RESET ROLE;
SELECT model, schedule, owner FROM rfm.job;

-- a dropped source: the run fails with the message and the labels stay
DROP TABLE sched_orders;
SELECT status, message, members FROM rfm.run_job(:job_id);
SET ROLE rfm_sched_owner;
SELECT status, message, members FROM rfm.run_job(:job_id);
SELECT count(*) AS labels FROM rfm_sched.labels;
RESET ROLE;
SELECT status, message FROM rfm.job_run ORDER BY run_id;

-- unschedule keeps the history
SET ROLE rfm_sched_owner;
SELECT rfm.unschedule('sched');
SELECT rfm.unschedule('sched');
SELECT count(*) AS jobs FROM rfm.job;
SELECT job_id, status FROM rfm.job_run ORDER BY run_id;
SELECT rfm.drop_model('sched');
RESET ROLE;

-- settings
SHOW rfm.max_workers;
SHOW rfm.history_retention;
SHOW rfm.scheduler;
-- they are set in postgresql.conf; the history retention must be a positive interval
SET rfm.max_workers = 2;
ALTER SYSTEM SET rfm.history_retention = 'banana';
ALTER SYSTEM SET rfm.history_retention = '-1 day';
ALTER SYSTEM SET rfm.history_retention = '7 days';
ALTER SYSTEM RESET rfm.history_retention;

DO $$ BEGIN
  EXECUTE format('REVOKE CREATE ON DATABASE %I FROM rfm_sched_owner, rfm_sched_other, rfm_sched_group', current_database());
END $$;
DELETE FROM rfm.job_run;
DROP ROLE rfm_sched_owner, rfm_sched_other, rfm_sched_group;
DROP FUNCTION runs(text, timestamptz, int), schedule_error(text);
