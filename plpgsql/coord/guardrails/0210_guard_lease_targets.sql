-- The files a shell command changes, as a client leasing what an agent edits (the Claude Code
-- hook) must lease them: {"writes": [...], "unleased": [...]} from the targets of its write,
-- delete and permission effects. A deletion of what a test matches below a directory (find DIR
-- -name X -delete) leases the directory, as a glob below it does (rm DIR/*.x).
-- writes: the literal paths. Left out: caches and /dev/null (every agent writes them), .git (the
-- guardrails' alone), devices, remotes and what runs elsewhere (ssh, docker/kubectl exec), and a
-- home other than the caller's own (~user: no client can tell where it is); ~/x stays, for the
-- client to read from its home directory (the repository may lie there). $PWD/x and ~+/x are x.
-- A glob below a literal directory (src/*.py, logs/*.log) is that directory, whose lease covers
-- whatever it matches. The directory the command starts in (., *, a formatter run on .) is .:
-- whether that is the whole repository only the client can tell, and it asks the database
-- (check_operation of the path .). git's whole working tree is the top of the repository, :/
-- (DIR/:/ for the repository of DIR; coord.guard_git_writes), which the client maps to its
-- repository root from any directory. Where a path lies is left to the client, which knows where
-- the repository is and leases only what lies inside it (so /tmp/x and ../x stay in: the
-- repository may be under /tmp, and ../x is inside it when the command starts in a
-- subdirectory). A target below one the command deletes or changes the mode of goes, since the
-- lease on that directory covers it (rm -rf gen; touch gen/x: gen). A written target keeps those
-- below it: cp x y writes y, or y/x when y is a directory, which only the client can tell (the
-- hook leases y/x then, not all of y; else y, which covers y/x). Relative targets are read from
-- the directory the command starts in, after any cd of the command (coord.guard_shell_units
-- follows them). DIR/{}, a name fd -x or find -exec runs a command on below DIR, leases DIR
-- ($PWD/{}: .). A recursive mode change (chmod -R, perms-tree) leases its directory.
-- unleased: the targets no lease can name because only the run tells what they are (an expansion
-- such as $F, $(...), find's {}, a glob in the directory the command starts in, a path after a cd
-- to such a place, ~-): the client must not run the command silently (the hook asks).
-- Temporary directories ($TMPDIR/..., /tmp/...) are no project's and are left out of both.
create or replace function coord.guard_lease_targets(p_effects jsonb)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (
    with raw as (
      select e ->> 'a' <> 'write' as tree,
             -- ($PWD/{}: a name fd -x runs a command on below the directory the command starts in: .)
             regexp_replace(regexp_replace(regexp_replace(regexp_replace(e ->> 't', '([^/])//+', '\1/', 'g'),  -- cp a dir/: dir//a
                                           '^(\$PWD|\$\{PWD\}|~\+)(/|$)', './'), '^\./\{\}$', '.'), '^\./(.)', '\1') as t,
             e -> 'c' as c
      from jsonb_array_elements(p_effects) as e
      where e ->> 'a' in ('write', 'delete', 'delete-tree', 'delete-matching', 'perms', 'perms-tree')
        and not (e -> 'c' ?| array['git', 'cache', 'null', 'device', 'remote', 'local-url', 'elsewhere'])
        and coalesce(e ->> 't', '') not in ('', '-', '/dev/stdout', '/dev/stderr')
    ),
    sorted as (
      select r.tree, r.t,
             case when r.t ~ '^~[^/+-]' then 'other-home'
                  when r.t !~ '[][*?$`{}\\]' and r.t !~ '^~-' and not (r.c ?| array['dynamic', 'dynamic-prefix']) then 'literal'
                  when r.c ? 'tmp' then 'tmp'
                  -- a glob below a literal directory: that directory (no expansion in it)
                  when r.t ~ '^[^][*?$`{}\\]*[^][*?$`{}\\/]/' and r.t !~ '^~-|\$' then 'below'
                  else 'unread' end as kind
      from raw as r
    ),
    effects as (
      select s.tree or s.kind = 'below' as tree,
             case when s.kind = 'below' then substring(s.t from '^((?:[^][*?$`{}\\/]*/)*[^][*?$`{}\\/]+)/[^/]*[][*?{}\\]')
                  else s.t end as t
      from sorted as s
      where s.kind in ('literal', 'below')
    ),
    targets as (
      select t, bool_or(tree) as tree, replace(replace(rtrim(t, '/'), '%', '\%'), '_', '\_') || '/_%' as below
      from effects
      where t is not null
      group by t
    )
    select jsonb_build_object(
      'writes', (select coalesce(jsonb_agg(x.t order by x.t), '[]')
                 from targets as x
                 -- (git's top of a repository, :/ and DIR/:/, lies below no directory: the client maps it)
                 where not (x.t !~ '(^|/):/' and exists (select from targets as a where a.tree and x.t like a.below))
                   -- . covers everything relative: only absolute or home paths stay beside it
                   and not (x.t not in ('.', '..') and x.t !~ '^(/|~|\.\./)|(^|/):/' and exists (select from targets as a where a.t = '.'))),
      'unleased', (select coalesce(jsonb_agg(distinct s.t), '[]') from sorted as s where s.kind = 'unread')));
end;
$$;

comment on function coord.guard_lease_targets(jsonb) is 'What a client leases for a shell command: {writes, unleased}. writes: the literal paths among the write, delete (also of what find matches below a directory: the directory) and permission effects of one operation (no caches, /dev/null, .git, devices, remotes, commands run elsewhere or homes other than ~/; $PWD/x is x; a glob below a literal directory is that directory; . is the directory the command starts in; :/ is git''s top of the repository), without those below a target it deletes or changes the mode of (cp x y gives y and y/x: the client tells whether y is a directory). unleased: the targets only the run can tell (expansions, globs in the starting directory, paths after a cd to an unknown place), which the client must not run unasked.';
revoke all on function coord.guard_lease_targets(jsonb) from public;
