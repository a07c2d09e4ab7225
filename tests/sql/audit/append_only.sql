-- The audit log refuses UPDATE, DELETE and TRUNCATE, even for superusers and in replica mode.
begin;
set local search_path = tap, public;
select plan(8);
-- The refused commands lock the audit log before they are refused; on a busy server they
-- give up after a moment rather than queue everyone else's inserts behind them.
set local lock_timeout = '5s';

select coord_test.agent('alice');
select coord_test.login('alice');
select code from api.acquire_lock('a.py') \gset
select coord_test.logout();

select cmp_ok((select count(*)::int from coord_test.events('lock.acquire') where target_id = 'a.py'), '=', 1,
              'the grant was audited');
select throws_ok($$update audit.events set reason = 'x'$$, 'CO601', null, 'UPDATE is refused');
select throws_ok($$delete from audit.events$$, 'CO601', null, 'DELETE is refused');
select throws_ok($$truncate audit.events$$, 'CO601', null, 'TRUNCATE is refused');
select throws_ok(format('delete from %s', (select tableoid::regclass from audit.events where id = (coord_test.last_event('lock.acquire')).id)),
                 'CO601', null, 'DELETE on a partition directly is refused');
select throws_ok(format('truncate audit.%I', (select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
                   where i.inhparent = 'audit.events'::regclass order by c.relname limit 1)),
                 'CO601', null, 'TRUNCATE of a partition is refused');
set local session_replication_role = replica;
select throws_ok($$delete from audit.events$$, 'CO601', null, 'DELETE is refused in replica mode');
select throws_ok($$truncate audit.events$$, 'CO601', null, 'TRUNCATE is refused in replica mode');

select * from finish();
rollback;
