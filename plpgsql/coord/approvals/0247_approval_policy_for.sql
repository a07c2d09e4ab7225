-- The auto-approval policy that approves a pending request, or null. Matched conservatively:
-- the policy's scopes must cover every scope the request needs (request.scopes <@
-- policy.scopes; never the reverse, which lets a narrow policy approve a broad request), a
-- policy without scopes approves nothing, and so does one asked about a request that names no
-- scope. kinds and rules, when set, must hold the request's kind and every rule that asked; a
-- policy without kinds never approves an action (kind action:<kind>), whose required scopes
-- its proposer chose;
-- the requester's trust must reach min_trust; a path_prefix applies only to a path operation
-- whose canonical path lies under it (a path with .. segments never does).
create or replace function coord.approval_policy_for(p_request coord.approval_requests)
returns coord.approval_policies
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select p.*
  from coord.approval_policies as p
  where p.tenant_id = p_request.tenant_id
    and pg_catalog.cardinality(p.scopes) > 0
    and pg_catalog.cardinality(p_request.scopes) > 0
    and p_request.scopes <@ p.scopes
    -- An action's scopes are its proposer's word: only a policy naming its kind approves it.
    and case when p.kinds is null then p_request.kind !~ '^action:' else p_request.kind = any (p.kinds) end
    and (p.rules is null or (pg_catalog.cardinality(p_request.rules) > 0 and p_request.rules <@ p.rules))
    and p_request.trust >= p.min_trust
    and (p.path_prefix is null
         or (p_request.kind = 'path'
             and (p_request.context ->> 'path') !~ '(^|/)\.\.(/|$)'
             and case when right(p.path_prefix, 1) = '/' then (p_request.context ->> 'path') ^@ p.path_prefix
                      else (p_request.context ->> 'path') = p.path_prefix
                           or (p_request.context ->> 'path') ^@ (p.path_prefix || '/') end))
  order by p.id
  limit 1;
$$;

comment on function coord.approval_policy_for(coord.approval_requests) is 'The first auto-approval policy of the tenant that approves the request (its scopes cover every scope the request needs, kinds/rules/min_trust/path_prefix hold; actions only by a policy whose kinds name action:<kind>), or null. An empty policy approves nothing.';
revoke all on function coord.approval_policy_for(coord.approval_requests) from public;
