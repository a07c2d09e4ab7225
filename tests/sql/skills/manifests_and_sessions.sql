-- register_skill, get_skill, list_skills, retire_skill and validate_skill: a manifest stored
-- canonical, a session under the skill held to it, the dry run agreeing with the live calls,
-- retiring, and another tenant seeing none of it.
begin;
set local search_path = tap, public;
select plan(14);

select coord_test.operator('ops');
select coord_test.agent('alice');
select coord_test.operator('ops', 'blue');

select coord_test.login('ops');
select is((select code from api.register_skill('web', '1.0.0',
            '{"network": ["PyPI.org."], "files": [{"path": "src/", "access": "write"}], "env": ["HOME"]}')),
          'registered', 'an operator registers a skill version');
select is((select manifest from api.get_skill('web@1.0.0')),
          '{"network": ["pypi.org"], "files": [{"path": "src/**", "access": "write"}], "env": ["HOME"]}'::jsonb,
          'the manifest is stored canonical');
select throws_ok($$select api.register_skill('web', '1.0.1', '{"files": [{"path": "**", "access": "read"}]}')$$,
                 'CO762', null, 'a pattern reaching every file is CO762');
select throws_ok($$select api.register_skill('web', '1.0.0', '{}')$$, 'CO767', null, 'a version is immutable (CO767)');
select coord_test.logout();

select coord_test.login('alice');
select session_id as alice_session from api.start_session(p_skill => 'web@1.0.0') \gset
select coord_test.logout();
select coord_test.login('alice', 'main', :'alice_session');
select is((select code from api.acquire_lock('src/app.py')), 'granted', 'a lease the manifest covers is granted');
select is((select code from api.acquire_lock('infra/main.tf')), 'outside_skill', 'a lease outside it is outside_skill');
select is((select details -> 'needs' from api.check_network('example.com')), '{"network": "example.com"}'::jsonb,
          'a host outside it names the missing entry');
select is((select code from api.check_operation('env', 'GITHUB_TOKEN')), 'outside_skill', 'so does an env read');
select is((select array_agg(code order by position) from api.validate_skill('web@1.0.0',
            '[{"kind": "lock", "path": "src/b.py"}, {"kind": "lock", "path": "infra/x"}, {"kind": "network", "domain": "pypi.org"}]')),
          array['allowed', 'outside_skill', 'allowed'], 'the dry run says the same');
select coord_test.logout();
select is((select count(*)::int from coord_test.events('lock.acquire') as e
           where e.decision = 'outside_skill' and e.details ->> 'skill' = 'web@1.0.0'), 1,
          'the refusal is audited with the skill and its version');

select coord_test.login('ops');
select is((select code from api.retire_skill('web')), 'retired', 'retiring a skill');
select is((select count(*)::int from api.list_skills()), 0, 'retired versions are listed only on request');
select coord_test.logout();

select coord_test.login('ops', 'blue');
select is((select count(*)::int from api.list_skills(p_include_retired => true)), 0, 'another tenant lists none');
select throws_ok($$select api.get_skill('web')$$, 'CO765', null, 'and cannot read it (CO765)');
select coord_test.logout();

select * from finish();
rollback;
