-- create_profile, update_profile, assign_profile, set_default_profile, delete_profile,
-- list_profiles and my_profile, as an operator: results, audit records and malformed settings.
begin;
set local search_path = tap, public;
select plan(27);

select coord_test.operator('ops');
select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.auditor('audrey');
select coord_test.operator('ops', 'blue');

select coord_test.login('ops');
select results_eq($$select code, profile, details ->> 'max_locks', details ->> 'max_lock_ttl' from api.create_profile(
                      'builders', 2, '{"max_locks": 20, "max_lock_ttl": "1 hour", "allowed_task_kinds": ["build"],
                                       "description": "CI builders"}')$$,
                  $$values ('created', 'builders', '20', '01:00:00')$$, 'create_profile creates, details are the profile');
select results_eq($$select code, details ->> 'max_locks', details ->> 'calls_per_hour' from api.update_profile(
                      'builders', '{"max_locks": null, "calls_per_hour": 5000}')$$,
                  $$values ('updated', null, '5000')$$, 'update_profile changes what it names; null clears a limit');
select results_eq($$select code, profile from api.assign_profile('alice', 'builders')$$, $$values ('assigned', 'builders')$$,
                  'assign_profile gives an agent the profile');
select results_eq($$select name, agents, is_default from api.list_profiles()$$,
                  $$values ('builders', 1, false), ('standard', 0, true)$$,
                  'list_profiles: every profile of the tenant with its agents and the default');
select is((select code from api.delete_profile('builders')), 'in_use', 'a profile an agent has is in_use');
select is((select details ->> 'agents' from api.delete_profile('builders')), '1', 'naming how many agents have it');
select is((select code from api.create_profile('careful', 1)), 'created', 'a second profile');
select results_eq($$select code, profile from api.set_default_profile('careful')$$, $$values ('default_set', 'careful')$$,
                  'set_default_profile makes it the tenant default');
select is((select code from api.delete_profile('careful')), 'in_use', 'the default is in_use');
select is((select code from api.assign_profile('alice')), 'assigned', 'assigning no profile moves an agent back to the default');
select is((select code from api.delete_profile('builders')), 'deleted', 'an unused profile is deleted');

select coord_test.login('alice');
select results_eq($$select name, trust_level from api.my_profile()$$, $$values ('careful', 1)$$,
                  'my_profile: the tenant default applies to an agent without its own');
select coord_test.login('bob');
select is((select name from api.my_profile()), 'careful', 'to every such agent, from its next call');
select coord_test.login('audrey');
select throws_ok($$select api.my_profile()$$, '42501', null, 'auditors have no profile (42501)');
select is((select count(*)::int from api.list_profiles()), 2, 'but may list profiles');
select throws_ok($$select api.create_profile('x', 1)$$, '42501', null, 'and may not create them (42501)');

-- Another tenant's profiles are not there.
select coord_test.login('ops', 'blue');
select is((select array_agg(name) from api.list_profiles()), array['standard'], 'another tenant lists only its own');
select throws_ok($$select api.assign_profile('alice', 'careful')$$, 'CO302', null, 'and cannot reach this tenant''s agents');
select throws_ok($$select api.update_profile('careful', '{}')$$, 'CO462', null, 'nor its profiles');

-- Malformed input.
select coord_test.login('ops');
select throws_ok($$select api.create_profile('Bad Name', 1)$$, 'CO461', null, 'a bad profile name is CO461');
select throws_ok($$select api.create_profile('p', 5)$$, 'CO463', null, 'trust 5 is CO463');
select throws_ok($$select api.create_profile('p', 2, '{"max_lockz": 1}')$$, 'CO463', null, 'an unknown setting is CO463');
select throws_ok($$select api.create_profile('p', 2, '{"max_lock_ttl": "2 days"}')$$, 'CO463', null, 'a ttl over 24 h is CO463');
select throws_ok($$select api.create_profile('careful', 1)$$, 'CO304', null, 'a name in use is CO304');
select throws_ok($$select api.delete_profile('nope')$$, 'CO462', null, 'an unknown profile is CO462');
select throws_ok($$select api.assign_profile('nobody', 'careful')$$, 'CO302', null, 'an unknown agent is CO302');
select coord_test.logout();

select is((select array_agg(e.action || ':' || e.decision order by e.id) from coord_test.events('profile.*', 'main') as e
           where e.target_id in ('builders', 'careful')),
          array['profile.create:created', 'profile.update:updated', 'profile.delete:in_use', 'profile.delete:in_use',
                'profile.create:created', 'profile.set_default:default_set', 'profile.delete:in_use', 'profile.delete:deleted'],
          'every profile change is audited in order');

select * from finish();
rollback;
