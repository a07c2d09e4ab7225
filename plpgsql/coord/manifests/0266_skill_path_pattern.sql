-- The canonical form of a file pattern of a manifest, or CO762. A pattern is repository-relative
-- and normalized like a lease path (coord.normalize_path: separators, . and .. segments, NFC);
-- * matches within one path segment; a final /** (or a trailing /) means the directory and
-- everything below it and is stored as /**. Refused: absolute, home-relative or drive paths,
-- .. above the root, the root itself, ** anywhere but as the whole last segment, the glob
-- syntax this language does not have (? [ ] { }), and a first segment that names nothing
-- (*, **, *.*, .*): such a pattern reaches every file of the repository.
create or replace function coord.skill_path_pattern(p_pattern text, p_where text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := p_pattern;  -- a manifest pattern, not a lease path argument: MCP passes it as sent
  v_segments text[];
  v_count integer;
begin
  if p_pattern ~ '[?\[\]{}]' then
    perform coord.fail('CO762', format('%s: %s uses glob syntax that is not supported (? [ ] { })', p_where,
                                       pg_catalog.quote_literal(left(p_pattern, 200))));
  end if;
  if p_pattern ~ '^(~|\$|%)' or p_pattern ~ '^[A-Za-z]:' then
    perform coord.fail('CO762', format('%s: %s is not repository-relative', p_where, pg_catalog.quote_literal(left(p_pattern, 200))));
  end if;
  begin
    v := coord.normalize_path(v);
  exception when sqlstate 'CO201' or sqlstate 'CO202' or sqlstate 'CO203' or sqlstate 'CO204' or sqlstate 'CO205'
                  or sqlstate 'CO206' or sqlstate 'CO208' then
    perform coord.fail('CO762', format('%s: %s (%s)', p_where, pg_catalog.quote_literal(left(p_pattern, 200)), sqlerrm));
  end;
  if right(v, 1) = '/' then
    v := v || '**';
  end if;
  v_segments := pg_catalog.string_to_array(v, '/');
  v_count := pg_catalog.cardinality(v_segments);
  if exists (select from unnest(v_segments) with ordinality as s (seg, i)
             where strpos(seg, '**') > 0 and (i < v_count or seg <> '**')) then
    perform coord.fail('CO762', format('%s: %s has ** other than as its whole last segment', p_where,
                                       pg_catalog.quote_literal(left(p_pattern, 200))));
  end if;
  if pg_catalog.replace(v_segments[1], '*', '') !~ '[[:alnum:]]' then
    perform coord.fail('CO762', format('%s: %s reaches every file of the repository (its first segment names nothing)',
                                       p_where, pg_catalog.quote_literal(left(p_pattern, 200))));
  end if;
  return v;
end;
$$;

comment on function coord.skill_path_pattern(text, text) is 'Canonical file pattern of a manifest (normalized; a trailing / becomes /**), or CO762 (p_where names the entry): absolute or outside the repository, the root, ** other than as the whole last segment, ? [ ] { }, or a first segment that names nothing (*, **, *.*, .*).';
revoke all on function coord.skill_path_pattern(text, text) from public;
