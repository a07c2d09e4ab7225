-- apply_team from psql: the diff is computed in the database, a second apply is a no-op, a dry
-- run writes nothing, and malformed documents are refused by SQLSTATE.
begin;
set local search_path = tap, public;
select plan(10);

select coord_test.operator('ops');

select coord_test.login('ops');
select code as dry, details as dry_details
from api.apply_team('{"version": 1, "agents": [{"name": "a1", "scopes": ["locks:*"]}, {"name": "a2"}]}', true) \gset
select count(*) as after_dry from api.list_principals() \gset
select code as first, details as first_details
from api.apply_team('{"version": 1, "agents": [{"name": "a1", "scopes": ["locks:*"]}, {"name": "a2"}]}') \gset
select code as second, details as second_details
from api.apply_team('{"version": 1, "agents": [{"name": "a2"}, {"name": "a1", "scopes": ["locks:*"]}]}') \gset
select code as pruned, details as pruned_details
from api.apply_team('{"version": 1, "agents": [{"name": "a2"}], "prune": true}') \gset
select throws_ok($$select api.apply_team('{"version": 1, "agents": [], "profiles": {}}')$$, 'CO231',
                 'the team file is malformed', 'unknown top-level keys are refused (CO231)');
select throws_ok($$select api.apply_team('{"version": 1, "agents": [{"name": "x"}, {"name": "x"}]}')$$, 'CO232',
                 'the team file names a principal twice', 'duplicate names are refused (CO232)');
select throws_ok($$select api.apply_team('{"version": 1, "agents": [{"name": "a2", "role": "operator"}]}')$$,
                 'CO233', 'a principal''s role cannot change', 'roles never change (CO233)');
select coord_test.logout();

select is(:'dry'::text, 'planned', 'a dry run plans');
select is(:after_dry::int, 1, 'and writes nothing');
select is(jsonb_array_length((:'dry_details'::jsonb) -> 'create'), 2, 'the plan creates both');
select is(:'first'::text, 'applied', 'the first apply creates');
select is((select array_agg(k order by k) from jsonb_object_keys((:'first_details'::jsonb) -> 'tokens') as k),
          array['a1', 'a2'], 'with one token each, shown once');
select is(:'second'::text, 'no_change', 'the same team in another order changes nothing');
select is((:'pruned_details'::jsonb) #>> '{disable,0,name}', 'a1', 'prune disables the undeclared, not the caller');

select * from finish();
rollback;
