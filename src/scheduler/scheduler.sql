/*
 * src/scheduler/scheduler.sql
 * The scheduler: rfm.job (a refresh schedule per model), rfm.job_run (the
 * run history), rfm.schedule, rfm.unschedule, rfm.run_job and rfm.next_run.
 * The launcher and job workers (launcher.c, job.c) need rfm in
 * shared_preload_libraries; everything here works without it.
 *
 * Jobs run as the model's owner, never a superuser.  Both tables have
 * row-level security: a role sees the rows of the roles it is a member of and
 * writes, through a few columns, only its own (src/model/model_last.sql), and
 * a job's owner must be its model's owner, so no role can make a job run as
 * another, choose a run id or record a run of another's.
 */

CREATE FUNCTION rfm.next_run(schedule text, after timestamptz DEFAULT now()) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'rfm_next_run' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm.next_run(text, timestamptz) IS
  'The first run of a schedule (cron expression, @daily etc., or interval) after a time; cron fields are read in the session TimeZone';

CREATE FUNCTION rfm._wake_scheduler() RETURNS void
  AS 'MODULE_PATHNAME', 'rfm_wake_scheduler' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION rfm._wake_scheduler() IS
  'Internal: wake the scheduler''s launcher when the current transaction commits';
REVOKE ALL ON FUNCTION rfm._wake_scheduler() FROM PUBLIC;

CREATE FUNCTION rfm._job_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'rfm_job_changed' LANGUAGE C;
COMMENT ON FUNCTION rfm._job_changed() IS
  'Internal: trigger of rfm.job that wakes the launcher when the change commits';
REVOKE ALL ON FUNCTION rfm._job_changed() FROM PUBLIC;

CREATE TABLE rfm.job (
  job_id bigserial PRIMARY KEY,
  model text NOT NULL UNIQUE REFERENCES rfm.model (name) ON DELETE CASCADE,
  schedule text NOT NULL CHECK (rfm.next_run(schedule, '2000-01-01 00:00+00') IS NOT NULL),
  owner regrole NOT NULL,
  active boolean NOT NULL DEFAULT true,
  next_run timestamptz,
  created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rfm.job IS 'Scheduled refreshes: one job per model, run by the scheduler as the model''s owner';
COMMENT ON COLUMN rfm.job.schedule IS 'Cron expression (minute hour day-of-month month day-of-week, server TimeZone), @hourly/@daily/@weekly/@monthly/@yearly, or an interval';
COMMENT ON COLUMN rfm.job.owner IS 'The role the job runs as: the model''s owner';
COMMENT ON COLUMN rfm.job.active IS 'false: the launcher skips the job (UPDATE rfm.job SET active = false)';
COMMENT ON COLUMN rfm.job.next_run IS 'When the job runs next; NULL until the launcher has computed it';
ALTER TABLE rfm.job ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_owner ON rfm.job
  USING (pg_catalog.pg_has_role(owner, 'USAGE'))
  WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE')
              AND EXISTS (SELECT FROM rfm.model m WHERE m.name = job.model AND m.owner = job.owner));
GRANT SELECT, INSERT, UPDATE, DELETE ON rfm.job TO PUBLIC;
COMMENT ON SEQUENCE rfm.job_job_id_seq IS 'Job ids of rfm.job';
GRANT USAGE ON SEQUENCE rfm.job_job_id_seq TO PUBLIC;
CREATE TRIGGER job_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rfm.job
  FOR EACH STATEMENT EXECUTE FUNCTION rfm._job_changed();
SELECT pg_catalog.pg_extension_config_dump('rfm.job', '');
SELECT pg_catalog.pg_extension_config_dump('rfm.job_job_id_seq', '');

