-- The cloud instance metadata services (169.254.169.254, 169.254.170.2, 100.100.100.200,
-- fd00:ec2::254) reached through any spelling of their address: a URL or host argument of a
-- program whose host, read as network policy reads it (coord.normalize_host: every inet_aton
-- IPv4 form, 2852039166, 0xa9fea9fe, 0251.0376.0251.0376, 169.254.43518; IPv6 forms that carry
-- an IPv4 address, ::ffff:a9fe:a9fe, NAT64, 6to4, Teredo), is one of them: secret-dump, as the
-- dotted spelling is (coord.guard_flow_effects). Only hosts written as numbers are read here;
-- user info before the host (http://x@HOST/) is skipped as a URL parser skips it, and so is an
-- IPv6 literal's zone id ([...%25eth0]).
create or replace function coord.guard_host_effects(p_op jsonb)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_arg text;
  v_host text;
begin
  if p_op is null or strpos((p_op -> 'words')::text, '://') = 0
     and not (p_op ->> 'prog' in ('curl', 'wget', 'http', 'https', 'xh', 'curlie', 'httpie', 'aria2c', 'nc', 'ncat', 'socat',
                                  'telnet', 'ssh', 'fetch', 'lynx', 'w3m', 'links')) then
    return '[]';
  end if;
  for v_arg in select jsonb_array_elements_text(p_op -> 'words') loop
    -- scheme://[user@]host[:port][/...], or a bare host for the network clients
    v_host := coalesce(substring(v_arg from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^]]*\]|[^/?#:]+)'),
                       substring(v_arg from '^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-fXx.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)(?::[0-9]+)?(?:/.*)?$'));
    -- an IPv6 literal's zone id ([::ffff:169.254.169.254%25eth0]) names the interface: curl
    -- connects to the address before it
    if strpos(v_host, '%') > 0 then
      v_host := regexp_replace(v_host, '^\[([0-9A-Fa-f:.]+)%[^]]*\]$', '[\1]');
    end if;
    -- (numbers only: a name is read by the rules that name it)
    continue when v_host is null or v_host !~ '^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-fXx.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)$'
                  or v_host !~ '[0-9]';
    begin
      v_host := coord.normalize_host(v_host);
    exception when sqlstate 'CO451' then
      continue;
    end;
    if v_host in ('169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254') then
      return coord.guard_effect('secret-dump', array['instance metadata']);
    end if;
  end loop;
  return '[]';
end;
$$;

comment on function coord.guard_host_effects(jsonb) is 'Guardrail effects of a program''s URL and host arguments written as numbers: secret-dump when the address, in whatever spelling, is a cloud instance metadata service.';
revoke all on function coord.guard_host_effects(jsonb) from public;
