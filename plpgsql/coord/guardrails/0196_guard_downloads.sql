-- Files a command downloads (so that running them later in the same text is running code from
-- the network): curl -o F / -O (the URL's last segment), wget (-O F, else the URL's last
-- segment, in -P DIR), aria2c -o F, Invoke-WebRequest -OutFile F, a downloader's stdout
-- redirected to F, certutil -decode's output. Each file is listed by its path and by its base name.
create or replace function coord.guard_downloads(p_op jsonb)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_prog text := p_op ->> 'prog';
  v_vals jsonb := coalesce(p_op -> 'vals', '{}');
  v_files text[] := '{}';
  v_url text;
  v_f text;
  v_r jsonb;
begin
  if v_prog not in ('curl', 'wget', 'aria2c', 'fetch', 'http', 'https', 'xh', 'iwr', 'invoke-webrequest', 'irm',
                    'invoke-restmethod', 'start-bitstransfer', 'lwp-download', 'axel', 'scp', 'rsync', 'gsutil', 'aws',
                    'certutil', 'bitsadmin') then
    return v_files;
  end if;
  -- certutil -urlcache -f URL FILE, bitsadmin /transfer JOB URL FILE: the last word is the file
  -- certutil -decode IN OUT: what nobody could read before is as unknown as a download
  if v_prog in ('certutil', 'bitsadmin') and exists (select from jsonb_array_elements_text(p_op -> 'words') as w where w ~* '^(https?|ftp)://')
     or v_prog = 'certutil' and exists (select from jsonb_array_elements_text(p_op -> 'words') as w where lower(w) in ('-decode', '-decodehex', '/decode', '/decodehex')) then
    v_files := v_files || (select w from jsonb_array_elements_text(p_op -> 'words') with ordinality as x (w, o) order by x.o desc limit 1);
  end if;
  v_url := (select a from jsonb_array_elements_text(p_op -> 'args') as a where a ~* '^(https?|ftp)://' limit 1);
  v_files := v_files || array(select jsonb_array_elements_text(coalesce(v_vals -> '-o', v_vals -> '--output', '[]'))
                              union all select jsonb_array_elements_text(coalesce(v_vals -> '-O', v_vals -> '--output-document', '[]'))
                              union all select jsonb_array_elements_text(coalesce(v_vals -> '-outfile', '[]')));
  if v_prog in ('iwr', 'invoke-webrequest', 'irm', 'invoke-restmethod', 'start-bitstransfer') then
    v_files := v_files || array(select w from jsonb_array_elements_text(p_op -> 'words') with ordinality as x (w, o)
                                where exists (select from jsonb_array_elements_text(p_op -> 'words') with ordinality as y (w, o)
                                              where y.o = x.o - 1 and lower(y.w) in ('-outfile', '-destination')));
  end if;
  if v_url is not null and (v_prog = 'wget' and not (v_vals ?| array['-O', '--output-document'])
                            or v_prog = 'curl' and p_op -> 'flags' ?| array['-O', '--remote-name', '--remote-name-all']) then
    v_f := regexp_replace(regexp_replace(v_url, '[?#].*$', ''), '^.*/', '');
    if v_f <> '' then
      v_files := v_files || coalesce((v_vals -> '-P' ->> 0) || '/' || v_f, v_f);
    end if;
  end if;
  for v_r in select jsonb_array_elements(p_op -> 'redir') loop
    if v_r ->> 0 ~ '^1?(>|>>)$' then
      v_files := v_files || (v_r ->> 1);
    end if;
  end loop;
  return array(select distinct x from (select f as x from unnest(v_files) as f where f not in ('-', '/dev/null', '/dev/stdout')
                                       union all select lower(regexp_replace(f, '^.*[/\\]', '')) from unnest(v_files) as f
                                       where f not in ('-', '/dev/null', '/dev/stdout')
                                       union all select lower(regexp_replace(regexp_replace(f, '^.*[/\\]', ''), '\.(exe|ps1|bat|cmd|msi)$', ''))
                                       from unnest(v_files) as f where f not in ('-', '/dev/null', '/dev/stdout')) as d);
end;
$$;

comment on function coord.guard_downloads(jsonb) is 'Guardrail data flow: the files a download command writes (path and base name), so running one later in the same text is running downloaded code.';
revoke all on function coord.guard_downloads(jsonb) from public;
