-- The positional parameters a set command gives (p_words: set and its words, expanded): the
-- words after its options (set -- a b, set a b, set -e -- a b, set -eo pipefail a: options are
-- -X/+X letter groups, an o among them taking the next word as its name; -- ends them, and
-- with nothing after it empties them; - ends them too). NULL when it leaves them as they are
-- (set -e, set -o pipefail, set - alone), and {chr(30)} (a value only the run knows) when bash
-- would refuse an option, which may leave them as they were.
create or replace function coord.guard_set_positional(p_words text[])
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_n integer := cardinality(p_words);
  v_i integer := 2;
  v_w text;
begin
  if p_words[1] is distinct from 'set' then
    return null;
  end if;
  while v_i <= v_n loop
    v_w := p_words[v_i];
    if v_w = '--' then
      return coalesce(p_words[v_i + 1:], '{}');
    elsif v_w = '-' then
      return case when v_i < v_n then p_words[v_i + 1:] end;
    elsif v_w ~ '^[-+][A-Za-z]+$' then
      if v_w !~ '^[-+][abefhkmnptuvxBCEHPTo]+$' then
        return array[chr(30)];
      end if;
      if strpos(v_w, 'o') > 0 then
        v_i := v_i + 1;
        if v_i <= v_n and p_words[v_i] not in ('allexport', 'braceexpand', 'emacs', 'errexit', 'errtrace', 'functrace',
            'hashall', 'histexpand', 'history', 'ignoreeof', 'interactive-comments', 'keyword', 'monitor', 'noclobber',
            'noexec', 'noglob', 'nolog', 'notify', 'nounset', 'onecmd', 'physical', 'pipefail', 'posix', 'privileged',
            'verbose', 'vi', 'xtrace') then
          return array[chr(30)];
        end if;
      end if;
      v_i := v_i + 1;
    else
      return p_words[v_i:];
    end if;
  end loop;
  return null;
end;
$$;

comment on function coord.guard_set_positional(text[]) is 'Guardrail normalizer: the positional parameters a set command gives (the words after its options), null when it leaves them, {chr(30)} when bash may refuse it.';
revoke all on function coord.guard_set_positional(text[]) from public;
