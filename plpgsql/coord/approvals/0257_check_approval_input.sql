-- Input checks of the approval api, before anything is read or written: a reason of 1-1000
-- characters (CO466; required when p_required), a grant lifetime within the settings' bounds
-- (CO467), a wait of 0..wait_max (CO467).
create or replace function coord.check_approval_input(p_reason text, p_required boolean,
                                                      p_valid_for interval default null, p_timeout interval default null)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_settings coord.approval_settings;
begin
  if (p_required and p_reason is null) or char_length(p_reason) not between 1 and 1000 or btrim(p_reason) = '' then
    perform coord.fail('CO466', format('reason of %s characters', coalesce(char_length(p_reason)::text, 'no')));
  end if;
  select * into v_settings from coord.approval_settings;
  if p_valid_for is not null then
    perform coord.check_interval(p_valid_for, 'CO467', 'valid_for', v_settings.grant_ttl_min, v_settings.grant_ttl_max);
  end if;
  if p_timeout is not null then
    perform coord.check_interval(p_timeout, 'CO467', 'timeout', interval '0', v_settings.wait_max);
  end if;
end;
$$;

comment on function coord.check_approval_input(text, boolean, interval, interval) is 'Raises CO466 for a missing (when required) or over-long reason, CO467 for a grant lifetime or wait out of coord.approval_settings bounds.';
revoke all on function coord.check_approval_input(text, boolean, interval, interval) from public;
