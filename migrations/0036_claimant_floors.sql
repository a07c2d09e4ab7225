-- A held snapshot keeps the entry of every claim a principal finished in tasks_claimant_idx, and
-- the claim's count of the claimant's live claims (its max_concurrent_tasks) walked them all
-- (docs/benchmarks.md, "A held snapshot while the queue runs"). Keyed by the claim token, the
-- count scans from a floor per principal: a token no claimed task of the principal lies below.
-- A principal's claims take turns under its claims lock and draw their tokens in that order, so
-- the floor is exact; it moves with the principal's own claims (coord.count_live_claims), and a
-- claim made any other way lowers it (coord.keep_claimant_floor, from the transition trigger).
--
-- The floor is an ordinary row, so it commits and rolls back with the claims it describes; it
-- moves only once the count walked 32 finished claims, so a held snapshot keeps one version of
-- it per 32 claims. Low fillfactor: its versions stay on its page.
create index tasks_claimant_by_claim_idx on coord.tasks (tenant_id, claimed_by, claim) where state = 'claimed';
drop index coord.tasks_claimant_idx;
alter index coord.tasks_claimant_by_claim_idx rename to tasks_claimant_idx;
-- Under a held snapshot the planner's statistics see only the live claims (a row or two), so
-- every index on claimed tasks costs the same to it and the smaller tasks_claimed_expiry_idx
-- (tenant, lease) won: the count then walked every dead claimed entry of the tenant and never
-- the claimant index (measured: bin/bench snapshot). Its predicate now names the lease, which
-- every query it serves bounds (sweep: lease_expires_at <= now) and the count does not.
drop index coord.tasks_claimed_expiry_idx;
create index tasks_claimed_expiry_idx on coord.tasks (tenant_id, lease_expires_at)
  where state = 'claimed' and lease_expires_at is not null;
comment on index coord.tasks_claimed_expiry_idx is 'Claimed tasks by lease expiry, for the sweep (lease_expires_at <= now); not usable by a query that does not bound the lease (the claimant count reads tasks_claimant_idx).';
comment on index coord.tasks_claimant_idx is 'Live claims (claimed tasks) of each claimant in claim-token order: the claim''s count of the claimant''s live claims scans it from the claimant''s floor (coord.claimant_floors); its prefix serves fleet status and heartbeats.';

create table coord.claimant_floors (
  tenant_id uuid not null,
  principal_id uuid not null,
  floor bigint not null,
  constraint claimant_floors_pkey primary key (tenant_id, principal_id)
) with (fillfactor = 10);
alter table coord.claimant_floors owner to coord_owner;
comment on table coord.claimant_floors is 'Per claimant, a claim token no claimed task of it lies below (coord.tasks.claim): the claim''s count of its live claims starts there. Moved up by the claimant''s own claims under its claims lock (coord.count_live_claims), lowered by a claim made any other way (coord.keep_claimant_floor).';
comment on column coord.claimant_floors.floor is 'No task claimed by principal_id in tenant_id has a smaller claim token.';
