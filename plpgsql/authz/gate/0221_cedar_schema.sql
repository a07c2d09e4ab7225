-- The shipped Cedar schema every stored policy is validated against: the entity types (Agent,
-- AgentType = a profile, Action, File, Domain, Task, Skill, Tenant), the request context, and one
-- action per row of authz.actions, member of the action groups role:<role> (the roles that may
-- take it) and reads (actions that change nothing). Built from authz.actions, so a new action
-- is in the schema as soon as it is in the registry.
create or replace function authz.cedar_schema()
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select $schema$// Agent Coordinator's Cedar schema (docs/cedar.md). Times and durations are microseconds.
type Context = {
  "scope_held": Bool,
  "grants_held": Bool,
  "operation": String,
  "operation_group": String,
  "target"?: String,
  "ttl"?: Long,
  "lease"?: Long,
  "kinds"?: Set<String>,
  "expires_at"?: Long,
  "claim_limit"?: Long,
  "submitted_by"?: Agent,
  "changes_principal"?: Agent,
  "changes_profile"?: AgentType,
  "acts_on"?: Agent,
  "grants_trust"?: Long,
};
entity AgentType = {
  "name": String,
  "trust": Long,
  "allowed_operations"?: Set<String>,
  "allowed_task_kinds"?: Set<String>,
  "max_lock_ttl"?: Long,
  "max_task_duration"?: Long,
};
entity Agent in [AgentType] = {
  "role": String,
  "kind": String,
  "trust": Long,
  "profile"?: AgentType,
  "owner"?: Agent,
};
entity File = { "path": String };
entity Domain = { "name": String };
entity Task = { "ref": String };
entity Skill = { "name": String };
entity Tenant = { "name": String };
action "role:agent", "role:operator", "role:auditor", "reads";
$schema$
  || string_agg(format('action %s in [%s] appliesTo { principal: [Agent], resource: [%s], context: Context };',
                       to_jsonb(a.action)::text,
                       array_to_string(array(select to_jsonb('role:' || r)::text from unnest(a.roles) as r
                                             union all select '"reads"' where not a.mutating), ', '),
                       authz.cedar_resource_type(a.action)),
                E'\n' order by a.action)
  || E'\n'
  from authz.actions as a;
$$;

comment on function authz.cedar_schema() is 'The shipped Cedar schema (Cedar schema syntax): entity types Agent, AgentType (a profile), Action, File, Domain, Task, Skill, Tenant, the request context, and every action of authz.actions in its groups role:<role> and reads.';
revoke all on function authz.cedar_schema() from public;
