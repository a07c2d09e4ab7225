-- coord:superuser
-- Guardrails: a registry of destructive-operation rules per tenant, the shipped default rule
-- set, and the violations the checks found. Runs as superuser only to seed the defaults into
-- the tenants that already exist (RLS hides other tenants from the owner role); every object is
-- created as coord_owner.
set local role coord_owner;

create table authz.guardrail_defaults (
  name text collate "C" primary key,
  category text not null,
  applies_to text not null,
  pattern text collate "C" not null,
  severity text not null,
  override_trust smallint,
  mode text not null,
  description text not null,
  constraint guardrail_defaults_values_check check (
    category in ('filesystem', 'git', 'database', 'deployment', 'credentials', 'process', 'network')
    and applies_to in ('command', 'sql', 'path')
    and severity in ('low', 'medium', 'high', 'critical')
    and mode in ('block', 'needs_approval')
    and (('' ~ pattern) is not null)
    and case severity when 'critical' then override_trust is null
                      when 'high' then override_trust is null or override_trust = 4
                      else override_trust is null or override_trust between 3 and 4 end)
);
comment on table authz.guardrail_defaults is 'The shipped default guardrail rules (product data, not tenant data): copied into every tenant''s authz.guardrails when the tenant is created, and into the tenants that existed when a migration ships them.';

create table authz.guardrails (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  name text collate "C" not null,
  category text not null,
  applies_to text not null,
  pattern text collate "C" not null,
  severity text not null,
  override_trust smallint,
  mode text not null,
  enabled boolean not null default true,
  builtin boolean not null default false,
  description text not null,
  heads text[],
  created_by uuid,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  constraint guardrails_name_key unique (tenant_id, name),
  constraint guardrails_values_check check (
    name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'
    and category in ('filesystem', 'git', 'database', 'deployment', 'credentials', 'process', 'network')
    and applies_to in ('command', 'sql', 'path')
    and severity in ('low', 'medium', 'high', 'critical')
    and mode in ('block', 'needs_approval')
    and char_length(pattern) between 1 and 2000
    and (('' ~ pattern) is not null)
    and char_length(description) between 1 and 1000),
  constraint guardrails_override_trust_check check (
    case severity when 'critical' then override_trust is null
                  when 'high' then override_trust is null or override_trust = 4
                  else override_trust is null or override_trust between 3 and 4 end)
);
create index guardrails_tenant_idx on authz.guardrails (tenant_id, applies_to) where enabled;
comment on table authz.guardrails is 'Destructive-operation rules of a tenant: a PostgreSQL ARE regex matched against the canonical form of commands, SQL statements or paths (docs/architecture.md, Guardrails). A match blocks or needs approval unless the caller''s trust reaches override_trust.';
comment on column authz.guardrails.pattern is 'PostgreSQL advanced regular expression (\y is a word boundary, not \b), matched case-sensitively against each canonical unit; validated when the rule is stored.';
comment on column authz.guardrails.override_trust is 'Trust level that may override a match (recorded as an override): 3 or 4 for low and medium, 4 for high, never (null) for critical; null also means nobody.';
comment on column authz.guardrails.mode is 'What an un-overridden match means: block (refused) or needs_approval (refused until approved).';
comment on column authz.guardrails.heads is 'Prefilter derived from pattern by coord.guard_pattern_heads when the rule is stored: every match starts with one of these literals, so other units skip the regex. Null: always evaluate (also for rules seeded by this migration).';
comment on column authz.guardrails.builtin is 'True for rules copied from authz.guardrail_defaults; operators may disable them but not change their pattern.';

create table authz.guardrail_violations (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null,
  principal_id uuid,
  principal_name text,
  kind text not null,
  operation text not null,
  normalized text not null,
  outcome text not null,
  trust smallint not null,
  rules jsonb not null,
  task_id bigint,
  constraint guardrail_violations_values_check check (
    kind in ('command', 'sql', 'path')
    and outcome in ('blocked', 'needs_approval', 'overridden')
    and trust between 0 and 4
    and jsonb_typeof(rules) = 'array')
);
create index guardrail_violations_tenant_idx on authz.guardrail_violations (tenant_id, id desc);
comment on table authz.guardrail_violations is 'Every guardrail check that blocked, needed approval, or was allowed only by an override, with the rules that matched and the task it was declared for.';
comment on column authz.guardrail_violations.outcome is 'blocked, needs_approval, or overridden (allowed because the caller''s trust reached every matching rule''s override_trust).';

