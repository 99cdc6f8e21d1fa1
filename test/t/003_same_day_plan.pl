# A second refresh on the same day, after a first one that opened many
# label_history rows (which label_history's statistics, not yet analyzed, do
# not know): the statements that replace that day's history rows must be
# driven by the changed members' keys.  Their plans are read with auto_explain
# (JSON, nested statements) and checked for a nested loop whose inner side
# scans a whole table and for any scan of all of label_history: the quadratic plan of issue 20 (5 min 28 s at 161k
# members, in rfm 1.5: a nested loop over label_history's rows opened that day
# with a sequential scan of the changed members inside).
#
# RFM_VERSION=1.5 runs it against an older version of the extension (built
# from 1.0 and the update scripts); 1.5 fails it.
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $version = $ENV{RFM_VERSION} // '';

my $node = PostgreSQL::Test::Cluster->new('same_day_plan');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nautovacuum = off\n");
$node->start;

# 20,000 members buying every 9 to 40 days since the start of 2024; a first
# refresh at the end of September, label_history analyzed (as autovacuum
# would), then the first refresh of 31 October (a month later: recency and NES
# stages move, many history rows open that day, unknown to the statistics)
$node->safe_psql('postgres', qq{
SET client_min_messages = warning;
CREATE EXTENSION rfm @{[ $version ? "VERSION '$version'" : '' ]};
CREATE TABLE orders (member_id bigint, ordered_at date, amount numeric(12,2));
INSERT INTO orders
SELECT m, DATE '2024-01-01' + (m % 37) + k * (9 + m % 32), 10 + (m * k) % 90
  FROM generate_series(1, 20000) m, generate_series(0, 30) k
 WHERE DATE '2024-01-01' + (m % 37) + k * (9 + m % 32) <= DATE '2024-09-30';
CREATE INDEX ON orders (member_id);
ANALYZE orders;
SELECT rfm.create_model('sd', 'orders');
SELECT rfm.refresh('sd', '2024-09-30');
-- as autovacuum would: statistics that know every day but the one to come
ANALYZE rfm_sd.label_history;
SELECT rfm.refresh('sd', '2024-10-31');
});
my $opened = $node->safe_psql('postgres',
	q{SELECT count(*) FROM rfm_sd.label_history WHERE valid_from = '2024-10-31'});
cmp_ok($opened, '>', 5000, "the day's first refresh opened many history rows ($opened)");

# orders on 31 October of 5,000 members, a third of them among those whose
# history row was opened that day; the second refresh of the day, explained
$node->safe_psql('postgres', q{
INSERT INTO orders
SELECT member_id, DATE '2024-10-31', 55 FROM (
  (SELECT member_id FROM rfm_sd.label_history WHERE valid_from = '2024-10-31' ORDER BY member_id LIMIT 1700)
  UNION
  (SELECT member_id FROM rfm_sd.label_state ORDER BY member_id DESC LIMIT 3300)) t;
});
my ($ret, $out, $err) = $node->psql('postgres', q{
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_format = json;
SET auto_explain.log_level = notice;
SET client_min_messages = notice;
SELECT changed FROM rfm.refresh('sd', '2024-10-31');
});
is($ret, 0, 'the second refresh of the day ran') or diag($err);
cmp_ok($out, '>', 1000, "it changed many members' labels ($out)");

# the plans of the statements joining label_history with the changed members
my @plans;
while ($err =~ /plan:\n(\{.*?\n\})\n/sg)
{
	my $plan = decode_json($1);
	push @plans, $plan
	  if $plan->{'Query Text'} =~ /label_history/
	  && $plan->{'Query Text'} =~ /_rfm_changed/
	  && $plan->{'Query Text'} =~ /^\s*(DELETE|UPDATE)/;
}
cmp_ok(scalar(@plans), '>=', 3,
	'the statements that replace and close history rows were explained (' . scalar(@plans) . ')');

# "Seq Scan on rel" when a nested loop's inner side reads a whole table, or
# when label_history is read whole anywhere (it holds every member's history)
sub inner_scans
{
	my ($node) = @_;
	my @found;
	my @kids = @{ $node->{Plans} // [] };
	push @found, "Seq Scan on label_history"
	  if $node->{'Node Type'} eq 'Seq Scan' && $node->{'Relation Name'} eq 'label_history';
	if ($node->{'Node Type'} eq 'Nested Loop' && @kids == 2)
	{
		my $inner = $kids[1];
		$inner = $inner->{Plans}[0]
		  while $inner->{'Node Type'} =~ /^(Materialize|Memoize)$/;
		push @found, "$inner->{'Node Type'} on $inner->{'Relation Name'}"
		  if $inner->{'Node Type'} eq 'Seq Scan';
	}
	push @found, inner_scans($_) for @kids;
	return @found;
}

sub shape
{
	my ($node, $ind) = @_;
	my $s = "$ind$node->{'Node Type'}" . ($node->{'Relation Name'} ? " on $node->{'Relation Name'}" : '')
	  . ($node->{'Index Name'} ? " using $node->{'Index Name'}" : '') . " (rows $node->{'Plan Rows'})\n";
	$s .= shape($_, "$ind  ") for @{ $node->{Plans} // [] };
	return $s;
}

for my $plan (@plans)
{
	(my $what = $plan->{'Query Text'}) =~ s/\s+/ /g;
	$what = substr($what, 0, 90);
	my @bad = inner_scans($plan->{Plan});
	note(shape($plan->{Plan}, ''));
	is("@bad", '', "driven by the changed members' keys: $what");
}

# and the history is what one refresh of that day gives: one open row per
# member, none opened after 31 October, the touched members' rows valid
is($node->safe_psql('postgres', q{
SELECT count(*) FROM rfm_sd.label_history h
 WHERE valid_to IS NULL
 GROUP BY member_id HAVING count(*) > 1}), '', 'one open history row per member');

$node->stop;
done_testing();
