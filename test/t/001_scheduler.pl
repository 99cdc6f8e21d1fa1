# The scheduler on a live server: scheduled runs, a failing job beside a
# healthy one, a killed launcher, a crash during a run, DROP EXTENSION.
# Every wait polls the database or the log; no test sleeps for a guessed time.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('scheduler');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'rfm'
max_worker_processes = 16
timezone = 'UTC'
rfm.max_workers = 4
});
$node->start;

# A model "good" on orders and a model "bad" on orders_b, both owned by the
# login role shop.  A statement trigger on good's labels notes who wrote them.
$node->safe_psql('postgres', q{
CREATE EXTENSION rfm;
CREATE ROLE shop LOGIN;
GRANT CREATE ON DATABASE postgres TO shop;
CREATE TABLE orders (member_id int, ordered_at date, amount numeric);
INSERT INTO orders SELECT i % 50, date '2024-01-01' + (i % 300), i % 97 + 1 FROM generate_series(1, 3000) i;
CREATE TABLE orders_b AS SELECT * FROM orders;
GRANT SELECT, TRIGGER ON orders, orders_b TO shop;
CREATE TABLE who_wrote (role name, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON who_wrote TO shop;
SET ROLE shop;
SET client_min_messages = warning;
SELECT rfm.create_model('good', 'orders');
SELECT rfm.create_model('bad', 'orders_b');
SELECT rfm.create_model('second', 'orders');
CREATE FUNCTION rfm_good.note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.who_wrote (role) VALUES (current_user); RETURN NULL; END $$;
CREATE TRIGGER note AFTER INSERT ON rfm_good.label_state FOR EACH STATEMENT EXECUTE FUNCTION rfm_good.note();
});

sub as_shop
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', "SET ROLE shop; SET client_min_messages = warning; $sql");
}

# 1. A job on a short interval runs, as the model's owner, and records succeeded.
as_shop("SELECT rfm.schedule('good', '1 second')");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 3 FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded'"),
	'a 1-second job runs and records succeeded');
is( $node->safe_psql('postgres',
		"SELECT string_agg(DISTINCT role, ',') FROM who_wrote"),
	'shop', 'the job worker wrote the labels as the model owner, not as a superuser');
is( $node->safe_psql('postgres',
		"SELECT bool_and(members = 50 AND rebuilt IS NOT NULL AND elapsed IS NOT NULL AND ended >= started AND pid IS NOT NULL) "
		  . "FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded'"),
	't', 'succeeded runs record the refresh counts, duration and pid');

# A paused job does not run; resuming it (a plain UPDATE of rfm.job) wakes the
# launcher, which otherwise would sleep for an hour with no active job.
as_shop("UPDATE rfm.job SET active = false WHERE model = 'good'");
$node->poll_query_until('postgres', "SELECT count(*) = 0 FROM rfm.job_run WHERE status = 'running'")
  or die 'a run did not finish';
my $last_run = $node->safe_psql('postgres', "SELECT max(run_id) FROM rfm.job_run");
as_shop("UPDATE rfm.job SET active = true WHERE model = 'good'");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM rfm.job_run WHERE run_id > $last_run AND status = 'succeeded'"),
	'a resumed job runs again at once');

# Runs missed while the scheduler was off run once, not once per missed time.
$node->safe_psql('postgres', "ALTER SYSTEM SET rfm.scheduler = off; SELECT pg_reload_conf()");
$node->poll_query_until('postgres',
	"SELECT next_run < now() - interval '3 seconds' FROM rfm.job WHERE model = 'good'")
  or die 'the scheduler did not stop';
my $resumed = $node->safe_psql('postgres', "SELECT now()");
$node->safe_psql('postgres', "ALTER SYSTEM RESET rfm.scheduler; SELECT pg_reload_conf()");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 2 FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded' AND started > '$resumed'"),
	'the job runs again when the scheduler is back on');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM rfm.job_run WHERE model = 'good' AND started > '$resumed' AND scheduled < '$resumed'"),
	'1', 'the 3 or more missed times ran once');

# 2. A failing job (source dropped) records failed with the message, while the
# other job keeps running on time.
as_shop("SELECT rfm.schedule('bad', '1 second')");
$node->safe_psql('postgres', "DROP TABLE orders_b");
my $t0 = $node->safe_psql('postgres', "SELECT now()");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 3 FROM rfm.job_run WHERE model = 'bad' AND status = 'failed' "
		  . "AND message = 'the source table of model \"bad\" was dropped'"),
	'the failing job records failed with the error message');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 3 FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded' AND started > '$t0'"),
	'the healthy job keeps running beside it');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM rfm.job_run WHERE model = 'good' AND status <> 'succeeded' AND status <> 'running'"),
	'0', 'no run of the healthy job failed');
