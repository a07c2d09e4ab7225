-- The policy engine and Cedar policies as a DBA sees them in psql, on any server: a tenant
-- decides natively until an operator chooses otherwise; the registered errors of bad input; the
-- shipped baseline shown while no version is stored. (Storing and deciding with Cedar need
-- PL/Python: tests/test_cedar.py runs them on PostgreSQL 15.)
begin;
set local search_path = tap, public;
select plan(7);

select coord_test.operator('ops');
select coord_test.login('ops');
select is((select engine from api.cedar_policy()), 'native', 'a tenant decides natively at first');
select is((select version from api.cedar_policy()), null::integer, 'no version stored: the baseline is shown');
select ok((select policy from api.cedar_policy()) like '%@id("trust.escalation")%', 'the baseline names the native rules');
select is((select count(*)::int from api.cedar_policy_history()), 0, 'no history yet');
select throws_ok($$select api.set_policy_engine('opa', 'try')$$, 'CO564', null, 'an unknown engine is CO564');
select throws_ok($$select api.set_cedar_policy('', 'empty')$$, 'CO562', null, 'an empty policy is CO562');
select throws_ok($$select api.rollback_cedar_policy(99, 'none')$$, 'CO563', null, 'an unknown version is CO563');

select * from finish();
rollback;
