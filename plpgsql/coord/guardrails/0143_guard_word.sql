-- Canonical form of one word after quote removal: ${NAME} becomes $NAME, a command substitution
-- (kept as a marker chr(30) inner chr(31) while normalizing; its command is checked on its own)
-- becomes what it is known to print (echo/printf of one literal word: that word, its \x and
-- octal escapes decoded for printf and echo -e; pwd, git
-- rev-parse --show-toplevel: .; mktemp: /tmp/$(mktemp)) or else $(...), and a word that starts
-- like a path (/ ~ . $HOME) is a coord.guard_path.
create or replace function coord.guard_word(p_word text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := p_word;
  v_before text;
  v_inner text;
  v_known text;
  v_esc text[];
  v_point integer;
begin
  if strpos(v, '${') > 0 then
    v := regexp_replace(v, '\$\{([A-Za-z_][A-Za-z0-9_]*)\}', '$\1', 'g');
  end if;
  loop
    exit when strpos(v, chr(30)) = 0;
    v_before := v;
    v_inner := substring(v from chr(30) || '([^' || chr(30) || chr(31) || ']*)' || chr(31));
    exit when v_inner is null;
    v_inner := btrim(v_inner);
    v_known := case
      when v_inner ~ '^(echo|printf)( -[neE]+)? +[^ $`|;&<>*?]+$' then regexp_replace(v_inner, '^(echo|printf)( -[neE]+)? +', '')
      when v_inner ~ '^(/bin/)?pwd( -[LP])?$' or v_inner ~ '^git rev-parse --show-(toplevel|cdup)$' or v_inner = '$env.PWD' then '.'
      when v_inner ~ '^\$env\.PWD\s*\|\s*path join\s+[''"]?[^''"/ ]+[''"]?$' then regexp_replace(v_inner, '^.*path join\s+[''"]?([^''"/ ]+)[''"]?$', '\1')
      when v_inner ~ '^mktemp( [^;|&<>`$]*)?$' then '/tmp/$(mktemp)'
      when v_inner ~ '^(go env (GOCACHE|GOMODCACHE|GOTMPDIR)|npm config get cache|pip cache dir|pip3 cache dir|yarn cache dir|pnpm store path|brew --cache|getconf DARWIN_USER_CACHE_DIR|python3? -m pip cache dir|poetry env info (--path|-p)|pipenv --venv|uv cache dir|cargo metadata .*target_directory.*|go env GOPATH)$'
        then '/tmp/$(cache)'
      else '$(...)' end;
    -- printf '\x2f' and echo -e '\057' print the characters their escapes name
    if v_inner ~ '^(echo|printf)( -[neE]+)? ' and v_known <> '$(...)' then
      v_known := regexp_replace(v_known, '^([''"])(.*)\1$', '\2');
      if v_inner ~ '^(printf|echo -[nE]*e)' then
        loop
          v_esc := regexp_match(v_known, '\\(x[0-9A-Fa-f]{1,2}|0?[0-7]{1,3})');
          exit when v_esc is null;
          v_point := case when left(v_esc[1], 1) = 'x' then ('x' || lpad(substr(v_esc[1], 2), 8, '0'))::bit(32)::integer
                          else (select sum(substr(v_esc[1], i, 1)::integer * 8 ^ (char_length(v_esc[1]) - i))::integer
                                from generate_series(1, char_length(v_esc[1])) as i) end;
          v_known := replace(v_known, '\' || v_esc[1], chr(case when v_point between 1 and 127 then v_point else 63 end));
        end loop;
      end if;
    end if;
    v := regexp_replace(v, chr(30) || '[^' || chr(30) || chr(31) || ']*' || chr(31), replace(v_known, '\', '\\'));
    exit when v = v_before;
  end loop;
  if left(v, 1) in ('/', '~', '.') or v = '$HOME' or v like '$HOME/%' then
    v := coord.guard_path(v);
  end if;
  return v;
end;
$$;

comment on function coord.guard_word(text) is 'Guardrail normalizer: canonical word (${X} -> $X, substitutions -> what they are known to print or $(...), paths via guard_path).';
revoke all on function coord.guard_word(text) from public;
