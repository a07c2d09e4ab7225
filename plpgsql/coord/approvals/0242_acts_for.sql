-- Whether p_approver and p_requester are one party, so that an approval by one of a request of
-- the other would be the requester approving itself: the same principal, a device and its owner
-- (either way round: an owner acts for its devices, and a device acts with its owner's
-- authority), or two devices of one owner. Every approval and verifier check goes through it.
create or replace function coord.acts_for(p_approver uuid, p_requester uuid)
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select p_approver is not distinct from p_requester
      or exists (select from coord.principals as a, coord.principals as r
                 where a.id = p_approver and r.id = p_requester
                   and (r.owner_id = a.id or a.owner_id = r.id or r.owner_id = a.owner_id));
$$;

comment on function coord.acts_for(uuid, uuid) is 'True when p_approver and p_requester are one party: the same principal, a device and its owner (either way round), or two devices of one owner. An approver never decides a request of such a principal.';
revoke all on function coord.acts_for(uuid, uuid) from public;
