/*
 * src/model/model_last.sql
 * Who may write rfm's catalog tables, and how (docs/security.md): row security and grants of rfm.model,
 * rfm.job, rfm.job_run and rfm.change_queue. Run last by a fresh install, and again, whole, at the end of
 * every update script (after the functions its policies call are replaced): every statement is idempotent.
 * Then every model's change capture is brought to the current one (a no-op where it is).
 *
 * PUBLIC may write only the columns a role needs for its own models, and row security checks every row
 * written (rfm._check_model_row and rfm._check_model_update raise the errors rfm.create_model and
 * rfm.alter_model would): a role cannot take another's name, point a model at a relation it may not read
 * and trigger, choose invalid options, give a job or a run to another role, choose run ids, or lock rows it
 * does not own. rfm.change_queue is written by rfm._capture_changes only. rfm.campaign likewise (its owner,
 * on its own models). Last, the aggregates whose state is a real type, which Citus splits (campaign review's,
 * rfm.purchases_union, rfm.breaks, ...: CREATE OR REPLACE), which need the functions an update replays before
 * this part.
 */

-- a job refreshes as of the day of its run or, since 1.7, the day before (a run early in the morning then labels a
-- whole day); here, since rfm.job is made after the version parts of a fresh install
ALTER TABLE rfm.job ADD COLUMN IF NOT EXISTS refresh_day text NOT NULL DEFAULT 'today'
  CONSTRAINT job_refresh_day_check CHECK (refresh_day IN ('today', 'yesterday'));
COMMENT ON COLUMN rfm.job.refresh_day IS
  'today: each run refreshes as of the day it runs (current_date); yesterday: as of the day before (rfm.schedule(model, schedule, refresh_day))';

-- models: read by the members of the owner's role; written by the owner, through these columns only
DROP POLICY IF EXISTS model_owner ON rfm.model;
DROP POLICY IF EXISTS model_read ON rfm.model;
DROP POLICY IF EXISTS model_insert ON rfm.model;
DROP POLICY IF EXISTS model_update ON rfm.model;
DROP POLICY IF EXISTS model_delete ON rfm.model;
CREATE POLICY model_read ON rfm.model FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY model_insert ON rfm.model FOR INSERT
  WITH CHECK (owner OPERATOR(pg_catalog.=) current_user::regrole
              AND rfm._check_model_row(name, source, member_column, time_column, amount_column, options));
CREATE POLICY model_update ON rfm.model FOR UPDATE USING (owner OPERATOR(pg_catalog.=) current_user::regrole)
  WITH CHECK (owner OPERATOR(pg_catalog.=) current_user::regrole AND rfm._check_model_update(name, options));
-- (a model's row goes after its schema: rfm.drop_model)
CREATE POLICY model_delete ON rfm.model FOR DELETE
  USING (owner OPERATOR(pg_catalog.=) current_user::regrole AND pg_catalog.to_regnamespace('rfm_' || name) IS NULL);
REVOKE INSERT, UPDATE, DELETE ON rfm.model FROM PUBLIC;
GRANT INSERT (name, source, member_column, time_column, amount_column, options) ON rfm.model TO PUBLIC;
GRANT UPDATE (options, needs_full, layout) ON rfm.model TO PUBLIC;
GRANT DELETE ON rfm.model TO PUBLIC;

-- jobs: one per model, owned by the model's owner, never a superuser (the scheduler connects as the owner)
DROP POLICY IF EXISTS job_owner ON rfm.job;
DROP POLICY IF EXISTS job_read ON rfm.job;
DROP POLICY IF EXISTS job_insert ON rfm.job;
DROP POLICY IF EXISTS job_update ON rfm.job;
DROP POLICY IF EXISTS job_delete ON rfm.job;
CREATE POLICY job_read ON rfm.job FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY job_insert ON rfm.job FOR INSERT
  WITH CHECK (owner OPERATOR(pg_catalog.=) current_user::regrole
              AND EXISTS (SELECT FROM rfm.model m WHERE m.name OPERATOR(pg_catalog.=) job.model AND m.owner OPERATOR(pg_catalog.=) job.owner));
CREATE POLICY job_update ON rfm.job FOR UPDATE USING (owner OPERATOR(pg_catalog.=) current_user::regrole)
  WITH CHECK (owner OPERATOR(pg_catalog.=) current_user::regrole
              AND EXISTS (SELECT FROM rfm.model m WHERE m.name OPERATOR(pg_catalog.=) job.model AND m.owner OPERATOR(pg_catalog.=) job.owner));
CREATE POLICY job_delete ON rfm.job FOR DELETE USING (owner OPERATOR(pg_catalog.=) current_user::regrole);
REVOKE INSERT, UPDATE, DELETE ON rfm.job FROM PUBLIC;
GRANT INSERT (model, schedule, owner, refresh_day) ON rfm.job TO PUBLIC;
GRANT UPDATE (schedule, owner, active, next_run, refresh_day) ON rfm.job TO PUBLIC;
GRANT DELETE ON rfm.job TO PUBLIC;

-- runs: a role records runs of its own jobs in its own session (rfm.run_job) and finishes its own runs (the
-- job worker, connected as the owner); the launcher, a superuser, does the rest. No run id is chosen.
DROP POLICY IF EXISTS job_run_owner ON rfm.job_run;
DROP POLICY IF EXISTS job_run_read ON rfm.job_run;
DROP POLICY IF EXISTS job_run_insert ON rfm.job_run;
DROP POLICY IF EXISTS job_run_update ON rfm.job_run;
CREATE POLICY job_run_read ON rfm.job_run FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY job_run_insert ON rfm.job_run FOR INSERT
  WITH CHECK (owner OPERATOR(pg_catalog.=) current_user::regrole AND status OPERATOR(pg_catalog.=) 'running'
              AND pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
              AND EXISTS (SELECT FROM rfm.job j WHERE j.job_id OPERATOR(pg_catalog.=) job_run.job_id
                             AND j.model OPERATOR(pg_catalog.=) job_run.model AND j.owner OPERATOR(pg_catalog.=) job_run.owner));
CREATE POLICY job_run_update ON rfm.job_run FOR UPDATE USING (owner OPERATOR(pg_catalog.=) current_user::regrole)
  WITH CHECK (owner OPERATOR(pg_catalog.=) current_user::regrole);
REVOKE INSERT, UPDATE, DELETE ON rfm.job_run FROM PUBLIC;
GRANT INSERT (job_id, model, owner, pid) ON rfm.job_run TO PUBLIC;
GRANT UPDATE (pid, started, status, ended, message, members, rebuilt, changed, elapsed) ON rfm.job_run TO PUBLIC;

-- the change queue: the owner of a model reads and takes its rows (at a refresh)
DROP POLICY IF EXISTS change_queue_owner ON rfm.change_queue;
CREATE POLICY change_queue_owner ON rfm.change_queue
  USING (model OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT m.name FROM rfm.model m
                                                  WHERE m.owner OPERATOR(pg_catalog.=) current_user::regrole
                                                    AND pg_catalog.has_table_privilege(m.source, 'SELECT'))));
