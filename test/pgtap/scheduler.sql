-- pgTAP assertions on the scheduler: the contract's signatures, the job
-- tables and their protection, and hand-checked next runs.
BEGIN;
SELECT plan(27);

SELECT has_function('rfm', 'schedule', ARRAY['text', 'text', 'text'], 'rfm.schedule(model, schedule, refresh_day)');
SELECT function_returns('rfm', 'schedule', ARRAY['text', 'text', 'text'], 'bigint', 'rfm.schedule returns the job id');
SELECT has_function('rfm', 'unschedule', ARRAY['text'], 'rfm.unschedule(model)');
SELECT has_function('rfm', 'run_job', ARRAY['bigint'], 'rfm.run_job(job_id)');
SELECT function_returns('rfm', 'run_job', ARRAY['bigint'], 'rfm.job_run', 'rfm.run_job returns its rfm.job_run row');
SELECT has_function('rfm', 'next_run', ARRAY['text', 'timestamp with time zone'], 'rfm.next_run(schedule, after)');
SELECT volatility_is('rfm', 'next_run', ARRAY['text', 'timestamp with time zone'], 'stable', 'next_run is stable: it reads TimeZone');
SELECT has_table('rfm', 'job', 'table rfm.job');
SELECT has_table('rfm', 'job_run', 'table rfm.job_run');
SELECT columns_are('rfm', 'job', ARRAY['job_id', 'model', 'schedule', 'owner', 'active', 'next_run', 'created', 'refresh_day'], 'rfm.job columns');
SELECT has_column('rfm', 'job_run', c, 'rfm.job_run.' || c)
  FROM unnest(ARRAY['status', 'started', 'ended', 'message', 'members', 'rebuilt', 'changed', 'elapsed']) c;
SELECT col_has_check('rfm', 'job_run', 'status', 'job_run.status is checked (running|succeeded|failed|crashed)');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'rfm.job'::regclass)
          AND (SELECT relrowsecurity FROM pg_class WHERE oid = 'rfm.job_run'::regclass), 'both tables have row-level security');
SELECT ok((SELECT extconfig @> ARRAY['rfm.job'::regclass, 'rfm.job_run'::regclass]::oid[] FROM pg_extension WHERE extname = 'rfm'),
          'pg_dump keeps the rows of both tables');
SELECT ok(NOT has_table_privilege('public', 'rfm.job_run', 'DELETE'), 'PUBLIC cannot delete run history');
SELECT is(rfm.next_run('0 0 13 * 5', '2024-09-07 00:00+00') AT TIME ZONE 'UTC', '2024-09-13 00:00',
          'Friday the 13th: day of month or day of week');
SELECT is(rfm.next_run('0 0 * * 7', '2024-09-07 00:00+00') AT TIME ZONE 'UTC', '2024-09-08 00:00', 'day of week 7 is Sunday');
SELECT is(rfm.next_run('@daily', '2024-12-31 23:59+00') AT TIME ZONE 'UTC', '2025-01-01 00:00', '@daily crosses the year');
SELECT throws_ok($$SELECT rfm.next_run('0 2 * *', now())$$, '22023', 'invalid schedule "0 2 * *"',
                 'a malformed schedule is error 22023 naming it');
SELECT throws_ok($$SELECT rfm.schedule('no_such_model', '@daily')$$, '42704', NULL, 'scheduling an unknown model is an error');

SELECT * FROM finish();
ROLLBACK;