create type api.guardrail_decision as (
  ok boolean,
  code text,
  reason text,
  kind text,
  normalized text,
  matches jsonb,
  overridden boolean,
  trust smallint,
  violation_id bigint,
  details jsonb
);
comment on type api.guardrail_decision is 'Outcome of check_operation: ok with code allowed (overridden when a matching rule was overridden by trust), or blocked / needs_approval / denied; the canonical units that were matched, one per line, and the matching rules.';

-- The default rule set, version 1. Patterns are matched against the canonical form described in
-- docs/architecture.md: command name without path, flags merged, split, aliased and sorted,
-- operands in order, paths collapsed ($HOME and ${HOME} become ~), one simple command per unit
-- plus one unit per pipeline (commands joined by ' | '); SQL upper-cased with literals emptied.
insert into authz.guardrail_defaults (name, category, applies_to, severity, override_trust, mode, pattern, description) values
-- filesystem
('rm-recursive-system', 'filesystem', 'command', 'critical', null, 'block',
 '^rm( [^ ]+)* -r( [^ ]+)* (/|/\*|~|~/\*|/(etc|usr|var|bin|sbin|lib|lib32|lib64|libx32|boot|dev|proc|sys|opt|srv|home|root|mnt|media|snap|run)(/\*)?)( |$)',
 'recursive rm of /, the home directory or a system directory'),
('rm-recursive-workspace', 'filesystem', 'command', 'high', 4, 'block',
 '^rm( [^ ]+)* -r( [^ ]+)* (\*|\.|\.\*|\.\.(/\.\.)*(/\*)?|\.git|~/\.[^ /]+)( |$)',
 'recursive rm of everything here (*, ., ..), of .git, or of a dot-directory in the home directory'),
('rm-recursive-unset-variable', 'filesystem', 'command', 'high', 4, 'needs_approval',
 '^rm( [^ ]+)* -r( [^ ]+)* \$[A-Za-z_][A-Za-z0-9_]*/\*?( |$)',
 'recursive rm of $VAR/ or $VAR/*: an unset variable makes it rm -r /'),
('rm-no-preserve-root', 'filesystem', 'command', 'critical', null, 'block',
 '^rm( [^ ]+)* --no-preserve-root( |$)',
 'rm with --no-preserve-root'),
('find-delete-system', 'filesystem', 'command', 'critical', null, 'block',
 '^find (/|~|/(etc|usr|var|bin|sbin|lib|lib64|boot|home|root|opt|srv))( [^ ]+)* (-delete|-exec rm|-execdir rm|-exec shred)( |$)',
 'find that deletes below /, the home directory or a system directory'),
('make-filesystem', 'filesystem', 'command', 'critical', null, 'block',
 '^(mkfs(\.[a-z0-9]+)?|mke2fs|mkswap|wipefs|mkntfs|mkdosfs)( |$)',
 'creating or wiping a file system'),
('partition-table', 'filesystem', 'command', 'critical', null, 'block',
 '^(fdisk|sfdisk|parted|sgdisk|gdisk|cfdisk)(?!( [^ ]+)* (-l|--list|print)( |$))( [^ ]+)* /dev/',
 'changing a partition table'),
('dd-to-device', 'filesystem', 'command', 'critical', null, 'block',
 '^dd( [^ ]+)* of=/dev/(?!(null|zero|stdout|stderr|tty)( |$))',
 'dd writing to a device'),
