-- Devices: principals of kind device that authenticate as the agent role with their own scoped
-- tokens, each owned by the principal that added it (an agent, or an operator).

-- The new foreign keys validate existing rows with a query of their own; with row security
-- forced that query runs the tenant policy, which has no caller during a migration. The owner
-- validates them without it, and forcing is restored below (and by rls/ on every migrate).
alter table coord.principals no force row level security;
alter table coord.tokens no force row level security;

alter table coord.principals add column owner_id uuid;
alter table coord.principals
  add constraint principals_owner_fkey foreign key (tenant_id, owner_id)
    references coord.principals (tenant_id, id) on delete cascade;
alter table coord.principals drop constraint principals_kind_role_check;
alter table coord.principals
  add constraint principals_kind_role_check check ((kind in ('agent', 'device')) = (role = 'agent')),
  add constraint principals_owner_check check ((kind = 'device') = (owner_id is not null) and owner_id is distinct from id);
create index principals_owner_idx on coord.principals (tenant_id, owner_id) where owner_id is not null;

comment on column coord.principals.owner_id is 'Devices only: the principal (agent or operator) that added the device and acts for it; it never approves the device''s requests.';
comment on constraint principals_kind_role_check on coord.principals is 'Agents and devices act as the agent role and only they do; a device is held to its token''s scopes.';
comment on constraint principals_owner_check on coord.principals is 'Every device has an owner other than itself; nothing else has one.';

alter table coord.tokens add column replaced_by uuid;
alter table coord.tokens
  add constraint tokens_replaced_by_fkey foreign key (replaced_by) references coord.tokens (id) on delete set null;
comment on column coord.tokens.replaced_by is 'The token a rotation issued in place of this one; this one expires at the end of the grace period (or is revoked when there is none).';

alter table coord.principals force row level security;
alter table coord.tokens force row level security;
