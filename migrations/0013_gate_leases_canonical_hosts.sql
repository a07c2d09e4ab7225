-- coord:superuser
-- Two closings of one kind: a thing that can be reached by several paths or spellings is
-- decided once. Superuser because the rewrite of old network rules must see every tenant's
-- rules (row-level security is forced on the table); it creates no object.
--
-- Every lease passes one decision, however it is taken or extended: authz.decide gains
-- p_within (a decision inside a call already decided, such as the leases a claim takes),
-- coord.locks_over_limit counts a set of paths, and coord.take_task_leases audits each grant
-- with the lease decision. The new signatures are created by plpgsql/; the old ones go.
drop function if exists authz.decide(text, text, jsonb);
drop function if exists coord.locks_over_limit(api.principal_info, text);
drop function if exists coord.take_task_leases(api.principal_info, bigint, text[], interval, timestamptz);

-- Network rules match addresses by address, not by spelling: a rule for an IP address or a
-- range carries the addresses it covers (coord.network_pattern), and checks compare canonical
-- addresses with it. coord.normalize_host replaces coord.normalize_domain.
drop function if exists coord.normalize_domain(text, boolean);
alter table authz.network_rules add column network cidr;
comment on column authz.network_rules.network is 'The addresses an address or range rule covers (a single address as /32 or /128); null for host-name rules.';
comment on column authz.network_rules.pattern is 'Canonical host name (lower-case ASCII, punycode for IDN, no trailing dot or port), *.name for every subdomain of name (not name itself), an address in its canonical spelling (dotted quad, RFC 5952 IPv6), or a range address/length.';

-- Earlier versions stored numeric hosts as names, so a rule written 2852039166 or 127.1
-- matched only that spelling. Such patterns are IPv4 addresses in inet_aton form: rewritten
-- here to the canonical address with its network, as coord.network_pattern writes them
-- (tests/test_network.py checks both agree). A numeric pattern that is no address (it never
-- matched anything a check accepts) is kept as it is.
do $$
declare
  v_rule record;
  v_parts text[];
  v_count integer;
  v_value numeric;
  v_address numeric;
  v_base integer;
  v_digits text;
begin
  <<rules>>
  for v_rule in
    select id, pattern from authz.network_rules
    where network is null and pattern ~ '(^|\.)([0-9]+|0x[0-9a-f]*)$' order by id
  loop
    v_parts := string_to_array(v_rule.pattern, '.');
    v_count := cardinality(v_parts);
    continue when v_count > 4;
    v_address := 0;
    for i in 1 .. v_count loop
      if v_parts[i] ~ '^0x[0-9a-f]*$' then
        v_base := 16;
        v_digits := ltrim(substr(v_parts[i], 3), '0');
      elsif v_parts[i] ~ '^0[0-7]*$' then
        v_base := 8;
        v_digits := ltrim(v_parts[i], '0');
      elsif v_parts[i] ~ '^[1-9][0-9]*$' then
        v_base := 10;
        v_digits := v_parts[i];
      else
        continue rules;
      end if;
      continue rules when char_length(v_digits) > 12;
      v_value := 0;
      for j in 1 .. char_length(v_digits) loop
        v_value := v_value * v_base + strpos('0123456789abcdef', substr(v_digits, j, 1)) - 1;
      end loop;
      continue rules when v_value >= (case when i < v_count then 256 else 256::numeric ^ (5 - v_count) end);
      v_address := case when i < v_count then v_address + v_value * 256::numeric ^ (4 - i) else v_address + v_value end;
    end loop;
    update authz.network_rules
    set pattern = host('0.0.0.0'::inet + v_address::bigint), network = ('0.0.0.0'::inet + v_address::bigint)::cidr
    where id = v_rule.id;
  end loop;
end;
$$;

alter table authz.network_rules
  drop constraint network_rules_values_check,
  add constraint network_rules_values_check check (
    action in ('allow', 'deny')
    and priority between -1000 and 1000
    and (reason is null or char_length(reason) <= 1000)
    and octet_length(pattern) <= 255
    and case when network is null
             then pattern ~ '^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$'
             else pattern = case when masklen(network) = case family(network) when 4 then 32 else 128 end
                                 then host(network) else network::text end
        end);
