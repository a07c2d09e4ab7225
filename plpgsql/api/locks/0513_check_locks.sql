create or replace function api.check_locks(p_paths text[])
returns table (
  path text,
  locked boolean,
  lock_path text,
  mode text,
  holder_id uuid,
  holder_name text,
  expires_at timestamptz,
  mine boolean,
  fence bigint,
  repository text
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('lock.check');
  v_now timestamptz := coord.clock_now();
  v_paths text[];
begin
  perform coord.check_list(p_paths, 'paths');
  if p_paths is null or cardinality(p_paths) not between 1 and 1000 then
    perform coord.fail('CO217', format('%s paths', coalesce(cardinality(p_paths)::text, 'null')));
  end if;
  v_paths := array(select coord.normalize_path(p) from unnest(p_paths) as p);

  return query
  select q.path,
         l.id is not null,
         l.path::text,
         l.mode::text,
         l.holder_id,
         p.name,
         l.expires_at,
         l.holder_id = v_me.principal_id,
         case when l.holder_id = v_me.principal_id then l.fence end,
         v_me.repository
  from unnest(v_paths) with ordinality as q (path, position)
  left join lateral (
    select x.*
    from coord.locks as x
    where x.tenant_id = v_me.tenant_id and x.repository = v_me.repository
      and x.expires_at > v_now
      and (x.path = any (coord.covering_paths(q.path))
           or (x.path >= rtrim(q.path, '/') || '/' and x.path < rtrim(q.path, '/') || '0'))
  ) as l on true
  left join coord.principals as p on p.tenant_id = l.tenant_id and p.id = l.holder_id
  order by q.position, l.path, l.id;
end;
$$;

comment on function api.check_locks(text[]) is
'For each of p_paths (1-1000, normalized) in your repository (your session''s, else your token''s, else default; column repository), the live leases there that overlap it: on the same node, on an enclosing directory, or anywhere below it (a path covers its subtree with or without a trailing /: src and src/app.py overlap). One row per lease, or one row with locked = false. fence is shown only for your own leases. Read-only. Errors: CO217 count, CO241 not a flat list, CO201-CO206 paths.';
revoke all on function api.check_locks(text[]) from public;
grant execute on function api.check_locks(text[]) to coord_agent, coord_operator, coord_auditor;
