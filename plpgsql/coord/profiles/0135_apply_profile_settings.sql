-- Applies a JSON object of profile settings to p_profile and returns the result, validated key
-- by key so an error names the setting (CO463). JSON null clears a limit (no limit).
create or replace function coord.apply_profile_settings(p_profile coord.profiles, p_settings jsonb)
returns coord.profiles
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key text;
  v_value jsonb;
  v_int bigint;
  v_interval interval;
  v_list text[];
  v_item text;
begin
  perform coord.check_json(p_settings, 'settings', 65536);
  if p_settings is null or jsonb_typeof(p_settings) <> 'object' then
    perform coord.fail('CO463', 'settings must be a JSON object');
  end if;
  for v_key, v_value in select e.key, e.value from jsonb_each(p_settings) as e loop
    begin
      if v_key in ('trust_level', 'max_locks', 'max_concurrent_tasks', 'calls_per_hour') then
        if jsonb_typeof(v_value) not in ('number', 'null') then
          raise exception using errcode = 'CO900';
        end if;
        v_int := (v_value #>> '{}')::bigint;
        if (v_key = 'trust_level' and (v_int is null or v_int not between 0 and 4))
           or (v_key = 'max_locks' and v_int not between 0 and 100000)
           or (v_key = 'max_concurrent_tasks' and v_int not between 0 and 10000)
           or (v_key = 'calls_per_hour' and v_int not between 1 and 100000000) then
          raise exception using errcode = 'CO900';
        end if;
        case v_key
          when 'trust_level' then p_profile.trust_level := v_int;
          when 'max_locks' then p_profile.max_locks := v_int;
          when 'max_concurrent_tasks' then p_profile.max_concurrent_tasks := v_int;
          else p_profile.calls_per_hour := v_int;
        end case;
      elsif v_key in ('max_lock_ttl', 'max_task_duration') then
        if jsonb_typeof(v_value) not in ('string', 'null') then
          raise exception using errcode = 'CO900';
        end if;
        v_interval := (v_value #>> '{}')::interval;
        if v_interval is not null then
          perform coord.check_interval(v_interval, 'CO463', v_key, interval '1 microsecond',
            case when v_key = 'max_lock_ttl' then interval '24 hours' else interval '30 days' end);
        end if;
        if v_key = 'max_lock_ttl' then
          p_profile.max_lock_ttl := v_interval;
        else
          p_profile.max_task_duration := v_interval;
        end if;
      elsif v_key in ('allowed_task_kinds', 'allowed_operations') then
        if jsonb_typeof(v_value) not in ('array', 'null') or jsonb_array_length(coalesce(v_value, '[]')) > 100 then
          raise exception using errcode = 'CO900';
        end if;
        v_list := case when jsonb_typeof(v_value) = 'array'
                       then array(select jsonb_array_elements_text(v_value) order by 1) end;
        foreach v_item in array coalesce(v_list, '{}') loop
          if v_key = 'allowed_task_kinds' then
            perform coord.check_kind(v_item);
          elsif not exists (select from authz.actions as a
                            where a.action = v_item
                               or (right(v_item, 2) = '.*' and left(a.action, char_length(v_item) - 1) = left(v_item, -1))) then
            perform coord.fail('CO463', format('allowed_operations: %s names no action', pg_catalog.quote_literal(left(v_item, 100))),
              'use action names of authz.actions (docs/architecture.md), or prefix.* such as task.*');
          end if;
        end loop;
        if v_key = 'allowed_task_kinds' then
          p_profile.allowed_task_kinds := v_list;
        else
          p_profile.allowed_operations := v_list;
        end if;
      elsif v_key = 'network_default' then
        if v_value <> 'null' and v_value not in ('"allow"', '"deny"') then
          raise exception using errcode = 'CO900';
        end if;
        p_profile.network_default := v_value #>> '{}';
      elsif v_key = 'description' then
        if jsonb_typeof(v_value) not in ('string', 'null') or char_length(v_value #>> '{}') > 1000 then
          raise exception using errcode = 'CO900';
        end if;
        p_profile.description := v_value #>> '{}';
      else
        perform coord.fail('CO463', format('unknown setting %s', pg_catalog.quote_literal(left(v_key, 100))));
      end if;
    exception
      when sqlstate 'CO900' or invalid_text_representation or invalid_datetime_format or datetime_field_overflow
           or interval_field_overflow or numeric_value_out_of_range or invalid_parameter_value then
        perform coord.fail('CO463', format('%s: %s', v_key, left(v_value::text, 200)));
    end;
  end loop;
  return p_profile;
end;
$$;

comment on function coord.apply_profile_settings(coord.profiles, jsonb) is 'p_profile with the settings of the JSON object applied: trust_level 0-4, max_locks 0-100000, max_lock_ttl (<= 24 h), max_concurrent_tasks 0-10000, allowed_task_kinds, allowed_operations (action names or prefix.*), max_task_duration (<= 30 days), calls_per_hour, network_default allow|deny, description; null clears a limit. CO463 names a bad or unknown setting.';
revoke all on function coord.apply_profile_settings(coord.profiles, jsonb) from public;
