-- The host of the first scheme://... URL in a text, as the guardrails compare hosts: read as a
-- URL parser reads it (coord.url_host: port dropped, a bracketed IPv6 literal is the address,
-- not "[") and made canonical as network policy makes it (coord.normalize_host: [::1] and
-- [0:0:0:0:0:0:0:1] are ::1, [::ffff:127.0.0.1] is 127.0.0.1). A URL whose host a parser may
-- read another way (user info, percent-encoding, a backslash) or that is no host comes back as
-- written, lower-cased, up to the first / : ? (api.github.com@collector.example), so that no
-- host list matches it. An IPv6 literal's zone id ([fe80::1%25eth0], [::1%eth0]) names the
-- interface, not the host: curl connects to the address before it. NULL when the text holds no URL.
create or replace function coord.guard_url_host(p_text text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_url text := substring(p_text from '[a-z]+://[^\s]*');
  v_host text;
begin
  if v_url is null then
    return null;
  end if;
  v_url := regexp_replace(v_url, '^([a-z]+://(?:[^/?#]*@)?\[[0-9A-Fa-f:.]+)%[^]/?#]*\]', '\1]');
  -- (any scheme's authority is read as http's)
  v_host := coord.url_host('http' || substr(v_url, strpos(v_url, '://'))) ->> 'host';
  -- a name as url_host gives it (lower case) without its trailing dot; an address, bracketed or
  -- written as numbers, in its canonical spelling (the exception block, a subtransaction, only then)
  if v_host is not null and v_host !~ '^(\[|[0-9]|0x)' then
    return rtrim(v_host, '.');
  elsif v_host is not null then
    begin
      return coord.normalize_host(v_host);
    exception when sqlstate 'CO451' then
      null;
    end;
  end if;
  return lower(substring(v_url from '://(\[[^]/]*\]|[^/:? ]+)'));
end;
$$;

comment on function coord.guard_url_host(text) is 'Guardrail data flow: the canonical host of the first URL in a text (coord.url_host, then coord.normalize_host: a bracketed IPv6 literal is its address), or the host as written when a parser may read it another way; null without a URL.';
revoke all on function coord.guard_url_host(text) from public;
