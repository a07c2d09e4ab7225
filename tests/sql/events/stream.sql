-- The typed event stream inside one transaction: its own events are not handed out (the writing
-- transaction is still running: the visibility rule), the head and the filters answer, a bad
-- type or cursor is an error, following is a result.
begin;
set local search_path = tap, public;
select plan(6);

select coord_test.operator('ops');
select coord_test.agent('alice');
select coord_test.agent('nosy', p_scopes => '{locks:*}');

select coord_test.login('alice');
select code from api.acquire_lock('src/app.py') \gset
select is((select count(*)::int from api.events_since(0)), 0,
          'an event of the running transaction is not handed out yet');
select ok((select held from api.events_head()) > 0, 'events of the running transaction count as held back');
select throws_ok($$select * from api.events_since(0, '{lease.takn}')$$, 'CO650', null, 'an unknown type is CO650');
select throws_ok($$select * from api.events_since(999999999999)$$, 'CO651', null, 'an unknown id is CO651');
select is((select code from api.follow_events()), 'following', 'follow_events registers the connection');
select coord_test.login('nosy');
select throws_ok($$select * from api.events_since()$$, 'PT403', null, 'a token without events:read is PT403');
select * from finish();
rollback;
