-- acquire_lock, exclusive leases: the same path or an enclosing/enclosed directory held by
-- another agent is busy; every decision is one lock.acquire audit event.
begin;
set local search_path = tap, public;
select plan(17);

select coord_test.agent('alice');
select coord_test.agent('bob');

select coord_test.login('alice');
select code as a1_code, fence as a1_fence, expires_at as a1_expires from api.acquire_lock('src/app.py', '10 minutes', 'refactor') \gset
select is(:'a1_code'::text, 'granted', 'alice is granted src/app.py');
select ok(:a1_fence::bigint > 0, 'a grant carries a positive fence');

select coord_test.login('bob');
select code as b1_code, holder_name as b1_holder, holder_expires_at as b1_until, fence is null as b1_no_fence,
       details -> 'conflicts' -> 0 ->> 'holder_name' as b1_conflict
  from api.acquire_lock('./src/../src/app.py') \gset
select code as b2_code, holder_path as b2_holder_path from api.acquire_lock('src/') \gset
select code as b3_code from api.acquire_lock('src/app.py/') \gset
select code as b4_code, fence as b4_fence from api.acquire_lock('src/other.py') \gset
select code as b5_code from api.acquire_lock('srcx/app.py') \gset
select coord_test.logout();
select is(:'b1_code'::text, 'busy', 'bob is busy on the same file (after normalization)');
select is(:'b1_holder'::text, 'alice', 'busy names the holder');
select is(:'b1_conflict'::text, 'alice', 'details.conflicts lists the lease in the way');
select is(:'b1_until'::timestamptz, :'a1_expires'::timestamptz, 'busy carries the holder''s expiry');
select ok(:'b1_no_fence'::boolean, 'busy carries no fence');
select is(:'b2_code'::text, 'busy', 'a directory lock over the file is busy');
select is(:'b2_holder_path'::text, 'src/app.py', 'the conflict names the path in the way');
select is(:'b3_code'::text, 'busy', 'a directory of the same name as the file overlaps it');
select is(:'b4_code'::text, 'granted', 'a sibling file is free');
select is(:'b5_code'::text, 'granted', 'a path that merely shares a prefix string is free');
select cmp_ok(:b4_fence::bigint, '>', :a1_fence::bigint, 'later grants carry larger fences');

-- The audit record of each decision.
select is((select count(*)::int from coord_test.events('lock.acquire')), 6, 'every acquire is one lock.acquire event');
select is((select array[e.actor_name, e.decision, e.details ->> 'fence', e.details ->> 'request_reason']
           from coord_test.events('lock.acquire') as e where e.target_id = 'src/app.py' and e.decision = 'granted'),
          array['alice', 'granted', :'a1_fence', 'refactor'], 'the grant: actor, decision, fence and reason');
select is((select e.details ->> 'holder_name' from coord_test.events('lock.acquire') as e
           where e.actor_name = 'bob' and e.target_id = 'src/app.py'), 'alice', 'a busy event names the holder');
select is((select e.rule from coord_test.events('lock.acquire') as e where e.actor_name = 'bob' limit 1),
          'profile.allowed', 'and carries the gate''s rule');

select * from finish();
rollback;
