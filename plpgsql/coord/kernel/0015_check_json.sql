-- The limits every JSON argument of the api obeys: at most p_max_bytes as text (CO404) and at
-- most 32 levels of nested arrays and objects (CO242). PostgreSQL parses a few thousand levels,
-- many JSON libraries (Python's among them) only a few hundred, so deeper documents would be
-- stored but unreadable by the clients that read them back. Size first: it bounds the walk.
-- A document that carries others (a task batch: an array of objects holding payloads) passes
-- the extra levels of its own structure, so each payload it carries still has 32.
create or replace function coord.check_json(p_value jsonb, p_what text, p_max_bytes integer,
                                            p_wrapper_levels integer default 0)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bytes integer;
begin
  if p_value is null then
    return;
  end if;
  v_bytes := pg_catalog.octet_length(p_value::text);
  if v_bytes > p_max_bytes then
    perform coord.fail('CO404', format('%s has %s bytes; its limit is %s', p_what, v_bytes, p_max_bytes));
  end if;
  -- Anything at level 32 (the document itself is level 0) that is still a container is a 33rd level.
  if pg_catalog.jsonb_path_exists(p_value, format('strict $.**{%s} ? (@.type() == "object" || @.type() == "array")',
                                                  32 + p_wrapper_levels)::jsonpath) then
    perform coord.fail('CO242', format('%s nests more than %s levels of arrays and objects', p_what,
                                       32 + p_wrapper_levels));
  end if;
end;
$$;

comment on function coord.check_json(jsonb, text, integer, integer) is 'CO404 when the JSON text is longer than p_max_bytes, CO242 when it nests more than 32 levels (plus p_wrapper_levels for a document that carries others); null passes. p_what names it in the detail.';
revoke all on function coord.check_json(jsonb, text, integer, integer) from public;
