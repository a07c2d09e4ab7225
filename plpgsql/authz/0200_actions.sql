-- Every action the policy gate knows: the token scope it needs, the roles that may take it,
-- and whether it changes state (mutating actions must pass authz.decide before any write).
create or replace view authz.actions as
select action, scope, roles, mutating, description
from (values
  ('lock.acquire',     'locks:write',      array['agent', 'operator'],             true,  'take or renew a file/directory lease'),
  ('lock.release',     'locks:write',      array['agent', 'operator'],             true,  'release a lease by fence'),
  ('lock.renew',       'locks:write',      array['agent', 'operator'],             true,  'extend a lease by fence'),
  ('lock.check',       'locks:read',       array['agent', 'operator', 'auditor'],  false, 'see who holds paths'),
  ('lock.list',        'locks:read',       array['agent', 'operator', 'auditor'],  false, 'list your own leases'),
  ('principal.create', 'principals:write', array['operator'],                      true,  'register an agent and issue its token'),
  ('principal.list',   'principals:read',  array['operator', 'auditor'],           false, 'list principals of the tenant'),
  ('token.revoke',     'tokens:write',     array['operator'],                      true,  'revoke a token'),
  ('team.apply',       'principals:write', array['operator'],                      true,  'declare the agents of a tenant from a team file'),
  ('audit.query',      'audit:read',       array['operator', 'auditor'],           false, 'read the audit log of the tenant')
) as a (action, scope, roles, mutating, description);

comment on view authz.actions is 'Action registry of the policy gate: required token scope, allowed roles, and whether the action mutates.';
