-- The live claims (claimed, lease not yet expired) of p_principal_id: what its
-- max_concurrent_tasks limits. The caller holds the principal's claims lock (coord.claim_tasks_as),
-- so no claim of the principal is in flight elsewhere (a claim made any other way takes the same
-- lock in coord.keep_claimant_floor).
--
-- The count scans tasks_claimant_idx (tenant, claimant, claim token) from the principal's floor
-- (coord.claimant_floors): no claimed task of the principal has a smaller token. A held snapshot
-- keeps the entry of every claim the principal finished since, and the count walks them; once
-- it walked 32 of them, it moves the floor up to the smallest token of the principal's claimed
-- tasks (any lease state; a completion still in flight elsewhere reads as claimed), or past the
-- last token given out when none is claimed (the principal's next claims draw larger ones under
-- its lock; a smaller token lowers the floor through the trigger). So a held snapshot keeps one
-- version of the floor row per 32 finished claims, and the count walks at most 32 dead entries
-- plus the claims since its floor; without a held snapshot the walked entries are pruned and the
-- row is not written. The move is an ordinary write: it commits or rolls back with the
-- transaction whose view it reflects. Read committed only: a transaction's snapshot may predate
-- the lock (it would miss a claim committed just before). Generic plans: the scan below is
-- written for one (see there), and a custom plan bought nothing but planning on every claim.
create or replace function coord.count_live_claims(p_tenant_id uuid, p_principal_id uuid, p_now timestamptz)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
  v_floor bigint;
  v_walked bigint;
  v_claims integer;
  v_live integer;
  v_lowest bigint;
  v_next bigint;
begin
  -- Index entries returned so far in this transaction (pending statistics, exact and local).
  v_walked := pg_catalog.pg_stat_get_xact_tuples_returned('coord.tasks_claimant_idx'::pg_catalog.regclass);
  -- The floor read in the same statement as the count (one statement a claim, not two), as an
  -- InitPlan: a parameter, not an expression. Under the tenant policy an expression such as
  -- coalesce() is not leakproof, so a generic plan would filter by it after the walk instead of
  -- starting there.
  -- The bound is a row comparison on (claimant, claim), which only tasks_claimant_idx can start
  -- from: a plain claim >= floor also let the planner range over tasks_claim_key (every tenant's
  -- claims since the floor, and their dead versions), its statistics seeing only live claims.
  -- No row: from the smallest token (a token is any bigint; one given by hand may lie below 0).
  with floor (floor) as materialized (
    select coalesce((select f.floor from coord.claimant_floors as f
                     where f.tenant_id = p_tenant_id and f.principal_id = p_principal_id),
                    -9223372036854775808)
  )
  select (select l.floor from floor as l), count(*), count(*) filter (where t.lease_expires_at > p_now), min(t.claim)
  into v_floor, v_claims, v_live, v_lowest
  from coord.tasks as t
  where t.tenant_id = p_tenant_id and t.claimed_by = p_principal_id and t.state = 'claimed'
    and (t.claimed_by, t.claim) >= (p_principal_id, (select l.floor from floor as l));
  -- The entries this count walked past (claims finished since the floor that no vacuum could
  -- remove yet). Without statistics (track_counts off) it reads 0 and the floor stays.
  v_walked := pg_catalog.pg_stat_get_xact_tuples_returned('coord.tasks_claimant_idx'::pg_catalog.regclass)
              - v_walked - v_claims;
  if v_walked >= 32 and pg_catalog.current_setting('transaction_isolation') = 'read committed' then
    v_next := coalesce(v_lowest, pg_catalog.pg_sequence_last_value('coord.lock_fence_seq'::pg_catalog.regclass) + 1);
    if v_next > v_floor then
      insert into coord.claimant_floors as f (tenant_id, principal_id, floor)
      values (p_tenant_id, p_principal_id, v_next)
      on conflict (tenant_id, principal_id) do update set floor = excluded.floor
        where f.floor = v_floor;  -- as read (a lowering since, by this transaction's trigger, wins)
    end if;
  end if;
  return v_live;
end;
$$;

comment on function coord.count_live_claims(uuid, uuid, timestamptz) is 'How many live claims (claimed, lease after p_now) p_principal_id holds, counted from its claimant floor; moves the floor up once the count walked 32 finished claims (read committed; the caller holds the principal''s claims lock).';
revoke all on function coord.count_live_claims(uuid, uuid, timestamptz) from public;
