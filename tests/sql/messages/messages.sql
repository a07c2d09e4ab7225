-- Messages: the tenant default and rules, a send that reaches one recipient and skips another,
-- the inbox, ack, threads, the dry run, waiting, and malformed input refused with its code.
begin;
set local search_path = tap, public;
select plan(14);

select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.agent('carol');
select coord_test.operator('ops');

select coord_test.login('ops');
select is((select code from api.set_message_default('allow')), 'changed', 'the tenant default: allow');
select is((select code from api.deny_messages('*', 'carol', 'receive')), 'added', 'carol accepts nothing');
select is((select code from api.allow_messages('alice', 'bob')), 'added', 'an allow rule');
select is((select count(*)::int from api.list_message_rules()), 3, 'two rules and the default');
select results_eq($$select recipient, allowed, side from api.check_message_route('alice', '*')$$,
                  $$values ('bob', true, null::text), ('carol', false, 'receive')$$, 'the dry run per recipient');
select is((select code from api.remove_message_rule((select rule_id from api.list_message_rules() where action = 'allow' and from_party = 'alice'))),
          'removed', 'a rule removed');

select coord_test.login('alice');
select results_eq($$select code, details -> 'delivered', details -> 'skipped' -> 0 ->> 'side' from api.send_message('*', 'standup at 10', 'standup')$$,
                  $$values ('sent', '["bob"]'::jsonb, 'receive')$$, 'bob receives, carol is skipped on her side');
select is((select code from api.watch_inbox()), 'watching', 'a watcher');

select coord_test.login('bob');
select results_eq($$select sender, body from api.inbox()$$, $$values ('alice', 'standup at 10')$$, 'the inbox');
select is((select code from api.ack_messages(array[(select message_id from api.inbox())])), 'acked', 'ack');
select is((select count(*)::int from api.inbox()), 0, 'nothing unread');
select is((select count(*)::int from api.get_thread((select thread_id from api.list_threads()))), 1, 'the thread');
select set_config('test.thread', (select thread_id::text from api.list_threads()), true) is not null as kept;

select coord_test.login('carol');
select throws_ok($$select api.send_message('bob', '')$$, 'CO711', null, 'an empty body is CO711');
select throws_ok($$select api.get_thread(current_setting('test.thread')::bigint)$$, 'CO712', null,
                 'a thread carol is not in is CO712');
select * from finish();
rollback;
