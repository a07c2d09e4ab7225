-- Raise a registered error. Every error the api raises goes through here, so each code has
-- one message, one hint and one documented HTTP status.
create or replace function coord.fail(p_code text, p_detail text default null, p_hint text default null)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_entry record;
begin
  select r.name, r.message, r.hint
  into v_entry
  from coord.error_registry as r
  where r.code = p_code and r.origin = 'coord';

  if not found then
    raise exception using
      errcode = 'CO501',
      message = 'server is misconfigured',
      detail = format('unregistered error code %s', p_code),
      hint = 'register the code in coord.error_registry';
  end if;

  raise exception using
    errcode = p_code,
    message = v_entry.message,
    detail = coalesce(p_detail, ''),
    hint = coalesce(p_hint, v_entry.hint, '');
end;
$$;

comment on function coord.fail(text, text, text) is 'Raises the registered error p_code with its message, the given detail and a hint.';
revoke all on function coord.fail(text, text, text) from public;
grant execute on function coord.fail(text, text, text) to coord_auth;
