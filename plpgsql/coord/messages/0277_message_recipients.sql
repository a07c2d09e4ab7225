-- Who an address names: an agent address names that principal (even the sender, even when
-- disabled: send_message reports it skipped); a team, the enabled agents acting under that
-- profile but the sender; *, every enabled agent of the tenant but the sender. Sorted by name.
create or replace function coord.message_recipients(p_tenant_id uuid, p_sender_id uuid, p_kind text,
                                                    p_principal_id uuid, p_profile_id uuid)
returns uuid[]
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(array_agg(p.id order by p.name), '{}')
  from coord.principals as p
  join coord.tenants as n on n.id = p.tenant_id
  where p.tenant_id = p_tenant_id
    and case p_kind
          when 'agent' then p.id = p_principal_id
          else p.kind = 'agent' and p.disabled_at is null and p.id <> p_sender_id
               and (p_kind = 'any' or coalesce(p.profile_id, n.default_profile_id) = p_profile_id)
        end;
$$;

comment on function coord.message_recipients(uuid, uuid, text, uuid, uuid) is 'The principals an address (coord.message_party: kind agent, team or any) names for a message from p_sender_id: the agent itself; the enabled agents of the team, or of the tenant, other than the sender.';
revoke all on function coord.message_recipients(uuid, uuid, text, uuid, uuid) from public;
