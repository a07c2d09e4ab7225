-- discover_agents (presence from heartbeat age) and write_handoff / read_handoff (what a new
-- session reads first), within the caller's tenant only.
begin;
set local search_path = tap, public;
select plan(21);

select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.agent('lister', p_scopes => '{locks:*}');
select coord_test.auditor('audrey');
select coord_test.agent('mallory', 'blue');

select coord_test.login('alice');
select session_id as a_sid from api.start_session('claude-code', '{python}', '60 seconds') \gset
select coord_test.login('bob');
select session_id as b_sid from api.start_session('codex', '{go}', '10 seconds') \gset
select coord_test.login('mallory', 'blue');
select session_id as m_sid from api.start_session('spy', '{python}') \gset
select coord_test.advance_clock('6 seconds');

select coord_test.login('audrey');
select results_eq($$select name, agent_type, presence from api.discover_agents()$$,
                  $$values ('alice', 'claude-code', 'online'), ('bob', 'codex', 'idle')$$,
                  'discover_agents: your tenant''s sessions, online within half the ttl, idle after');
select results_eq($$select name from api.discover_agents('python')$$, $$values ('alice')$$, 'filtered by capability');
select coord_test.advance_clock('5 seconds');
select results_eq($$select name from api.discover_agents(p_presence => 'offline')$$, $$values ('bob')$$,
                  'offline once the ttl passed');
select throws_ok($$select * from api.discover_agents(p_presence => 'away')$$, 'CO434', null, 'an unknown presence is CO434');
select coord_test.login('lister');
select throws_ok($$select * from api.discover_agents()$$, 'PT403', null, 'without sessions:read discover_agents is PT403');

-- Handoffs.
select coord_test.login('alice');
select task_id as task from api.submit_task('build') \gset
select ok, code, details ->> 'handoff_id' as h1
  from api.write_handoff('Half of the parser is done', '{lexer}', '{parser}', '{"keep it LL(1)"}', '{"finish the parser"}',
                         '{./src/parse.py,src/parse.py,src/lex.py}', :task, 'bob') \gset
select is(array[:'ok', :'code'], array['t', 'written'], 'write_handoff writes');
select code as h2_code, details ->> 'handoff_id' as h2 from api.write_handoff('Notes to self') \gset
select coord_test.login('bob');
select results_eq($$select author, to_agent, summary, relevant_files from api.read_handoff(p_for_me => true)$$,
                  $$values ('alice', 'bob', 'Half of the parser is done', '{src/lex.py,src/parse.py}'::text[])$$,
                  'read_handoff(p_for_me): what was addressed to you, files canonical and deduplicated');
select is((select count(*)::int from api.read_handoff()), 2, 'without filters: every handoff of the tenant');
select is((select handoff_id from api.read_handoff(p_task_id => :task)), :h1::bigint, 'by task');
select is((select summary from api.read_handoff(p_handoff_id => :h2)), 'Notes to self', 'by id');
select is((select count(*)::int from api.read_handoff(p_from_agent => 'bob')), 0, 'by author');
select coord_test.login('alice');
select is((select handoff_id from api.read_handoff(p_for_me => true)), :h2::bigint,
          'a handoff to nobody is for its author''s next session');
select coord_test.login('mallory', 'blue');
select is((select count(*)::int from api.read_handoff()), 0, 'another tenant reads none of them');
select throws_ok(format('select api.write_handoff(%L, p_task_id => %s)', 'x', :task), 'CO410', null,
                 'nor may it write about this tenant''s task (CO410)');
select throws_ok($$select api.write_handoff('x', p_to_agent => 'alice')$$, 'CO302', null, 'nor to its agents (CO302)');

-- Malformed input.
select coord_test.login('alice');
select throws_ok($$select api.write_handoff('')$$, 'CO441', null, 'an empty summary is CO441');
select throws_ok(format('select api.write_handoff(%L, %L::text[])', 'x', array(select 'i' || g from generate_series(1, 201) g)),
                 'CO441', null, 'over 200 items in a list is CO441');
select throws_ok($$select api.write_handoff('x', p_relevant_files => '{/etc/passwd}')$$, 'CO206', null,
                 'an absolute file is CO206');
select throws_ok($$select api.write_handoff('x', p_decisions => '{{a}}')$$, 'CO241', null, 'a list not flat is CO241');
select throws_ok($$select * from api.read_handoff(p_limit => 0)$$, 'CO224', null, 'read_handoff limit 0 is CO224');
select coord_test.logout();

select is((select array[e.actor_name, e.details ->> 'to_agent', e.details ->> 'relevant_files']
           from coord_test.events('handoff.write') as e where e.target_id = :'h1'),
          array['alice', 'bob', '2'], 'the handoff is audited (recipient and file count, not the text)');

select * from finish();
rollback;
