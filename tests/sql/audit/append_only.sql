-- The audit log refuses UPDATE, DELETE and TRUNCATE, even for superusers and in replica mode.
begin;
set local search_path = tap, public;
select plan(8);

select token as a_token from coord.register_principal(coord.ensure_tenant('spec'), 'agent', 'alice') \gset
select api.login(:'a_token') is not null as ok \gset
select code from api.acquire_lock('a.py') \gset
reset role;

select cmp_ok((select count(*)::int from audit.events where action = 'lock.acquire' and target_id = 'a.py'), '=', 1,
              'the grant was audited');
select throws_ok($$update audit.events set reason = 'x'$$, 'CO601', null, 'UPDATE is refused');
select throws_ok($$delete from audit.events$$, 'CO601', null, 'DELETE is refused');
select throws_ok($$truncate audit.events$$, 'CO601', null, 'TRUNCATE is refused');
select throws_ok(format('delete from %s', (select tableoid::regclass from audit.events where target_id = 'a.py')),
                 'CO601', null, 'DELETE on a partition directly is refused');
select throws_ok(format('truncate audit.%I', (select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
                   where i.inhparent = 'audit.events'::regclass order by c.relname limit 1)),
                 'CO601', null, 'TRUNCATE of a partition is refused');
set local session_replication_role = replica;
select throws_ok($$delete from audit.events$$, 'CO601', null, 'DELETE is refused in replica mode');
select throws_ok($$truncate audit.events$$, 'CO601', null, 'TRUNCATE is refused in replica mode');

select * from finish();
rollback;
