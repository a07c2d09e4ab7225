-- Repository names follow tenant names: one spelling per repository, so leases keyed by it
-- compare as plain strings.
create or replace function coord.check_repository(p_repository text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_repository is null or p_repository !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO207', format('repository %s', coalesce(pg_catalog.quote_literal(left(p_repository, 100)), 'null')));
  end if;
  return p_repository;
end;
$$;

comment on function coord.check_repository(text) is 'Returns p_repository, or CO207 unless it is 1-63 of lower-case letters, digits and . _ - starting with a letter or digit.';
revoke all on function coord.check_repository(text) from public;