CREATE TABLE rfm.job_run (
  run_id bigserial PRIMARY KEY,
  job_id bigint REFERENCES rfm.job ON DELETE SET NULL,
  model text NOT NULL,
  owner regrole NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'crashed')),
  pid integer,
  scheduled timestamptz,
  started timestamptz NOT NULL DEFAULT now(),
  ended timestamptz,
  message text,
  members bigint,
  rebuilt bigint,
  changed bigint,
  elapsed interval
);
CREATE INDEX job_run_job_started ON rfm.job_run (job_id, started);
CREATE INDEX job_run_running ON rfm.job_run (model) WHERE status = 'running';
CREATE INDEX job_run_ended ON rfm.job_run (ended);
COMMENT ON TABLE rfm.job_run IS 'Runs of scheduled refreshes: running, succeeded, failed (with the error) or crashed, with the refresh''s counts; kept for rfm.history_retention';
COMMENT ON COLUMN rfm.job_run.status IS 'running, succeeded, failed (message is the error) or crashed (the worker or the server stopped during the run)';
COMMENT ON COLUMN rfm.job_run.scheduled IS 'The time the run was due (NULL for rfm.run_job); started - scheduled is how late it started';
COMMENT ON COLUMN rfm.job_run.pid IS 'Process id of the backend that ran the refresh';
COMMENT ON COLUMN rfm.job_run.elapsed IS 'Duration of the refresh as rfm.refresh reported it';
COMMENT ON INDEX rfm.job_run_job_started IS 'Runs of a job in time order';
COMMENT ON INDEX rfm.job_run_running IS 'Runs in progress, by model (the launcher never starts a second run of a model)';
COMMENT ON INDEX rfm.job_run_ended IS 'Finished runs by end time (history retention)';
ALTER TABLE rfm.job_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_run_owner ON rfm.job_run
  USING (pg_catalog.pg_has_role(owner, 'USAGE')) WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE'));
GRANT SELECT, INSERT, UPDATE ON rfm.job_run TO PUBLIC;
COMMENT ON SEQUENCE rfm.job_run_run_id_seq IS 'Run ids of rfm.job_run';
GRANT USAGE ON SEQUENCE rfm.job_run_run_id_seq TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('rfm.job_run', '');
SELECT pg_catalog.pg_extension_config_dump('rfm.job_run_run_id_seq', '');

-- The job row of an id, or an error.
CREATE FUNCTION rfm._job(id bigint) RETURNS rfm.job
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  j rfm.job;
BEGIN
  SELECT * INTO j FROM rfm.job WHERE job_id = id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'job % does not exist', id
      USING ERRCODE = 'undefined_object',
            HINT = coalesce('Jobs: ' || (SELECT string_agg(format('%s (model %s)', job_id, model), ', ' ORDER BY job_id) FROM rfm.job) || '.',
                            'Schedule a refresh with rfm.schedule(model, schedule).');
  END IF;
  RETURN j;
END $$;
COMMENT ON FUNCTION rfm._job(bigint) IS 'Internal: the job row of an id, or an error listing the jobs';

CREATE FUNCTION rfm.schedule(model text, schedule text, refresh_day text DEFAULT 'today') RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(model);
  id bigint;
