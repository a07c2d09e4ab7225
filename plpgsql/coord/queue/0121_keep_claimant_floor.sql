-- A task entered state claimed with token p_claim for p_principal_id (coord.tg_tasks__audited, after
-- the statement, at the smallest new token of each claimant: coord.claim_tasks_as or a claim by hand). Its claimant floor
-- (coord.claimant_floors, read by coord.count_live_claims) must not lie above it, or the claim
-- would not count against the principal's limit. The principal's claims lock, which its own
-- claims hold while they move the floor, is taken to the end of the transaction: a floor move
-- either committed before (and is seen here) or waits for this claim to commit (and sees it).
-- A claim through coord.claim_tasks_as draws a token above the floor and writes nothing here.
create or replace function coord.keep_claimant_floor(p_tenant_id uuid, p_principal_id uuid, p_claim bigint)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_done text;  -- assigned, not PERFORMed: an expression, not a query through the executor
begin
  v_done := pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('coord.claims/' || p_principal_id::text, 0));
  if pg_catalog.current_setting('transaction_isolation') = 'read committed' then
    update coord.claimant_floors as f set floor = p_claim
    where f.tenant_id = p_tenant_id and f.principal_id = p_principal_id and f.floor > p_claim;
    return;
  end if;
  -- Outside read committed the snapshot may predate a move of the floor (or the row): the
  -- upsert fails with a serialization failure on a row changed or inserted since, rather than
  -- miss it. A new row starts at the smallest token, as a missing row counts from (other claims
  -- of the principal may lie below p_claim, and a token given by hand may lie below 0).
  insert into coord.claimant_floors as f (tenant_id, principal_id, floor)
  values (p_tenant_id, p_principal_id, -9223372036854775808)
  on conflict (tenant_id, principal_id) do update set floor = p_claim
    where f.floor > p_claim;
end;
$$;

comment on function coord.keep_claimant_floor(uuid, uuid, bigint) is 'Lowers p_principal_id''s claimant floor to p_claim when it lies above (a task entered claimed with that token), under the principal''s claims lock (coord.tg_tasks__audited, after the statement that claimed).';
revoke all on function coord.keep_claimant_floor(uuid, uuid, bigint) from public;
