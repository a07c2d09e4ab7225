-- Nobody raises their own trust through profiles: trust-4 agents manage profiles, but never
-- the one they act under, never themselves, never above their own trust; lower trust is
-- denied; a suspended agent still reads its own profile. Each refusal is audited with its rule.
begin;
set local search_path = tap, public;
select plan(14);

select coord_test.agent('admin');
select coord_test.set_profile('admin', 4);
select coord_test.agent('worker');
select coord_test.agent('frozen');
select coord_test.set_profile('frozen', 0, '{"description": "on hold"}');

select coord_test.login('admin');
select is((select code from api.create_profile('helpers', 3)), 'created', 'a trust-4 agent creates a profile');
select is((select code from api.assign_profile('worker', 'helpers')), 'assigned', 'and assigns it to another agent');
select is((select code from api.update_profile('helpers', '{"max_locks": 5}')), 'updated', 'and changes it');
select is((select code from api.update_profile('admin-profile', '{"max_locks": 5}')), 'denied',
          'but not the profile it acts under');
select is((select code from api.assign_profile('admin', 'helpers')), 'denied', 'nor assign itself');
select is((select code from api.set_default_profile('helpers')), 'default_set',
          'it may move the tenant default, which it does not act under');
select is((select code from api.delete_profile('admin-profile')), 'denied', 'nor delete its own');
select coord_test.logout();
select is((select array_agg(distinct e.rule) from coord_test.events('profile.*') as e where e.actor_name = 'admin' and e.decision = 'denied'),
          array['profile.self_change'], 'each of those is denied as profile.self_change');

select coord_test.login('worker');
select is((select code from api.create_profile('mine', 1)), 'denied', 'a trust-3 agent may not manage profiles');
select is((select trust_level from api.my_profile()), 3, 'it reads its own profile');
select coord_test.login('frozen');
select results_eq($$select name, trust_level, description from api.my_profile()$$,
                  $$values ('frozen-profile', 0, 'on hold')$$, 'a suspended agent (trust 0) still reads its profile');
select throws_ok($$select * from api.list_profiles()$$, 'PT403', null, 'but not the tenant''s profiles');
select coord_test.logout();
select is((select rule from coord_test.events('profile.create') as e where e.actor_name = 'worker'), 'trust.too_low',
          'the trust-3 refusal is audited with its rule');
select is((select array[e.decision, e.severity] from coord_test.events('profile.assign') as e where e.actor_name = 'admin'
           and e.decision = 'assigned'), array['assigned', 'notice'], 'the allowed assignment is audited too');

select * from finish();
rollback;
