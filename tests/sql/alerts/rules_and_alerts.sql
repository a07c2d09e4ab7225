-- Alert rules and alerts: denials by one actor within a window raise an alert at the rule's
-- threshold (audited as alert.raise); an open alert grows; operators resolve it with a note
-- and a later match raises a new one; rules are added and changed by operators only.
begin;
set local search_path = tap, public;
select plan(35);

select coord_test.operator('ops');
select coord_test.operator('reader-ops', p_scopes => '{alerts:read}');
select coord_test.operator('blind', p_scopes => '{locks:*}');
select coord_test.auditor('audrey');
select coord_test.agent('tasker', p_scopes => '{tasks:*}');
select coord_test.agent('alice');
select coord_test.operator('ops', 'blue');

select coord_test.login('ops');
select results_eq($$select name, threshold, severity, enabled, open_alerts from api.list_alert_rules()$$,
                  $$values ('guardrail-blocks', 3, 'warning', true, 0), ('login-drift', 1, 'critical', true, 0),
                           ('policy-denials', 5, 'warning', true, 0), ('revoked-token-use', 1, 'critical', true, 0)$$,
                  'list_alert_rules: every tenant starts with the default rules');
select results_eq($$select ok, code from api.add_alert_rule('lock-denials', 'lock.*', '{denied}', 2, '5 minutes', 'critical',
                                                            'two refused leases')$$,
                  $$values (true, 'added')$$, 'add_alert_rule adds a rule');
select results_eq($$select ok, code from api.add_alert_rule('lock-denials', 'lock.*', '{denied}', 3, '5 minutes')$$,
                  $$values (false, 'exists')$$, 'a rule name in use is exists (a result)');

-- Two denials of one agent raise the alert; a third grows it.
select coord_test.login('tasker');
select code from api.acquire_lock('a.py') \gset
select coord_test.login('ops');
select is((select count(*)::int from api.list_alerts()), 0, 'one denial is below the threshold');
select coord_test.login('tasker');
select code from api.acquire_lock('b.py') \gset
select coord_test.login('audrey');
select results_eq($$select rule, severity, state, actor_name, event_count from api.list_alerts()$$,
                  $$values ('lock-denials', 'critical', 'open', 'tasker', 2)$$, 'the second denial raises the alert');
select alert_id as alert from api.list_alerts() \gset
select coord_test.login('tasker');
select code from api.acquire_lock('c.py') \gset
select coord_test.login('audrey');
select is((select event_count from api.list_alerts()), 3, 'a third denial grows the open alert');
select is((select open_alerts from api.list_alert_rules() where name = 'lock-denials'), 1, 'the rule counts its open alert');
select is((select count(*)::int from api.list_alerts(p_state => 'open', p_severity => 'warning', p_rule => 'lock-denials',
                                                      p_actor => 'tasker', p_limit => 5)), 1,
          'list_alerts filters by state, minimum severity, rule and actor');
select is((select count(*)::int from api.list_alerts(p_before_id => :alert)), 0, 'and pages with before_id');
select throws_ok($$select * from api.list_alerts(p_state => 'closed')$$, 'CO496', null, 'an unknown state is CO496');
select throws_ok($$select * from api.list_alerts(p_severity => 'info')$$, 'CO496', null, 'an unknown severity is CO496');
select throws_ok($$select * from api.list_alerts(p_limit => 0)$$, 'CO224', null, 'limit 0 is CO224');
select throws_ok(format('select api.resolve_alert(%s, %L)', :alert, 'done'), '42501', null, 'auditors may not resolve (42501)');
select coord_test.logout();
select is((select array[e.actor_type::text, e.decision, e.rule, e.severity, e.details ->> 'actor_name']
           from coord_test.events('alert.raise') as e),
          array['system', 'raised', 'lock-denials', 'critical', 'tasker'], 'raising is audited as alert.raise, by the system');

-- Resolve, and a new alert afterwards.
select coord_test.login('ops');
select results_eq(format('select code, details ->> %L from api.resolve_alert(%s, %L)', 'event_count', :alert, 'token rotated'),
                  $$values ('resolved', '3')$$, 'resolve_alert resolves with a note');
