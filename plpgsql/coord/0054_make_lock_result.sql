create or replace function coord.make_lock_result(
  p_ok boolean,
  p_code text,
  p_path text,
  p_reason text default null,
  p_mode text default null,
  p_fence bigint default null,
  p_expires_at timestamptz default null,
  p_holder jsonb default null,
  p_details jsonb default '{}'
)
returns api.lock_result
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select row(
    p_ok, p_code, p_reason, p_path, p_mode, p_fence, p_expires_at,
    (p_holder ->> 'holder_id')::uuid,
    p_holder ->> 'holder_name',
    p_holder ->> 'path',
    p_holder ->> 'mode',
    (p_holder ->> 'expires_at')::timestamptz,
    coalesce(p_details, '{}')
  )::api.lock_result;
$$;

comment on function coord.make_lock_result(boolean, text, text, text, text, bigint, timestamptz, jsonb, jsonb) is 'Builds an api.lock_result; p_holder is one conflict object (holder_id, holder_name, path, mode, expires_at).';
revoke all on function coord.make_lock_result(boolean, text, text, text, text, bigint, timestamptz, jsonb, jsonb) from public;
