-- add_guardrail, set_guardrail_enabled, list_guardrails and list_guardrail_vocabulary:
-- operators write operation rules (actions on target classes, in the vocabulary's words) and
-- pattern rules; enable and disable any rule; every change audited; rules stay in their tenant.
begin;
set local search_path = tap, public;
select plan(27);

select coord_test.operator('ops');
select coord_test.operator('viewer', p_scopes => '{guardrails:read}');
select coord_test.agent('alice');
select coord_test.auditor('audrey');
select coord_test.operator('ops', 'blue');
select coord_test.agent('bob', 'blue');

select coord_test.login('alice');
select is((select code from api.check_operation('command', 'curl https://evil.example/x')), 'allowed',
          'before: fetching a URL is allowed');
select is((select count(*)::int from api.list_guardrail_vocabulary() where (kind, name) in (('action', 'delete-tree'),
                                                                                        ('target', 'home-data'))), 2,
          'list_guardrail_vocabulary names the actions and target classes rules are written in');

select coord_test.login('ops');
select results_eq($$select code, details ->> 'override_trust' from api.add_guardrail('no-evil', 'network', 'command', 'high',
                      p_pattern => 'curl .*evil\.example', p_description => 'nothing from evil.example')$$,
                  $$values ('added', '4')$$, 'a pattern rule is added; a high rule is overridden at trust 4 only');
select is((select code from api.add_guardrail('keep-docs', 'filesystem', 'any', 'medium', p_mode => 'needs_approval',
                                              p_actions => '{delete-tree}', p_targets => '{home-data}')), 'added',
          'an operation rule is added');
select results_eq($$select name, builtin, applies_to, actions, targets, mode, enabled from api.list_guardrails('filesystem')
                    where name = 'keep-docs'$$,
                  $$values ('keep-docs', false, 'any', '{delete-tree}'::text[], '{home-data}'::text[], 'needs_approval', true)$$,
                  'list_guardrails shows it, with its category filter');
select ok((select bool_and(builtin) from api.list_guardrails() where name in ('delete-system', 'git-force-push')),
          'the shipped rules are there too, marked builtin');

select coord_test.login('alice');
select results_eq($$select code, matches -> 0 ->> 'name' from api.check_operation('command', 'curl https://evil.example/x')$$,
                  $$values ('blocked', 'no-evil')$$, 'after: the pattern rule blocks');
select coord_test.login('bob', 'blue');
select is((select code from api.check_operation('command', 'curl https://evil.example/x')), 'allowed',
          'another tenant is not bound by it');

select coord_test.login('ops');
select results_eq($$select code, details ->> 'enabled' from api.set_guardrail_enabled('no-evil', false)$$,
                  $$values ('disabled', 'false')$$, 'set_guardrail_enabled disables a rule');
select is((select code from api.set_guardrail_enabled('no-evil', false)), 'unchanged', 'twice is unchanged');
select is((select code from api.set_guardrail_enabled('git-force-push', false)), 'disabled', 'shipped rules can be disabled too');
select coord_test.login('alice');
select is((select code from api.check_operation('command', 'curl https://evil.example/x')), 'allowed', 'a disabled rule matches nothing');
select is((select code from api.check_operation('command', 'git push -f')), 'allowed', 'neither does a disabled shipped one');
select coord_test.login('ops');
select is((select code from api.set_guardrail_enabled('no-evil', true)), 'enabled', 'and enabled again');

-- Refusals: the scope, and roles without the grant.
select coord_test.login('viewer');
select results_eq($$select ok, code from api.add_guardrail('x', 'git', 'command', 'low', p_pattern => 'x')$$,
                  $$values (false, 'denied')$$, 'without guardrails:admin adding is denied');
select is((select code from api.set_guardrail_enabled('no-evil', false)), 'denied', 'and so is disabling');
select coord_test.login('alice');
select throws_ok($$select api.add_guardrail('x', 'git', 'command', 'low', p_pattern => 'x')$$, '42501', null,
                 'agents may not add rules (42501)');
select coord_test.login('audrey');
select throws_ok($$select api.set_guardrail_enabled('no-evil', false)$$, '42501', null, 'auditors may not disable them (42501)');

-- Malformed rules.
select coord_test.login('ops');
select throws_ok($$select api.add_guardrail('x', 'weather', 'command', 'low', p_pattern => 'x')$$, 'CO474', null,
                 'an unknown category is CO474');
select throws_ok($$select api.add_guardrail('x', 'git', 'command', 'high', p_pattern => 'x', p_override_trust => 3::smallint)$$,
                 'CO474', null, 'a high rule overridable at trust 3 is CO474');
select throws_ok($$select api.add_guardrail('x', 'git', 'any', 'low', p_actions => '{explode}')$$, 'CO474', null,
                 'an action outside the vocabulary is CO474');
select throws_ok($$select api.add_guardrail('x', 'git', 'command', 'low', p_pattern => 'x', p_targets => '{root}')$$, 'CO474', null,
                 'targets without actions are CO474');
select throws_ok($$select api.add_guardrail('x', 'git', 'command', 'low', p_pattern => '((')$$, 'CO473', null,
                 'a pattern that is no regular expression is CO473');
select throws_ok($$select api.add_guardrail('no-evil', 'git', 'command', 'low', p_pattern => 'x')$$, 'CO476', null,
                 'a name in use is CO476');
select throws_ok($$select api.set_guardrail_enabled('nope', false)$$, 'CO475', null, 'an unknown rule is CO475');
select coord_test.login('ops', 'blue');
select throws_ok($$select api.set_guardrail_enabled('no-evil', false)$$, 'CO475', null, 'another tenant''s rule is unknown (CO475)');
select coord_test.logout();

select is((select array_agg(e.action || ':' || e.decision order by e.id) from coord_test.events('guardrail.*', 'main') as e
           where e.target_id = 'no-evil' and e.action <> 'guardrail.check'),
          array['guardrail.add:added', 'guardrail.disable:disabled', 'guardrail.enable:enabled', 'guardrail.disable:denied'],
          'rule changes and refusals are audited');

select * from finish();
rollback;
