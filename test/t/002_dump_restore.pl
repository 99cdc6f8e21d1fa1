# pg_dump / pg_restore of a database with a model (labels, history,
# transitions), tier rules of the user's own, a scheduled job and its runs:
# the restored system has the same data and keeps working (change capture,
# incremental refresh, rfm.run_job, the launcher).  Issue 10.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $conf = q{
shared_preload_libraries = 'rfm'
max_worker_processes = 16
timezone = 'UTC'
};

my $old = PostgreSQL::Test::Cluster->new('dump_source');
$old->init;
$old->append_conf('postgresql.conf', $conf);
$old->start;

$old->safe_psql('postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION rfm;
CREATE ROLE shop LOGIN;
CREATE ROLE app LOGIN;
CREATE ROLE bi LOGIN;
GRANT CREATE ON DATABASE postgres TO shop;
CREATE TABLE orders (member_id int, ordered_at date, amount numeric);
-- dated before today: the job refreshes as of current_date
INSERT INTO orders SELECT i % 80, current_date - 400 + (i * 7) % 270, i % 97 + 1 FROM generate_series(1, 2000) i;
GRANT SELECT, TRIGGER ON orders TO shop;
GRANT INSERT ON orders TO app;
-- rows of the user's own in the catalog tables rfm fills itself
INSERT INTO rfm.tier_rule (policy, tier, rank, min_spend) VALUES ('vip', 'member', 1, 0), ('vip', 'vip', 2, 1500);
INSERT INTO rfm.label (kind, code, locale, name) VALUES ('segment', 'champions', 'fr', 'Champions');
SET ROLE shop;
SELECT rfm.create_model('shop', 'orders', options => '{"tier_policy": "vip"}');
SELECT rfm.refresh('shop', current_date - 150);
SELECT rfm.refresh('shop', current_date - 120);
SELECT rfm.schedule('shop', '0 3 1 1 *');
SELECT rfm.run_job(job_id) FROM rfm.job;
GRANT USAGE ON SCHEMA rfm_shop TO bi;
GRANT SELECT ON rfm_shop.labels TO bi;
-- a campaign on the model (a catalog row referring to the model's), reviewed and published
CREATE SCHEMA shop_data;
CREATE TABLE shop_data.assign AS
  SELECT g AS member_id, CASE WHEN g % 2 = 0 THEN 'control' ELSE 'mail' END AS arm, current_date - 140 AS assigned_at
    FROM generate_series(1, 79) g;
SELECT rfm.create_campaign('mailing', 'shop', 'shop_data.assign', options => '{"min_cell_size": 10}');
SELECT rfm.publish_campaign('mailing');
-- an order of the app's not yet refreshed: its member is queued, and stays queued through the dump
SET ROLE app;
INSERT INTO orders VALUES (77, current_date - 2, 5);
});

# what must survive, as one line per table
my %snapshot_sql = (
	labels => 'SELECT md5(string_agg(l::text, \',\' ORDER BY member_id)) FROM rfm_shop.labels l',
	history => 'SELECT md5(string_agg(h::text, \',\' ORDER BY member_id, valid_from)) FROM rfm_shop.label_history h',
	transitions => 'SELECT md5(string_agg(t::text, \',\' ORDER BY refresh_id, dimension, from_label, to_label)) FROM rfm_shop.transitions t',
	members => 'SELECT md5(string_agg(m::text, \',\' ORDER BY member_id)) FROM rfm_shop.members m',
	refreshes => 'SELECT string_agg(as_of || \':\' || members, \',\' ORDER BY refresh_id) FROM rfm_shop.refreshes',
	model => 'SELECT string_agg(concat_ws(\':\', name, source, owner, options, layout), \',\') FROM rfm.model',
	tier_rule => 'SELECT string_agg(policy || \'/\' || tier || \'/\' || builtin, \',\' ORDER BY policy, rank) FROM rfm.tier_rule',
	label_rows => 'SELECT count(*) || \'/\' || count(*) FILTER (WHERE NOT builtin) FROM rfm.label',
	job => 'SELECT string_agg(concat_ws(\':\', job_id, model, schedule, owner, active), \',\') FROM rfm.job',
	job_run => 'SELECT string_agg(concat_ws(\':\', run_id, status, members), \',\' ORDER BY run_id) FROM rfm.job_run',
	change_queue => 'SELECT string_agg(model || \'/\' || member_id, \',\' ORDER BY member_id) FROM rfm.change_queue',
	flow => 'SELECT count(*) FROM rfm_shop.flow',
	campaign => 'SELECT string_agg(concat_ws(\':\', name, model, assignments, owner, options), \',\') FROM rfm.campaign',
	campaign_results => 'SELECT count(*) || \'/\' || sum(members) FROM rfm_shop.campaign_reviews',);
