-- Network policy: allow/deny rules by domain (exact, or *.suffix for every subdomain) per tenant
-- or per agent, with priorities. Profiles (governance) will add a profile scope and supply the
-- default; until then the tenant's network_default decides when no rule matches.

alter table coord.tenants
  add column network_default text not null default 'deny',
  add constraint tenants_network_default_check check (network_default in ('allow', 'deny'));
comment on column coord.tenants.network_default is 'Decision of api.check_network when no rule matches (until profiles supply one).';

create table authz.network_rules (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  principal_id uuid,
  pattern text collate "C" not null,
  action text not null,
  priority integer not null default 0,
  reason text,
  created_by uuid,
  created_at timestamptz not null,
  constraint network_rules_principal_fkey foreign key (tenant_id, principal_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint network_rules_values_check check (
    action in ('allow', 'deny')
    and priority between -1000 and 1000
    and (reason is null or char_length(reason) <= 1000)
    and pattern ~ '^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$'
    and octet_length(pattern) <= 255)
);
create index network_rules_tenant_idx on authz.network_rules (tenant_id, priority desc);
comment on table authz.network_rules is 'Domain allow/deny rules of a tenant (principal_id null) or of one agent. The highest priority matching rule decides; at equal priority deny wins.';
comment on column authz.network_rules.pattern is 'Canonical domain (lower-case ASCII, punycode for IDN, no trailing dot or port), or *.domain for every subdomain of domain (not domain itself).';

create type api.network_decision as (
  ok boolean,
  code text,
  reason text,
  domain text,
  rule_id bigint,
  pattern text,
  decided_by text,
  details jsonb
);
comment on type api.network_decision is 'Outcome of check_network: ok with code allowed, or ok=false with denied; the canonical domain, and the rule that decided (decided_by agent, tenant, or default).';
