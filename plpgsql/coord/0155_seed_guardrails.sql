-- Gives a tenant the shipped default rules it does not have yet (by name). Called by
-- coord.ensure_tenant on the admin path; migrations that ship new defaults seed existing tenants.
create or replace function coord.seed_guardrails(p_tenant_id uuid)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_count integer;
begin
  insert into authz.guardrails (tenant_id, name, category, applies_to, pattern, severity, override_trust, mode,
                                builtin, description, heads, created_at, updated_at)
  select p_tenant_id, d.name, d.category, d.applies_to, d.pattern, d.severity, d.override_trust, d.mode, true,
         d.description, coord.guard_pattern_heads(d.pattern), coord.now(), coord.now()
  from authz.guardrail_defaults as d
  on conflict (tenant_id, name) do nothing;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

comment on function coord.seed_guardrails(uuid) is 'Copies the default guardrail rules into a tenant (those it lacks, by name); returns how many were added.';
revoke all on function coord.seed_guardrails(uuid) from public;
