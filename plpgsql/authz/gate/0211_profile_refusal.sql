-- The profile's say on one request: a deny naming the limit it breaks, or null. Count-based
-- limits (locks held, live claims) are checked where they are counted, under their locks.
create or replace function authz.profile_refusal(p_action text, p_profile coord.profiles, p_context jsonb)
returns authz.decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_kinds text[];
begin
  -- Nested: a condition with a subquery runs through the executor even when its first test is false.
  if p_profile.allowed_operations is not null then
    if not exists (select from unnest(p_profile.allowed_operations) as o
                   where o = p_action or (right(o, 2) = '.*' and left(p_action, char_length(o) - 1) = left(o, -1))) then
      return row(false, 'deny', 'native', 'profile.operation',
        format('profile %s does not allow %s', p_profile.name, p_action))::authz.decision;
    end if;
  end if;
  -- A session's ttl is a lease ttl too: every lease taken in it lives at least as long as the
  -- session (acquire_lock, heartbeat), so a longer session would outlast max_lock_ttl.
  if p_action in ('lock.acquire', 'lock.renew', 'session.start') and p_profile.max_lock_ttl is not null
     and (p_context ->> 'ttl')::interval > p_profile.max_lock_ttl then
    return row(false, 'deny', 'native', 'profile.max_lock_ttl',
      format('ttl %s exceeds the %s allowed by profile %s', p_context ->> 'ttl', p_profile.max_lock_ttl, p_profile.name))::authz.decision;
  end if;
  if p_action = 'task.claim' then
    if p_profile.allowed_task_kinds is not null and jsonb_typeof(p_context -> 'kinds') = 'array' then
      select array_agg(k order by k) into v_kinds
      from jsonb_array_elements_text(p_context -> 'kinds') as k
      where k <> all (p_profile.allowed_task_kinds);
      if v_kinds is not null then
        return row(false, 'deny', 'native', 'profile.task_kind',
          format('profile %s may not claim kinds %s', p_profile.name, array_to_string(v_kinds, ', ')))::authz.decision;
      end if;
    end if;
  end if;
  if p_action in ('task.claim', 'task.renew') and p_profile.max_task_duration is not null
     and (p_context ->> 'lease')::interval > p_profile.max_task_duration then
    return row(false, 'deny', 'native', 'profile.max_task_duration',
      format('lease %s exceeds the task duration of %s allowed by profile %s',
             p_context ->> 'lease', p_profile.max_task_duration, p_profile.name))::authz.decision;
  end if;
  -- The profile bounds a claim's whole life, renewals included: claimed_at + max_task_duration.
  if p_action = 'task.renew' and p_profile.max_task_duration is not null
     and (p_context ->> 'expires_at')::timestamptz > (p_context ->> 'claimed_at')::timestamptz + p_profile.max_task_duration then
    return row(false, 'deny', 'native', 'profile.max_task_duration',
      format('the claim may last until %s under profile %s',
             (p_context ->> 'claimed_at')::timestamptz + p_profile.max_task_duration, p_profile.name))::authz.decision;
  end if;
  return null;
end;
$$;

comment on function authz.profile_refusal(text, coord.profiles, jsonb) is 'Deny decision when the action or its context (ttl, lease, kinds) breaks the profile: rules profile.operation, profile.max_lock_ttl (lease or session ttl), profile.task_kind, profile.max_task_duration (a lease longer than it, or a renewal past claimed_at + it: context claimed_at, expires_at); null otherwise.';
revoke all on function authz.profile_refusal(text, coord.profiles, jsonb) from public;
