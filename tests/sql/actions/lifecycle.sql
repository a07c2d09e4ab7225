-- Actions: a proposer's action waits for its approval request, an approver (never the
-- proposer) approves it, the target device claims it with a fencing claim and a lease, renews
-- and completes it; a late report with an older claim is refused; another attempt fails; the
-- device heartbeats and is discovered; terminal states have no way out; tenants stay apart.
begin;
set local search_path = tap, public;
select plan(22);

select coord_test.agent('planner');
select coord_test.operator('ops');
select coord_test.operator('ops', 'blue');

select coord_test.login('planner');
select token as lamp from api.add_device('lamp', array['actions:claim', 'actions:read', 'presence:write']) \gset
select code, action_id as act, approval_id as appr from api.propose_action('lamp.on', '{"level": 3}', array['lamp:write'], 'lamp') \gset
select is(:'code'::text, 'proposed', 'an action waits for approval');
select is((select code from api.approve_request(:appr, 'mine')), 'denied', 'its trust-2 proposer may not approve');
select is((select state from api.get_action(:act)), 'proposed', 'the proposer sees its action');
select coord_test.logout();

select coord_test.login_token(:'lamp');
select is((select code from api.claim_action()), 'empty', 'nothing to claim before the approval');
select is((select code from api.device_heartbeat()), 'alive', 'the device heartbeats');
select coord_test.logout();

select coord_test.login('ops');
select is((select code from api.approve_request(:appr, 'evening')), 'approved', 'an operator approves');
select is((select state from api.get_action(:act)), 'approved', 'and the action follows its request');
select is((select presence from api.discover_devices()), 'online', 'the device is discovered online');
select is((select claimable_actions from api.discover_devices('online', 'actions:claim')), 1,
          'with the action waiting for it');
select coord_test.logout();

select coord_test.login_token(:'lamp');
select code, claim as first_claim from api.claim_action(null, '1 minute') \gset
select is(:'code'::text, 'claimed', 'the device claims it');
select is((select code from api.renew_action(:act, :first_claim, '1 minute')), 'renewed', 'and renews its lease');
select coord_test.advance_clock('2 minutes');
select is((select code from api.complete_action(:act, :first_claim, '{}')), 'expired',
          'a report after the lease ran out is refused, and the action is approved again');
select claim as second_claim from api.claim_action(:act) \gset
select is(:second_claim::int, 2, 'the next claim is a new fence');
select is((select code from api.complete_action(:act, :first_claim, '{"late": true}')), 'stale_fence',
          'the late executor''s result never lands');
select is((select code from api.complete_action(:act, :second_claim, '{"on": true}')), 'executed', 'the live claim does');
select is((select result from api.get_action(:act)), '{"on": true}'::jsonb, 'with its result');
select coord_test.logout();

select coord_test.login('planner');
select action_id as other, approval_id as other_appr from api.propose_action('lamp.off', '{}', array['lamp:write'], 'lamp') \gset
select coord_test.logout();
select coord_test.login('ops');
select is((select code from api.approve_request(:other_appr, 'ok')), 'approved', 'another action is approved');
select coord_test.logout();
select coord_test.login_token(:'lamp');
select claim as c from api.claim_action(:other) \gset
select is((select code from api.fail_action(:other, :c, 'bulb broken')), 'failed', 'and fails');
select is((select count(*)::int from api.list_actions('failed')), 1, 'the target lists it');
select coord_test.logout();

select throws_ok(format('update coord.actions set state = %L where id = %s', 'approved', :other), 'CO460', null,
                 'a failed action has no way out');
select throws_ok(format('update coord.actions set result = %L where id = %s', '{}', :act), 'CO460', null,
                 'nor has an executed one');

select coord_test.login('ops', 'blue');
select throws_ok(format('select api.get_action(%s)', :act), 'CO457', null, 'another tenant sees no action');
select coord_test.logout();

select * from finish();
rollback;
