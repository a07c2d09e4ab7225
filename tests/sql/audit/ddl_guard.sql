-- The audit trail refuses DDL typed by hand, even from superusers and in replica mode; the
-- partition functions still do theirs (tests/test_audit_guard.py covers the rest).
begin;
set local search_path = tap, public;
select plan(7);
-- The refused commands lock the audit log before they are refused; on a busy server they
-- give up after a moment rather than queue everyone else's inserts behind them.
set local lock_timeout = '5s';

select throws_ok(format('alter table audit.events detach partition audit.%I',
                        (select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
                         where i.inhparent = 'audit.events'::regclass order by c.relname desc limit 1)),
                 'CO602', null, 'detaching a month of events is refused');
select throws_ok($$alter table audit.chain_links disable trigger all$$, 'CO602', null,
                 'switching off the append-only triggers is refused');
select throws_ok($$drop table audit.archives$$, 'CO602', null, 'dropping the archives is refused');
select throws_ok($$create rule quiet as on insert to audit.events do instead nothing$$, 'CO602', null,
                 'a rule on the log is refused');
select throws_ok($$drop schema audit cascade$$, 'CO602', null, 'a cascade that could take the guard is refused');
set local session_replication_role = replica;
select throws_ok($$alter table audit.events no force row level security$$, 'CO602', null,
                 'refused in replica mode too (the event triggers fire always)');
reset session_replication_role;
select lives_ok($$select audit.ensure_partitions()$$, 'the partition functions still do their DDL');

select * from finish();
rollback;
