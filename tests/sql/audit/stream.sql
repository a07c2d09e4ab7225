-- The audit log as a stream (api.audit_since, coord audit tail --follow): operators and auditors
-- only, a cursor that is not an event of the tenant is an error.
begin;
set local search_path = tap, public;
select plan(3);

select coord_test.operator('ops');
select coord_test.agent('alice');

select coord_test.login('ops');
select is((select count(*)::int from api.audit_since(0)), 0, 'the running transaction''s events are not handed out yet');
select throws_ok($$select * from api.audit_since(-1)$$, 'CO651', null, 'a negative id is CO651');
select coord_test.login('alice');
select throws_ok($$select * from api.audit_since(0)$$, '42501', null, 'agents may not stream the audit log');
select * from finish();
rollback;