BEGIN
  IF refresh_day IS NULL OR refresh_day NOT IN ('today', 'yesterday') THEN
    RAISE EXCEPTION 'refresh_day must be today or yesterday, not %', coalesce(quote_literal(refresh_day), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'yesterday refreshes as of the day before the run: a run at 02:00 then labels a whole day, not one that has barely begun.';
  END IF;
  IF schedule IS NULL THEN
    RAISE EXCEPTION 'schedule must not be NULL'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'To stop scheduled refreshes use rfm.unschedule(model).';
  END IF;
  PERFORM rfm.next_run(schedule, now());
  PERFORM rfm._check_owner(m, 'schedule');
  -- the scheduler connects as the model's owner: never as a superuser, whose model's refresh (and the code
  -- of whoever owns its source and its schema's objects) would run with every right
  IF (SELECT rolsuper FROM pg_roles WHERE oid = m.owner) THEN
    RAISE EXCEPTION 'model "%" is owned by superuser %, which the scheduler does not run as', model, m.owner
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Create the model as an ordinary role that may read the source and put triggers on it (docs/security.md), and schedule that one.';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_class WHERE oid = m.source) THEN
    RAISE EXCEPTION 'the source table of model "%" was dropped', model
      USING ERRCODE = 'undefined_table', HINT = 'Drop the model with rfm.drop_model and create it again on the new table.';
  END IF;
  IF NOT has_table_privilege(m.owner, m.source, 'SELECT') THEN
    RAISE EXCEPTION 'role % has no SELECT privilege on %, the source of model "%"', m.owner, m.source, model
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('Scheduled refreshes read the source as the model''s owner: GRANT SELECT ON %s TO %s.', m.source, m.owner);
  END IF;
  IF NOT coalesce((SELECT rolcanlogin FROM pg_roles WHERE oid = m.owner), false) THEN
    RAISE EXCEPTION 'role % cannot log in', m.owner
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('The scheduler connects as the model''s owner: ALTER ROLE %s LOGIN, or refresh the model with rfm.refresh from your own job runner.', m.owner);
  END IF;
  INSERT INTO rfm.job AS j (model, schedule, owner, refresh_day) VALUES (model, schedule, m.owner, refresh_day)
    ON CONFLICT ON CONSTRAINT job_model_key
    DO UPDATE SET schedule = excluded.schedule, owner = excluded.owner, refresh_day = excluded.refresh_day,
                  active = true, next_run = NULL
    RETURNING j.job_id INTO id;
  RETURN id;
END $$;
COMMENT ON FUNCTION rfm.schedule(text, text, text) IS
  'Refresh a model on a schedule (cron expression, @daily etc., or interval), as the model''s owner, as of the day of the run (refresh_day today) or the day before (yesterday); replaces its previous schedule; returns the job id';

CREATE FUNCTION rfm.unschedule(model text) RETURNS boolean
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m rfm.model := rfm._model(model);
BEGIN
  PERFORM rfm._check_owner(m, 'unschedule');
  DELETE FROM rfm.job j WHERE j.model = unschedule.model;
  RETURN FOUND;
END $$;
COMMENT ON FUNCTION rfm.unschedule(text) IS
  'Stop the scheduled refreshes of a model (its run history stays); false when it had no schedule';

-- Run a job's refresh and record the result on its "running" row, in the
-- caller's transaction: succeeded with the counts, or failed with the error
-- (the refresh rolled back).  A row no longer running is left alone.
CREATE FUNCTION rfm._execute_run(id bigint) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r rfm.job_run;
  res record;
  msg text;
BEGIN
  SELECT * INTO r FROM rfm.job_run WHERE run_id = id;
  IF NOT FOUND OR r.status <> 'running' THEN
    RETURN r.status;
  END IF;
  BEGIN
    -- as of the day of the run, or the day before for a job with refresh_day yesterday
    SELECT * INTO res FROM rfm.refresh(r.model, current_date - CASE WHEN (SELECT j.refresh_day FROM rfm.job j
                                                                          WHERE j.job_id = r.job_id) = 'yesterday'
                                                                     THEN 1 ELSE 0 END);
    UPDATE rfm.job_run
       SET status = 'succeeded', ended = clock_timestamp(), members = res.members, rebuilt = res.rebuilt,
           changed = res.changed, elapsed = res.elapsed
     WHERE run_id = id AND status = 'running';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'run % was marked crashed while it ran', id;
    END IF;
    RETURN 'succeeded';
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    UPDATE rfm.job_run SET status = 'failed', ended = clock_timestamp(), message = msg
     WHERE run_id = id AND status = 'running';
    RETURN 'failed';
  END;
END $$;
COMMENT ON FUNCTION rfm._execute_run(bigint) IS
  'Internal: refresh the model of a running job_run row and record succeeded or failed (used by job workers and rfm.run_job)';

CREATE FUNCTION rfm.run_job(job_id bigint) RETURNS rfm.job_run
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  j rfm.job := rfm._job(job_id);
  r rfm.job_run;
BEGIN
  -- with the model's owner's rights only, as the scheduler runs it
  PERFORM rfm._check_owner(rfm._model(j.model), 'run jobs of');
  INSERT INTO rfm.job_run (job_id, model, owner, pid) VALUES (j.job_id, j.model, j.owner, pg_backend_pid())
    RETURNING * INTO r;
  PERFORM rfm._execute_run(r.run_id);
  SELECT * INTO r FROM rfm.job_run WHERE run_id = r.run_id;
  RETURN r;
END $$;
COMMENT ON FUNCTION rfm.run_job(bigint) IS
  'Run a job now, in this session and transaction, as its model''s owner (only the owner may); records and returns its job_run row (succeeded, or failed with the error)';

-- A launcher waiting for CREATE EXTENSION rfm starts at once.
SELECT rfm._wake_scheduler();
