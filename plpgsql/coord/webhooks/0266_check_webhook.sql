-- A subscription's fields, checked before the table's constraint would refuse them with a
-- message that names no field.
create or replace function coord.check_webhook(p_name text, p_url text, p_event_types text[], p_secret text,
                                               p_max_attempts integer)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO652', format('name %s', coalesce(pg_catalog.quote_literal(left(p_name, 100)), 'null')));
  end if;
  if p_url is null or p_url !~ '^https?://[^[:space:]]+$' or char_length(p_url) > 2000 then
    perform coord.fail('CO652', format('url %s', coalesce(pg_catalog.quote_literal(left(p_url, 100)), 'null')));
  end if;
  if p_secret is not null and char_length(p_secret) not between 16 and 200 then
    perform coord.fail('CO652', format('secret of %s characters', char_length(p_secret)));
  end if;
  if p_max_attempts is null or p_max_attempts not between 1 and 100 then
    perform coord.fail('CO652', format('max attempts %s', coalesce(p_max_attempts::text, 'null')));
  end if;
  if p_event_types is null then
    perform coord.fail('CO652', 'no event types');
  end if;
  perform coord.check_event_types(p_event_types);
end;
$$;

comment on function coord.check_webhook(text, text, text[], text, integer) is 'Raises CO652 (or CO650 for the event types) unless the subscription''s fields are valid.';
revoke all on function coord.check_webhook(text, text, text[], text, integer) from public;
