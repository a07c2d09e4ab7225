-- The classes of what follows a run-time prefix ($PREFIX/etc, ${DIR:?}/out): the path it is when
-- the prefix is empty, but only the real system trees count as system there (an empty
-- $BUILD_DIR makes $BUILD_DIR/output the /output nobody has, while $PREFIX/etc is /etc).
create or replace function coord.guard_prefixed(p_rest text)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_classes text[] := coord.guard_classify(p_rest);
begin
  if 'system' = any (v_classes)
     and split_part(p_rest, '/', 2) not in ('etc', 'usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'boot', 'proc', 'sys',
                                            'opt', 'root', 'var', 'dev', 'home', 'Users', 'snap', 'run', 'srv', 'System', 'Library',
                                            'Applications', 'private', 'nix', 'efi', 'mnt', 'media') then
    v_classes := array_remove(v_classes, 'system');
  end if;
  return v_classes;
end;
$$;

comment on function coord.guard_prefixed(text) is 'Guardrail targets: the classes of the path after an empty run-time prefix (real system trees only).';
revoke all on function coord.guard_prefixed(text) from public;
