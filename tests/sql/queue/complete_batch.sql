-- complete_tasks: all or none, one row per item in the order given; refusals audited and
-- committed as complete_task's; a malformed batch is an error.
begin;
set local search_path = tap, public;
select plan(7);

select coord_test.agent('alice');
select coord_test.login('alice');
select count(*) from api.submit_tasks('[{"kind": "cb"}, {"kind": "cb"}, {"kind": "cb"}]');
select jsonb_agg(jsonb_build_object('task_id', task_id, 'claim', claim) order by task_id) as items
  from api.claim_tasks('{cb}', p_limit => 3) \gset
select array_agg(code order by n) as refused from (select code, row_number() over () as n from api.complete_tasks(
  jsonb_set(:'items'::jsonb, '{1,claim}', to_jsonb((:'items'::jsonb #>> '{1,claim}')::bigint + 1000)))) as r \gset
select count(*) as still_claimed from api.list_tasks(p_kind => 'cb', p_state => 'claimed') \gset
select array_agg(code order by n) as done, array_agg(task_id order by n) as done_ids
  from (select code, task_id, row_number() over () as n
        from api.complete_tasks(jsonb_build_array(:'items'::jsonb -> 2, :'items'::jsonb -> 0, :'items'::jsonb -> 1))) as r \gset
select count(*) as completed from api.list_tasks(p_kind => 'cb', p_state => 'completed') \gset
select coord_test.logout();

select is(:'refused'::text[], array['batch_refused', 'stale_claim', 'batch_refused'], 'one stale claim refuses the batch');
select is(:still_claimed::int, 3, 'a refused batch completes nothing');
select is(:'done'::text[], array['completed', 'completed', 'completed'], 'live claims complete together');
select is((:'done_ids'::bigint[])[1], (:'items'::jsonb #>> '{2,task_id}')::bigint, 'rows follow the input order');
select is(:completed::int, 3, 'every task is completed');

select coord_test.login('alice');
select throws_ok($$select * from api.complete_tasks('[]')$$, 'CO421', null, 'an empty batch is an error');
select throws_ok($$select * from api.complete_tasks('[{"task_id": 1, "claim": 1}, {"task_id": 1, "claim": 2}]')$$,
                 'CO421', null, 'a task twice is an error');
select coord_test.logout();

select * from finish();
rollback;