('write-to-device', 'filesystem', 'command', 'critical', null, 'block',
 '((^| )[0-9&]*(>|>>|>\|)|^(shred|wipe|tee)( [^ ]+)* )/dev/(sd|hd|vd|xvd|nvme|mmcblk|disk|md[0-9]|dm-|loop|mapper/|root|mem|kmem|port)',
 'redirecting, tee-ing or shredding onto a block device or memory'),
('chmod-world-writable', 'filesystem', 'command', 'medium', 3, 'block',
 '^chmod( [^ ]+)* (0?[0-7]?777|0?666|a\+rwx|ugo\+rwx|a=rwx|ugo=rwx|o\+w|a\+w|o\+rwx|o=rwx)( |$)',
 'chmod 777 / 666 / a+rwx / o+w: world-writable files'),
('recursive-permissions-system', 'filesystem', 'command', 'critical', null, 'block',
 '^(chmod|chown|chgrp)( [^ ]+)* -R( [^ ]+)* (/|/\*|~|/(etc|usr|var|bin|sbin|lib|lib64|boot|home|root|opt))( |$)',
 'recursive chmod/chown/chgrp of /, the home directory or a system directory'),
('move-to-dev-null', 'filesystem', 'command', 'high', 4, 'block',
 '^mv( [^ ]+)* /dev/null$',
 'mv onto /dev/null'),
('write-system-file', 'filesystem', 'command', 'high', 4, 'block',
 '((^| )[0-9&]*(>|>>|>\|)|^(tee|truncate)( [^ ]+)* |^sed( [^ ]+)* -i( [^ ]+)* )/(etc|boot|usr|bin|sbin|lib|lib64)/',
 'overwriting files in /etc, /boot, /usr, /bin, /sbin or /lib'),
-- git
('git-force-push', 'git', 'command', 'high', 4, 'block',
 '^git push( [^ ]+)* (-f|--mirror|\+[^ ]*)( |$)',
 'force push: -f, --force, --mirror or a +refspec (--force-with-lease is allowed)'),
('git-push-delete-protected', 'git', 'command', 'high', 4, 'block',
 '^git push( [^ ]+)* (-d( [^ ]+)* (origin/)?|:(refs/heads/)?)(main|master|trunk|develop|production|prod|release)( |$)',
 'deleting a protected remote branch'),
('git-reset-hard', 'git', 'command', 'medium', 3, 'block',
 '^git reset( [^ ]+)* --hard( |$)',
 'git reset --hard discards uncommitted work'),
('git-clean-force', 'git', 'command', 'medium', 3, 'block',
 '^git clean(?!( [^ ]+)* -n( |$))( [^ ]+)* -f( |$)',
 'git clean -f / -fd / -fdx deletes untracked files'),
('git-branch-force-delete-protected', 'git', 'command', 'high', 4, 'block',
 '^git branch(?=( [^ ]+)* -d( |$))(?=( [^ ]+)* -f( |$))( [^ ]+)* (main|master|trunk|develop|production|release)( |$)',
 'git branch -D (or --delete --force) of a protected branch'),
('git-history-rewrite', 'git', 'command', 'high', 4, 'block',
 '^git (filter-branch|filter-repo)( |$)|^git reflog( [^ ]+)* --expire=(now|all|0)( [^ ]+)* expire( |$)|^git update-ref( [^ ]+)* -d( [^ ]+)* (refs/heads/)?(main|master)( |$)',
 'rewriting history or expiring the reflog'),
('git-stash-clear', 'git', 'command', 'medium', 3, 'block',
 '^git stash clear( |$)',
 'git stash clear drops every stash'),
-- database (commands)
('database-cli-drop', 'database', 'command', 'high', 4, 'block',
 '^(dropdb|dropuser)( |$)',
 'dropdb / dropuser'),
('redis-flush', 'database', 'command', 'high', 4, 'block',
 '^redis-cli( [^ ]+)* ([Ff][Ll][Uu][Ss][Hh]([Aa][Ll][Ll]|[Dd][Bb]))( |$)',
 'redis FLUSHALL / FLUSHDB'),
('mongo-drop', 'database', 'command', 'high', 4, 'block',
 '^(mongo|mongosh)( [^ ]+)* .*(dropDatabase\(|\.drop\(|deleteMany\(\{\}\))',
 'dropping a MongoDB database or collection'),
