-- One operation on its targets, as guardrail effects: [{"a": action, "t": target, "c": classes}]
-- with each target brace-expanded, path-normalized and classified (coord.guard_classify). An
-- operation without targets is one effect of class none.
create or replace function coord.guard_effect(p_action text, p_targets text[] default null)
returns jsonb
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select case when p_targets is null or cardinality(p_targets) = 0
              then jsonb_build_array(jsonb_build_object('a', p_action, 't', null, 'c', jsonb_build_array('none')))
              else (select coalesce(jsonb_agg(jsonb_build_object('a', p_action, 't', x.w,
                                                                 'c', to_jsonb(coord.guard_classify(x.w)))), '[]')
                    from (select coord.guard_word(e) as w
                          from unnest(p_targets) as t, unnest(coord.guard_expand(t)) as e
                          where t is not null and t <> '') as x) end;
$$;

comment on function coord.guard_effect(text, text[]) is 'Guardrail effects of one operation: each target expanded and classified; none when there is no target.';
revoke all on function coord.guard_effect(text, text[]) from public;
