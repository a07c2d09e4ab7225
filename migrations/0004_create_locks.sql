-- File and directory leases with fencing tokens.

create type coord.lock_mode as enum ('exclusive', 'shared');
comment on type coord.lock_mode is 'Exclusive locks overlap nothing held by others; shared locks overlap only shared locks.';

-- One sequence for all grants: strictly increasing globally, hence per path.
create sequence coord.lock_fence_seq as bigint;
comment on sequence coord.lock_fence_seq is 'Fencing tokens; a later grant on any path always carries a larger fence.';

create table coord.locks (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  path text collate "C" not null,
  mode coord.lock_mode not null,
  holder_id uuid not null,
  fence bigint not null,
  reason text,
  acquired_at timestamptz not null,
  renewed_at timestamptz,
  expires_at timestamptz not null,
  constraint locks_holder_fkey foreign key (tenant_id, holder_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint locks_holder_path_key unique (tenant_id, path, holder_id),
  constraint locks_fence_key unique (fence),
  constraint locks_path_check check (
    path <> '' and octet_length(path) <= 4096
    and path !~ '^/' and path !~ '//' and path !~ '(^|/)\.\.?(/|$)'
    and path !~ '[\\[:cntrl:]]'
  ),
  constraint locks_fence_check check (fence > 0),
  constraint locks_expiry_check check (expires_at > acquired_at),
  constraint locks_renewal_check check (renewed_at is null or renewed_at >= acquired_at),
  constraint locks_reason_check check (reason is null or char_length(reason) <= 1000)
);
create index locks_tenant_path_idx on coord.locks (tenant_id, path);
create index locks_holder_idx on coord.locks (tenant_id, holder_id);

alter table coord.locks set (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);

comment on table coord.locks is 'Live and not-yet-cleaned leases. A lease is live while expires_at > coord.now(); expired rows never block and are removed lazily.';
comment on column coord.locks.path is 'Canonical repository-relative path; a trailing / marks a directory subtree.';
comment on column coord.locks.fence is 'Fencing token of this grant; release and renew must present it. Increases with every grant.';
comment on column coord.locks.expires_at is 'End of the lease. Renewal extends it; the fence stays.';
comment on constraint locks_path_check on coord.locks is 'Only canonical paths are stored, so overlap is plain string comparison.';