my $late = $node->safe_psql('postgres',
	"SELECT max(extract(epoch FROM started - scheduled)) FROM rfm.job_run WHERE model = 'good' AND started > '$t0'");
note("latest start of the healthy job: $late s after its due time");
cmp_ok($late, '<', 5, 'the healthy job starts on time (within 5 s of its due time)');
my $overlaps = "SELECT count(*) FROM rfm.job_run a JOIN rfm.job_run b ON a.run_id < b.run_id "
  . "AND a.started < b.ended AND b.started < a.ended";
is($node->safe_psql('postgres', "$overlaps AND a.model = b.model"),
	'0', 'never two runs of one model at once');
as_shop("SELECT rfm.unschedule('bad')");

# 3. pg_terminate_backend on the launcher: it comes back and the schedule goes on.
my $launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'rfm launcher'");
ok($launcher =~ /^\d+$/, 'one launcher runs');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($launcher)");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'rfm launcher' AND pid <> $launcher"),
	'the terminated launcher is started again');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 2 FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded' "
		  . "AND started > (SELECT backend_start FROM pg_stat_activity WHERE backend_type = 'rfm launcher')"),
	'the schedule continues under the new launcher');

# 4. A crash during a run.  Stop the job, note the labels of the last
# successful refresh, add orders, hold a lock on the labels so the next run
# blocks inside its refresh, then crash the server.
as_shop("SELECT rfm.unschedule('good')");
$node->poll_query_until('postgres', "SELECT count(*) = 0 FROM rfm.job_run WHERE status = 'running'")
  or die 'a run did not finish';
my $labels_sql = "SELECT md5(string_agg(l::text, ',' ORDER BY member_id)) FROM rfm_good.labels l";
my $labels_before = $node->safe_psql('postgres', $labels_sql);
$node->safe_psql('postgres',
	"INSERT INTO orders SELECT 1000 + i, date '2024-06-01', 10 FROM generate_series(1, 10) i");
my $locker = $node->background_psql('postgres');
$locker->query_safe("BEGIN; LOCK TABLE rfm_good.labels IN ACCESS EXCLUSIVE MODE");
as_shop("SELECT rfm.schedule('good', '1 second')");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM rfm.job_run r JOIN pg_stat_activity a ON a.pid = r.pid "
		  . "WHERE r.model = 'good' AND r.status = 'running' AND a.wait_event_type = 'Lock'"),
	'a run is in progress, blocked inside its refresh');
my $crashed_run = $node->safe_psql('postgres',
	"SELECT run_id FROM rfm.job_run WHERE model = 'good' AND status = 'running'");
# Keep the scheduler off after the restart, so the labels can be compared
# before the next run; after it, one worker at most.
$node->safe_psql('postgres', "ALTER SYSTEM SET rfm.scheduler = off; ALTER SYSTEM SET rfm.max_workers = 1");
$node->stop('immediate');
$locker->{run}->kill_kill;
$node->start;
ok( $node->poll_query_until('postgres',
		"SELECT status = 'crashed' FROM rfm.job_run WHERE run_id = $crashed_run"),
	'after the restart the interrupted run is crashed');
is($node->safe_psql('postgres', "SELECT message FROM rfm.job_run WHERE run_id = $crashed_run"),
	'the server stopped or crashed during this run', 'the crashed run says why');
is($node->safe_psql('postgres', $labels_sql),
	$labels_before, 'the labels are those of the last successful refresh');
$node->safe_psql('postgres', "ALTER SYSTEM RESET rfm.scheduler; SELECT pg_reload_conf()");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded' AND run_id > $crashed_run"),
	'the next run succeeds');
is($node->safe_psql('postgres', "SELECT count(*) FROM rfm_good.labels WHERE member_id > 1000"),
	'10', 'and its labels include the orders added before the crash');

# rfm.max_workers = 1 with two jobs due at the same times: they take turns.
as_shop("SELECT rfm.schedule('second', '1 second')");
$node->poll_query_until('postgres', "SELECT count(next_run) = 2 FROM rfm.job")
  or die 'the launcher did not compute the next run';
$node->safe_psql('postgres',
	"UPDATE rfm.job SET next_run = date_trunc('second', now()) + interval '2 seconds'");
