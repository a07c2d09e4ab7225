-- A webhook URL's host, checked where the database can see it: a literal address in
-- coord.webhook_refused_networks, localhost, a numeric host in a form other than the dotted quad
-- (http://2130706433/ and http://0x7f.1/ are 127.0.0.1 to a resolver) or credentials in the URL
-- (http://a.example@10.0.0.1/ goes to 10.0.0.1) are CO652, unless the tenant may target private
-- addresses. A host name is resolved by the deliverer when it delivers, which checks again.
create or replace function coord.check_webhook_target(p_tenant_id uuid, p_url text)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_authority text := pg_catalog.lower(pg_catalog.substring(p_url, '^[A-Za-z]+://([^/?#]*)'));
  v_host text;
  v_address inet;
begin
  if v_authority is null or v_authority = '' or pg_catalog.strpos(v_authority, '@') > 0 then
    perform coord.fail('CO652', format('url %s: credentials or no host', pg_catalog.quote_literal(left(p_url, 100))));
  end if;
  v_host := coalesce(pg_catalog.substring(v_authority, '^\[([^]]*)\]'),
                     pg_catalog.rtrim(pg_catalog.substring(v_authority, '^([^:]*)'), '.'));
  if (select t.webhook_private_targets from coord.tenants as t where t.id = p_tenant_id) then
    return;
  end if;
  if v_host ~ '^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$' or v_host ~ ':' then
    begin
      v_address := v_host::inet;
    exception when invalid_text_representation then
      perform coord.fail('CO652', format('url %s: host %s', pg_catalog.quote_literal(left(p_url, 100)),
                                         pg_catalog.quote_literal(left(v_host, 100))));
    end;
  elsif v_host ~ '^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*$' or v_host = 'localhost' or v_host like '%.localhost' then
    perform coord.fail('CO652', format('url %s: host %s is a private address', pg_catalog.quote_literal(left(p_url, 100)),
                                       pg_catalog.quote_literal(left(v_host, 100))));
  end if;
  if exists (select from unnest(coord.webhook_refused_networks()) as n (network) where v_address <<= n.network) then
    perform coord.fail('CO652', format('url %s: %s is a private address', pg_catalog.quote_literal(left(p_url, 100)),
                                       pg_catalog.host(v_address)));
  end if;
end;
$$;

comment on function coord.check_webhook_target(uuid, text) is 'Raises CO652 when a webhook URL carries credentials or its host is a loopback, link-local, private, metadata or otherwise refused literal address (or localhost, or an ambiguous numeric host), unless the tenant has webhook_private_targets.';
revoke all on function coord.check_webhook_target(uuid, text) from public;
