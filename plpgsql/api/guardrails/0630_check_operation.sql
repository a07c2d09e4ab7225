create or replace function api.check_operation(p_kind text, p_text text, p_approval bigint default null)
returns api.guardrail_decision
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_trust smallint;
  v_eval jsonb;
  v_violation bigint;
  v_grant jsonb;
  v_code text;
  v_result api.guardrail_decision;
  v_skill jsonb;
begin
  -- An environment read is no guardrail matter: only a session's skill can refuse it.
  if p_kind = 'env' then
    if p_text is null or p_text !~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$' then
      perform coord.fail('CO770', format('variable %s', coalesce(pg_catalog.quote_literal(left(p_text, 100)), 'null')));
    end if;
  else
    -- Only the kind and emptiness are errors here: a text too long to read is what the caller
    -- was about to run, so it is a decision (a critical block, coord.guard_units), audited.
    perform coord.check_operation_input(p_kind, left(p_text, 10000));
  end if;
  v_decision := authz.gate('guardrail.check', 'operation', p_kind);
  if not v_decision.allowed then
    return coord.guardrail_result(p_kind => p_kind, p_refusal => v_decision);
  end if;
  -- A session running a skill reads only the variables and writes only the paths its manifest names.
  if v_me.skill_id is not null and p_kind in ('env', 'path') then
    v_skill := coord.skill_refusal(v_me, p_kind, case when p_kind = 'path' then coord.skill_path_target(p_text) else p_text end,
                                   null, p_text);
  end if;
  if v_skill is not null or p_kind = 'env' then
    v_result := coord.guardrail_result(case when v_skill is null then 'allowed' else 'outside_skill' end, p_kind,
      coalesce(v_skill ->> 'reason', 'environment reads are held only to a session''s skill'), coalesce(v_skill ->> 'target', p_text),
      p_details => coalesce(v_skill - 'reason' - 'allowed' - 'kind' - 'target', '{}'));
    perform audit.record('guardrail.check', v_result.code, 'operation', p_kind, v_result.reason,
      jsonb_build_object('text', left(p_text, 2000)) || v_result.details, v_decision,
      case when v_result.ok then 'info' else 'notice' end);
    return v_result;
  end if;
  v_trust := coord.current_trust();
  v_eval := coord.guard_evaluate(v_me.tenant_id, p_kind, p_text, v_trust);
  v_code := v_eval ->> 'code';
  -- Needs approval: record the request (or use the grant p_approval names). A blocked operation
  -- never reaches here, so no approval ever unblocks it.
  if v_code = 'needs_approval' then
    v_grant := coord.approval_gate(p_approval, p_kind, jsonb_build_object('kind', p_kind, 'text', p_text),
      'repository', v_me.repository, coord.approval_rules(v_eval), coord.approval_scopes(v_eval),
      jsonb_build_object('reason', v_eval ->> 'reason', 'normalized', left(v_eval ->> 'normalized', 2000),
                         'path', case when p_kind = 'path' then v_eval ->> 'normalized' end),
      v_decision);
    v_eval := v_eval || jsonb_build_object('approval_id', v_grant -> 'approval_id');
    if v_grant ->> 'code' = 'approved' then
      v_code := 'allowed';
      v_eval := v_eval || jsonb_build_object('code', 'allowed', 'reason', v_grant ->> 'reason');
    elsif v_grant ->> 'code' <> 'needs_approval' then
      v_code := v_grant ->> 'code';
    end if;
  end if;
  v_violation := coord.record_guard_check(p_kind, p_text, v_eval, null, v_decision);
  v_result := coord.guardrail_result(v_code, p_kind,
    case when v_code in ('allowed', 'needs_approval', 'blocked') then v_eval ->> 'reason'
         else format('%s; %s', v_grant ->> 'reason', v_eval ->> 'reason') end,
    v_eval ->> 'normalized', v_eval -> 'matches', (v_eval ->> 'overridden')::boolean, v_trust, v_violation,
    jsonb_strip_nulls(jsonb_build_object('approval_id', v_grant -> 'approval_id', 'approval_state', v_grant -> 'state',
                                         'approval_expires_at', v_grant -> 'expires_at',
                                         'writes', nullif(v_eval -> 'writes', '[]'),
                                         'unleased', nullif(v_eval -> 'unleased', '[]'))));
  v_result.approval_id := (v_grant ->> 'approval_id')::bigint;
  return v_result;
end;
$$;

comment on function api.check_operation(text, text, bigint) is
'May you run this? p_kind is command (shell text), sql (SQL text), path (a file you will write or delete; a relative path is read from the repository root, and one climbing above it is blocked by edit-outside-repository) or env (the name of an environment variable you will read: allowed, unless your session runs a skill whose manifest does not name it). The text is normalized (chains, pipelines, sh -c / bash -lc / env / sudo / xargs wrappers, substitutions, quotes, $IFS, binary paths, merged and reordered flags; SQL without comments and literals; paths collapsed) and matched against your tenant''s enabled guardrail rules. Code allowed (ok; overridden when your trust overrode a low/medium rule at trust 3 or a high one at trust 4, which is recorded), blocked or needs_approval, with the matching rules and the normalized units; critical rules are never overridden and blocked operations are never approved. U+2400 stands for a NUL the client saw (text cannot hold U+0000): a command or path holding it is blocked (normalizer), and so is a text longer than the 10000 characters the normalizer reads. needs_approval records an approval request (approval_id; the same pending one while you repeat the call): once an approver (coord approvals approve) or an auto-approval policy approves it, repeat the identical call with p_approval => approval_id to be allowed once (approval_id then names the grant used); a used grant is approval_used, one for another operation, agent or repository approval_mismatch, one not approved (pending, denied, expired, cancelled) approval_not_granted. A refusal of the policy is denied (details.rule); outside_skill when your session runs a skill whose manifest does not give write access to the path or name the variable (details.needs, details.skill; the guardrails are not asked). details.writes (a command): the files it writes, deletes or changes the mode of that a lease could name (literal paths, relative ones read from where the command starts and after its cd, ~/x from the home directory of the client, which expands it; not globs, expansions, other homes, caches, /dev/null or .git), which a client leasing what an agent edits leases too where they lie inside its repository (the Claude Code hook does): formatters and fixers (black, ruff format, prettier --write, gofmt -w, ...) write their operands, git checkout -- / restore / mv, sort -o, sponge, gzip, tar -x, unzip and zip what they write; a glob below a literal directory is that directory; . is the directory the command starts in (a client finding it is the repository root asks check_operation of the path .); what runs on another machine or in a container (ssh, docker/kubectl exec) is left out. details.unleased (a command): what it writes that only the run can tell ($F, $(...), find''s {}, a glob where it starts, anything after a cd to such a place or one that may not run): a client must not run it unasked (the hook asks). Both are recorded in the audit event. Every check is audited; blocks, approvals needed and overrides are kept as violations. Errors: CO471 kind, CO472 empty, CO770 env name.';
revoke all on function api.check_operation(text, text, bigint) from public;
grant execute on function api.check_operation(text, text, bigint) to coord_agent, coord_operator;
