-- The files a shell command changes that a lease can name, so that a client leasing what an
-- agent edits (the Claude Code hook) leases what its commands write too: the targets of its
-- write, delete and permission effects that are literal paths. Left out: a target with a glob
-- or an expansion (no lease names what it matches), caches and /dev/null (every agent writes
-- them), .git (the guardrails' alone), the whole tree, devices and remotes, and a home other
-- than the caller's own (~user, ~+, ~-: no client can tell where they are); ~/x stays, for the
-- client to read from its home directory (the repository may lie there). Where a path lies
-- is left to the client, which knows where the repository is and leases only what lies inside
-- it (so /tmp/x and ../x stay in: the repository may be under /tmp, and ../x is inside it when
-- the command starts in a subdirectory). A target below one the command deletes or changes the
-- mode of goes, since the lease on that directory covers it (rm -rf gen; touch gen/x: gen). A
-- written target keeps those below it: cp x y writes y, or y/x when y is a directory, which
-- only the client can tell (the hook leases y/x then, not all of y; else y, which covers y/x). Relative
-- targets are read from the directory the command starts in, after any cd of the command
-- (coord.guard_shell_units follows them). A recursive mode change (chmod -R, perms-tree) leases
-- its directory, which covers every file whose mode it changes.
create or replace function coord.guard_lease_targets(p_effects jsonb)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (
    with effects as (
      select e ->> 'a' <> 'write' as tree, regexp_replace(e ->> 't', '([^/])//+', '\1/', 'g') as t  -- cp a dir/: dir//a
      from jsonb_array_elements(p_effects) as e
      where e ->> 'a' in ('write', 'delete', 'delete-tree', 'perms', 'perms-tree')
        and not (e -> 'c' ?| array['workspace', 'git', 'cache', 'null', 'device', 'remote', 'local-url', 'dynamic',
                                  'dynamic-prefix'])
        and e ->> 't' !~ '[][*?$`{}\\]|^~([^/]|$)' and e ->> 't' not in ('', '.', '..', '-')
    ),
    targets as (
      select t, bool_or(tree) as tree, replace(replace(rtrim(t, '/'), '%', '\%'), '_', '\_') || '/_%' as below
      from effects
      group by t
    )
    select coalesce(jsonb_agg(x.t order by x.t), '[]')
    from targets as x
    where not exists (select from targets as a where a.tree and x.t like a.below));
end;
$$;

comment on function coord.guard_lease_targets(jsonb) is 'The literal paths among the write, delete and permission effects of one operation (no globs, expansions, caches, /dev/null, .git, devices, remotes or homes other than ~/), without those below a target it deletes or changes the mode of (cp x y gives y and y/x: the client tells whether y is a directory): what a client leases for a shell command when they lie inside its repository.';
revoke all on function coord.guard_lease_targets(jsonb) from public;
