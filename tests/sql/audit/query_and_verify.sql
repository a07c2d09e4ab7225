-- query_audit, verify_audit and audit_head: auditors and operators read their tenant's log
-- with filters; verification and heads are themselves audited; a saved head the chain no
-- longer holds is a broken result; malformed heads and filters are registered errors.
begin;
set local search_path = tap, public;
select plan(27);

select coord_test.agent('alice');
select coord_test.operator('ops');
select coord_test.operator('blind', p_scopes => '{locks:*}');
select coord_test.auditor('audrey');
select coord_test.auditor('other-auditor', 'blue');
select coord_test.agent('mallory', 'blue');

select coord_test.login('alice');
select fence as f1 from api.acquire_lock('a.py') \gset
select code from api.acquire_lock('b.py', p_mode => 'shared') \gset
select code from api.release_lock('a.py', :f1) \gset
select code from api.check_network('example.org') \gset
select coord_test.login('mallory', 'blue');
select code from api.acquire_lock('a.py') \gset

-- query_audit
select coord_test.login('audrey');
select results_eq($$select action, target_id, decision from api.query_audit(p_actor => 'alice')$$,
                  $$values ('network.check', 'example.org', 'denied'), ('lock.release', 'a.py', 'released'),
                           ('lock.acquire', 'b.py', 'granted'), ('lock.acquire', 'a.py', 'granted')$$,
                  'query_audit: newest first, filtered by actor');
select results_eq($$select target_id from api.query_audit(p_action => 'lock.*', p_decision => 'granted')$$,
                  $$values ('b.py'), ('a.py')$$, 'by action pattern and decision');
select is((select count(*)::int from api.query_audit(p_target_id => 'a.py', p_target_type => 'path')), 2, 'by target');
select is((select array_agg(distinct severity) from api.query_audit(p_severity => 'notice')), array['notice'],
          'by minimum severity');
select is((select count(*)::int from api.query_audit(p_since => now() + interval '1 day')), 0, 'by time');
select id as newest from api.query_audit(p_limit => 1) \gset
select is((select count(*)::int from api.query_audit(p_limit => 2)), 2, 'limited');
select is((select count(*)::int from api.query_audit(p_before_id => :newest) where id >= :newest), 0, 'paged with before_id');
select results_eq(format('select action from api.query_audit(p_after_id => %s, p_actor => %L, p_limit => 2)', :newest - 1000, 'alice'),
                  $$values ('lock.acquire'), ('lock.acquire')$$, 'tailed with after_id, oldest first');
select is((select count(*)::int from api.query_audit() where actor_name = 'mallory'), 0, 'another tenant''s events never show');
select throws_ok($$select * from api.query_audit(p_action => 'lock.%')$$, 'CO491', null, 'a LIKE pattern is no action pattern (CO491)');
select throws_ok($$select * from api.query_audit(p_severity => 'loud')$$, 'CO496', null, 'an unknown severity is CO496');
select throws_ok($$select * from api.query_audit(p_since => now(), p_until => now() - interval '1 hour')$$, 'CO496', null,
                 'since after until is CO496');
select throws_ok($$select * from api.query_audit(p_before_id => 5, p_after_id => 1)$$, 'CO496', null,
                 'before_id and after_id at once is CO496');
select throws_ok($$select * from api.query_audit(p_since => '-infinity')$$, 'CO226', null, 'an infinite since is CO226');
select throws_ok($$select * from api.query_audit(p_limit => 1001)$$, 'CO224', null, 'a limit over 1000 is CO224');

-- audit_head and verify_audit
select details ->> 'head' as head, details ->> 'chain_seq' as head_seq from api.audit_head() \gset
select ok(:'head' ~ ('^coord-audit-head:1:' || coord_test.tenant_id() || ':[0-9]+:[0-9a-f]{64}$'),
          'audit_head prints the head line: version, tenant, chain position, hash');
select results_eq(format('select ok, code, details -> %L ->> %L from api.verify_audit(p_head => %L)', 'guard', 'ok', :'head'),
                  $$values (true, 'intact', 'true')$$, 'verify_audit: the chain is intact, holds the head, the guard is on');
select is((select (details ->> 'unsealed')::int > 0 from api.verify_audit()), true,
          'this transaction''s events are not sealed yet (it is still open)');
select results_eq(format('select ok, code, details ->> %L from api.verify_audit(p_head => %L)', 'problem',
                         'coord-audit-head:1:' || coord_test.tenant_id() || ':' || (:head_seq::int + 5) || ':' || repeat('ab', 32)),
                  $$values (false, 'broken', 'head_missing')$$, 'a saved head beyond the chain''s end is broken: head_missing');
select throws_ok($$select api.verify_audit(p_head => 'coord-audit-head:2:x')$$, 'CO603', null, 'a malformed head is CO603');
select throws_ok(format('select api.verify_audit(p_head => %L)', 'coord-audit-head:1:' || coord_test.tenant_id('blue') || ':0:' || repeat('ab', 32)),
                 'CO604', null, 'a head of another tenant is CO604');
select coord_test.logout();
select is((select array[e.decision, e.severity] from coord_test.events('audit.head') as e), array['exported', 'notice'],
          'taking a head is audited');
select is((select array_agg(e.decision || ':' || e.severity order by e.id) from coord_test.events('audit.verify') as e),
          array['intact:info', 'intact:info', 'broken:critical'], 'each verification is audited, a broken one as critical');

-- Who may read and verify.
select coord_test.login('blind');
select throws_ok($$select * from api.query_audit()$$, 'PT403', null, 'without audit:read query_audit is PT403');
select is((select code from api.verify_audit()), 'denied', 'and verify_audit is denied (a result)');
select coord_test.login('alice');
select throws_ok($$select * from api.query_audit()$$, '42501', null, 'agents may not read the log (42501)');
select throws_ok($$select api.audit_head()$$, '42501', null, 'nor take heads');
select coord_test.logout();

select * from finish();
rollback;