-- database (SQL)
('sql-drop-database', 'database', 'sql', 'critical', null, 'block',
 '^DROP DATABASE( |$)',
 'dropping a database'),
('sql-drop', 'database', 'sql', 'high', 4, 'block',
 '^DROP (TABLE|SCHEMA|OWNED|TABLESPACE|ROLE|USER|EXTENSION|FOREIGN TABLE|SERVER)( |$)',
 'dropping tables, schemas, roles or extensions'),
('sql-drop-other', 'database', 'sql', 'medium', 3, 'needs_approval',
 '^DROP (VIEW|MATERIALIZED VIEW|INDEX|FUNCTION|PROCEDURE|TRIGGER|SEQUENCE|TYPE|DOMAIN|POLICY|RULE|PUBLICATION|SUBSCRIPTION)( |$)',
 'dropping views, indexes, functions and other schema objects'),
('sql-truncate', 'database', 'sql', 'high', 4, 'block',
 '^TRUNCATE( |$)',
 'TRUNCATE'),
('sql-delete-without-where', 'database', 'sql', 'high', 4, 'block',
 '^(WITH .* )?DELETE FROM (?!.* WHERE( |$))',
 'DELETE without WHERE deletes every row'),
('sql-update-without-where', 'database', 'sql', 'high', 4, 'block',
 '^(WITH .* )?UPDATE (?!.* WHERE( |$))',
 'UPDATE without WHERE changes every row'),
('sql-where-always-true', 'database', 'sql', 'high', 4, 'block',
 '^(WITH .* )?(DELETE FROM|UPDATE) .* WHERE ((TRUE|1 ?= ?1|'''' ?= ?''''|NOT FALSE|1)( |$)|.* OR (TRUE|1 ?= ?1|'''' ?= ?'''')( |$))',
 'DELETE or UPDATE whose WHERE is always true'),
('sql-alter-table-drop', 'database', 'sql', 'medium', 3, 'needs_approval',
 '^ALTER TABLE( [^ ]+)+ DROP (?!(NOT NULL|DEFAULT|IDENTITY|EXPRESSION)( |$))',
 'removing a column or constraint'),
('sql-privilege-escalation', 'database', 'sql', 'medium', 3, 'block',
 '^ALTER (ROLE|USER)( [^ ]+)* (SUPERUSER|BYPASSRLS)( |$)|^GRANT( [^ ]+)* TO PUBLIC( |$)|^ALTER TABLE( [^ ]+)* (DISABLE|NO FORCE) ROW LEVEL SECURITY( |$)',
 'granting superuser, bypassing or disabling row-level security, granting to PUBLIC'),
-- credentials
('read-secret-file', 'credentials', 'command', 'high', 4, 'block',
 '^(cat|less|more|head|tail|bat|batcat|strings|xxd|od|hexdump|base64|base32|nl|tac|grep|egrep|fgrep|rg|ag|awk|gawk|sed|curl|wget|nc|ncat|socat|tar|zip|7z|gpg|openssl|jq|yq|sort|uniq|cut|diff)( [^ ]+)* ([^ ]*[/=@])?(\.env(?!\.(example|sample|template|dist|defaults)( |$))(\.[A-Za-z0-9_-]+)?|id_(rsa|dsa|ecdsa|ed25519)|\.netrc|\.pgpass|\.git-credentials|credentials(\.json)?|\.npmrc|\.pypirc|shadow|gshadow|\.ssh|\.gnupg|[^ /]*\.(key|p12|pfx|keystore|jks)|[^ /]*(private|priv|secret)[^ /]*\.pem)( |$)',
 'printing, searching, archiving or sending secrets: .env, SSH keys, ~/.aws/credentials, .netrc, private keys'),
