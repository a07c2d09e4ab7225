-- Trust-4 agents manage network rules for other agents and profiles, never rules that apply
-- to themselves; tenants never see or remove each other's rules.
begin;
set local search_path = tap, public;
select plan(9);

select coord_test.agent('admin');
select coord_test.set_profile('admin', 4);
select coord_test.agent('worker');
select coord_test.operator('ops');
select coord_test.operator('ops', 'blue');

select coord_test.login('ops');
select details ->> 'rule_id' as tenant_rule from api.add_network_rule('corp.example', 'allow') \gset
select coord_test.login('admin');
select code, details ->> 'rule_id' as worker_rule from api.add_network_rule('x.example', 'deny', p_for_agent => 'worker') \gset
select is(:'code'::text, 'added', 'a trust-4 agent adds a rule for another agent');
select is((select code from api.add_network_rule('y.example', 'allow', p_for_agent => 'admin')), 'denied', 'not for itself');
select is((select code from api.add_network_rule('y.example', 'allow')), 'denied', 'nor tenant-wide (it applies to itself)');
select is((select code from api.add_network_rule('y.example', 'allow', p_for_profile => 'admin-profile')), 'denied',
          'nor for its own profile');
select is((select code from api.remove_network_rule(:tenant_rule)), 'denied', 'nor removes a tenant-wide rule');
select is((select code from api.remove_network_rule(:worker_rule)), 'removed', 'but removes one for another agent');
select coord_test.logout();
select is((select array_agg(distinct e.rule) from coord_test.events('network.rule_*') as e where e.decision = 'denied'),
          array['profile.self_change'], 'the refusals are audited as profile.self_change');

select coord_test.login('ops', 'blue');
select is((select count(*)::int from api.list_network_rules()), 0, 'another tenant lists none of these rules');
select throws_ok(format('select api.remove_network_rule(%s)', :tenant_rule), 'CO453', null, 'and cannot remove them (CO453)');
select coord_test.logout();

select * from finish();
rollback;
