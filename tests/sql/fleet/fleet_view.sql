-- The fleet view: every live lease for operators and auditors, the status document, and the
-- watch that makes the database announce changes; agents may not read it, a token without
-- the scope is refused.
begin;
set local search_path = tap, public;
select plan(11);

select coord_test.operator('ops');
select coord_test.auditor('audrey');
select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.operator('blind', p_scopes => '{tasks:*}');

select coord_test.login('alice');
select fence from api.acquire_lock('src/app.py', p_reason => 'refactor') \gset
select code from api.submit_task('build') \gset
select coord_test.login('ops');
select results_eq($$select path, mode, holder_name, reason from api.list_leases()$$,
                  $$values ('src/app.py', 'exclusive', 'alice', 'refactor')$$, 'list_leases: every live lease with its holder');
select results_eq(format('select fence from api.list_leases(p_agent => %L)', 'alice'), format('values (%s::bigint)', :fence),
                  'filtered by holder, with its fence');
select is((select count(*)::int from api.list_leases(p_agent => 'bob')), 0, 'bob holds none');
select is((select s -> 'counts' ->> 'leases' from api.fleet_status() as s), '1', 'fleet_status counts the lease');
select is((select (jsonb_path_query_first(s, '$.queue[*] ? (@.kind == "build").ready'))::int from api.fleet_status() as s),
          1, 'and the ready task by kind');
select throws_ok($$select api.fleet_status(0)$$, 'CO224', null, 'limit 0 is CO224');
select is((select code from api.watch_fleet()), 'watching', 'watch_fleet takes the watch');
select coord_test.login('audrey');
select is((select count(*)::int from api.list_leases()), 1, 'auditors list leases too');
select coord_test.login('alice');
select throws_ok($$select * from api.list_leases()$$, '42501', null, 'agents may not list every lease (42501)');
select coord_test.login('blind');
select throws_ok($$select api.fleet_status()$$, 'PT403', null, 'an operator token without the scope is PT403');
select results_eq($$select ok, code from api.watch_fleet()$$, $$values (false, 'denied')$$,
                  'and watch_fleet is denied (a result)');
select * from finish();
rollback;
