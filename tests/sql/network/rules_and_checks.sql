-- check_network, add_network_rule, remove_network_rule and list_network_rules: rules for the
-- tenant, a profile or an agent; the highest priority decides, deny wins a tie; addresses
-- match in any spelling; every check is audited with what was asked.
begin;
set local search_path = tap, public;
select plan(26);

select coord_test.operator('ops');
select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.set_profile('bob', 2, '{"network_default": "allow"}');
select coord_test.auditor('audrey');

select coord_test.login('ops');
select details ->> 'rule_id' as r_pypi from api.add_network_rule('*.pypi.org', 'allow', 10, p_reason => 'packages') \gset
select details ->> 'rule_id' as r_meta from api.add_network_rule('169.254.0.0/16', 'deny', 100) \gset
select details ->> 'rule_id' as r_evil_deny from api.add_network_rule('evil.example', 'deny', 5) \gset
select details ->> 'rule_id' as r_evil_allow from api.add_network_rule('evil.example', 'allow', 5) \gset
select details ->> 'rule_id' as r_bob from api.add_network_rule('files.pypi.org', 'deny', 50, p_for_agent => 'bob') \gset
select results_eq($$select code, details ->> 'pattern' from api.add_network_rule('0xA9FEA9FE', 'deny', 1)$$,
                  $$values ('added', '169.254.169.254')$$, 'add_network_rule stores an address canonically');
select results_eq($$select pattern, action, priority, agent from api.list_network_rules() limit 3$$,
                  $$values ('169.254.0.0/16', 'deny', 100, null::text), ('files.pypi.org', 'deny', 50, 'bob'),
                           ('*.pypi.org', 'allow', 10, null)$$,
                  'list_network_rules: in the order they are tried');

select coord_test.login('alice');
select results_eq($$select ok, code, domain, decided_by from api.check_network('Files.PyPI.org.:443')$$,
                  $$values (true, 'allowed', 'files.pypi.org', 'tenant')$$, 'a subdomain rule allows, on the canonical name');
select results_eq($$select code, decided_by from api.check_network('pypi.org')$$, $$values ('denied', 'default')$$,
                  '*.pypi.org does not cover pypi.org itself: the tenant default (deny) decides');
select results_eq($$select code, rule_id::text from api.check_network('2852039166')$$,
                  format('values (%L, %L)', 'denied', :'r_meta'), 'an address in a spelling of its own meets the range rule');
select results_eq($$select code, domain from api.check_network('[::ffff:169.254.169.254]:80')$$,
                  $$values ('denied', '169.254.169.254')$$, 'so does its IPv4-mapped IPv6 form');
select is((select rule_id::text from api.check_network('evil.example')), :'r_evil_deny', 'deny wins a tie of priorities');
select coord_test.login('bob');
select results_eq($$select code, decided_by from api.check_network('files.pypi.org')$$, $$values ('denied', 'agent')$$,
                  'a rule for one agent outranks the tenant''s');
select results_eq($$select code, decided_by from api.check_network('example.org')$$, $$values ('allowed', 'default')$$,
                  'without a rule, the profile''s network_default decides');
select results_eq($$select code, domain, decided_by from api.check_network('http://Example.org:80/x?y')$$,
                  $$values ('allowed', 'example.org', 'default')$$, 'an http(s) URL is checked as the host it reaches');
select results_eq($$select code, decided_by from api.check_network('https://example.org\@files.pypi.org/')$$,
                  $$values ('denied', 'url')$$, 'a URL whose host parsers read differently is denied, not an error');
select throws_ok($$select api.check_network('example.org/x')$$, 'CO451', null, 'a path that is no URL is CO451');
select coord_test.logout();
select is((select array[e.decision, e.severity, e.details ->> 'requested', e.details ->> 'decided_by']
           from coord_test.events('network.check') as e where e.details ->> 'requested' = '2852039166'),
          array['denied', 'notice', '2852039166', 'tenant'], 'every check is audited with what was asked');

-- remove_network_rule
select coord_test.login('ops');
select results_eq(format('select code from api.remove_network_rule(%s)', :r_evil_deny), $$values ('removed')$$,
                  'remove_network_rule removes');
select throws_ok(format('select api.remove_network_rule(%s)', :r_evil_deny), 'CO453', null, 'removing it again is CO453');
select coord_test.login('alice');
select is((select code from api.check_network('evil.example')), 'allowed', 'without the deny rule the allow rule decides');

-- Refusals: agents below trust 4 may not manage rules; auditors read; other roles have no grant.
select is((select code from api.add_network_rule('x.example', 'allow')), 'denied', 'a trust-2 agent may not add rules');
select is((select code from api.remove_network_rule(:r_pypi)), 'denied', 'nor remove them');
select coord_test.login('audrey');
select is((select count(*)::int from api.list_network_rules()), 5, 'auditors list the rules');
select throws_ok($$select api.check_network('example.org')$$, '42501', null, 'but may not check (42501)');

-- Malformed input.
select coord_test.login('ops');
select throws_ok($$select api.add_network_rule('a.example', 'block')$$, 'CO452', null, 'an action other than allow/deny is CO452');
select throws_ok($$select api.add_network_rule('a.example', 'allow', 1001)$$, 'CO403', null, 'priority over 1000 is CO403');
select throws_ok($$select api.add_network_rule('10.1.2.3/8', 'deny')$$, 'CO454', null, 'bits past the prefix are CO454');
select throws_ok($$select api.add_network_rule('a.example', 'allow', p_for_agent => 'nobody')$$, 'CO302', null,
                 'an unknown agent is CO302');
select throws_ok($$select api.add_network_rule('a.example', 'allow', p_for_agent => 'bob', p_for_profile => 'standard')$$,
                 'CO452', null, 'an agent and a profile at once is CO452');
select coord_test.logout();
select is((select array[e.action, e.decision, e.details ->> 'pattern'] from coord_test.events('network.rule_*') as e
           where e.target_id = :'r_evil_deny' order by e.id desc limit 1),
          array['network.rule_remove', 'removed', 'evil.example'], 'rule changes are audited');

select * from finish();
rollback;
