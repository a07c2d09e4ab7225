-- The approval request p_id as the caller may see it: its own requests; every request of the
-- tenant for operators, auditors and agents that may approve (trust 4). Anything else, like a
-- request of another tenant, is unknown (CO464), so ids reveal nothing.
create or replace function coord.visible_approval(p_id bigint)
returns coord.approval_requests
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me coord.caller := coord.principal();
  v_row coord.approval_requests;
begin
  if p_id is null or p_id <= 0 then
    perform coord.fail('CO464', format('approval id %s', coalesce(p_id::text, 'null')));
  end if;
  select * into v_row from coord.approval_requests as r where r.tenant_id = v_me.tenant_id and r.id = p_id;
  if not found or (v_row.requester_id <> v_me.principal_id and v_me.role = 'agent' and coord.current_trust() < 4) then
    perform coord.fail('CO464', format('approval %s', p_id));
  end if;
  return v_row;
end;
$$;

comment on function coord.visible_approval(bigint) is 'The approval request p_id if the caller may see it (its own; all of the tenant for operators, auditors and trust-4 agents); CO464 otherwise.';
revoke all on function coord.visible_approval(bigint) from public;
