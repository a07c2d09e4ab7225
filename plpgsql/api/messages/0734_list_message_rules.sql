-- The allowlist as it decides: the rules (deny before allow, oldest first), then the tenant
-- default as a last row (rule_id null) that applies where no rule matches.
create or replace function api.list_message_rules()
returns table (
  rule_id bigint,
  action text,
  side text,
  from_party text,
  to_party text,
  reason text,
  created_at timestamptz
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('message.rule_read');
begin
  return query
    select x.id, x.action, x.side, x.from_party, x.to_party, x.reason, x.created_at
    from (
      select u.id, u.action, u.side,
             case u.from_kind when 'any' then '*' when 'team' then 'team:' || fp.name else fa.name end as from_party,
             case u.to_kind when 'any' then '*' when 'team' then 'team:' || tp.name else ta.name end as to_party,
             u.reason, u.created_at, 0 as position
      from coord.message_rules as u
      left join coord.principals as fa on fa.tenant_id = u.tenant_id and fa.id = u.from_principal_id
      left join coord.profiles as fp on fp.tenant_id = u.tenant_id and fp.id = u.from_profile_id
      left join coord.principals as ta on ta.tenant_id = u.tenant_id and ta.id = u.to_principal_id
      left join coord.profiles as tp on tp.tenant_id = u.tenant_id and tp.id = u.to_profile_id
      where u.tenant_id = v_me.tenant_id
      union all
      select null, n.message_default, 'both', '*', '*', 'tenant default: where no rule of a side matches', null, 1
      from coord.tenants as n where n.id = v_me.tenant_id
    ) as x
    order by x.position, (x.action = 'deny') desc, x.id;
end;
$$;

comment on function api.list_message_rules() is 'Your tenant''s message allowlist: each rule (rule_id, allow or deny, side send, receive or both, from and to as NAME, team:NAME or *), deny rules first, and last the tenant default (rule_id null), which decides a side no rule of it matches. Read-only. Errors: PT403.';
revoke all on function api.list_message_rules() from public;
grant execute on function api.list_message_rules() to coord_operator, coord_auditor;
