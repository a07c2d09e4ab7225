-- The start of a session in one call: the latest handoff, the caller's leases, the top memories
-- of its repository and the ready work.
begin;
set local search_path = tap, public;
select plan(4);

select coord_test.agent('alice');
select coord_test.login('alice');
select code from api.write_handoff('half done', p_next_steps => '{finish}') \gset
select fence from api.acquire_lock('src/app.py') \gset
select code from api.remember('procedural', 'run the linter before committing') \gset
select code from api.submit_task('build') \gset
select is((select c -> 'handoff' ->> 'summary' from api.session_context() as c), 'half done', 'the latest handoff');
select is((select c -> 'leases' -> 0 ->> 'path' from api.session_context() as c), 'src/app.py', 'the leases');
select is((select c -> 'memories' -> 0 ->> 'content' from api.session_context() as c), 'run the linter before committing',
          'the top memories');
select is((select jsonb_array_length(c -> 'ready_tasks') from api.session_context() as c), 1, 'the ready work');
select * from finish();
rollback;
