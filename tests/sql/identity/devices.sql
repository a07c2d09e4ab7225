-- add_device, rotate_token, revoke_device, list_devices: a device is an agent-role principal
-- held to its own token's scopes and owned by who added it; rotation replaces a token (the old
-- one refused at once or after a grace); revoking a device refuses every token it holds.
begin;
set local search_path = tap, public;
select plan(16);

select coord_test.operator('ops');
select coord_test.agent('owner');
select coord_test.agent('bystander');
select coord_test.operator('other-ops', 'other');

select coord_test.login('owner');
select code, token, token_id from api.add_device('cam', '{sessions:write}') \gset dev_
select is(:'dev_code'::text, 'issued', 'an agent adds a device of its own');
select is((select code from api.add_device('wide', '{*}')), 'issued', 'with scopes its owner holds');
select coord_test.login_token(:'dev_token');
select is((select array[kind, role] from api.authenticate()), array['device', 'agent'],
          'a device authenticates as the agent role');
select results_eq($$select ok, code from api.acquire_lock('a.py')$$, $$values (false, 'denied')$$,
                  'a device is held to its scopes: no lock without locks:write');
select is((select rule from coord_test.events('lock.acquire') as e order by e.id desc limit 1), 'scope.missing',
          'the refusal names the missing scope');
select coord_test.logout();

-- Rotation: with a grace the old token works until it ends; without one it is refused at once.
select coord_test.login('owner');
select code, token from api.rotate_token('cam', '10 minutes') \gset rot_
select is(:'rot_code'::text, 'rotated', 'the owner rotates its device''s token');
select coord_test.logout();
select is((select replaced_by from coord.tokens where id = :'dev_token_id'),
          (select id from coord.tokens where prefix = left(:'rot_token', 14)), 'the old token names its successor');
select coord_test.logout();
select coord_test.advance_clock('9 minutes');
select lives_ok(format('select coord_test.login_token(%L)', :'dev_token'), 'the old token works within the grace');
select coord_test.logout();
select coord_test.advance_clock('2 minutes');
select throws_ok(format('select coord_test.login_token(%L)', :'dev_token'), 'PT401', null,
                 'and is refused after it');
select coord_test.logout();

-- Ownership and tenancy.
select coord_test.login('bystander');
select is((select code from api.rotate_token('cam')), 'denied', 'another agent does not rotate the device');
select is((select code from api.revoke_device('cam')), 'denied', 'nor revoke it');
select coord_test.login('other-ops', 'other');
select throws_ok($$select api.rotate_token('cam')$$, 'CO302', null, 'another tenant''s operator does not find it');
select is((select count(*)::int from api.list_devices()), 0, 'nor lists it');
select coord_test.login('ops');
select is((select array_agg(name || ':' || presence order by name) from api.list_devices()), array['cam:offline', 'wide:offline'],
          'operators list devices with presence');
select is((select code from api.revoke_device('cam')), 'revoked', 'and revoke any of them');
select coord_test.logout();
select throws_ok(format('select coord_test.login_token(%L)', :'rot_token'), 'PT401', null,
                 'a revoked device is refused on its next call');

select * from finish();
rollback;
