-- The event stream is a typed view of audit.events: each row maps one audit action and decision
-- to an event type, and names the read action (authz.actions) a caller must be allowed to see
-- events of that type. To add a type, add rows here (e.g. a message send audited as
-- message.send with decision sent becomes ('message.send', 'sent', 'message.sent',
-- 'message.read')); an event whose action and decision match no row is not in the stream.
create or replace view coord.event_types as
select action, decision, event_type, read_action
from (values
  -- leases
  ('lock.acquire', 'granted',  'lease.taken',    'lock.check'),
  ('lock.acquire', 'renewed',  'lease.renewed',  'lock.check'),
  ('lock.renew',   'renewed',  'lease.renewed',  'lock.check'),
  ('lock.release', 'released', 'lease.released', 'lock.check'),
  ('lock.expire',  'expired',  'lease.expired',  'lock.check'),
  -- sessions (presence)
  ('session.start',  'started', 'session.started', 'agent.discover'),
  ('session.end',    'ended',   'session.ended',   'agent.discover'),
  ('session.expire', 'expired', 'session.expired', 'agent.discover'),
  -- alerts
  ('alert.raise',   'raised',   'alert.raised',   'alert.read'),
  ('alert.resolve', 'resolved', 'alert.resolved', 'alert.read'),
  -- approvals: operators and auditors (a request names another agent's operation)
  ('approval.request', 'pending',   'approval.requested', 'audit.query'),
  ('approval.approve', 'approved',  'approval.approved',  'audit.query'),
  ('approval.deny',    'denied',    'approval.denied',    'audit.query'),
  ('approval.expire',  'expired',   'approval.expired',   'audit.query'),
  ('approval.cancel',  'cancelled', 'approval.cancelled', 'audit.query')
) as t (action, decision, event_type, read_action)
union all
-- Task transitions are audited by the tasks' triggers as task.<why> with the new state as the
-- decision (coord.tg_tasks__submitted, coord.tg_tasks__transition): the type is the new state.
select w.action, s.state, 'task.' || s.state, 'task.read'
from unnest(array['task.submit', 'task.claimed', 'task.completed', 'task.failed', 'task.retry', 'task.expired',
                  'task.session_lost', 'task.cancelled', 'task.dependency_failed', 'task.redriven',
                  'task.direct_change']) as w (action)
cross join unnest(enum_range(null::coord.task_state)::text[]) as s (state);

comment on view coord.event_types is 'The typed event stream''s vocabulary: audit action and decision -> event type, and the read action (authz.actions) a caller needs to see events of the type.';
-- coord.event_stream (owned by coord_auth, BYPASSRLS) joins it.
grant select on coord.event_types to coord_auth;
