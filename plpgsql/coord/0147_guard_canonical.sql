-- Guardrail normalizer, step 3: the canonical text of one simple command (after unwrapping).
--   name [subcommand] flags operands redirects
-- * name: the base name of the binary (/bin/rm, ./rm and \rm are rm);
-- * subcommand: for tools with subcommands (git push, kubectl delete, npm publish, ...) the first
--   operand, found after the tool's global options;
-- * flags: short clusters split (-rf -> -r -f), spellings mapped by coord.guard_option
--   (--force -> -f, -R -> -r for rm, -D -> -d -f for git branch), flags that take a value keep
--   it (-n prod, --namespace=prod -> -n prod, --x=v for long ones without an alias); then sorted
--   (byte order) and deduplicated, so -rf, -fr, -r -f, -Rf and --recursive --force all become
--   "-f -r";
-- * operands: in their order, each a coord.guard_word (paths collapsed), quoted by
--   coord.guard_quote; everything after -- is an operand; -5 and the like are operands;
-- * redirects: operator and target without a space (>/dev/sda, 2>&1).
-- Tools whose arguments are not getopt-style keep their words as written (still word-normalized):
-- kill, find, echo, printf, dd, terraform, tofu, test, [, java, go, printenv.
create or replace function coord.guard_canonical(p_words text[], p_redirects text[] default '{}')
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_verbatim constant text[] := array['kill', 'find', 'echo', 'printf', 'dd', 'terraform', 'tofu', 'test', '[',
                                      '[[', 'expr', 'java', 'go', 'printenv', 'true', 'false'];
  v_subtools constant text[] := array['git', 'kubectl', 'oc', 'docker', 'podman', 'buildah', 'helm', 'npm', 'yarn',
                                      'pnpm', 'cargo', 'gem', 'poetry', 'twine', 'uv', 'hatch', 'flit', 'gh',
                                      'systemctl', 'aws', 'gcloud', 'az', 'gsutil', 'dotnet', 'nft', 'ufw'];
  v_n integer := coalesce(cardinality(p_words), 0);
  v_name text;
  v_key text;
  v_sub text;
  v_flags text[] := '{}';
  v_operands text[] := '{}';
  v_redirects text[] := '{}';
  v_after boolean := false;
  v_i integer := 2;
  v_j integer;
  v_w text;
  v_flag text;
  v_val text;
  v_alias text;
  v_opt record;
begin
  if v_n = 0 then
    return '';
  end if;
  v_name := coord.guard_word(p_words[1]);
  if v_name !~ '^/+$' and v_name not like '%$(%' then
    v_name := regexp_replace(v_name, '^.*/', '');
  end if;
  v_key := v_name;
  v_redirects := array(select m[1] || coord.guard_quote(coord.guard_word(m[2]))
                       from unnest(p_redirects) with ordinality as r (x, o)
                       cross join lateral regexp_match(r.x, '^([0-9&]*(?:<<<|<<-|<<|>>|>\||>&|<&|<>|>|<))(.*)$', 's') as m
                       order by r.o);
  if v_name = any (v_verbatim) then
    return array_to_string(array[coord.guard_quote(v_name)]
                           || array(select coord.guard_quote(coord.guard_word(x))
                                    from unnest(p_words[2:]) with ordinality as w (x, o) order by w.o)
                           || v_redirects, ' ');
  end if;
  while v_i <= v_n loop
    v_w := p_words[v_i];
    if v_after then
      v_operands := v_operands || coord.guard_word(v_w);
    elsif v_w = '--' then
      v_after := true;
    elsif v_w ~ '^--.' then
      v_flag := split_part(v_w, '=', 1);
      v_val := case when strpos(v_w, '=') > 0 then substr(v_w, strpos(v_w, '=') + 1) end;
      select o.canonical, o.takes_value into v_opt from coord.guard_option(v_key, v_flag) as o;
      if coalesce(v_opt.takes_value, false) and v_val is null and v_i < v_n then
        v_i := v_i + 1;
        v_val := p_words[v_i];
      end if;
      foreach v_alias in array coalesce(v_opt.canonical, array[v_flag]) loop
        v_flags := v_flags || (v_alias || case when v_val is null then ''
                                              when v_alias like '--%' then '=' || coord.guard_quote(v_val)
                                              else ' ' || coord.guard_quote(v_val) end);
      end loop;
    elsif v_w ~ '^-[^-0-9]' and not (v_name = 'chmod' and v_w ~ '^-[rwxXstugoa]+$') then
      v_j := 2;
      while v_j <= char_length(v_w) loop
        v_flag := '-' || substr(v_w, v_j, 1);
        select o.canonical, o.takes_value into v_opt from coord.guard_option(v_key, v_flag) as o;
        if coalesce(v_opt.takes_value, false) then
          v_val := substr(v_w, v_j + 1);
          if v_val = '' then
            v_val := case when v_i < v_n then p_words[v_i + 1] end;
            v_i := v_i + case when v_i < v_n then 1 else 0 end;
          end if;
          foreach v_alias in array coalesce(v_opt.canonical, array[v_flag]) loop
            v_flags := v_flags || (v_alias || coalesce(' ' || coord.guard_quote(v_val), ''));
          end loop;
          exit;
        end if;
        foreach v_alias in array coalesce(v_opt.canonical, array[v_flag]) loop
          v_flags := v_flags || v_alias;
        end loop;
        v_j := v_j + 1;
      end loop;
    elsif v_sub is null and v_name = any (v_subtools) and v_w !~ '^-' then
      v_sub := v_w;
      v_key := v_name || ' ' || v_w;
    else
      v_operands := v_operands || coord.guard_word(v_w);
    end if;
    v_i := v_i + 1;
  end loop;
  return array_to_string(
    array[case when v_name ~ '^[^ ''"]+\(\)$' then v_name else coord.guard_quote(v_name) end]
    || case when v_sub is null then '{}'::text[] else array[coord.guard_quote(v_sub)] end
    || array(select f from (select distinct f collate "C" as f from unnest(v_flags) as f) as d order by d.f)
    || array(select coord.guard_quote(x) from unnest(v_operands) with ordinality as w (x, o) order by w.o)
    || v_redirects, ' ');
end;
$$;

comment on function coord.guard_canonical(text[], text[]) is 'Guardrail normalizer: canonical text of one simple command (base name, subcommand, flags split, aliased, sorted and deduplicated, operands in order, redirects); the form guardrail patterns of kind command are written against.';
revoke all on function coord.guard_canonical(text[], text[]) from public;
