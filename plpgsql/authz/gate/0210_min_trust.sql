-- Trust an agent needs for an action (SPEC 5.5): 0 reads only its own state, 1 reads the
-- tenant and keeps a session, 2 works (locks, tasks, handoffs), 4 manages policy. Role and
-- scope checks come first, so operator-only actions stay operator-only for agents of any trust.
-- PL/pgSQL: every agent's decision calls it, and a SQL function with a SET clause is never inlined.
create or replace function authz.min_trust(p_action text, p_mutating boolean)
returns smallint
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return (case
    when p_action in ('lock.list', 'profile.read') then 0
    when not p_mutating then 1
    when p_action in ('session.start', 'session.heartbeat', 'session.end', 'network.check', 'guardrail.check',
                      'approval.cancel', 'message.ack', 'message.watch', 'presence.heartbeat') then 1
    when p_action in ('profile.admin', 'network.rule', 'guardrail.admin', 'approval.decide', 'skill.register',
                      'skill.retire') then 4
    else 2
  end)::smallint;
end;
$$;

comment on function authz.min_trust(text, boolean) is 'Lowest agent trust level that may take the action: 0 own-state reads (lock.list, profile.read), 1 other reads, sessions, network and guardrail checks, withdrawing one''s approval requests, acking and watching one''s inbox, presence heartbeats, 2 other mutations, 4 policy and profile management, deciding approvals and managing skills.';
revoke all on function authz.min_trust(text, boolean) from public;
