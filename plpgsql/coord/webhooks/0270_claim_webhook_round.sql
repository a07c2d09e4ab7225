-- One run of coord maintain's deliverer over every tenant that has enabled webhooks: each
-- tenant's turn (coord.claim_webhook_deliveries) takes at most coord.webhook_policy's
-- per_tenant_per_run deliveries, so a tenant whose receivers fail (retries piling up) or hang
-- (each POST its full timeout) uses up its own share of the run, never another tenant's. The
-- deliverer POSTs up to parallel_tenants tenants' batches side by side, one POST at a time per
-- tenant; the lease covers a batch POSTed one by one after waiting for a free lane. One
-- tenant's failing turn (rolled back to its savepoint) is reported in its row, not raised: the
-- other tenants are still served. Admin path (the system claims: p_authz null).
create or replace function coord.claim_webhook_round(p_timeout interval)
returns table (tenant_id uuid, tenant_name text, parallel_tenants integer, lease interval, error text,
               result api.result)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_policy coord.webhook_policy;
  v_tenants integer;
  v_tenant record;
begin
  perform coord.check_interval(p_timeout, 'CO654', 'timeout', interval '1 millisecond', interval '10 minutes');
  select * into strict v_policy from coord.webhook_policy;
  select count(*) into v_tenants from coord.tenants as n
  where exists (select from coord.webhooks as w where w.tenant_id = n.id and w.enabled);
  parallel_tenants := v_policy.parallel_tenants;
  lease := least(interval '1 hour', greatest(interval '30 seconds',
    p_timeout * (v_policy.per_tenant_per_run + 1) * ceil(v_tenants::numeric / v_policy.parallel_tenants)::integer));
  for v_tenant in
    select n.id, n.name from coord.tenants as n
    where exists (select from coord.webhooks as w where w.tenant_id = n.id and w.enabled)
    order by n.name
  loop
    tenant_id := v_tenant.id;
    tenant_name := v_tenant.name;
    begin
      result := coord.claim_webhook_deliveries(v_tenant.id, v_policy.per_tenant_per_run, lease);
      error := null;
    exception when others then
      result := null;
      error := sqlstate || ': ' || sqlerrm;
    end;
    return next;
  end loop;
end;
$$;

comment on function coord.claim_webhook_round(interval) is 'Admin path (coord maintain): every tenant with enabled webhooks claims at most coord.webhook_policy.per_tenant_per_run due deliveries (coord.claim_webhook_deliveries, round-robin over its webhooks) for a lease that covers POSTing them one by one with p_timeout each while up to parallel_tenants tenants are served side by side; one row per tenant with its result, or the error its turn raised (rolled back).';
revoke all on function coord.claim_webhook_round(interval) from public;
