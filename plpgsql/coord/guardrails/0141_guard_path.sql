-- Canonical form of a path for guardrail matching: $HOME and ${HOME} become ~, repeated slashes
-- collapse, . segments vanish, .. removes the segment before it (/.. is /), a trailing slash
-- goes (except for / and git's top of a repository, :/ or DIR/:/), and a leading ./ goes (./build
-- is build, ./ is .). Globs stay as written.
create or replace function coord.guard_path(p_path text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := p_path;
  v_abs boolean;
  v_out text[] := '{}';
  v_part text;
begin
  if v is null then
    return null;
  end if;
  -- (regular expressions only where they can apply: the backend caches 32 compiled ones, and the
  -- guardrail pipeline runs far more, so each one avoided is a compilation saved)
  if left(v, 1) = '$' then
    v := regexp_replace(v, '^\$(\{HOME\}|HOME(?![A-Za-z0-9_]))', '~');
  end if;
  if strpos(v, '//') > 0 then
    v := regexp_replace(v, '/+', '/', 'g');
  end if;
  v_abs := left(v, 1) = '/';
  foreach v_part in array string_to_array(case when v_abs then substr(v, 2) else v end, '/') loop
    if v_part = '' or v_part = '.' then
      continue;
    elsif v_part = '..' then
      if cardinality(v_out) > 0 and v_out[cardinality(v_out)] not in ('..', '~') then
        v_out := v_out[1:cardinality(v_out) - 1];
      elsif not v_abs then
        v_out := v_out || v_part;
      end if;
    else
      v_out := v_out || v_part;
    end if;
  end loop;
  v := array_to_string(v_out, '/');
  -- git's top of a repository, :/ (DIR/:/), keeps its slash: : alone would be a file of that name
  if v_out[cardinality(v_out)] = ':' then
    v := v || '/';
  end if;
  if v_abs then
    return '/' || v;
  end if;
  return case when v = '' then '.' else v end;
end;
$$;

comment on function coord.guard_path(text) is 'Guardrail normalizer: canonical path ($HOME -> ~, // and /./ collapsed, .. resolved lexically, no trailing slash, ./x -> x).';
revoke all on function coord.guard_path(text) from public;
