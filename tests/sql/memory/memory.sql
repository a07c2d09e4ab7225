-- Agents' memory: remember and reinforce, recall with the parts of the score, visibility between
-- agents and tenants' operators, forget, and malformed input refused with its code.
begin;
set local search_path = tap, public;
select plan(13);

select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.operator('ops');

select coord_test.login('alice');
select results_eq($$select code from api.remember('semantic', 'claim_task takes the task''s leases', p_importance => 0.8)$$,
                  $$values ('remembered')$$, 'remember: a new memory');
select results_eq($$select code, (details ->> 'seen_count')::int from api.remember('semantic', 'claim_task takes the task''s leases')$$,
                  $$values ('reinforced', 2)$$, 'the same content again is reinforced, not added');
select is((select count(*)::int from api.list_memories()), 1, 'one memory listed');
select is((select code from api.remember('working', 'scratch', p_visibility => 'tenant')), 'remembered', 'a shared working memory');
select ok((select expires_at is not null from api.list_memories(p_tiers => '{working}')), 'working memories expire');
select results_eq($$select content, ranking from api.recall('how does claimTask take leases', p_limit => 1)$$,
                  $$values ('claim_task takes the task''s leases', 'text')$$, 'recall finds it by its identifier in another case');
select ok((select score > 0 and score <= relevance and recency = 1 and text_rank >= 0 and trigram > 0
           from api.recall('claim_task leases', p_limit => 1)), 'every row carries its score and the parts');

select coord_test.login('bob');
select is((select count(*)::int from api.recall('claim_task')), 0, 'a private memory is its author''s only');
select is((select count(*)::int from api.list_memories()), 1, 'the tenant-shared one is visible');
select is((select code from api.forget((select memory_id from api.list_memories()))), 'not_author',
          'agents forget only their own memories');

select coord_test.login('ops');
select is((select code from api.forget((select memory_id from api.list_memories()))), 'forgotten', 'operators may forget any');
select throws_ok($$select api.remember('long-term', 'x')$$, 'CO442', null, 'an unknown tier is CO442');
select throws_ok($$select api.remember('semantic', 'x', p_importance => 2)$$, 'CO444', null, 'importance above 1 is CO444');
select * from finish();
rollback;
