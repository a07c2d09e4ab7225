-- Where cd DIR may go from each directory the shell may be in (p_bases: a JSON array of
-- directories, null for the one the command starts in), as coord.guard_shell_units follows the
-- working directory: DIR read from each, in order, without repeats. With CDPATH set in the text
-- (p_cdpath), a DIR that does not start with / . or ~ is looked for in each of its entries first
-- and then, as bash falls back, where the shell is (an entry only the run tells: $(cd), unknown).
create or replace function coord.guard_cd_readings(p_bases jsonb, p_dir text, p_cdpath text default null)
returns jsonb
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  with dirs as (
    select b.o * 100 + e.n as o,
           case when e.entry is null or e.entry in ('', '.') then p_dir
                when e.entry ~ '[$`]' or strpos(e.entry, chr(30)) > 0 then '$(cd)'
                else rtrim(e.entry, '/') || '/' || p_dir end as dir,
           case when jsonb_typeof(b.base) = 'string' then b.base ->> 0 end as base
    from jsonb_array_elements(p_bases) with ordinality as b (base, o)
    cross join lateral (
      select c.entry, c.n from unnest(string_to_array(p_cdpath, ':')) with ordinality as c (entry, n)
      where p_cdpath is not null and p_dir !~ '^(/|\.|~|\$|[a-zA-Z]:)'
      union all select null, 99) as e
  ),
  readings as (
    select o, to_jsonb(case when dir = '$(cd)' then dir
                            when base is null or left(dir, 1) in ('/', '~', '$') or dir ~ '^[a-zA-Z]:' then dir
                            else coord.guard_path(base || '/' || dir) end) as r
    from dirs
  )
  select coalesce(jsonb_agg(r order by o), '[]')
  from (select r, min(o) as o from readings group by r) as d;
$$;

comment on function coord.guard_cd_readings(jsonb, text, text) is 'Guardrail normalizer: the directories cd DIR may go to from each directory the shell may be in (null: where the command starts), with CDPATH''s entries first when the text sets it.';
revoke all on function coord.guard_cd_readings(jsonb, text, text) from public;
