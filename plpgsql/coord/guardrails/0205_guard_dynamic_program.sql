-- The programs a program word might be when the shell, not the text, decides it: a word with
-- an unquoted glob (r*, /bin/r?, [r]m, extglob @(rm|ls), +(r)m, !(x): the first file that
-- matches runs) or an expansion the
-- normalizer could not resolve (${A#x}, ${A/x/rm}, ${A,,}, ${!B}; a plain $NAME only when
-- the text itself sets NAME in a way the normalizer does not follow, p_unknown: read, printf
-- -v, mapfile, getopts, or when it changes IFS, which splits every expansion anew). A plain
-- $NAME the text does not set is the environment's, chosen by the user, not the agent, and
-- is left as it was ($EDITOR notes.txt). Each such word is checked as every dangerous program it could match (an
-- expansion matches any), so r* -rf / is rm -rf / and ${A#x} status is checked as rm status,
-- git status, ...: only arguments some such program would make dangerous are stopped. NULL when the word is an ordinary program name.
-- The list holds the programs that are dangerous on their own arguments (deleting, wiping,
-- changing modes, writing, downloading, running shells and code, wrappers that run their
-- arguments): what a guardrail rule names through a program.
create or replace function coord.guard_dynamic_program(p_word text, p_unknown text[] default '{}')
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text;
  v_group text[];
  -- (with the names the same programs go by: other shells, versioned interpreters, mkfs.TYPE,
  -- and the wrappers that run their arguments, so /bin/z?h -c, /usr/bin/pytho?3 -c, tim?out 9 rm)
  v_programs constant text[] := array['rm', 'rmdir', 'shred', 'unlink', 'dd', 'mkfs', 'wipefs', 'chmod', 'chown',
    'mv', 'cp', 'tee', 'truncate', 'find', 'git', 'curl', 'wget', 'sh', 'bash', 'eval', 'python', 'perl', 'node',
    'kill', 'crontab', 'nc', 'sudo', 'env', 'xargs', 'docker', 'kubectl', 'terraform', 'psql',
    'zsh', 'dash', 'ksh', 'mksh', 'ash', 'fish', 'csh', 'tcsh', 'busybox', 'python2', 'python3', 'pypy', 'pypy3',
    'ruby', 'php', 'lua', 'deno', 'bun', 'pwsh', 'mkfs.ext2', 'mkfs.ext3', 'mkfs.ext4', 'mkfs.xfs', 'mkfs.btrfs',
    'mkfs.vfat', 'mkfs.fat', 'mkfs.ntfs', 'mke2fs', 'blkdiscard', 'fdisk', 'sfdisk', 'parted', 'ncat', 'socat',
    'timeout', 'nohup', 'nice', 'setsid', 'stdbuf', 'ionice', 'chroot', 'doas', 'runuser', 'ssh', 'exec',
    'command', 'builtin', 'time'];
begin
  -- (strpos, not a regex, for the common case: this runs for every command, and the backend
  -- keeps only 32 compiled regular expressions)
  if p_word is null or strpos(p_word, chr(30)) > 0
     or strpos(p_word, '$') = 0 and strpos(p_word, '*') = 0 and strpos(p_word, '?') = 0 and strpos(p_word, '[') = 0
        and strpos(p_word, '(') = 0 then
    return null;
  end if;
  if p_word ~ '^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$'
     and not (p_unknown && array['IFS', '*', substring(p_word from '[A-Za-z_][A-Za-z0-9_]*')]) then
    return null;
  end if;
  -- every expansion stands for any text (chr(1) until the glob becomes a regex)
  v := regexp_replace(p_word, '\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?!$-]', chr(1), 'g');
  if strpos(v, '$') > 0 then
    v := replace(v, '$', chr(1));  -- an expansion the pattern above does not know (${ unclosed)
  end if;
  v := regexp_replace(v, '^.*/', '');  -- the program's name, whatever directory
  -- extglob groups, innermost first: @(a|b) one of them, +(a) one or more, *(a) any number,
  -- ?(a) at most one (chr(2)..chr(7) until the glob becomes a regex); !(a) anything else, any text
  while strpos(v, '(') > 0 and v ~ '[@+*?!]\([^()]*\)' loop
    v_group := regexp_match(v, '([@+*?!])\(([^()]*)\)');
    v := overlay(v placing case when v_group[1] = '!' then chr(1)
                                else chr(2) || replace(v_group[2], '|', chr(4)) || chr(3)
                                     || case v_group[1] when '+' then chr(5) when '*' then chr(6) when '?' then chr(7) else '' end end
                 from strpos(v, v_group[1] || '(' || v_group[2] || ')') for char_length(v_group[2]) + 3);
  end loop;
  if v = '' or v !~ ('[*?[' || chr(1) || chr(2) || ']') then
    return null;
  end if;
  v := regexp_replace(v, '([.+(){}|^$\\])', '\\\1', 'g');
  if v !~ '\[[^]]+\]' then
    v := replace(v, '[', '\[');
  end if;
  v := '^' || translate(replace(replace(replace(replace(v, '[!', '[^'), '*', '.*'), '?', '.'), chr(1), '.*'),
                         chr(2) || chr(3) || chr(4) || chr(5) || chr(6) || chr(7), '()|+*?') || '$';
  return array(select p from unnest(v_programs || array(select 'python3.' || n from generate_series(6, 15) as n)) as p
               where p ~ v);
end;
$$;

comment on function coord.guard_dynamic_program(text, text[]) is 'Guardrail normalizer: the dangerous programs a program word with an unquoted glob (extglob too) or an unresolved expansion could run (an expansion matches any; a plain $NAME only when NAME, IFS or * is in p_unknown, set by the text in a way not followed), or null for an ordinary program name.';
revoke all on function coord.guard_dynamic_program(text, text[]) from public;
