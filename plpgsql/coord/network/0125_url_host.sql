-- The host a fetch of a URL reaches, as a WHATWG URL parser (Node's, so Claude Code's WebFetch)
-- reads it, or why that cannot be told for certain. Only plain absolute http(s) URLs are read:
-- WHATWG ends an http(s) authority at a backslash, ignores extra slashes after the scheme,
-- removes tabs and newlines anywhere, percent-decodes and IDNA-maps host names, all where other
-- parsers read another host; rather than follow each rule, any such spelling is refused (a
-- plain https://host/path spelling always exists). The host comes back as written (port and
-- brackets dropped only where noted) for coord.normalize_host to make canonical, which refuses
-- what WHATWG's IPv4 reading would not take either. U+2400 stands for a NUL the client saw
-- (text cannot hold U+0000); in the host it is a character no host has.
-- Returns {"host": text} or {"reason": text}.
create or replace function coord.url_host(p_url text)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := pg_catalog.regexp_replace(p_url, '^[\x01-\x20]+|[\x01-\x20]+$', '', 'g');
  v_scheme text;
  v_rest text;
  v_authority text;
  v_host text;
  v_port text;
begin
  if v ~ '[\t\n\r]' then
    return jsonb_build_object('reason', 'it contains a tab or line break, which the URL parser removes');
  end if;
  if v ~ '[\x01-\x1f\x7f]' then
    return jsonb_build_object('reason', 'it contains a control character');
  end if;
  if strpos(v, '\') > 0 then
    return jsonb_build_object('reason', 'it contains a backslash, which ends the host for Claude Code''s URL parser but not for others');
  end if;
  v_scheme := substring(v from '^([A-Za-z][A-Za-z0-9+.-]*):');
  if v_scheme is null then
    return jsonb_build_object('reason', 'it is not an absolute URL (no scheme)');
  end if;
  if pg_catalog.lower(v_scheme) not in ('http', 'https') then
    return jsonb_build_object('reason', format('its scheme %s is not http or https', pg_catalog.quote_literal(left(v_scheme, 50))));
  end if;
  v_rest := substr(v, char_length(v_scheme) + 2);
  if left(v_rest, 2) <> '//' or substr(v_rest, 3, 1) = '/' then
    return jsonb_build_object('reason', 'the scheme is not followed by exactly two slashes');
  end if;
  v_authority := substring(substr(v_rest, 3) from '^[^/?#]*');
  if strpos(v_authority, '@') > 0 then
    return jsonb_build_object('reason', 'it has user info (an @ before the host)');
  end if;
  if left(v_authority, 1) = '[' then
    v_host := substring(v_authority from '^\[([^]]*)\]');
    v_port := substr(v_authority, coalesce(char_length(v_host), 0) + 3);
    if v_host is null or (v_port <> '' and left(v_port, 1) <> ':') then
      return jsonb_build_object('reason', 'its IPv6 address is not closed by ]');
    end if;
    v_port := substr(v_port, 2);
    if v_host !~ '^[0-9A-Fa-f:.]+$' or v_host !~ ':' then  -- WHATWG has no zone ids (%)
      return jsonb_build_object('reason', 'its IPv6 address has characters an address does not');
    end if;
    v_host := '[' || v_host || ']';
  else
    v_host := split_part(v_authority, ':', 1);
    v_port := substr(v_authority, char_length(v_host) + 2);
    if v_host = '' then
      return jsonb_build_object('reason', 'it names no host');
    end if;
    if strpos(v_host, '%') > 0 then
      return jsonb_build_object('reason', 'its host is percent-encoded');
    end if;
    if v_host ~ '[^\x01-\x7f]' then
      return jsonb_build_object('reason', 'its host is not ASCII (send the IDNA xn-- form)');
    end if;
    if v_host !~ '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$' then
      return jsonb_build_object('reason', format('its host %s has characters a host name does not',
                                                 pg_catalog.quote_literal(left(v_host, 100))));
    end if;
    -- WHATWG reads these as written (it checks no labels), so the host is told for certain, but
    -- it is no host name a rule can name (coord.normalize_host refuses it): say so, not that a
    -- parser reads it another way
    if v_host ~ '(^|\.)(-|[^.]*_)|-(\.|$)' then
      return jsonb_build_object('reason', format('its host %s is no valid host name: a label %s',
        pg_catalog.quote_literal(left(v_host, 100)),
        case when strpos(v_host, '_') > 0 then 'holds an underscore' else 'starts or ends with a hyphen' end));
    end if;
  end if;
  if v_port <> '' and (v_port !~ '^[0-9]{1,5}$' or v_port::integer > 65535) then
    return jsonb_build_object('reason', format('its port %s is not a number up to 65535', pg_catalog.quote_literal(left(v_port, 20))));
  end if;
  return jsonb_build_object('host', pg_catalog.lower(v_host));
end;
$$;

comment on function coord.url_host(text) is 'The host a WHATWG URL parser (Claude Code''s WebFetch) fetches for a plain absolute http(s) URL, as {"host"} (for coord.normalize_host), or {"reason"} why it cannot be told for certain (tabs, controls, backslashes, another scheme, not exactly two slashes, user info, percent-encoding, non-ASCII, bad characters or port, labels with an underscore or a leading or trailing hyphen).';
revoke all on function coord.url_host(text) from public;
