-- Approval requests: needs_approval records one request, a trust-4 agent or an operator decides
-- it (never its own), the grant allows the repeated call once, an auto-approval policy must
-- cover every scope, waiting names the channel, expiry is a state, and tenants stay apart.
begin;
set local search_path = tap, public;
select plan(21);

select coord_test.agent('asker');
select coord_test.agent('boss');
select coord_test.set_profile('boss', 4);
select coord_test.operator('ops');
select coord_test.operator('ops', 'blue');

select coord_test.login('asker');
select code, approval_id as asked from api.check_operation('command', 'npm publish') \gset
select is(:'code'::text, 'needs_approval', 'publishing needs approval at the default trust');
select is((select approval_id from api.check_operation('command', 'npm publish')), :asked::bigint,
          'the repeated call finds the pending request');
select is((select state from api.get_approval(:asked)), 'pending', 'the requester sees its request');
select is((select code from api.wait_for_approval(:asked)), 'approval_pending', 'waiting: still pending');
select ok((select details ->> 'channel' from api.wait_for_approval(:asked)) ~ '^coord_approval_[0-9a-f]{32}$',
          'waiting names the request''s channel');
select is((select code from api.approve_request(:asked, 'mine')), 'denied', 'a trust-2 agent may not approve');
select coord_test.logout();

select coord_test.login('boss');
select is((select count(*)::int from api.list_approvals()), 1, 'a trust-4 agent lists the tenant''s requests');
select is((select code from api.approve_request(:asked, 'fine')), 'approved', 'and approves another''s request');
select is((select code from api.deny_request(:asked, 'late')), 'not_pending', 'a decided request stays decided');
select coord_test.logout();

select coord_test.login('asker');
select is((select code from api.wait_for_approval(:asked)), 'approval_granted', 'waiting: granted');
select is((select code from api.check_operation('command', 'npm publish', :asked)), 'allowed', 'the grant allows the call');
select is((select code from api.check_operation('command', 'npm publish', :asked)), 'approval_used', 'once');
select is((select code from api.check_operation('command', 'npm publish --tag next', :asked)), 'approval_mismatch',
          'and only for its own operation');
select code, approval_id as second from api.check_operation('command', 'npm publish --tag beta') \gset
select is((select code from api.cancel_approval(:second, 'not needed')), 'cancelled', 'the requester withdraws');
select coord_test.logout();

select coord_test.login('ops');
select is((select code from api.add_approval_policy('narrow', array['guardrail:git'])), 'added', 'operators add policies');
select is((select count(*)::int from api.list_approval_policies()), 1, 'and list them');
select coord_test.logout();
select coord_test.login('asker');
select is((select code from api.check_operation('command', 'npm publish --tag rc')), 'needs_approval',
          'a policy without the needed scope approves nothing');
select coord_test.logout();
select coord_test.login('ops');
select is((select code from api.remove_approval_policy('narrow')), 'removed', 'operators remove policies');
select is((select code from api.add_approval_policy('deploys', array['guardrail:deployment'])), 'added', 'a covering one');
select coord_test.logout();
select coord_test.login('asker');
select is((select code from api.check_operation('command', 'npm publish --tag rc')), 'allowed',
          'approves the pending request, used by the call at once');
select coord_test.logout();

select coord_test.login('ops', 'blue');
select throws_ok(format('select api.get_approval(%s)', :asked), 'CO464', null, 'another tenant sees no request');
select coord_test.logout();

select * from finish();
rollback;
