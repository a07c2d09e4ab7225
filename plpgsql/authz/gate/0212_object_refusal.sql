-- Rules about what a call touches rather than what it is, for agents, from facts the caller
-- gathered into the context: a deny naming the rule, or null.
--   submitted_by       (task.cancel) who submitted the task: below trust 3 an agent cancels only
--                      its own (SPEC 5.5: elevated agents manage others' tasks);
--   changes_principal  the principal a change applies to, and
--   changes_profile    the profile it changes: nobody changes what it acts under;
--   grants_trust       the trust a change hands out: never above the caller's own;
--   acts_on            the principal whose tokens or device a change touches: itself or its device.
create or replace function authz.object_refusal(
  p_action text,
  p_principal coord.caller,
  p_profile coord.profiles,
  p_trust smallint,
  p_context jsonb
)
returns authz.decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_action = 'task.cancel' and (p_context ->> 'submitted_by')::uuid <> p_principal.principal_id and p_trust < 3 then
    return row(false, 'deny', 'native', 'task.not_submitter',
               'agents below trust 3 may cancel only tasks they submitted')::authz.decision;
  end if;
  if (p_context ->> 'changes_principal')::uuid = p_principal.principal_id
     or (p_context ->> 'changes_profile')::uuid = p_profile.id then
    return row(false, 'deny', 'native', 'profile.self_change',
               'an agent may not change the profile it acts under; ask an operator')::authz.decision;
  end if;
  -- acts_on: the principal whose token or device the call changes: an agent acts on itself and
  -- on the devices it owns; a device adds no devices.
  -- Nested: a condition with a subquery runs through the executor even when its first test is false.
  if p_context ? 'acts_on' and (p_context ->> 'acts_on')::uuid is distinct from p_principal.principal_id then
    if not exists (select from coord.principals as d
                   where d.tenant_id = p_principal.tenant_id and d.id = (p_context ->> 'acts_on')::uuid
                     and d.owner_id = p_principal.principal_id) then
      return row(false, 'deny', 'native', 'principal.not_owner',
                 'an agent changes only its own tokens and the devices it owns; ask an operator')::authz.decision;
    end if;
  end if;
  if p_action = 'device.add' and p_principal.kind = 'device' then
    return row(false, 'deny', 'native', 'device.by_device', 'a device cannot add devices')::authz.decision;
  end if;
  if (p_context ->> 'grants_trust')::integer > p_trust then
    return row(false, 'deny', 'native', 'trust.escalation',
               format('trust %s is above your own (%s)', p_context ->> 'grants_trust', p_trust))::authz.decision;
  end if;
  return null;
end;
$$;

comment on function authz.object_refusal(text, coord.caller, coord.profiles, smallint, jsonb) is 'Deny decision for an agent by what the call touches (context): task.not_submitter (submitted_by, task.cancel below trust 3), profile.self_change (changes_principal is the caller, or changes_profile the profile it acts under), trust.escalation (grants_trust above the caller''s), principal.not_owner (acts_on is neither the caller nor a device it owns), device.by_device (a device adding a device); null otherwise.';
revoke all on function authz.object_refusal(text, coord.caller, coord.profiles, smallint, jsonb) from public;