select results_eq(format('select ok, code from api.resolve_alert(%s, %L)', :alert, 'again'), $$values (false, 'already_resolved')$$,
                  'resolving again is already_resolved');
select is((select resolution from api.list_alerts(p_state => 'resolved')), 'token rotated', 'the note is kept');
select throws_ok(format('select api.resolve_alert(%s, %L)', :alert, ' '), 'CO497', null, 'a blank note is CO497');
select throws_ok($$select api.resolve_alert(999999999, 'x')$$, 'CO494', null, 'an unknown alert is CO494');
select coord_test.login('tasker');
select code from api.acquire_lock('d.py') \gset
select code from api.acquire_lock('e.py') \gset
select coord_test.login('ops');
select is((select array_agg(rule order by rule) from api.list_alerts(p_state => 'open')), array['lock-denials', 'policy-denials'],
          'later matches raise a new alert (and the fifth denial the default policy-denials one)');

-- set_alert_rule: a disabled rule raises nothing.
select results_eq($$select code from api.set_alert_rule('lock-denials', p_enabled => false)$$, $$values ('changed')$$,
                  'set_alert_rule disables a rule');
select coord_test.login('tasker');
select code from api.acquire_lock('f.py') \gset
select coord_test.login('ops');
select results_eq($$select rule, event_count from api.list_alerts(p_state => 'open') order by rule$$,
                  $$values ('lock-denials', 2), ('policy-denials', 6)$$, 'a disabled rule no longer counts matches');
select is((select code from api.set_alert_rule('policy-denials', p_threshold => 10, p_within => '1 hour')), 'changed',
          'and changes a default one');
select results_eq($$select threshold, within from api.list_alert_rules() where name = 'policy-denials'$$,
                  $$values (10, interval '1 hour')$$, 'as asked');
select throws_ok($$select api.set_alert_rule('nope', p_enabled => true)$$, 'CO493', null, 'an unknown rule is CO493');
select throws_ok($$select api.add_alert_rule('x', 'lock.%', '{denied}', 1, '1 minute')$$, 'CO491', null, 'a bad pattern is CO491');
select throws_ok($$select api.add_alert_rule('x', 'lock.*', '{granted}', 1, '1 minute')$$, 'CO492', null,
                 'a decision that is no refusal is CO492');
select throws_ok($$select api.add_alert_rule('x', 'lock.*', '{denied}', 1, '8 days')$$, 'CO492', null, 'a window over 7 days is CO492');
select throws_ok($$select api.set_alert_rule('lock-denials', p_decisions => '{{denied}}')$$, 'CO241', null,
                 'decisions that are no flat list are CO241');

-- Refusals and tenants.
select coord_test.login('reader-ops');
select is((select code from api.set_alert_rule('lock-denials', p_enabled => true)), 'denied', 'without alerts:write: denied');
select coord_test.login('blind');
select throws_ok($$select * from api.list_alerts()$$, 'PT403', null, 'without alerts:read list_alerts is PT403');
select coord_test.login('alice');
select throws_ok($$select * from api.list_alert_rules()$$, '42501', null, 'agents may not read alert rules (42501)');
select coord_test.login('ops', 'blue');
select throws_ok(format('select api.resolve_alert(%s, %L)', :alert, 'x'), 'CO494', null, 'another tenant''s alert is unknown (CO494)');
select coord_test.logout();
select is((select array_agg(e.action || ':' || e.decision || ':' || e.actor_name order by e.id) from coord_test.events('alert.rule_*') as e
           where e.target_id = 'lock-denials'),
          array['alert.rule_add:added:ops', 'alert.rule_add:exists:ops', 'alert.rule_set:changed:ops', 'alert.rule_set:denied:reader-ops'],
          'rule changes are audited, refusals included');
select is((select array[e.decision, e.severity, e.reason, e.details ->> 'rule'] from coord_test.events('alert.resolve') as e
           where e.target_id = :'alert'),
          array['resolved', 'notice', 'token rotated', 'lock-denials'], 'the resolution is audited with its note');

select * from finish();
rollback;
