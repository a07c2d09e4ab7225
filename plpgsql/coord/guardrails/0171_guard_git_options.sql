-- The long options of the git subcommands that read their options with git's parse-options
-- (git 2.39, `git CMD --git-completion-helper-all`; a trailing = takes a value), for
-- coord.guard_git_command: parse-options accepts any unambiguous prefix of a long option (git reset
-- --ha is --hard) and --no-X of each, and takes a required value from the next word. Left out
-- are the commands that do not abbreviate: diff, log, show, format-patch and difftool (their
-- unknown options go on to the diff machinery), archive, and the scripts (submodule,
-- filter-branch, bisect run). A newer git with more options finds more prefixes ambiguous, and
-- refuses them: no prefix read here runs less than git would.
-- Returned as one object {subcommand: {option: takes a value}} ("stash push", "worktree add":
-- the options after the sub-subcommand); immutable and without arguments, as coord.guard_flag_map.
create or replace function coord.guard_git_options()
returns jsonb
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select jsonb_object_agg(o.sub, (select jsonb_object_agg(rtrim(x, '='), right(x, 1) = '=')
                                  from unnest(string_to_array(o.opts, ' ')) as x))
  from (values
    ('reset',
       '--quiet --no-refresh --mixed --soft --hard --merge --keep --recurse-submodules --patch '
       '--intent-to-add --pathspec-from-file= --pathspec-file-nul --refresh'),
    ('checkout',
       '--guess --overlay --quiet --recurse-submodules --progress --merge --conflict= --detach --track '
       '--force --orphan= --overwrite-ignore --ignore-other-worktrees --ours --theirs --patch '
       '--ignore-skip-worktree-bits --pathspec-from-file= --pathspec-file-nul --no-guess'),
    ('switch',
       '--create= --force-create= --guess --discard-changes --quiet --recurse-submodules --progress '
       '--merge --conflict= --detach --track --force --orphan= --overwrite-ignore '
       '--ignore-other-worktrees --no-create'),
    ('restore',
       '--source= --staged --worktree --ignore-unmerged --overlay --quiet --recurse-submodules '
       '--progress --merge --conflict= --ours --theirs --patch --ignore-skip-worktree-bits '
       '--pathspec-from-file= --pathspec-file-nul --no-source'),
    ('clean', '--quiet --dry-run --force --interactive --exclude= --no-quiet'),
    ('read-tree',
       '--index-output= --empty --verbose --trivial --aggressive --reset --prefix= '
       '--exclude-per-directory= --dry-run --no-sparse-checkout --debug-unpack --recurse-submodules '
       '--quiet --sparse-checkout'),
    ('checkout-index',
       '--all --ignore-skip-worktree-bits --force --quiet --no-create --index --stdin --temp --prefix= '
       '--stage= --create'),
    ('rebase',
       '--onto= --keep-base --no-verify --quiet --verbose --no-stat --signoff '
       '--committer-date-is-author-date --reset-author-date --ignore-date --ignore-whitespace '
       '--whitespace= --force-rebase --no-ff --continue --skip --abort --quit --edit-todo '
       '--show-current-patch --apply --merge --interactive --preserve-merges --rerere-autoupdate '
       '--empty= --keep-empty --autosquash --update-refs --gpg-sign --autostash --exec= '
       '--allow-empty-message --rebase-merges --fork-point --strategy= --strategy-option= --root '
       '--reschedule-failed-exec --reapply-cherry-picks --verify --stat --ff'),
    ('push',
       '--verbose --quiet --repo= --all --mirror --delete --tags --dry-run --porcelain --force '
       '--force-with-lease --force-if-includes --recurse-submodules= --thin --receive-pack= --exec= '
       '--set-upstream --progress --prune --no-verify --follow-tags --signed --atomic --push-option= '
       '--ipv4 --ipv6 --verify'),
    ('merge',
       '--stat --summary --log --squash --commit --edit --cleanup= --ff --ff-only --rerere-autoupdate '
       '--verify-signatures --strategy= --strategy-option= --message= --file --into-name= --verbose '
       '--quiet --abort --quit --continue --allow-unrelated-histories --progress --gpg-sign --autostash '
       '--overwrite-ignore --signoff --no-verify --verify'),
    ('cherry-pick',
       '--quit --continue --abort --skip --cleanup= --no-commit --edit --signoff --mainline= '
       '--rerere-autoupdate --strategy= --strategy-option= --gpg-sign --ff --allow-empty '
       '--allow-empty-message --keep-redundant-commits --commit'),
    ('revert',
       '--quit --continue --abort --skip --cleanup= --no-commit --edit --signoff --mainline= '
       '--rerere-autoupdate --strategy= --strategy-option= --gpg-sign --reference --commit'),
    ('am',
       '--interactive --binary --3way --quiet --signoff --utf8 --keep --keep-non-patch --message-id '
       '--keep-cr --no-keep-cr --scissors --quoted-cr= --whitespace= --ignore-space-change '
       '--ignore-whitespace --directory= --exclude= --include= --patch-format= --reject --resolvemsg= '
       '--continue --resolved --skip --abort --quit --show-current-patch --allow-empty '
       '--committer-date-is-author-date --ignore-date --rerere-autoupdate --gpg-sign --empty= --rebasing'),
    ('stash push',
       '--keep-index --staged --patch --quiet --include-untracked --all --message= --pathspec-from-file= '
       '--pathspec-file-nul --no-keep-index'),
    ('stash save', '--keep-index --staged --patch --quiet --include-untracked --all --message= --no-keep-index'),
    ('branch',
       '--verbose --quiet --track --set-upstream --set-upstream-to= --unset-upstream --color --remotes '
       '--contains --no-contains --with --without --abbrev --all --delete --move --copy --list '
       '--show-current --create-reflog --edit-description --force --merged --no-merged --column --sort= '
       '--points-at= --ignore-case --recurse-submodules --format='),
    ('commit',
       '--quiet --verbose --file= --author= --date= --message= --reedit-message= --reuse-message= '
       '--fixup= --squash= --reset-author --trailer= --signoff --template= --edit --cleanup= --status '
       '--gpg-sign --all --include --interactive --patch --only --no-verify --dry-run --short --branch '
       '--ahead-behind --porcelain --long --null --amend --no-post-rewrite --untracked-files '
       '--pathspec-from-file= --pathspec-file-nul --allow-empty --allow-empty-message --verify '
       '--post-rewrite'),
    ('rm',
       '--dry-run --quiet --cached --force --ignore-unmatch --sparse --pathspec-from-file= '
       '--pathspec-file-nul --no-dry-run'),
    ('mv', '--verbose --dry-run --force --sparse --no-verbose'),
    ('worktree add', '--force --detach --checkout --lock --reason= --quiet --track --guess-remote --no-force'),
    ('worktree remove', '--force --no-force'),
    ('worktree move', '--force --no-force'),
    ('config',
       '--global --system --local --worktree --file= --blob= --get --get-all --get-regexp --get-urlmatch '
       '--replace-all --add --unset --unset-all --rename-section --remove-section --list --fixed-value '
       '--edit --get-color --get-colorbool --type= --bool --int --bool-or-int --bool-or-str --path '
       '--expiry-date --null --name-only --includes --show-origin --show-scope --default= --no-global'),
    ('clone',
       '--verbose --quiet --progress --reject-shallow --no-checkout --bare --naked --mirror --local '
       '--no-hardlinks --shared --recurse-submodules --recursive --jobs= --template= --reference= '
       '--reference-if-able= --dissociate --origin= --branch= --upload-pack= --depth= --shallow-since= '
       '--shallow-exclude= --single-branch --no-tags --shallow-submodules --separate-git-dir= --config= '
       '--server-option= --ipv4 --ipv6 --filter= --also-filter-submodules --remote-submodules --sparse '
       '--bundle-uri= --checkout --hardlinks --tags'),
    ('fetch',
       '--verbose --quiet --all --set-upstream --append --atomic --upload-pack= --force --multiple '
       '--tags --jobs= --prefetch --prune --prune-tags --recurse-submodules --dry-run --write-fetch-head '
       '--keep --update-head-ok --progress --depth= --shallow-since= --shallow-exclude= --deepen= '
       '--unshallow --refetch --submodule-prefix= --recurse-submodules-default= --update-shallow '
       '--refmap= --server-option= --ipv4 --ipv6 --negotiation-tip= --negotiate-only --filter= '
       '--auto-maintenance --auto-gc --show-forced-updates --write-commit-graph --stdin --no-verbose'),
    ('pull',
       '--verbose --quiet --progress --recurse-submodules --rebase --stat --summary --log --signoff '
       '--squash --commit --edit --cleanup= --ff --ff-only --verify --verify-signatures --autostash '
       '--strategy= --strategy-option= --gpg-sign --allow-unrelated-histories --all --append '
       '--upload-pack= --force --tags --prune --jobs --dry-run --keep --depth= --shallow-since= '
       '--shallow-exclude= --deepen= --unshallow --update-shallow --refmap= --server-option= --ipv4 '
       '--ipv6 --negotiation-tip= --show-forced-updates --set-upstream --no-verbose'),
    ('gc', '--quiet --prune --cruft --aggressive --auto --force --keep-largest-pack --no-quiet'),
    ('update-ref', '--no-deref --stdin --create-reflog --deref'),
    ('merge-file', '--stdout --diff3 --zdiff3 --ours --theirs --union --marker-size= --quiet --no-stdout'),
    ('apply',
       '--exclude= --include= --no-add --stat --allow-binary-replacement --binary --numstat --summary '
       '--check --index --intent-to-add --cached --unsafe-paths --apply --3way --build-fake-ancestor= '
       '--whitespace= --ignore-space-change --ignore-whitespace --reverse --unidiff-zero --reject '
       '--allow-overlap --verbose --quiet --inaccurate-eof --recount --directory= --allow-empty --add'),
    ('add',
       '--dry-run --verbose --interactive --patch --edit --force --update --renormalize --intent-to-add '
       '--all --ignore-removal --refresh --ignore-errors --ignore-missing --sparse --chmod= '
       '--warn-embedded-repo --pathspec-from-file= --pathspec-file-nul --no-dry-run'),
    ('tag',
       '--list --delete --verify --annotate --message= --file= --edit --sign --cleanup= --local-user= '
       '--force --create-reflog --column --contains --no-contains --with --without --merged --no-merged '
       '--sort= --points-at --format= --color --ignore-case'),
    ('reflog expire',
       '--dry-run --rewrite --updateref --verbose --expire= --expire-unreachable= --stale-fix --all '
       '--single-worktree --no-dry-run'),
    ('prune', '--dry-run --verbose --progress --expire= --exclude-promisor-objects --no-dry-run'),
    ('replace', '--list --delete --edit --graft --convert-graft-file --force --raw --format= --no-force'),
    ('sparse-checkout set', '--cone --sparse-index --skip-checks --stdin --no-cone'),
    ('init',
       '--template= --bare --shared --quiet --separate-git-dir= --initial-branch= --object-format= '
       '--no-template'),
    ('grep',
       '--cached --no-index --untracked --exclude-standard --recurse-submodules --invert-match '
       '--ignore-case --word-regexp --text --textconv --recursive --max-depth= --extended-regexp '
       '--basic-regexp --fixed-strings --perl-regexp --line-number --column --full-name '
       '--files-with-matches --name-only --files-without-match --null --only-matching --count --color '
       '--break --heading --context= --before-context= --after-context= --threads= --show-function '
       '--function-context --and --or --not --quiet --all-match --open-files-in-pager --ext-grep '
       '--max-count= --index'),
    ('ls-remote',
       '--quiet --upload-pack= --exec= --tags --heads --refs --get-url --sort= --exit-code --symref '
       '--server-option= --no-quiet')
  ) as o (sub, opts);
$$;

comment on function coord.guard_git_options() is 'Guardrail normalizer: the long options of git''s parse-options subcommands {subcommand: {option: takes a value}} (git 2.39), whose unambiguous prefixes git accepts (coord.guard_git_command).';
revoke all on function coord.guard_git_options() from public;
