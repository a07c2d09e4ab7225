-- The one validation of an operation handed to the guardrails: a known kind and 1-10000
-- characters of text. Raises CO471 / CO472; writes nothing.
create or replace function coord.check_operation_input(p_kind text, p_text text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_kind is null or p_kind not in ('command', 'sql', 'path') then
    perform coord.fail('CO471', format('kind %s', coalesce(pg_catalog.quote_literal(left(p_kind, 50)), 'null')));
  end if;
  if p_text is null or btrim(p_text) = '' then
    perform coord.fail('CO472', 'the operation text is empty');
  end if;
  if char_length(p_text) > 10000 then
    perform coord.fail('CO472', format('the operation text has %s characters', char_length(p_text)));
  end if;
end;
$$;

comment on function coord.check_operation_input(text, text) is 'CO471 unless the kind is command, sql or path; CO472 unless the text has 1-10000 characters (not only spaces).';
revoke all on function coord.check_operation_input(text, text) from public;
