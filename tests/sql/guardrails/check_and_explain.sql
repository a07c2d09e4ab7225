-- check_operation and explain_operation against the shipped rules: blocked, needs_approval,
-- allowed, overridden by trust (never for critical rules); every check audited, violations
-- kept (list_guardrail_violations); explain records nothing.
begin;
set local search_path = tap, public;
select plan(26);

select coord_test.agent('alice');
select coord_test.agent('senior');
select coord_test.set_profile('senior', 4);
select coord_test.agent('nochecks', p_scopes => '{locks:*}');
select coord_test.operator('ops');
select coord_test.auditor('audrey');

select coord_test.login('alice');
select ok, code, normalized, overridden, trust, violation_id as v_root, matches -> 0 ->> 'name' as rule,
       matches -> 0 ->> 'severity' as severity
  from api.check_operation('command', 'sudo rm -rf /') \gset
select is(array[:'ok', :'code', :'normalized', :'overridden', :'trust'], array['f', 'blocked', 'rm -f -r /', 'f', '2'],
          'rm -rf / is blocked; the text is normalized (wrapper peeled, flags split)');
select is(array[:'rule', :'severity'], array['delete-system', 'critical'], 'by the critical rule delete-system');
select results_eq($$select ok, code, violation_id from api.check_operation('command', 'ls -la')$$,
                  $$values (true, 'allowed', null::bigint)$$, 'a harmless command is allowed, no violation');
select results_eq($$select code, matches -> 0 ->> 'name' from api.check_operation('command', 'git push --force origin main')$$,
                  $$values ('blocked', 'git-force-push')$$, 'a force push is blocked at trust 2');
select results_eq($$select code, matches -> 0 ->> 'mode' from api.check_operation('command', 'printenv')$$,
                  $$values ('needs_approval', 'needs_approval')$$, 'dumping the environment needs approval');
select is((select code from api.check_operation('sql', 'DROP TABLE users')), 'blocked', 'SQL is checked as SQL');
select is((select code from api.check_operation('sql', 'select 1 -- drop table users')), 'allowed', 'comments are not SQL');
select throws_ok($$select api.check_operation('shell', 'ls')$$, 'CO471', null, 'an unknown kind is CO471');
select throws_ok($$select api.check_operation('command', '')$$, 'CO472', null, 'empty text is CO472');
select results_eq(format('select code, matches -> 0 ->> %L from api.check_operation(%L, %L)', 'name', 'command',
                          repeat('x', 10000) || '; rm -rf /'),
                  $$values ('blocked', 'normalizer')$$,
                  'text over the 10000 characters a guardrail reads is blocked, not an error: it is what was to run');
select throws_ok(format('select api.explain_operation(%L, %L)', 'command', repeat('x', 10001)), 'CO472', null,
                 'explain_operation, which records nothing, still refuses it as CO472');

-- Trust overrides: high rules at trust 4, critical rules never.
select coord_test.login('senior');
select results_eq($$select ok, code, overridden from api.check_operation('command', 'git push --force origin main')$$,
                  $$values (true, 'allowed', true)$$, 'at trust 4 the high rule is overridden, and says so');
select is((select code from api.check_operation('command', 'rm -rf /')), 'blocked', 'a critical rule is never overridden');

-- explain_operation shows the reading without recording it.
select count(*) as events_before from coord_test.events() \gset
select coord_test.login('alice');
select results_eq($$select code, units -> 0 -> 'operation' ->> 'prog', units -> 0 -> 'effects' -> 0 ->> 'a'
                    from api.explain_operation('command', 'sudo rm -rf /')$$,
                  $$values ('blocked', 'rm', 'delete-tree')$$, 'explain_operation: the units, the program and its effects');
select throws_ok($$select * from api.explain_operation('shell', 'ls')$$, 'CO471', null, 'explain: an unknown kind is CO471');
select coord_test.login('audrey');
select is((select code from api.explain_operation('command', 'ls')), 'allowed', 'auditors may explain');
select is((select count(*) from coord_test.events()), :events_before::bigint, 'explaining wrote no event');
select throws_ok($$select api.check_operation('command', 'ls')$$, '42501', null, 'auditors may not check (42501)');

-- Without the scope: check is denied (a result), explain is PT403.
select coord_test.login('nochecks');
select results_eq($$select ok, code from api.check_operation('command', 'ls')$$, $$values (false, 'denied')$$,
                  'without guardrails:check a check is denied');
select throws_ok($$select * from api.explain_operation('command', 'ls')$$, 'PT403', null, 'without guardrails:read explain is PT403');

-- The record: every check an event, violations kept and listed for operators and auditors.
select coord_test.logout();
select is((select array[e.decision, e.severity] from coord_test.events('guardrail.check') as e
           where e.actor_name = 'alice' and e.target_id = 'command' order by e.id limit 1),
          array['blocked', 'warning'], 'the block is audited as guardrail.check');
select is((select count(*)::int from coord_test.events('guardrail.check') where actor_name in ('alice', 'senior')), 9,
          'every check is audited, allowed ones and the text too long to read included (the malformed ones are not)');
select coord_test.login('ops');
select results_eq(format('select principal_name, outcome, normalized from api.list_guardrail_violations() where violation_id = %s', :v_root),
                  $$values ('alice', 'blocked', 'rm -f -r /')$$, 'list_guardrail_violations shows the block');
select results_eq($$select outcome, count(*)::int from api.list_guardrail_violations() group by 1 order by 1$$,
                  $$values ('blocked', 5), ('needs_approval', 1), ('overridden', 1)$$,
                  'blocks, approvals needed and overrides are kept; allowed checks are not');
select is((select count(*)::int from api.list_guardrail_violations(p_limit => 2)), 2, 'paged by p_limit');
select throws_ok($$select * from api.list_guardrail_violations(p_limit => 0)$$, 'CO224', null, 'limit 0 is CO224');
select coord_test.logout();

select * from finish();
rollback;
