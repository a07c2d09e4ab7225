-- One operation on its targets, as guardrail effects: [{"a": action, "t": target, "c": classes}]
-- with each target brace-expanded, path-normalized and classified (coord.guard_classify). An
-- operation without targets is one effect of class none.
create or replace function coord.guard_effect(p_action text, p_targets text[] default null)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_out jsonb := '[]';
  v_target text;
  v_word text;
  v_one text;
begin
  if p_targets is null or cardinality(p_targets) = 0 then
    return jsonb_build_array(jsonb_build_object('a', p_action, 't', null, 'c', jsonb_build_array('none')));
  end if;
  foreach v_target in array p_targets loop
    continue when v_target is null or v_target = '';
    -- brace expansion only where there are braces to expand
    foreach v_one in array case when strpos(v_target, '{') > 0 then coord.guard_expand(v_target) else array[v_target] end loop
      v_word := coord.guard_word(v_one);
      -- A target is a path even when it does not start like one (guard_word's test): src/.. is
      -- the working tree itself, and must be classified as what it names.
      if strpos(v_word, '..') > 0 and v_word ~ '(^|/)\.\.(/|$)' and left(v_word, 1) <> '$' then
        v_word := coord.guard_path(v_word);
      end if;
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', p_action, 't', v_word, 'c', to_jsonb(coord.guard_classify(v_word))));
    end loop;
  end loop;
  return v_out;
end;
$$;

comment on function coord.guard_effect(text, text[]) is 'Guardrail effects of one operation: each target expanded and classified; none when there is no target.';
revoke all on function coord.guard_effect(text, text[]) from public;
