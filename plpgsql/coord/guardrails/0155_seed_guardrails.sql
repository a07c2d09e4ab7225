-- Keeps a tenant's copy of the shipped rules (authz.shipped_guardrails) in step: adds the
-- builtin rules it lacks, updates the definition of those it has (an operator's enabled or
-- disabled stays), and removes builtin rules no longer shipped. Rules the tenant added are
-- never touched. Called by coord.ensure_tenant and, for every tenant, by coord migrate.
-- Returns how many rules it added, changed or removed.
create or replace function coord.seed_guardrails(p_tenant_id uuid)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_added integer;
  v_changed integer;
  v_removed integer;
begin
  delete from authz.guardrails as g
  where g.tenant_id = p_tenant_id and g.builtin
    and not exists (select from authz.shipped_guardrails as d where d.name = g.name);
  get diagnostics v_removed = row_count;
  update authz.guardrails as g
  set category = d.category, applies_to = d.applies_to, actions = d.actions, targets = d.targets,
      pattern = d.pattern, severity = d.severity, override_trust = d.override_trust, mode = d.mode,
      description = d.description, heads = coord.guard_pattern_heads(d.pattern),
      needles = coord.guard_pattern_needles(d.pattern), updated_at = coord.now()
  from authz.shipped_guardrails as d
  where g.tenant_id = p_tenant_id and g.builtin and d.name = g.name
    and (g.category, g.applies_to, g.actions, g.targets, g.pattern, g.severity, g.override_trust, g.mode, g.description,
         g.needles)
        is distinct from (d.category, d.applies_to, d.actions, d.targets, d.pattern, d.severity, d.override_trust, d.mode,
                          d.description, coord.guard_pattern_needles(d.pattern));
  get diagnostics v_changed = row_count;
  insert into authz.guardrails (tenant_id, name, category, applies_to, actions, targets, pattern, severity, override_trust,
                                mode, builtin, description, heads, needles, created_at, updated_at)
  select p_tenant_id, d.name, d.category, d.applies_to, d.actions, d.targets, d.pattern, d.severity, d.override_trust,
         d.mode, true, d.description, coord.guard_pattern_heads(d.pattern), coord.guard_pattern_needles(d.pattern),
         coord.now(), coord.now()
  from authz.shipped_guardrails as d
  on conflict (tenant_id, name) do nothing;
  get diagnostics v_added = row_count;
  return v_added + v_changed + v_removed;
end;
$$;

comment on function coord.seed_guardrails(uuid) is 'Keeps a tenant''s builtin guardrail rules in step with authz.shipped_guardrails (adds, updates, removes builtin rules; custom rules untouched; enabled kept); returns the number of rules touched.';
revoke all on function coord.seed_guardrails(uuid) from public;
