-- list_archives and query_restored_audit: archived and restored months of your own tenant
-- only. (Archiving needs committed, sealed months and files: tests/test_retention.py; here the
-- reads, their refusals and their errors.)
begin;
set local search_path = tap, public;
select plan(8);

select coord_test.auditor('audrey');
select coord_test.operator('ops');
select coord_test.operator('blind', p_scopes => '{locks:*}');
select coord_test.agent('alice');

select coord_test.login('audrey');
select is((select count(*)::int from api.list_archives()), 0, 'a new tenant has no archived months');
select is((select count(*)::int from api.query_restored_audit()), 0, 'and no restored events');
select is((select count(*)::int from api.query_restored_audit('events_2020_01', 'lock.acquire', 10, 5)), 0,
          'filters by partition, action and position take the same path');
select throws_ok($$select * from api.query_restored_audit(p_limit => 0)$$, 'CO224', null, 'limit 0 is CO224');
select coord_test.login('ops');
select lives_ok($$select * from api.list_archives()$$, 'operators list archives too');
select coord_test.login('blind');
select throws_ok($$select * from api.list_archives()$$, 'PT403', null, 'without audit:read list_archives is PT403');
select throws_ok($$select * from api.query_restored_audit()$$, 'PT403', null, 'and query_restored_audit');
select coord_test.login('alice');
select throws_ok($$select * from api.list_archives()$$, '42501', null, 'agents may not (42501)');
select coord_test.logout();

select * from finish();
rollback;
