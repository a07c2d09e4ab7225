create or replace function api.check_network(p_domain text)
returns api.network_decision
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  -- An http(s) URL (or a text shaped like one: scheme, then a slash or backslash) is read for the
  -- host its fetch reaches; one whose host cannot be told for certain is denied, not an error.
  v_url jsonb := case when p_domain ~* '^[\x01-\x20]*(https?:|[a-z][a-z0-9+.-]*:[/\\])' then coord.url_host(p_domain) end;
  v_domain text;
  v_address inet;
  v_decision authz.decision;
  v_rule record;
  v_profile coord.profiles := coord.effective_profile(v_me);
  v_default text;
  v_result api.network_decision;
  v_skill jsonb;
begin
  if v_url is null then
    v_domain := coord.normalize_host(p_domain);
  elsif v_url ? 'host' then
    begin
      v_domain := coord.normalize_host(v_url ->> 'host');
    exception when sqlstate 'CO451' then  -- e.g. a host ending in a number that is no IPv4 address
      v_url := jsonb_build_object('reason', format('its host %s is not one a URL parser reads the same way (%s)',
                                                   pg_catalog.quote_literal(left(v_url ->> 'host', 100)), sqlerrm));
    end;
  end if;
  v_address := case when v_domain ~ '^[0-9.]+$' or strpos(v_domain, ':') > 0 then v_domain::inet end;
  v_decision := authz.gate('network.check', 'domain', coalesce(v_domain, left(p_domain, 300)), '{}',
    jsonb_build_object('decided_by', 'policy', 'requested', left(p_domain, 2000)));
  if not v_decision.allowed then
    return coord.network_result(p_domain => v_domain, p_decided_by => 'policy', p_refusal => v_decision);
  end if;
  if v_url ? 'reason' then
    v_result := coord.network_result('denied', null,
      format('which host a fetch of this URL reaches cannot be told for certain: %s; send it as a plain http(s)://host/path URL',
             v_url ->> 'reason'), p_decided_by => 'url');
    perform audit.record('network.check', v_result.code, 'url', left(p_domain, 300), v_result.reason,
      jsonb_build_object('decided_by', 'url', 'requested', left(p_domain, 2000)), v_decision, 'notice');
    return v_result;
  end if;
  -- A session running a skill reaches only the hosts its manifest names, whatever the rules say.
  if v_me.skill_id is not null then
    v_skill := coord.skill_refusal(v_me, 'network', v_domain);
    if v_skill is not null then
      v_result := coord.network_result('outside_skill', v_domain, v_skill ->> 'reason', p_decided_by => 'skill',
        p_details => v_skill - 'reason' - 'allowed' - 'kind' - 'target');
      perform audit.record('network.check', v_result.code, 'domain', v_domain, v_result.reason,
        jsonb_build_object('decided_by', 'skill', 'requested', p_domain) || v_result.details, v_decision, 'notice');
      return v_result;
    end if;
  end if;
  -- A name matches name rules, exact or *.suffix (every subdomain, not the suffix itself),
  -- compared as strings (no LIKE); an address matches the address and range rules that
  -- contain it. Both sides are canonical, so one address has one spelling.
  select r.id, r.pattern, r.action, r.priority, r.principal_id, r.profile_id into v_rule
  from authz.network_rules as r
  where r.tenant_id = v_me.tenant_id
    and (r.principal_id = v_me.principal_id or r.profile_id = v_profile.id
         or (r.principal_id is null and r.profile_id is null))
    and case when v_address is null
             then r.network is null
                  and (r.pattern = v_domain
                       or (left(r.pattern, 2) = '*.' and right(v_domain, char_length(r.pattern) - 1) = substr(r.pattern, 2)))
             else r.network >>= v_address end
  order by r.priority desc, (r.action = 'deny') desc, r.id
  limit 1;
  if found then
    v_result := coord.network_result(case when v_rule.action = 'allow' then 'allowed' else 'denied' end, v_domain,
      format('rule %s (%s %s, priority %s)', v_rule.id, v_rule.action, v_rule.pattern, v_rule.priority),
      v_rule.id, v_rule.pattern,
      case when v_rule.principal_id is not null then 'agent' when v_rule.profile_id is not null then 'profile'
           else 'tenant' end);
  else
    -- No rule: the profile's default, else the tenant's.
    select n.network_default into v_default from coord.tenants as n where n.id = v_me.tenant_id;
    v_result := coord.network_result(
      case when coalesce(v_profile.network_default, v_default) = 'allow' then 'allowed' else 'denied' end, v_domain,
      case when v_profile.network_default is not null
           then format('no rule matches; the default of profile %s is %s', v_profile.name, v_profile.network_default)
           else format('no rule matches; the tenant default is %s', v_default) end,
      p_decided_by => 'default');
  end if;
  perform audit.record('network.check', v_result.code, 'domain', v_domain, v_result.reason,
    jsonb_strip_nulls(jsonb_build_object('rule_id', v_result.rule_id, 'pattern', v_result.pattern,
                                         'decided_by', v_result.decided_by, 'requested', p_domain)),
    v_decision, case when v_result.ok then 'info' else 'notice' end);
  return v_result;
end;
$$;

comment on function api.check_network(text) is
'May you contact p_domain (a host name or an IP address, or an http(s) URL: the host its fetch reaches, as a WHATWG parser such as Node''s reads it)? A URL whose host cannot be told for certain (backslashes, user info, tabs or controls, percent-encoded or non-ASCII hosts, not exactly two slashes, another scheme, a numeric host that is no IPv4 address, a host that is no valid host name (a label with an underscore or an edge hyphen); U+2400 stands for a NUL the client saw) is denied with decided_by url, audited with target type url. Normalizes it to one canonical spelling: names to lower case without trailing dot or port (IDN as punycode); IPv4 addresses in any form inet_aton accepts (2852039166, 0xa9fea9fe, 169.254.43518, 0251.0376.0251.0376, 127.1) to the dotted quad; IPv6 bracketed or not, with or without port and zone id, to RFC 5952, and IPv4-mapped, -translated, -compatible and NAT64 (64:ff9b::/96; the rest of 64:ff9b::/32 in the RFC 6052 placement that lands in a non-global range, else the local-use 64:ff9b:1::/48 read as a /96) addresses, and 6to4 and Teredo addresses of non-global IPv4 addresses, to the IPv4 address they embed. Other URLs, paths, user info, percent-encoding, non-ASCII, bad ports and numeric hosts that are no IPv4 address are CO451. Then the highest-priority matching rule of your tenant, your profile or you decides (names: exact or *.suffix for subdomains; addresses: the address and range rules containing it; deny wins at equal priority), else your profile''s network_default, else the tenant''s. ok with code allowed, or denied (details.decided_by: agent, profile, tenant or default), or outside_skill when your session runs a skill whose manifest does not name the host (decided_by skill; details.needs, details.skill; rules are not asked); domain is the canonical host. Every check is audited (details.requested keeps what you sent). Errors: CO451.';
revoke all on function api.check_network(text) from public;
grant execute on function api.check_network(text) to coord_agent, coord_operator;
