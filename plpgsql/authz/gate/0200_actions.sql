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
  ('lock.assert',      'locks:read',       array['agent', 'operator'],             false, 'check at commit time that a lease is still yours'),
  ('task.submit',      'tasks:write',      array['agent', 'operator'],             true,  'submit work to the queue'),
  ('task.claim',       'tasks:write',      array['agent', 'operator'],             true,  'claim queued work (and the leases it declares)'),
  ('task.renew',       'tasks:write',      array['agent', 'operator'],             true,  'extend your claim'),
  ('task.complete',    'tasks:write',      array['agent', 'operator'],             true,  'complete a task you hold the live claim of'),
  ('task.fail',        'tasks:write',      array['agent', 'operator'],             true,  'fail a task you hold the live claim of'),
  ('task.cancel',      'tasks:write',      array['agent', 'operator'],             true,  'cancel a task you submitted (operators: any task)'),
  ('task.redrive',     'tasks:admin',      array['operator'],                      true,  'bring a dead or failed task back to the queue'),
  ('task.prune',       'tasks:admin',      array['operator'],                      true,  'delete finished tasks older than a retention interval'),
  ('task.read',        'tasks:read',       array['agent', 'operator', 'auditor'],  false, 'see tasks of the tenant'),
  ('queue.maintain',   'tasks:admin',      array['operator'],                      true,  'rescue expired claims and clean up dead sessions now'),
  ('session.start',    'sessions:write',   array['agent', 'operator'],             true,  'start a session'),
  ('session.heartbeat','sessions:write',   array['agent', 'operator'],             true,  'keep your session and everything it holds alive'),
  ('session.end',      'sessions:write',   array['agent', 'operator'],             true,  'end your session, releasing its leases and claims'),
  ('agent.discover',   'sessions:read',    array['agent', 'operator', 'auditor'],  false, 'find agents by capability and presence'),
  ('handoff.write',    'handoffs:write',   array['agent', 'operator'],             true,  'leave a handoff document'),
  ('handoff.read',     'handoffs:read',    array['agent', 'operator', 'auditor'],  false, 'read handoff documents'),
  ('network.check',    'network:check',    array['agent', 'operator'],             true,  'ask whether a domain may be contacted (every check is audited)'),
  ('network.rule',     'network:admin',    array['agent', 'operator'],             true,  'add or remove network rules (agents: trust 4)'),
  ('network.read',     'network:read',     array['agent', 'operator', 'auditor'],  false, 'list network rules'),
  ('principal.create', 'principals:write', array['operator'],                      true,  'register an agent and issue its token'),
  ('principal.list',   'principals:read',  array['operator', 'auditor'],           false, 'list principals of the tenant'),
  ('token.revoke',     'tokens:write',     array['operator'],                      true,  'revoke a token'),
  ('token.rotate',     'tokens:write',     array['agent', 'operator'],             true,  'replace a token; the old one is refused after a grace period (agents: their own and their devices'')'),
  ('device.add',       'principals:write', array['agent', 'operator'],             true,  'add a device you own and issue its scoped token'),
  ('device.revoke',    'tokens:write',     array['agent', 'operator'],             true,  'disable a device and revoke its tokens (agents: their own devices)'),
  ('device.list',      'principals:read',  array['agent', 'operator', 'auditor'],  false, 'list devices with presence and scopes'),
  ('team.apply',       'principals:write', array['operator'],                      true,  'declare the agents of a tenant from a team file'),
  ('audit.query',      'audit:read',       array['operator', 'auditor'],           false, 'read the audit log of the tenant'),
  ('profile.admin',    'profiles:admin',   array['agent', 'operator'],             true,  'create, change, assign and delete profiles (agents: trust 4, never their own)'),
  ('profile.list',     'profiles:read',    array['agent', 'operator', 'auditor'],  false, 'list the profiles of the tenant'),
  ('profile.read',     'profiles:read',    array['agent'],                         false, 'read the profile you act under (allowed even when suspended)'),
  -- alerts
  ('alert.read',       'alerts:read',      array['operator', 'auditor'],           false, 'list alerts and alert rules of the tenant'),
  ('alert.resolve',    'alerts:write',     array['operator'],                      true,  'resolve an open alert with a note'),
  ('alert.rule',       'alerts:write',     array['operator'],                      true,  'add, change, enable or disable alert rules'),
  -- audit chain: verifying seals first, so it is gated and audited like a mutation
  ('audit.verify',     'audit:read',       array['operator', 'auditor'],           true,  'seal and verify the tenant''s audit hash chain'),
  ('audit.head',       'audit:read',       array['operator', 'auditor'],           true,  'seal and export the tenant''s audit chain head, to keep outside the database'),
  -- guardrails
  ('guardrail.check',  'guardrails:check', array['agent', 'operator'],             true,  'check an operation against the guardrails (every check is audited, violations are kept)'),
  ('guardrail.admin',  'guardrails:admin', array['operator'],                      true,  'add, enable or disable guardrail rules'),
  ('guardrail.read',   'guardrails:read',  array['agent', 'operator', 'auditor'],  false, 'list guardrail rules and violations'),
  -- the fleet at a glance
  ('lock.list_all',    'locks:read',       array['operator', 'auditor'],           false, 'list every live lease of the tenant'),
  ('fleet.read',       'fleet:read',       array['operator', 'auditor'],           false, 'see the fleet: agents, leases, claims, queue depth, dead tasks, open alerts'),
  ('fleet.watch',      'fleet:read',       array['operator', 'auditor'],           true,  'hold the watch of the fleet, so that its changes are announced'),
  -- approvals
  ('approval.read',    'approvals:read',   array['agent', 'operator', 'auditor'],  false, 'see approval requests and wait for them (agents: their own; trust 4: all)'),
  ('approval.decide',  'approvals:write',  array['agent', 'operator'],             true,  'approve or deny an approval request (agents: trust 4, never a request of their own)'),
  ('approval.cancel',  'approvals:write',  array['agent', 'operator'],             true,  'withdraw your own pending approval request'),
  ('approval.policy',  'approvals:admin',  array['operator'],                      true,  'add or remove auto-approval policies'),
  ('approval.policy_read', 'approvals:read', array['agent', 'operator', 'auditor'], false, 'list the auto-approval policies'),
  -- agents' memory and the start of a session
  ('memory.remember',  'memory:write',     array['agent', 'operator'],             true,  'remember something (or reinforce the same memory)'),
  ('memory.forget',    'memory:write',     array['agent', 'operator'],             true,  'forget a memory (agents: their own; operators: any of the tenant)'),
  ('memory.read',      'memory:read',      array['agent', 'operator', 'auditor'],  false, 'recall and list the memories you may see'),
  ('session.context',  'sessions:read',    array['agent', 'operator'],             false, 'read the context a session starts with (handoff, leases, memories, ready work)'),
  -- the Cedar engine
  ('policy.admin',     'policies:admin',   array['operator'],                      true,  'store, roll back Cedar policies and choose the tenant''s policy engine'),
  ('policy.read',      'policies:read',    array['operator', 'auditor'],           false, 'read the tenant''s Cedar policies, their history and its policy engine')
) as a (action, scope, roles, mutating, description);

comment on view authz.actions is 'Action registry of the policy gate: required token scope, allowed roles, and whether the action mutates.';
