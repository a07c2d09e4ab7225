-- check_locks: one row per overlapping live lease, fences only for your own.
begin;
set local search_path = tap, public;
select plan(7);

select token as a_token from coord.register_principal(coord.ensure_tenant('spec'), 'agent', 'alice') \gset
select token as b_token from coord.register_principal(coord.ensure_tenant('spec'), 'agent', 'bob') \gset

select api.login(:'a_token') is not null as ok \gset
select fence as fa from api.acquire_lock('src/a.py') \gset
select api.login(:'b_token') is not null as ok \gset
select fence as fb from api.acquire_lock('src/b.py', p_mode => 'shared') \gset
create temp table checked on commit drop as select * from api.check_locks(array['src/', 'src/a.py', 'docs/x.md']);
reset role;

select is((select count(*)::int from checked where path = 'src/'), 2, 'a directory overlaps both files inside it');
select is((select locked from checked where path = 'docs/x.md'), false, 'a free path gets one row with locked = false');
select is((select holder_name from checked where path = 'src/a.py'), 'alice', 'the holder is named');
select is((select fence from checked where path = 'src/a.py'), null::bigint, 'another agent''s fence is not shown');
select is((select fence from checked where lock_path = 'src/b.py' and path = 'src/'), :fb::bigint, 'your own fence is shown');
select throws_ok($$select * from api.check_locks('{}')$$, 'PT401', null, 'without a principal the call is refused');
select api.login(:'a_token') is not null as ok \gset
select throws_ok($$select * from api.check_locks('{}')$$, 'CO217', null, 'an empty list is CO217');

select * from finish();
rollback;
