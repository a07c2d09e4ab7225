-- Flag knowledge the guardrail normalizer needs, per tool (or "tool subcommand"): which flags
-- are spellings of another (--force is -f, -R is -r for rm, -D is -d -f for git branch) and
-- which take a value (-n prod, -m "message"), so that every spelling of a command reaches one
-- canonical form. Tools not listed get the generic treatment (short clusters split, flags
-- sorted); see coord.guard_canonical.
create or replace function coord.guard_option(p_tool text, p_flag text)
returns table (canonical text[], takes_value boolean)
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select o.canonical, o.takes_value
  from (values
    ('rm', '-R', array['-r'], false), ('rm', '--recursive', array['-r'], false),
    ('rm', '--force', array['-f'], false), ('rm', '--dir', array['-d'], false),
    ('rm', '--verbose', array['-v'], false),
    ('git', '-C', null, true), ('git', '-c', null, true), ('git', '--git-dir', null, true),
    ('git', '--work-tree', null, true), ('git', '--namespace', null, true),
    ('git', '--force', array['-f'], false), ('git', '--delete', array['-d'], false),
    ('git', '--set-upstream', array['-u'], false), ('git', '--dry-run', array['-n'], false),
    ('git', '-m', null, true), ('git', '--message', array['-m'], true), ('git', '-F', null, true),
    ('git', '--file', array['-F'], true), ('git', '--author', null, true), ('git', '--date', null, true),
    ('git', '-b', null, true), ('git', '-B', null, true),
    ('git push', '-o', null, true), ('git push', '--push-option', array['-o'], true),
    ('git push', '--repo', null, true), ('git push', '--receive-pack', null, true),
    ('git push', '--exec', null, true),
    ('git branch', '-D', array['-d', '-f'], false), ('git branch', '-M', array['-m', '-f'], false),
    ('git branch', '-m', null, false), ('git branch', '-b', null, false),
    ('git clean', '-e', null, true), ('git clean', '--exclude', array['-e'], true),
    ('git commit', '-C', null, true), ('git commit', '-c', null, true),
    ('git commit', '--no-verify', array['-n'], false),
    ('git stash', '-m', null, true), ('git tag', '-m', null, true), ('git tag', '-d', null, false),
    ('git tag', '--delete', array['-d'], false), ('git merge', '-m', null, true),
    ('kubectl', '-n', null, true), ('kubectl', '--namespace', array['-n'], true),
    ('kubectl', '--context', null, true), ('kubectl', '--cluster', null, true),
    ('kubectl', '--kubeconfig', null, true), ('kubectl', '-f', null, true),
    ('kubectl', '--filename', array['-f'], true), ('kubectl', '-l', null, true),
    ('kubectl', '--selector', array['-l'], true), ('kubectl', '-o', null, true),
    ('kubectl', '--output', array['-o'], true), ('kubectl', '-c', null, true),
    ('kubectl', '--container', array['-c'], true), ('kubectl', '--all-namespaces', array['-A'], false),
    ('oc', '-n', null, true), ('oc', '--namespace', array['-n'], true), ('oc', '-f', null, true),
    ('helm', '-n', null, true), ('helm', '--namespace', array['-n'], true),
    ('helm', '--kube-context', null, true), ('helm', '-f', null, true),
    ('helm', '--values', array['-f'], true), ('helm', '--set', null, true), ('helm', '--version', null, true),
    ('docker', '-H', null, true), ('docker', '--host', array['-H'], true), ('docker', '--context', null, true),
    ('docker', '-t', null, true), ('docker', '--tag', array['-t'], true),
    ('podman', '-t', null, true), ('npm', '--prefix', null, true), ('npm', '-w', null, true),
    ('npm', '--workspace', array['-w'], true), ('npm', '--registry', null, true),
    ('npm', '--tag', null, true), ('pnpm', '--filter', null, true), ('cargo', '-p', null, true),
    ('cargo', '--package', array['-p'], true), ('cargo', '--manifest-path', null, true),
    ('curl', '-o', null, true), ('curl', '--output', array['-o'], true), ('curl', '-H', null, true),
    ('curl', '--header', array['-H'], true), ('curl', '-d', null, true), ('curl', '--data', array['-d'], true),
    ('curl', '--data-binary', null, true), ('curl', '--data-raw', null, true), ('curl', '-X', null, true),
    ('curl', '--request', array['-X'], true), ('curl', '-u', null, true), ('curl', '--user', array['-u'], true),
    ('curl', '-F', null, true), ('curl', '--form', array['-F'], true), ('curl', '-T', null, true),
    ('curl', '--upload-file', array['-T'], true), ('curl', '-A', null, true), ('curl', '-e', null, true),
    ('curl', '-m', null, true), ('curl', '-w', null, true), ('curl', '-x', null, true),
    ('curl', '--silent', array['-s'], false), ('curl', '--location', array['-L'], false),
    ('curl', '--fail', array['-f'], false), ('curl', '--show-error', array['-S'], false),
    ('wget', '-O', null, true), ('wget', '--output-document', array['-O'], true), ('wget', '-o', null, true),
    ('wget', '-P', null, true), ('wget', '-U', null, true), ('wget', '--quiet', array['-q'], false),
    ('chmod', '--recursive', array['-R'], false), ('chown', '--recursive', array['-R'], false),
    ('chgrp', '--recursive', array['-R'], false), ('cp', '--recursive', array['-r'], false),
    ('cp', '-R', array['-r'], false), ('cp', '-t', null, true), ('mv', '-t', null, true),
    ('mv', '--force', array['-f'], false), ('sed', '--in-place', array['-i'], false),
    ('sed', '-e', null, true), ('sed', '-f', null, true), ('tar', '-f', null, true),
    ('tar', '--file', array['-f'], true), ('tar', '-C', null, true), ('tar', '--directory', array['-C'], true),
    ('grep', '-e', null, true), ('grep', '-f', null, true), ('grep', '--include', null, true),
    ('grep', '--exclude', null, true), ('grep', '-m', null, true), ('grep', '-A', null, true),
    ('grep', '-B', null, true), ('grep', '-C', null, true), ('rg', '-g', null, true),
    ('rg', '-t', null, true), ('rg', '-e', null, true), ('head', '-n', null, true), ('head', '-c', null, true),
    ('tail', '-n', null, true), ('tail', '-c', null, true), ('python', '-m', null, true),
    ('python', '-c', null, true), ('python3', '-m', null, true), ('python3', '-c', null, true),
    ('pytest', '-k', null, true), ('pytest', '-m', null, true), ('ssh', '-i', null, true),
    ('ssh', '-p', null, true), ('ssh', '-l', null, true), ('ssh', '-o', null, true),
    ('scp', '-i', null, true), ('scp', '-P', null, true), ('scp', '-o', null, true),
    ('crontab', '-u', null, true), ('iptables', '--flush', array['-F'], false),
    ('ip6tables', '--flush', array['-F'], false), ('nc', '-p', null, true), ('ncat', '-p', null, true),
    ('redis-cli', '-h', null, true), ('redis-cli', '-p', null, true), ('redis-cli', '-n', null, true),
    ('redis-cli', '-a', null, true), ('psql', '-c', null, true), ('psql', '--command', array['-c'], true),
    ('psql', '-d', null, true), ('psql', '-U', null, true), ('psql', '-h', null, true), ('psql', '-p', null, true),
    ('psql', '-f', null, true), ('mysql', '-e', null, true), ('mysql', '-u', null, true),
    ('mysql', '-h', null, true), ('mysql', '-p', null, false),
    ('aws', '--profile', null, true), ('aws', '--region', null, true), ('gsutil', '-o', null, true)
  ) as o (tool, flag, canonical, takes_value)
  where o.flag = p_flag and (o.tool = p_tool or o.tool = split_part(p_tool, ' ', 1))
  order by o.tool = p_tool desc
  limit 1;
$$;

comment on function coord.guard_option(text, text) is 'Guardrail normalizer: the canonical spelling(s) of a flag of a tool (null: itself) and whether it takes a value; "tool sub" entries win over "tool" ones.';
revoke all on function coord.guard_option(text, text) from public;
