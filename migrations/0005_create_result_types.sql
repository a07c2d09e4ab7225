-- Result types of the api functions. Expected outcomes are rows of these types, never errors.

create type api.principal_info as (
  principal_id uuid,
  kind text,
  name text,
  role text,
  tenant_id uuid,
  tenant_name text,
  scopes text[],
  session_id uuid,
  token_id uuid,
  token_expires_at timestamptz
);
comment on type api.principal_info is 'The verified caller: who, in which tenant, as which role, with which token scopes.';

create type api.lock_result as (
  ok boolean,
  code text,
  reason text,
  path text,
  mode text,
  fence bigint,
  expires_at timestamptz,
  holder_id uuid,
  holder_name text,
  holder_path text,
  holder_mode text,
  holder_expires_at timestamptz,
  details jsonb
);
comment on type api.lock_result is 'Outcome of acquire/release/renew: ok and code always; fence and expires_at when held; holder_* when another principal''s lease is in the way.';

create type api.token_grant as (
  ok boolean,
  code text,
  reason text,
  principal_id uuid,
  principal_name text,
  tenant_name text,
  role text,
  token_id uuid,
  token text,
  scopes text[],
  expires_at timestamptz
);
comment on type api.token_grant is 'A newly issued token. The token text appears here once and is never stored.';

create type api.result as (
  ok boolean,
  code text,
  reason text,
  details jsonb
);
comment on type api.result is 'Generic outcome of an operation without a richer result type.';

create type authz.decision as (
  allowed boolean,
  decision text,
  engine text,
  rule text,
  reason text
);
comment on type authz.decision is 'A policy decision: allow or deny, which engine and rule decided, and why.';
