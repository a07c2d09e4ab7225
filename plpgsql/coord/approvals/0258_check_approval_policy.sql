-- The fields of an auto-approval policy (CO468 naming the field; CO241 for a list's shape).
create or replace function coord.check_approval_policy(p_name text, p_scopes text[], p_kinds text[], p_rules text[],
                                                       p_min_trust smallint, p_path_prefix text, p_description text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_field text;
begin
  perform coord.check_list(p_scopes, 'scopes');
  perform coord.check_list(p_kinds, 'kinds');
  perform coord.check_list(p_rules, 'rules');
  v_field := case
    when p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then 'name'
    when p_scopes is null or cardinality(p_scopes) > 100
         or exists (select from unnest(p_scopes) as s where s !~ '^[a-z0-9][a-z0-9_.-]{0,62}(:[a-z0-9*][a-z0-9_.*-]{0,62})?$')
      then 'scopes'
    when cardinality(p_kinds) = 0 or cardinality(p_kinds) > 100
         or exists (select from unnest(p_kinds) as k where k !~ '^[a-z][a-z0-9_.:-]{0,63}$') then 'kinds'
    when cardinality(p_rules) = 0 or cardinality(p_rules) > 100
         or exists (select from unnest(p_rules) as r where r !~ '^[a-z0-9][a-z0-9_.-]{0,62}$') then 'rules'
    when p_min_trust is not null and p_min_trust not between 0 and 4 then 'min_trust'
    when p_path_prefix is not null and (char_length(p_path_prefix) not between 1 and 4096 or p_path_prefix ^@ '/'
                                        or p_path_prefix ~ '(^|/)\.\.?(/|$)' or p_path_prefix ~ '[[:cntrl:]]') then 'path_prefix'
    when char_length(p_description) > 1000 then 'description'
  end;
  if v_field is not null then
    perform coord.fail('CO468', format('approval policy field %s', v_field));
  end if;
end;
$$;

comment on function coord.check_approval_policy(text, text[], text[], text[], smallint, text, text) is 'Raises CO468 naming the invalid field of an auto-approval policy (CO241 for a malformed list).';
revoke all on function coord.check_approval_policy(text, text[], text[], text[], smallint, text, text) from public;
