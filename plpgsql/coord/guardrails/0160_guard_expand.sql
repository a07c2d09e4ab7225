-- Brace expansion of one word, as the shell does it before a command runs: /{etc,usr} is /etc
-- and /usr, a{b,c}d{e,f} four words, {a..c} stays as written (ranges name no paths). At most 64
-- words, so a hostile word cannot make the check grow.
create or replace function coord.guard_expand(p_word text)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_out text[] := array[p_word];
  v_next text[];
  v_word text;
  v_m text[];
  v_alt text;
  v_guard integer := 0;
begin
  if p_word is null or strpos(p_word, '{') = 0 or strpos(p_word, ',') = 0 then
    return array[p_word];
  end if;
  loop
    v_guard := v_guard + 1;
    exit when v_guard > 8;
    v_next := '{}';
    for v_word in select unnest(v_out) loop
      -- the first innermost {a,b,...} group
      v_m := regexp_match(v_word, '^(.*?)\{([^{}]*,[^{}]*)\}(.*)$');
      if v_m is null then
        v_next := v_next || v_word;
      else
        foreach v_alt in array string_to_array(v_m[2], ',') loop
          v_next := v_next || (v_m[1] || v_alt || v_m[3]);
        end loop;
      end if;
    end loop;
    exit when v_next = v_out or cardinality(v_next) > 64;
    v_out := v_next;
  end loop;
  return v_out[1:64];
end;
$$;

comment on function coord.guard_expand(text) is 'Guardrail targets: the words a brace expansion produces (/{etc,usr} -> /etc, /usr); at most 64.';
revoke all on function coord.guard_expand(text) from public;