my %before;
$before{$_} = $old->safe_psql('postgres', $snapshot_sql{$_}) for keys %snapshot_sql;
like($before{job_run}, qr/^\d+:succeeded:80$/, 'the source database has a succeeded run');

my $dump = $old->basedir . '/rfm.dump';
$old->command_ok([ 'pg_dump', '-Fc', '-d', $old->connstr('postgres'), '-f', $dump ], 'pg_dump of a database with a model');

my $new = PostgreSQL::Test::Cluster->new('dump_target');
$new->init;
$new->append_conf('postgresql.conf', $conf);
$new->start;
$new->safe_psql('postgres', 'CREATE ROLE shop LOGIN; CREATE ROLE app LOGIN; CREATE ROLE bi LOGIN');
$new->command_ok([ 'pg_restore', '--exit-on-error', '-d', $new->connstr('postgres'), $dump ], 'pg_restore into a new cluster');

for my $what (sort keys %snapshot_sql)
{
	is($new->safe_psql('postgres', $snapshot_sql{$what}), $before{$what}, "$what restored as it was");
}
is($new->safe_psql('postgres', "SELECT count(*) FROM rfm.tier_rule WHERE policy = 'example'"), '4',
	'built-in rows are not duplicated by the restore');

sub as_shop
{
	my ($sql) = @_;
	return $new->safe_psql('postgres', "SET ROLE shop; SET client_min_messages = warning; $sql");
}

is($before{change_queue}, 'shop/77', 'a member was queued before the dump');

# change capture and the incremental refresh work on the restored model: the app (which owns nothing and has
# no right on the model) writes orders, the model's owner refreshes, the BI role reads the labels
$new->safe_psql('postgres', "SET ROLE app; INSERT INTO orders SELECT i, current_date - 1, 2000 FROM generate_series(1, 5) i");
is(as_shop("SELECT rebuilt || '/' || members FROM rfm.refresh('shop', current_date)"), '6/80',
	'the restored triggers captured the new orders, and the queue kept the one before the dump: 6 members rebuilt');
is($new->safe_psql('postgres', "SET ROLE bi; SELECT count(*) FROM rfm_shop.labels WHERE member_id IN (1, 77)"), '2',
	'the BI role reads the labels, new members included');
is(as_shop("SELECT count(*) FROM rfm_shop.labels WHERE tier = 'vip' AND member_id BETWEEN 1 AND 5"), '5',
	'the restored tier policy of the user is used');

like($before{campaign}, qr/^mailing:shop:shop_data\.assign:shop:/, 'the source database has a campaign');
is(as_shop("SELECT arm || '/' || members || '/' || control_members FROM rfm.campaign_review('mailing')"), 'mail/40/39',
	'the restored campaign is reviewed');

# the scheduler: a synchronous run, then the launcher runs the restored job on a new schedule
is(as_shop("SELECT (rfm.run_job(job_id)).status FROM rfm.job"), 'succeeded', 'rfm.run_job works after the restore');
my $last_run = $new->safe_psql('postgres', 'SELECT max(run_id) FROM rfm.job_run');
as_shop("SELECT rfm.schedule('shop', '1 second')");
ok( $new->poll_query_until('postgres',
		"SELECT count(*) >= 2 FROM rfm.job_run WHERE run_id > $last_run AND status = 'succeeded'"),
	'the launcher runs the restored job');
as_shop("SELECT rfm.unschedule('shop')");

$old->stop;
$new->stop;
done_testing();
