-- api.action of an action row (list_actions, get_action).
create or replace function coord.action_view(p_row coord.actions)
returns api.action
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select row(p_row.id, p_row.kind, p_row.state, p_row.payload, p_row.required_scopes, p_row.proposer_name,
             p_row.target_name, p_row.approval_id, p_row.claim, p_row.attempts, p_row.max_attempts,
             p_row.lease_expires_at, p_row.result, p_row.error, p_row.created_at, p_row.approved_at,
             p_row.expires_at, p_row.finished_at)::api.action;
$$;

comment on function coord.action_view(coord.actions) is 'The api.action shape of an action.';
revoke all on function coord.action_view(coord.actions) from public;