('copy-secret-file', 'credentials', 'command', 'high', 4, 'block',
 '^(cp|mv|scp|rsync|sftp|install|ln)( [^ ]+)* ([^ ]*[/=@:])?(\.env(?!\.(example|sample|template|dist|defaults)( |$))(\.[A-Za-z0-9_-]+)?|id_(rsa|dsa|ecdsa|ed25519)|\.netrc|\.pgpass|\.git-credentials|credentials(\.json)?|\.ssh|\.gnupg|[^ /]*\.(key|p12|pfx)|[^ /]*(private|priv|secret)[^ /]*\.pem)( [^ ]+)+$',
 'copying or moving secrets somewhere else'),
('print-secret-variable', 'credentials', 'command', 'high', 4, 'block',
 '^(echo|printf)( [^ ]+)* [^ ]*\$[A-Za-z0-9_]*(SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS)|^printenv( [^ ]+)* [A-Za-z0-9_]*(SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS)',
 'printing a secret environment variable'),
('dump-environment', 'credentials', 'command', 'low', 3, 'needs_approval',
 '^(env|printenv|set|export|declare)( -[px])?$',
 'dumping the whole environment (it holds tokens)'),
('path-secret', 'credentials', 'path', 'high', 4, 'block',
 '(^|/)(\.env(?!\.(example|sample|template|dist|defaults)$)(\.[A-Za-z0-9_-]+)?|id_(rsa|dsa|ecdsa|ed25519)|\.netrc|\.pgpass|\.git-credentials|credentials(\.json)?|\.npmrc|\.pypirc|shadow|gshadow|[^/]*\.(key|p12|pfx|keystore|jks)|[^/]*(private|priv|secret)[^/]*\.pem)$|(^|/)\.(ssh|gnupg)(/(?!(known_hosts|config|[^/]*\.pub)$)|$)|(^|/)\.kube/config$|(^|/)\.docker/config\.json$',
 'secret files: .env, SSH and GPG keys, cloud credentials, private keys'),
-- filesystem (paths)
('path-root-or-home', 'filesystem', 'path', 'critical', null, 'block',
 '^(/|/\*|~|~/\*|/home|/root)$',
 'the root or home directory itself'),
('path-system', 'filesystem', 'path', 'high', 4, 'block',
 '^/(etc|usr|bin|sbin|lib|lib32|lib64|boot|dev|proc|sys|root|var/lib|var/log)(/|$)',
 'system directories'),
('path-git-internals', 'git', 'path', 'medium', 3, 'block',
 '(^|/)\.git(/|$)',
 'the repository''s .git directory (hooks, refs, objects)'),
-- deployment
('publish-package', 'deployment', 'command', 'medium', 3, 'needs_approval',
 '^(?!.* --dry-run( |$))((npm|pnpm|cargo|poetry|uv|hatch|flit|gem|twine) (publish|push|upload)|yarn (npm )?publish|python[0-9.]* -m twine upload|dotnet nuget push|mvn( [^ ]+)* deploy|gradle( [^ ]+)* publish)( |$)',
 'publishing a package (npm, PyPI, crates.io, RubyGems, NuGet, Maven)'),
('container-push', 'deployment', 'command', 'medium', 3, 'needs_approval',
 '^(docker|podman|buildah) ((image )?push( |$)|buildx( [^ ]+)* --push( |$))',
 'pushing a container image'),
('kubectl-delete', 'deployment', 'command', 'high', 4, 'block',
 '^(kubectl|oc) delete( |$)',
 'kubectl delete'),
('kubectl-production-change', 'deployment', 'command', 'medium', 3, 'needs_approval',
 '^(kubectl|oc) (apply|create|replace|patch|scale|rollout|set|edit|annotate|label|drain|cordon|taint)( [^ ]+)* (-n |-f |--context=|--cluster=)[^ ]*prod',
 'changing a production Kubernetes namespace, context or manifest'),
('helm-release-change', 'deployment', 'command', 'medium', 3, 'needs_approval',
 '^helm (upgrade|install|rollback)( |$)',
 'helm upgrade / install / rollback'),
('helm-uninstall', 'deployment', 'command', 'high', 4, 'block',
 '^helm (uninstall|delete|del|un)( |$)',
 'helm uninstall'),
