-- Canonical repository-relative path: Unicode NFC, '/' separators (a backslash is a separator
-- too), no empty, '.' or '..' segments. Absolute paths are refused rather than guessed at, so
-- /home/me/repo/src/a.py can never be a different lock from src/a.py. A trailing '/' (or a
-- final '.' or '..') is kept: it says the path is a directory. It changes no lock decision: a
-- lock covers its node and everything below it either way (coord.covering_paths). Case is
-- preserved: paths are case-sensitive, like git.
create or replace function coord.normalize_path(p_path text)
returns text
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_segments text[];
  v_kept text[] := '{}';
  v_segment text;
  v_is_dir boolean;
begin
  -- Most paths arrive canonical: NFC, relative, no backslash, no control character, no empty,
  -- '.' or '..' segment (a trailing '/' aside), not JSON-like. Those are their own normal form.
  if p_path <> '' and octet_length(p_path) <= 4096 and p_path is nfc normalized
     and p_path !~ '[[:cntrl:]\\]|^[/[{[:space:]]|^[A-Za-z]:|//|(^|/)\.\.?(/|$)' then
    return p_path;
  end if;
  if p_path is null or p_path = '' then
    perform coord.fail('CO201');
  end if;
  if octet_length(p_path) > 4096 then
    perform coord.fail('CO202', format('path is %s bytes', octet_length(p_path)));
  end if;
  if p_path ~ '[[:cntrl:]]' then
    perform coord.fail('CO203', 'path contains a control character (U+0000-U+001F, U+007F-U+009F)');
  end if;

  -- A JSON array of strings or a JSON object sent where one path goes: PostgREST's
  -- json_to_record reads {"p_path": ["src/app.py"]} as the text '["src/app.py"]'. Names that only
  -- look alike stay legal: app/[id]/page.tsx, [...slug].tsx, [1].txt, {a}.txt.
  if p_path ~ '^\s*(\[\s*"|\{\s*")' and coord.is_json_path_list(p_path) then
    perform coord.fail('CO208', format('%s is a JSON %s, not a path', p_path,
                                       case when ltrim(p_path) like '[%' then 'array' else 'object' end));
  end if;

  if p_path ~ '^[/\\]' or p_path ~ '^[A-Za-z]:' then
    perform coord.fail('CO206', format('%s is absolute', p_path));
  end if;

  v_segments := string_to_array(replace(normalize(p_path, NFC), E'\\', '/'), '/');
  v_is_dir := v_segments[cardinality(v_segments)] in ('', '.', '..');

  foreach v_segment in array v_segments loop
    if v_segment = '..' then
      if cardinality(v_kept) = 0 then
        perform coord.fail('CO204', format('%s climbs above the repository root', p_path));
      end if;
      v_kept := v_kept[1:cardinality(v_kept) - 1];
    elsif v_segment not in ('', '.') then
      v_kept := v_kept || v_segment;
    end if;
  end loop;

  if cardinality(v_kept) = 0 then
    perform coord.fail('CO205', format('%s normalizes to the repository root', p_path));
  end if;
  return array_to_string(v_kept, '/') || case when v_is_dir then '/' else '' end;
end;
$$;

comment on function coord.normalize_path(text) is 'Canonical form of a repository-relative path (./a/../b -> b, a//b -> a/b, a\b -> a/b, dir/ keeps its slash, which names a directory and changes no overlap); errors CO201-CO206 for empty, too long, control characters, escaping or naming the root, absolute; CO208 for a JSON array of strings or a JSON object (a list sent where one path goes).';
revoke all on function coord.normalize_path(text) from public;
