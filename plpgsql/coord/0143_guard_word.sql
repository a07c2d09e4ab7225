-- Canonical form of one word after quote removal: ${NAME} becomes $NAME, a command substitution
-- (kept as a marker chr(30) inner chr(31) while normalizing; its command is checked on its own)
-- becomes what it is known to print (echo/printf of one literal word: that word; pwd, git
-- rev-parse --show-toplevel: .; mktemp: /tmp/$(mktemp)) or else $(...), and a word that starts
-- like a path (/ ~ . $HOME) is a coord.guard_path.
create or replace function coord.guard_word(p_word text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := regexp_replace(p_word, '\$\{([A-Za-z_][A-Za-z0-9_]*)\}', '$\1', 'g');
  v_before text;
  v_inner text;
  v_known text;
begin
  loop
    v_before := v;
    v_inner := substring(v from chr(30) || '([^' || chr(30) || chr(31) || ']*)' || chr(31));
    exit when v_inner is null;
    v_inner := btrim(v_inner);
    v_known := case
      when v_inner ~ '^(echo|printf)( -[neE]+)? +[^ $`|;&<>*?]+$' then regexp_replace(v_inner, '^(echo|printf)( -[neE]+)? +', '')
      when v_inner ~ '^(/bin/)?pwd( -[LP])?$' or v_inner ~ '^git rev-parse --show-(toplevel|cdup)$' then '.'
      when v_inner ~ '^mktemp( [^;|&<>`$]*)?$' then '/tmp/$(mktemp)'
      when v_inner ~ '^(go env (GOCACHE|GOMODCACHE|GOTMPDIR)|npm config get cache|pip cache dir|pip3 cache dir|yarn cache dir|pnpm store path|brew --cache|getconf DARWIN_USER_CACHE_DIR|python3? -m pip cache dir)$'
        then '/tmp/$(cache)'
      else '$(...)' end;
    v := regexp_replace(v, chr(30) || '[^' || chr(30) || chr(31) || ']*' || chr(31), replace(v_known, '\', '\\'));
    exit when v = v_before;
  end loop;
  if v ~ '^(/|~|\.|\$HOME(/|$))' then
    v := coord.guard_path(v);
  end if;
  return v;
end;
$$;

comment on function coord.guard_word(text) is 'Guardrail normalizer: canonical word (${X} -> $X, substitutions -> what they are known to print or $(...), paths via guard_path).';
revoke all on function coord.guard_word(text) from public;