('terraform-destroy', 'deployment', 'command', 'critical', null, 'block',
 '^(terraform|tofu)( [^ ]+)* (destroy|apply( [^ ]+)* -destroy|state (rm|push))( |$)',
 'terraform destroy, apply -destroy, state rm/push'),
('terraform-apply', 'deployment', 'command', 'medium', 3, 'needs_approval',
 '^(terraform|tofu)( [^ ]+)* apply( |$)',
 'terraform apply'),
('cloud-delete', 'deployment', 'command', 'high', 4, 'block',
 '^aws s3(?=( [^ ]+)* --recursive( |$))( [^ ]+)* rm( |$)|^aws s3( [^ ]+)* rb( |$)|^aws( [^ ]+)* (delete-db-instance|delete-db-cluster|delete-stack|terminate-instances|delete-bucket|delete-table|delete-cluster)( |$)|^(gcloud|az)( [^ ]+)* delete( |$)|^gsutil (rb|rm( [^ ]+)* -r)( |$)|^gh repo( [^ ]+)* delete( |$)',
 'deleting cloud resources (buckets, databases, stacks, instances, repositories)'),
-- process
('fork-bomb', 'process', 'command', 'critical', null, 'block',
 '^([^ ]+)\(\) \| \1\(\)( |$)|fork while fork|os\.fork\(\) while|while True: ?os\.fork',
 'a fork bomb'),
('kill-all-processes', 'process', 'command', 'critical', null, 'block',
 '^kill( -[^ ]+)* (-1|1)$|^killall5( |$)',
 'kill -9 -1 (every process) or kill of pid 1'),
('shutdown-reboot', 'process', 'command', 'high', 4, 'block',
 '^(shutdown|reboot|halt|poweroff)( |$)|^(init|telinit) [06]$|^systemctl (poweroff|reboot|halt|kexec|emergency|rescue|suspend|hibernate)( |$)',
 'shutting down or rebooting the machine'),
('crontab-remove', 'process', 'command', 'medium', 3, 'block',
 '^crontab( [^ ]+)* -r( |$)',
 'crontab -r removes every cron job'),
('pipe-to-shell', 'process', 'command', 'medium', 3, 'needs_approval',
 ' \| (bash|sh|zsh|dash|ksh|ash|fish)( |$)',
 'piping text into a shell'),
-- network
('download-pipe-shell', 'network', 'command', 'critical', null, 'block',
 '(^| \| )(curl|wget|fetch|http|https|aria2c|iwr|Invoke-WebRequest)( [^|]*)?( \| [^|]*)* \| (bash|sh|zsh|dash|ksh|ash|fish|python[0-9.]*|perl|ruby|node|php|iex)( |$)',
 'downloading a script and running it (curl | sh, bash <(curl ...), sh -c "$(wget -O- ...)")'),
('reverse-shell', 'network', 'command', 'critical', null, 'block',
 '(^| )[0-9&]*(>|<|>&|<&|>>)/dev/(tcp|udp)/|^(nc|ncat|netcat)( [^ ]+)* (-e|-c)( |$)|^socat( [^ ]+)* (exec|system):',
 'a reverse shell (/dev/tcp redirects, nc -e, socat exec:)'),
('firewall-disable', 'network', 'command', 'medium', 3, 'block',
 '^(iptables|ip6tables)( [^ ]+)* -F( |$)|^nft flush ruleset( |$)|^ufw disable( |$)|^setenforce 0$|^systemctl (stop|disable|mask) (firewalld|ufw|apparmor|auditd)( |$)',
 'flushing or disabling the firewall or mandatory access control');

-- Existing tenants get the defaults (as the superuser: RLS hides every tenant from coord_owner).
reset role;
insert into authz.guardrails (tenant_id, name, category, applies_to, pattern, severity, override_trust, mode,
                              builtin, description, created_at, updated_at)
select t.id, d.name, d.category, d.applies_to, d.pattern, d.severity, d.override_trust, d.mode, true, d.description,
       now(), now()
from coord.tenants as t cross join authz.guardrail_defaults as d;
