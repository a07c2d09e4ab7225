-- The required tiers whose latest record under the claim is not a pass (no record, or a fail
-- after a pass): what still stands between the claim and completing the task.
create or replace function coord.missing_verifications(p_tenant_id uuid, p_task_id bigint, p_claim bigint,
                                                       p_required text[])
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if cardinality(p_required) = 0 then
    return '{}';
  end if;
  return array(
    select r.tier from unnest(p_required) as r (tier)
    where coalesce((select v.status from coord.task_verifications as v
                    where v.tenant_id = p_tenant_id and v.task_id = p_task_id and v.claim = p_claim
                      and v.tier = r.tier
                    order by v.id desc limit 1), 'none') <> 'pass'
    order by 1);
end;
$$;

comment on function coord.missing_verifications(uuid, bigint, bigint, text[]) is 'Required tiers whose latest verification record under p_claim is not a pass (sorted).';
revoke all on function coord.missing_verifications(uuid, bigint, bigint, text[]) from public;
