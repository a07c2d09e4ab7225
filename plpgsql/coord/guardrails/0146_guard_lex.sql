-- Guardrail normalizer, step 1: lex shell text the way a POSIX shell would, without running it.
-- Returns {"cmds": [{"w": [words], "r": [redirects], "in": stdin text, "op": operator}], "subs": [...]}
--  * quotes are removed ('...' literal, "..." and $"..." with \" \\ \$ \` escapes, $'...' with \xHH, \NNN,
--    \n, \t decoded), backslash escapes outside quotes are removed, \<newline> joins lines,
--    $IFS and ${IFS} are word separators;
--  * commands end at && || ; | & ( ) and newlines outside quotes; "op" says which; "open" counts
--    the subshell parentheses a command starts ((( arithmetic: "arith"), "close" those it ends;
--  * $( ), backticks, <( ) and >( ) (also inside double quotes, not inside single quotes) are
--    collected in "subs" (they run, so they are checked as commands) and stay in the word as a
--    marker chr(30) inner chr(31); arithmetic $(( )) stays literal;
--  * # at the start of a word starts a comment; name() defines a function ({"fn": name});
--  * an extglob group right after @ + ! ? * (@(rm|ls), !(x)) without blanks or expansions stays
--    in the word as a pattern;
--  * redirects (>, >>, 2>&1, &>, <, <<<) go to "r" with their target; a here-document body
--    (<<EOF ... EOF) or a here-string becomes the command's "in";
--  * p_windows (PowerShell, cmd.exe): backslashes are path separators, ` is the escape character,
--    and (...), {...} and @(...) hold code that runs: collected in "subs" like substitutions.
create or replace function coord.guard_lex(p_text text, p_windows boolean default false)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_text text;
  c text[];
  n integer;
  i integer := 1;
  j integer;
  k integer;
  ch text;
  v_word text;
  v_tk text[] := '{}';
  v_tv text[] := '{}';
  v_t integer;
  v_subs text[] := '{}';
  v_hd text[] := '{}';
  v_hd_pending boolean := false;
  v_hd_strip boolean := false;
  v_sub record;
  v_acc text;
  v_line text;
  v_delim text;
  v_op text;
  v_prefix text;
  v_code integer;
  v_cmds jsonb[] := '{}';
  v_w text[] := '{}';
  v_r text[] := '{}';
  v_in text;
  v_open integer := 0;  -- ( and (( before the next command
  v_arith boolean := false;
  v_redir text;
begin
  v_text := replace(replace(p_text, E'\\\n', ''), E'\r', '');
  if strpos(v_text, 'IFS') > 0 then
    v_text := regexp_replace(v_text, '\$(\{IFS\}|IFS(?![A-Za-z0-9_]))', ' ', 'g');
  end if;
  c := string_to_array(v_text, null);
  n := coalesce(array_length(c, 1), 0);
  if v_text = '' then
    n := 0;
  end if;

  while i <= n loop
    ch := c[i];
    if ch = '''' then
      j := i + 1;
      while j <= n and c[j] <> '''' loop
        j := j + 1;
      end loop;
      v_word := coalesce(v_word, '') || array_to_string(c[i + 1:j - 1], '');
      i := j + 1;
    elsif ch = '$' and i < n and c[i + 1] = '''' then
      j := i + 2;
      v_acc := '';
      while j <= n and c[j] <> '''' loop
        if c[j] = '\' and j < n then
          ch := c[j + 1];
          j := j + 2;
          if ch = 'x' then
            v_line := '';
            while j <= n and char_length(v_line) < 2 and c[j] ~ '[0-9A-Fa-f]' loop
              v_line := v_line || c[j];
              j := j + 1;
            end loop;
            v_code := case when v_line = '' then 0 else ('x' || lpad(v_line, 8, '0'))::bit(32)::integer end;
            v_acc := v_acc || case when v_code > 0 then chr(v_code) else '' end;
          elsif ch ~ '[0-7]' then
            v_line := ch;
            while j <= n and char_length(v_line) < 3 and c[j] ~ '[0-7]' loop
              v_line := v_line || c[j];
              j := j + 1;
            end loop;
            v_code := 0;
            for k in 1 .. char_length(v_line) loop
              v_code := v_code * 8 + substr(v_line, k, 1)::integer;
            end loop;
            v_acc := v_acc || case when v_code between 1 and 255 then chr(v_code) else '' end;
          else
            v_acc := v_acc || case ch when 'n' then E'\n' when 't' then E'\t' when 'r' then '' when 'a' then ''
                                      when 'e' then '' else ch end;
          end if;
        else
          v_acc := v_acc || c[j];
          j := j + 1;
        end if;
      end loop;
      v_word := coalesce(v_word, '') || v_acc;
      i := j + 1;
    elsif ch = '$' and i < n and c[i + 1] = '"' and not p_windows then
      -- $"..." is "..." translated by the locale: itself when there is no translation
      i := i + 1;
    elsif ch = '"' then
      v_word := coalesce(v_word, '');
      j := i + 1;
      while j <= n and c[j] <> '"' loop
        if c[j] = '\' and j < n and c[j + 1] in ('"', '\', '$', '`') and not p_windows
           or c[j] = '`' and j < n and p_windows then
          v_word := v_word || c[j + 1];
          j := j + 2;
        elsif (c[j] = '$' and j < n and c[j + 1] = '(') or c[j] = '`' and not p_windows then
          select * into v_sub from coord.guard_substitution(c, j);
          if v_sub.sub_inner is not null then
            v_subs := v_subs || v_sub.sub_inner;
            v_word := v_word || chr(30) || v_sub.sub_inner || chr(31);
          else
            v_word := v_word || v_sub.sub_literal;
          end if;
          j := v_sub.sub_next;
        else
          v_word := v_word || c[j];
          j := j + 1;
        end if;
      end loop;
      i := j + 1;
    elsif ch = chr(30) then
      -- a marker handed down from an outer level: opaque
      j := i + 1;
      k := 1;
      while j <= n and k > 0 loop
        if c[j] = chr(30) then
          k := k + 1;
        elsif c[j] = chr(31) then
          k := k - 1;
        end if;
        j := j + 1;
      end loop;
      v_word := coalesce(v_word, '') || array_to_string(c[i:j - 1], '');
      i := j;
    elsif ch = '\' and p_windows then
      -- PowerShell and cmd.exe: a backslash separates path segments
      v_word := coalesce(v_word, '') || ch;
      i := i + 1;
    elsif ch = '`' and p_windows then
      -- PowerShell's escape character
      if i < n then
        v_word := coalesce(v_word, '') || c[i + 1];
      end if;
      i := i + 2;
    elsif ch in ('(', '{') and p_windows then
      -- PowerShell: (expression), {script block} and @(...) run what they hold
      k := 1;
      j := i + 1;
      v_delim := case ch when '(' then ')' else '}' end;
      while j <= n and k > 0 loop
        if c[j] = ch then
          k := k + 1;
        elsif c[j] = v_delim then
          k := k - 1;
        elsif c[j] in ('''', '"') then
          v_line := c[j];
          j := j + 1;
          while j <= n and c[j] <> v_line loop
            j := j + 1;
          end loop;
        end if;
        j := j + 1;
      end loop;
      v_acc := array_to_string(c[i + 1:j - 2], '');
      if btrim(v_acc) <> '' then
        v_subs := v_subs || v_acc;
      end if;
      v_word := coalesce(v_word, '') || chr(30) || v_acc || chr(31);
      i := j;
    elsif ch = '\' then
      if i < n then
        v_word := coalesce(v_word, '') || c[i + 1];
      end if;
      i := i + 2;
    elsif (ch = '$' and i < n and c[i + 1] = '(') or ch = '`'
          or (ch in ('<', '>') and i < n and c[i + 1] = '(' and v_word is null) then
      select * into v_sub from coord.guard_substitution(c, i);
      if v_sub.sub_inner is not null then
        v_subs := v_subs || v_sub.sub_inner;
        v_word := coalesce(v_word, '') || chr(30) || v_sub.sub_inner || chr(31);
      else
        v_word := coalesce(v_word, '') || v_sub.sub_literal;
      end if;
      i := v_sub.sub_next;
    elsif ch = '#' and v_word is null then
      while i <= n and c[i] <> E'\n' loop
        i := i + 1;
      end loop;
    elsif ch = '(' and not p_windows and right(v_word, 1) in ('@', '+', '!', '?', '*')
          and coord.guard_close(c, i) > 0
          and array_to_string(c[i + 1:coord.guard_close(c, i) - 1], '') !~ '[\s;&<>`$]' then
      -- extglob, a pattern inside the word (@(a|b), +(x), *(x), ?(x), !(x)), not a subshell:
      -- @(rm|ls) -rf / runs the first file that matches, as r* does (quotes inside are removed)
      k := coord.guard_close(c, i);
      v_word := v_word || '(' || translate(array_to_string(c[i + 1:k - 1], ''), '''"\', '') || ')';
      i := k + 1;
    elsif ch in (' ', E'\t', E'\n', '|', '&', ';', '(', ')', '<', '>') then
      -- a word ends here (a run of digits right before a redirect is its file descriptor)
      v_prefix := '';
      if ch in ('<', '>') and v_word ~ '^[0-9]+$' then
        v_prefix := v_word;
        v_word := null;
      end if;
      if ch = '(' and v_word is not null then
        j := i + 1;
        while j <= n and c[j] in (' ', E'\t') loop
          j := j + 1;
        end loop;
        if j <= n and c[j] = ')' then
          v_tk := v_tk || 'fn'::text;
          v_tv := v_tv || v_word;
          v_word := null;
          i := j + 1;
          continue;
        end if;
      end if;
      if v_word is not null then
        if v_hd_pending then
          v_hd := v_hd || (case when v_hd_strip then '1' else '0' end || v_word);
          v_hd_pending := false;
        end if;
        v_tk := v_tk || 'w'::text;
        v_tv := v_tv || v_word;
        v_word := null;
      end if;
      if ch = '(' then
        j := i + 1;
        while j <= n and c[j] in (' ', E'\t') loop
          j := j + 1;
        end loop;
        if j <= n and c[j] = ')' and v_tk[cardinality(v_tk)] = 'w' then
          v_tk[cardinality(v_tk)] := 'fn';
          i := j + 1;
          continue;
        end if;
        -- fish and nushell: (cmd) among a command's words runs cmd (in a POSIX shell a
        -- parenthesis there is a syntax error, so nothing else is read this way)
        if cardinality(v_tk) > 0 and v_tk[cardinality(v_tk)] = 'w' then
          k := coord.guard_close(c, i);
          if k = 0 then
            k := n + 1;
          end if;
          v_acc := array_to_string(c[i + 1:k - 1], '');
          if btrim(v_acc) <> '' then
            v_subs := v_subs || v_acc;
          end if;
          -- what follows without a space belongs to the same word: (pwd)/dist
          v_word := chr(30) || v_acc || chr(31);
          i := k + 1;
          continue;
        end if;
      end if;
      if ch in (' ', E'\t') then
        i := i + 1;
      elsif ch = E'\n' then
        j := i + 1;
        foreach v_delim in array v_hd loop
          v_acc := '';
          while j <= n loop
            k := j;
            while k <= n and c[k] <> E'\n' loop
              k := k + 1;
            end loop;
            v_line := array_to_string(c[j:k - 1], '');
            j := k + 1;
            exit when v_line = substr(v_delim, 2)
                   or (left(v_delim, 1) = '1' and ltrim(v_line, E'\t') = substr(v_delim, 2));
            v_acc := v_acc || v_line || E'\n';
          end loop;
          v_tk := v_tk || 'hd'::text;
          v_tv := v_tv || v_acc;
        end loop;
        v_hd := '{}';
        i := j;
        v_tk := v_tk || 'op'::text;
        v_tv := v_tv || E'\n'::text;
      elsif ch in ('<', '>') then
        v_op := ch;
        j := i + 1;
        if ch = '<' and c[j] = '<' and c[j + 1] = '<' then
          v_op := '<<<';
        elsif ch = '<' and c[j] = '<' and c[j + 1] = '-' then
          v_op := '<<-';
        elsif ch = '<' and c[j] = '<' then
          v_op := '<<';
        elsif c[j] in ('>', '|', '&') or (ch = '<' and c[j] = '>') then
          v_op := ch || c[j];
        end if;
        i := i + char_length(v_op);
        if v_op in ('<<', '<<-') then
          v_hd_pending := true;
          v_hd_strip := v_op = '<<-';
        end if;
        v_tk := v_tk || 'r'::text;
        v_tv := v_tv || (v_prefix || v_op);
      elsif ch = '&' and i < n and c[i + 1] = '>' then
        v_op := case when i + 1 < n and c[i + 2] = '>' then '&>>' else '&>' end;
        i := i + char_length(v_op);
        v_tk := v_tk || 'r'::text;
        v_tv := v_tv || v_op;
      else
        v_op := ch;
        if i < n and ((ch = '|' and c[i + 1] in ('|', '&')) or (ch = '&' and c[i + 1] = '&')
                      or (ch = ';' and c[i + 1] in (';', '&')) or (ch = '(' and c[i + 1] = '(')) then
          v_op := case when ch = '|' and c[i + 1] = '&' then '|' else ch || c[i + 1] end;
          i := i + 2;
        else
          i := i + 1;
        end if;
        v_tk := v_tk || 'op'::text;
        v_tv := v_tv || v_op;
      end if;
    else
      v_word := coalesce(v_word, '') || ch;
      i := i + 1;
    end if;
  end loop;
  if v_word is not null then
    v_tk := v_tk || 'w'::text;
    v_tv := v_tv || v_word;
  end if;
  v_tk := v_tk || 'op'::text;
  v_tv := v_tv || ''::text;

  -- Step 2: tokens to simple commands.
  for v_t in 1 .. cardinality(v_tk) loop
    if v_tk[v_t] = 'w' then
      if v_redir is not null then
        v_r := v_r || (v_redir || v_tv[v_t]);
        if v_redir like '%<<<' then
          v_in := coalesce(v_in, '') || v_tv[v_t];
        end if;
        v_redir := null;
      else
        v_w := v_w || v_tv[v_t];
      end if;
    elsif v_tk[v_t] = 'r' then
      v_redir := v_tv[v_t];
    elsif v_tk[v_t] = 'hd' then
      v_in := coalesce(v_in, '') || v_tv[v_t];
    elsif v_tk[v_t] = 'fn' then
      v_cmds := v_cmds || jsonb_build_object('fn', v_tv[v_t], 'op', ';');
    else
      if cardinality(v_w) > 0 or cardinality(v_r) > 0 or v_in is not null then
        -- open: subshells the command starts ((, or (( arithmetic: arith); close: those ) ends
        v_cmds := v_cmds || (jsonb_build_object('w', to_jsonb(v_w), 'r', to_jsonb(v_r), 'in', v_in, 'op', v_tv[v_t])
                             || jsonb_strip_nulls(jsonb_build_object('open', nullif(v_open, 0), 'arith', case when v_arith then true end,
                                                                     'close', case when v_tv[v_t] = ')' then 1 end)));
        v_open := 0;
        v_arith := false;
      elsif v_tv[v_t] in ('(', '((') then
        v_open := v_open + char_length(v_tv[v_t]);
        v_arith := v_arith or v_tv[v_t] = '((';
      elsif v_tv[v_t] = ')' and cardinality(v_cmds) > 0 and v_cmds[cardinality(v_cmds)] ? 'w' then
        v_cmds[cardinality(v_cmds)] := v_cmds[cardinality(v_cmds)]
          || jsonb_build_object('close', coalesce((v_cmds[cardinality(v_cmds)] ->> 'close')::integer, 0) + 1);
      end if;
      v_w := '{}';
      v_r := '{}';
      v_in := null;
      v_redir := null;
    end if;
  end loop;
  return jsonb_build_object('cmds', to_jsonb(v_cmds), 'subs', to_jsonb(v_subs));
end;
$$;

comment on function coord.guard_lex(text, boolean) is 'Guardrail normalizer: shell text -> simple commands (words after quote removal, redirects, stdin from here-documents, the operator that ends each) and the command substitutions to check as commands of their own; p_windows lexes PowerShell and cmd.exe text (backslashes are path separators, ` escapes, (...) and {...} run).';
revoke all on function coord.guard_lex(text, boolean) from public;
