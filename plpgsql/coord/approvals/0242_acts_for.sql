-- Whether p_approver acts on behalf of p_requester, so that its approval would be the
-- requester approving itself: the same principal, or the owner of the requesting device.
-- Every approval check goes through it, so nobody approves a request of its own devices.
create or replace function coord.acts_for(p_approver uuid, p_requester uuid)
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select p_approver is not distinct from p_requester
      or exists (select from coord.principals as d where d.id = p_requester and d.owner_id = p_approver);
$$;

comment on function coord.acts_for(uuid, uuid) is 'True when p_approver acts for p_requester: the same principal, or the owner of device p_requester. An approver never decides a request of a principal it acts for.';
revoke all on function coord.acts_for(uuid, uuid) from public;
