-- Whether a path argument is really JSON text: a non-empty JSON array of strings, or a non-empty
-- JSON object. coord.normalize_path refuses such a path (CO208).
create or replace function coord.is_json_path_list(p_text text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_json jsonb;
begin
  begin
    v_json := p_text::jsonb;
  exception when others then
    return false;  -- not JSON at all: a file name such as [...slug].tsx
  end;
  return case jsonb_typeof(v_json)
    when 'array' then jsonb_array_length(v_json) > 0
                      and not exists (select from jsonb_array_elements(v_json) as e where jsonb_typeof(e) <> 'string')
    when 'object' then v_json <> '{}'::jsonb
    else false
  end;
end;
$$;

comment on function coord.is_json_path_list(text) is 'True when p_text is a non-empty JSON array of strings or a non-empty JSON object: a list sent where one path goes (coord.normalize_path refuses it, CO208).';
revoke all on function coord.is_json_path_list(text) from public;
