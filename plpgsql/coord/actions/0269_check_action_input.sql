-- Input checks of the action api, before anything is read or written (CO458 naming the field;
-- CO241 for a list's shape): kind, payload (a JSON object up to 64 KiB), required scopes
-- (1-100 like devices:claim or deploy:prod), max_attempts 1-10, a lease within the settings'
-- bounds, a claim (positive), a result (a JSON object up to 64 KiB), an error of 1-1000
-- characters.
create or replace function coord.check_action_input(
  p_kind text default null,
  p_payload jsonb default null,
  p_scopes text[] default null,
  p_max_attempts integer default null,
  p_lease interval default null,
  p_claim bigint default null,
  p_result jsonb default null,
  p_error text default null,
  p_proposing boolean default false
)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_settings coord.action_settings;
  v_field text;
begin
  perform coord.check_list(p_scopes, 'required_scopes');
  select * into v_settings from coord.action_settings;
  v_field := case
    when p_proposing and (p_kind is null or p_kind !~ '^[a-z][a-z0-9_.-]{0,55}$') then 'kind'
    when p_proposing and (p_payload is null or jsonb_typeof(p_payload) <> 'object' or pg_column_size(p_payload) > 65536)
      then 'payload'
    when p_proposing and (p_scopes is null or cardinality(p_scopes) not between 1 and 100
         or exists (select from unnest(p_scopes) as s
                    where s is null or s !~ '^[a-z0-9][a-z0-9_.-]{0,62}(:[a-z0-9*][a-z0-9_.*-]{0,62})?$'))
      then 'required_scopes'
    when p_max_attempts is not null and p_max_attempts not between 1 and 10 then 'max_attempts'
    when p_lease is not null and (p_lease < v_settings.lease_min or p_lease > v_settings.lease_max) then 'lease'
    when p_claim is not null and p_claim <= 0 then 'claim'
    when p_result is not null and (jsonb_typeof(p_result) <> 'object' or pg_column_size(p_result) > 65536) then 'result'
    when p_error is not null and (char_length(p_error) not between 1 and 1000 or btrim(p_error) = '') then 'error'
  end;
  if v_field is not null then
    perform coord.fail('CO458', format('action field %s', v_field));
  end if;
end;
$$;

comment on function coord.check_action_input(text, jsonb, text[], integer, interval, bigint, jsonb, text, boolean) is 'Raises CO458 naming the invalid field of an action call (kind, payload, required_scopes when p_proposing; max_attempts, lease, claim, result, error when given), CO241 for a malformed list.';
revoke all on function coord.check_action_input(text, jsonb, text[], integer, interval, bigint, jsonb, text, boolean) from public;
