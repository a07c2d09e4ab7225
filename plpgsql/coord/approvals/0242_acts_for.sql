-- Whether p_approver acts on behalf of p_requester, so that its approval would be the
-- requester approving itself. Today a principal acts only for itself. Devices owned by a
-- principal (and delegates) act for their owner: the devices work extends this function, and
-- every approval check goes through it, so nobody approves a request of its own devices.
create or replace function coord.acts_for(p_approver uuid, p_requester uuid)
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select p_approver is not distinct from p_requester;
$$;

comment on function coord.acts_for(uuid, uuid) is 'True when p_approver acts for p_requester (today: the same principal; devices and delegates of a principal are added by the devices work). An approver never decides a request of a principal it acts for.';
revoke all on function coord.acts_for(uuid, uuid) from public;
