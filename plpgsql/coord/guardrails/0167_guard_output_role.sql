-- What one command prints into a pipe, for the guardrail check of the command after it:
--   download  code or data from the network (curl/wget to stdout, nc, socat, iwr, ...)
--   decode    decoded text (base64 -d, base32 -d, xxd -r, openssl ... -d, uudecode)
--   secret    secrets (its effects read a credential or print one); env: the environment
--   shell     an interactive shell's input and output (sh -i, bash -i): wired to a socket it is
--             a reverse shell
--   init      shell code a well-known tool prints to be evaluated (ssh-agent -s, pyenv init -,
--             direnv hook, brew shellenv, ... completion)
--   file      a local file's contents; text: literal text (echo, printf)
--   paths     file names (find without filters, ls/Get-ChildItem of a directory), listed in
--             p_ctx.paths by the caller; pids: process ids of every process (ps -e, ps aux,
--             Get-Process); a filter (grep, Where-Object) makes either an other
--   other     anything else; filters (tee, tr, sed, gzip, base64 -e, ...) pass their input's role on
create or replace function coord.guard_output_role(p_op jsonb, p_effects jsonb, p_in text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_prog text := p_op ->> 'prog';
  v_args text[] := array(select jsonb_array_elements_text(p_op -> 'args'));
  v_flags text[] := array(select jsonb_array_elements_text(p_op -> 'flags'));
  v_vals jsonb := coalesce(p_op -> 'vals', '{}');
  v_argstr text := array_to_string(array(select jsonb_array_elements_text(p_op -> 'args')), ' ');
begin
  if v_prog is null then
    return null;
  end if;
  if exists (select from jsonb_array_elements(p_effects) as e
             where e ->> 'a' in ('read', 'secret-dump', 'copy', 'use') and (e -> 'c' ? 'credential' or e ->> 'a' = 'secret-dump')) then
    return 'secret';
  end if;
  if exists (select from jsonb_array_elements(p_effects) as e where e ->> 'a' = 'env-dump') then
    return 'env';
  end if;
  if v_prog in ('curl', 'fetch', 'http', 'https', 'xh', 'curlie', 'lwp-request', 'get', 'iwr', 'invoke-webrequest', 'irm',
                'invoke-restmethod', 'nc', 'ncat', 'socat', 'telnet', 'openssl', 'cryptcat', 'pwncat', 'gnutls-cli',
                'tftp', 'aws', 'gsutil', 'gcloud', 'az')
     and not (v_vals ?| array['-o', '--output', '-outfile']) and not v_flags && array['-O', '--remote-name', '-o']
     and not (v_prog = 'openssl' and v_args[1] not in ('s_client'))
     and not (v_prog in ('aws', 'gsutil', 'gcloud', 'az') and v_argstr !~ '(^| )(cp|cat) [^ ]+ -( |$)|(^| )cat( |$)') then
    return 'download';
  end if;
  if v_prog = 'wget' and exists (select from jsonb_array_elements_text(coalesce(v_vals -> '-O', v_vals -> '--output-document', '[]')) as x
                                 where x in ('-', '/dev/stdout')) then
    return 'download';
  end if;
  -- rot13 and reversed text are encodings too
  if v_prog = 'tr' and lower(v_argstr) ~ '(a-z|a-za-z) +(n-za-m|n-za-mn-za-m)' or v_prog = 'rev' and p_in in ('text', 'decode') then
    return 'decode';
  end if;
  if v_prog in ('base64', 'base32', 'basenc') and v_flags && array['-d', '--decode', '-D']
     or v_prog = 'xxd' and v_flags && array['-r', '-revert']
     or v_prog = 'openssl' and v_flags && array['-d'] or v_prog in ('uudecode', 'base64dec', 'b64decode')
     or v_prog = 'certutil' and v_flags && array['-decode'] then
    return 'decode';
  end if;
  if v_prog in ('sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'fish', 'powershell', 'cmd') and (v_flags && array['-i'] or cardinality(v_args) = 0) then
    return 'shell';
  end if;
  if v_prog in ('ssh-agent', 'pyenv', 'rbenv', 'nodenv', 'goenv', 'jenv', 'plenv', 'direnv', 'starship', 'zoxide', 'fnm',
                'brew', 'conda', 'mamba', 'micromamba', 'opam', 'thefuck', 'dircolors', 'keychain', 'mise', 'rtx', 'atuin',
                'register-python-argcomplete', 'pipenv', 'poetry', 'rustup', 'kubectl', 'helm', 'gh', 'npm', 'pnpm', 'fzf',
                'docker-machine', 'minikube', 'oh-my-posh', 'navi', 'mcfly', 'asdf', 'nvm', 'volta', 'sdk', 'gcloud',
                'aws_completer', 'terraform', 'uv', 'pip', 'just', 'deno', 'bun', 'zellij', 'tmuxinator', 'luarocks',
                'perl', 'stack', 'ghcup', 'jump', 'autojump', 'pay-respects', 'shadowenv', 'devbox', 'hub')
     and (v_argstr ~ '(^| )(init|hook|shellenv|env|activate|completions?|shell\.[a-z]+|shell-init|shell|alias|setup|config)( |$)'
          or v_flags && array['-s', '-c', '--bash', '--zsh', '--fish', '--sh', '--eval', '--print'] and v_prog in ('ssh-agent', 'keychain', 'fzf', 'dircolors')
          or v_prog in ('ssh-agent', 'dircolors', 'thefuck', 'register-python-argcomplete')) then
    return 'init';
  end if;
  if v_prog in ('echo', 'printf', 'write-output', 'write-host', 'echo.exe') then
    return 'text';
  end if;
  if v_prog in ('docker', 'kubectl', 'crictl', 'podman') and v_argstr ~ '(^| )(ps|images|ls|get pods)( |$)' and v_flags && array['-q', '-a', '--quiet', '-aq'] then
    return 'pids';
  end if;
  if v_prog in ('get-process', 'gps', 'pgrep', 'pidof', 'get-service', 'gsv') and (cardinality(v_args) = 0 or v_prog = 'pgrep' and v_args[1] in ('.', '.*', '^', ''))
     or v_prog = 'ps' and (v_flags && array['-e', '-A', '-ef', '-eo', '-aux'] or v_args && array['aux', 'ax', '-ef', 'auxww', 'axo']
                          or exists (select from unnest(v_args) as a where a ~ '^a?uxw*$')) then
    return 'pids';
  end if;
  if v_prog in ('get-childitem', 'gci', 'dir', 'ls') and cardinality(v_args) > 0
     and (v_prog <> 'ls' or p_in is null) then
    return 'paths';
  end if;
  -- a filter keeps a few, unless it keeps all but a few (grep -v, Where-Object -ne)
  if v_prog in ('grep', 'egrep', 'fgrep', 'rg', 'where-object', 'where', '?') and p_in in ('pids', 'paths') then
    if p_in = 'pids' and (v_flags && array['-v', '--invert-match']
                          or exists (select from jsonb_array_elements_text(coalesce(p_op -> 'raw', p_op -> 'words')) as w
                                     where lower(w) ~ '(^|\s)-(ne|notlike|notmatch|notin|notcontains)(\s|$)')
                          -- Where-Object Status -eq Running keeps nearly everything
                          or v_prog in ('where-object', 'where', '?') and lower(array_to_string(array(select jsonb_array_elements_text(coalesce(p_op -> 'raw', p_op -> 'words'))), ' ')) ~ '^\W*(\$_\.)?status\W+-eq\W+''?running') then
      return 'pids';
    end if;
    return 'other';
  end if;
  if v_prog = 'find' and not exists (select from jsonb_array_elements_text(p_op -> 'words') as w
                                     where w in ('-name', '-iname', '-path', '-ipath', '-regex', '-iregex', '-newer', '-mtime',
                                                 '-mmin', '-size', '-empty', '-user', '-perm', '-links', '-type')) then
    return 'paths';
  end if;
  -- cat <(curl ...): what the reader prints comes from the network
  if v_prog in ('cat', 'tee', 'head', 'less', 'more', 'bat', 'type') and exists (
       select from jsonb_array_elements_text(coalesce(p_op -> 'raw', '[]')) as r
       where left(r, 1) = chr(30) and substr(r, 2) ~ '^\s*(curl|wget|fetch|iwr|irm|http|xh)\s') then
    return 'download';
  end if;
  if v_prog in ('cat', 'type', 'get-content', 'gc', 'less', 'head', 'tail', 'bat', 'more', 'open') and cardinality(v_args) > 0 then
    return 'file';
  end if;
  if v_prog in ('tee', 'tr', 'sed', 'gzip', 'gunzip', 'zcat', 'bzip2', 'bunzip2', 'bzcat', 'xz', 'unxz', 'xzcat', 'zstd',
                'unzstd', 'zstdcat', 'base64', 'base32', 'xxd', 'cat', 'head', 'tail', 'sort', 'uniq', 'rev', 'cut', 'pv',
                'buffer', 'dd', 'iconv', 'dos2unix', 'unix2dos', 'tac', 'fold', 'stdbuf', 'cat-file', 'grep', 'awk',
                'tar', 'gpg', 'openssl', 'col', 'expand', 'paste', 'nl', 'tee-object', 'out-string', 'select-object',
                'foreach-object', '%') then
    return coalesce(p_in, 'other');
  end if;
  return 'other';
end;
$$;

comment on function coord.guard_output_role(jsonb, jsonb, text) is 'Guardrail data flow: what a command prints into a pipe (download, decode, secret, env, shell, init, file, text, paths, other), so the next command''s check knows what it is fed.';
revoke all on function coord.guard_output_role(jsonb, jsonb, text) from public;