ok( $node->poll_query_until('postgres',
		"SELECT count(DISTINCT model) = 2 AND bool_and(n >= 3) FROM "
		  . "(SELECT model, count(*) n FROM rfm.job_run WHERE run_id > $crashed_run AND status = 'succeeded' GROUP BY model) c"),
	'with rfm.max_workers = 1 both jobs run');
is($node->safe_psql('postgres', "$overlaps WHERE a.run_id > $crashed_run"),
	'0', 'with rfm.max_workers = 1 no two runs overlap');
as_shop("SELECT rfm.unschedule('second')");
$node->safe_psql('postgres', "ALTER SYSTEM RESET rfm.max_workers; SELECT pg_reload_conf()");

# rfm.history_retention: after a reload the launcher deletes the finished
# runs older than it.
as_shop("SELECT rfm.unschedule('good')");
$node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM rfm.job_run WHERE status = 'running' OR ended > now() - interval '2 seconds'")
  or die 'runs did not finish';
ok($node->safe_psql('postgres', "SELECT count(*) FROM rfm.job_run") > 0, 'there is run history');
$node->safe_psql('postgres', "ALTER SYSTEM SET rfm.history_retention = '1 second'; SELECT pg_reload_conf()");
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM rfm.job_run"),
	'runs older than rfm.history_retention are deleted');
$node->safe_psql('postgres', "ALTER SYSTEM RESET rfm.history_retention; SELECT pg_reload_conf()");
as_shop("SELECT rfm.schedule('good', '1 second')");

# 4b. A role holding its own job's row locked (SELECT ... FOR UPDATE in an
# open transaction) delays only that job: the launcher skips locked rows
# (issue 21, F12; before, it waited on the lock with every other job overdue).
as_shop("SELECT rfm.schedule('second', '1 second')");
my $holder = $node->background_psql('postgres');
$holder->query_safe("SET ROLE shop; BEGIN; SELECT job_id FROM rfm.job WHERE model = 'second' FOR UPDATE");
my $good_runs = $node->safe_psql('postgres',
	"SELECT count(*) FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded'");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= $good_runs + 3 FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded'"),
	'other jobs keep running while a role holds its own job row locked');
$holder->query_safe("COMMIT");
$holder->quit;
as_shop("SELECT rfm.unschedule('second')");

# rfm.job_timeout cancels a scheduled refresh that runs longer; the run is
# recorded failed with the reason (a job worker has no statement_timeout).
$node->safe_psql('postgres', "ALTER SYSTEM SET rfm.job_timeout = 1; SELECT pg_reload_conf()");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM rfm.job_run WHERE model = 'good' AND status = 'failed' "
		  . "AND message = 'canceling statement due to statement timeout'"),
	'rfm.job_timeout cancels a scheduled refresh and records it failed');
$node->safe_psql('postgres', "ALTER SYSTEM RESET rfm.job_timeout; SELECT pg_reload_conf()");
my $failed_at = $node->safe_psql('postgres', "SELECT max(run_id) FROM rfm.job_run");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM rfm.job_run WHERE model = 'good' AND status = 'succeeded' AND run_id > $failed_at"),
	'after a reset the runs succeed again');

# 5. DROP EXTENSION rfm stops scheduling at once, without a restart, and
# without a crash loop; CREATE EXTENSION brings it back.
$launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'rfm launcher'");
my $offset = -s $node->logfile;
$node->safe_psql('postgres', "SET client_min_messages = warning; DROP EXTENSION rfm CASCADE");
$node->safe_psql('postgres', "SELECT pg_sleep(0)");    # a statement after the drop
my $wrote = $node->safe_psql('postgres', "SELECT count(*) FROM who_wrote");
$node->safe_psql('postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION rfm;
SET ROLE shop;
SELECT rfm.create_model('again', 'orders');
SELECT rfm.schedule('again', '1 second');
});
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 2 FROM rfm.job_run WHERE model = 'again' AND status = 'succeeded'"),
	'after CREATE EXTENSION the scheduler runs jobs again, without a restart');
is($node->safe_psql('postgres', "SELECT count(*) FROM who_wrote"),
	$wrote, 'the job of the dropped extension did not run again');
is($node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'rfm launcher'"),
	$launcher, 'the launcher lived through DROP and CREATE EXTENSION');
my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/"rfm launcher" \(PID \d+\) exited|terminated by signal/,
	'no launcher restart or crash in the log');

$node->stop;
done_testing();