REVOKE ALL ON rfm.change_queue FROM PUBLIC;
GRANT SELECT, DELETE ON rfm.change_queue TO PUBLIC;

-- every model's change capture through rfm._capture_changes (models made before 1.7 had a trigger function
-- of their owner's and a changes table in their schema, which go); the rest of layout 4 comes with each
-- model's next refresh, made by its owner
SELECT rfm._migrate_capture(m) FROM rfm.model m WHERE m.layout <= 3;

-- campaigns: read by the members of the owner's role; written by the owner, for campaigns on its own models
DROP POLICY IF EXISTS campaign_read ON rfm.campaign;
DROP POLICY IF EXISTS campaign_insert ON rfm.campaign;
DROP POLICY IF EXISTS campaign_update ON rfm.campaign;
DROP POLICY IF EXISTS campaign_delete ON rfm.campaign;
CREATE POLICY campaign_read ON rfm.campaign FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY campaign_insert ON rfm.campaign FOR INSERT
  WITH CHECK (owner OPERATOR(pg_catalog.=) current_user::regrole
              AND EXISTS (SELECT FROM rfm.model m WHERE m.name OPERATOR(pg_catalog.=) model
                                                   AND m.owner OPERATOR(pg_catalog.=) current_user::regrole));
CREATE POLICY campaign_update ON rfm.campaign FOR UPDATE USING (owner OPERATOR(pg_catalog.=) current_user::regrole)
  WITH CHECK (owner OPERATOR(pg_catalog.=) current_user::regrole);
CREATE POLICY campaign_delete ON rfm.campaign FOR DELETE USING (owner OPERATOR(pg_catalog.=) current_user::regrole);
REVOKE ALL ON rfm.campaign FROM PUBLIC;
GRANT SELECT, DELETE ON rfm.campaign TO PUBLIC;
GRANT INSERT (name, model, assignments, member_column, arm_column, assigned_column, options) ON rfm.campaign TO PUBLIC;
GRANT UPDATE (options) ON rfm.campaign TO PUBLIC;

