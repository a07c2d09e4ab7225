-- The two-sided allowlist, per recipient. Each side is decided on its own: the sender's side by
-- rules of side send or both, the recipient's side by rules of side receive or both, every rule
-- matching when its from names the sender (agent, its team, or anyone) and its to names the
-- recipient (the same). On a side, a matching deny denies (deny wins, whatever is more
-- specific), else a matching allow allows, else the tenant's message_default decides. A message
-- passes when both sides allow; when it does not, side names the first side that refused
-- (send before receive) and rule_id its rule (null: the tenant default).
create or replace function coord.message_routes(p_tenant_id uuid, p_sender_id uuid, p_recipient_ids uuid[])
returns table (
  recipient_id uuid,
  allowed boolean,
  side text,
  rule_id bigint,
  send_action text,
  send_rule_id bigint,
  receive_action text,
  receive_rule_id bigint
)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  with n as (
    select t.message_default from coord.tenants as t where t.id = p_tenant_id
  ), s as (
    select p_sender_id as id, coord.message_team(p_tenant_id, p_sender_id) as team
  ), r as (
    select p.id, case when p.role = 'agent' then coalesce(p.profile_id, t.default_profile_id) end as team
    from coord.principals as p
    join coord.tenants as t on t.id = p.tenant_id
    where p.tenant_id = p_tenant_id and p.id = any (p_recipient_ids)
  ), d as (
    select r.id,
           coalesce(sd.action, n.message_default) as send_action, sd.id as send_rule_id,
           coalesce(rd.action, n.message_default) as receive_action, rd.id as receive_rule_id
    from r cross join s cross join n
    left join lateral (
      select u.action, u.id from coord.message_rules as u
      where u.tenant_id = p_tenant_id and u.side in ('send', 'both')
        and (u.from_kind = 'any' or u.from_principal_id = s.id or u.from_profile_id = s.team)
        and (u.to_kind = 'any' or u.to_principal_id = r.id or u.to_profile_id = r.team)
      order by (u.action = 'deny') desc, u.id
      limit 1) as sd on true
    left join lateral (
      select u.action, u.id from coord.message_rules as u
      where u.tenant_id = p_tenant_id and u.side in ('receive', 'both')
        and (u.from_kind = 'any' or u.from_principal_id = s.id or u.from_profile_id = s.team)
        and (u.to_kind = 'any' or u.to_principal_id = r.id or u.to_profile_id = r.team)
      order by (u.action = 'deny') desc, u.id
      limit 1) as rd on true
  )
  select d.id,
         d.send_action = 'allow' and d.receive_action = 'allow',
         case when d.send_action <> 'allow' then 'send' when d.receive_action <> 'allow' then 'receive' end,
         case when d.send_action <> 'allow' then d.send_rule_id when d.receive_action <> 'allow' then d.receive_rule_id end,
         d.send_action, d.send_rule_id, d.receive_action, d.receive_rule_id
  from d;
$$;

comment on function coord.message_routes(uuid, uuid, uuid[]) is 'The allowlist decision for a message from p_sender_id to each of p_recipient_ids: both sides (send: rules of side send or both; receive: receive or both) must allow; on each side a matching deny wins, else a matching allow, else coord.tenants.message_default. side and rule_id name the first refusing side (send before receive) and its rule (null: the default).';
revoke all on function coord.message_routes(uuid, uuid, uuid[]) from public;
