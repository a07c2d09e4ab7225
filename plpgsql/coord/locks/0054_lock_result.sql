-- api.lock_result by name: the head (ok, code, reason, details) from coord.result, the lease
-- and, for busy, the holder in the way (p_holder: one conflict object with holder_id,
-- holder_name, path, mode, expires_at). p_repository is the repository of the path.
-- PL/pgSQL rather than SQL: it keeps its plan across calls (about half the cost per result).
create or replace function coord.lock_result(
  p_code text default null,
  p_path text default null,
  p_reason text default null,
  p_mode text default null,
  p_fence bigint default null,
  p_expires_at timestamptz default null,
  p_holder jsonb default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null,
  p_repository text default null
)
returns api.lock_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(
    v_head.ok, v_head.code, v_head.reason, p_path, p_mode, p_fence, p_expires_at,
    (p_holder ->> 'holder_id')::uuid,
    p_holder ->> 'holder_name',
    p_holder ->> 'path',
    p_holder ->> 'mode',
    (p_holder ->> 'expires_at')::timestamptz,
    v_head.details,
    p_repository
  )::api.lock_result;
end;
$$;

comment on function coord.lock_result(text, text, text, text, bigint, timestamptz, jsonb, jsonb, boolean, authz.decision, text) is 'Builds an api.lock_result (code checked by coord.result); p_holder is one conflict object (holder_id, holder_name, path, mode, expires_at); p_repository the repository of the path.';
revoke all on function coord.lock_result(text, text, text, text, bigint, timestamptz, jsonb, jsonb, boolean, authz.decision, text) from public;