-- the aggregates of campaign review's statistics, after their support functions (which an update replays after
-- the version's catalog part): CREATE OR REPLACE, so that every update may run it again. The state is a real type
-- (rfm.campaign_state), so that Citus splits them into partial aggregates on the workers and a combine on the
-- coordinator; it needs no serialize functions for parallel aggregation.
CREATE OR REPLACE AGGREGATE rfm.campaign_cell_agg(y numeric, x numeric, responded boolean) (
  SFUNC = rfm.campaign_cell_trans, STYPE = rfm.campaign_state, INITCOND = '(0,0,0,0,0,0,0)',
  FINALFUNC = rfm.campaign_cell_final, COMBINEFUNC = rfm.campaign_cell_combine,
  PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE rfm.campaign_cell_agg(y double precision, x double precision, responded boolean) (
  SFUNC = rfm.campaign_cell_trans, STYPE = rfm.campaign_state, INITCOND = '(0,0,0,0,0,0,0)',
  FINALFUNC = rfm.campaign_cell_final, COMBINEFUNC = rfm.campaign_cell_combine,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm.campaign_cell_agg(numeric, numeric, boolean) IS
  'Exact sufficient statistics of a cell, one row per member: y outcome, x pre-period covariate (NULL = 0), responded (NULL = false); no rows give a cell of zeros';
COMMENT ON AGGREGATE rfm.campaign_cell_agg(double precision, double precision, boolean) IS
  'Exact sufficient statistics of a cell, one row per member (values rounded to 4 decimals): y outcome, x pre-period covariate (NULL = 0), responded (NULL = false)';

-- the union of purchase histories, after its support functions (src/purchases/purchases.sql): its state is an
-- rfm.purchases value since 1.7 (an update drops the aggregate of internal state first, in its head)
CREATE OR REPLACE AGGREGATE rfm.purchases_union(rfm.purchases) (
  SFUNC = rfm.purchases_union_trans, STYPE = rfm.purchases,
  FINALFUNC = rfm.purchases_union_final, COMBINEFUNC = rfm.purchases_union_trans,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm.purchases_union(rfm.purchases) IS
  'Merge of purchase histories (shards, incremental refresh): days are summed';

-- rfm.breaks, after its support functions (src/scoring/breaks_state.sql): its state is an rfm.breaks_state since
-- 1.7 (an update drops the aggregate of internal state first, in its head)
CREATE OR REPLACE AGGREGATE rfm.breaks(value double precision, bins integer) (
  SFUNC = rfm.breaks_trans, STYPE = rfm.breaks_state,
  FINALFUNC = rfm.breaks_final, FINALFUNC_MODIFY = READ_WRITE,
  COMBINEFUNC = rfm.breaks_combine,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm.breaks(double precision, integer) IS
  'The bins-1 cut points of a score: the k/bins quantiles (R type 7, as percentile_cont); NULLs ignored';

-- the lifetime value fits, after their support functions (src/clv/clv_state.sql): their state is an rfm.clv_state
-- since 1.7 (an update drops the aggregates of internal state first, in its head)
CREATE OR REPLACE AGGREGATE rfm.bgnbd_fit(x double precision, t_x double precision, t double precision) (
  SFUNC = rfm.clv_btyd_trans, STYPE = rfm.clv_state,
  FINALFUNC = rfm.bgnbd_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE rfm.pnbd_fit(x double precision, t_x double precision, t double precision) (
  SFUNC = rfm.clv_btyd_trans, STYPE = rfm.clv_state,
  FINALFUNC = rfm.pnbd_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE rfm.gamma_gamma_fit(x double precision, monetary double precision) (
  SFUNC = rfm.clv_gg_trans, STYPE = rfm.clv_state,
  FINALFUNC = rfm.gamma_gamma_final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = rfm.clv_combine,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE rfm.bgnbd_fit(double precision, double precision, double precision) IS
  'Maximum likelihood BG/NBD fit over members (x, t_x, t); rows with a NULL are skipped; WARNING and converged = false when the fit does not converge';
COMMENT ON AGGREGATE rfm.pnbd_fit(double precision, double precision, double precision) IS
  'Maximum likelihood Pareto/NBD fit over members (x, t_x, t); rows with a NULL are skipped; WARNING and converged = false when the fit does not converge';
COMMENT ON AGGREGATE rfm.gamma_gamma_fit(double precision, double precision) IS
  'Maximum likelihood Gamma-Gamma fit over repeaters (x, mean repeat spend); rows with x = 0 or a NULL are skipped';

-- rfm.intent_agg and rfm.intent_union, after their support functions (src/intent/intent_state.sql): their state is
-- an rfm.intent_state since 1.7 (an update drops the aggregates of internal state first, in its head)
CREATE OR REPLACE AGGREGATE rfm.intent_agg(event text, ts timestamptz) (
  SFUNC = rfm.intent_trans, STYPE = rfm.intent_state,
  FINALFUNC = rfm.intent_final, COMBINEFUNC = rfm.intent_combine,
  PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE rfm.intent_union(rfm.intent) (
  SFUNC = rfm.intent_union_trans, STYPE = rfm.intent_state,
  FINALFUNC = rfm.intent_final, COMBINEFUNC = rfm.intent_combine,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm.intent_agg(text, timestamptz) IS
  'Events (view, search, favorite, cart_add, cart_remove, checkout, purchase) counted per kind and UTC hour; NULL rows ignored, other names are errors';
COMMENT ON AGGREGATE rfm.intent_union(rfm.intent) IS
  'Merge of intents (shards, incremental refresh): counts are summed';

-- the segment maps and tier ladders copied to the Citus workers after every change on a coordinator
-- (rfm._rules_changed; nothing happens elsewhere)
DROP TRIGGER IF EXISTS rules_sync ON rfm.segment_rule;
CREATE TRIGGER rules_sync AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rfm.segment_rule
  FOR EACH STATEMENT EXECUTE FUNCTION rfm._rules_changed();
DROP TRIGGER IF EXISTS rules_sync ON rfm.tier_rule;
CREATE TRIGGER rules_sync AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rfm.tier_rule
  FOR EACH STATEMENT EXECUTE FUNCTION rfm._rules_changed();
