-- Every token row with its principal and tenant, and the one place that says whether it may
-- authenticate now: refusal is null for a usable token, else why not (revoked, expired,
-- principal_disabled, tenant_disabled, in that order). coord.token_caller turns a refusal into
-- its PT401; api.authenticate reads an opaque token here in its own statement (no function
-- entry per call) and hands any refusal to coord.token_caller. Security invoker: the tables'
-- row level security applies to whoever reads it; only coord_auth (BYPASSRLS, the owner of
-- those two functions: tokens are looked up before any tenant is known) may.
create or replace view coord.token_principals with (security_invoker = true) as
select t.id as token_id, t.token_hash, t.scopes, t.expires_at, t.revoked_at, t.repository,
       p.id as principal_id, p.kind, p.role, p.name,
       n.id as tenant_id, n.name as tenant_name,
       case
         when t.revoked_at is not null then 'revoked'
         -- no clock read for a token without expiry (CASE evaluates lazily)
         when t.expires_at is not null and t.expires_at <= coord.now() then 'expired'
         when p.disabled_at is not null then 'principal_disabled'
         when n.disabled_at is not null then 'tenant_disabled'
       end as refusal
from coord.tokens as t
join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id
join coord.tenants as n on n.id = t.tenant_id;

comment on view coord.token_principals is 'Each token with its principal and tenant, and refusal: null when the token may authenticate now, else revoked, expired, principal_disabled or tenant_disabled (the first that holds). The one definition of those rules: coord.token_caller and api.authenticate read it.';
revoke all on coord.token_principals from public;
grant select on coord.token_principals to coord_auth;
