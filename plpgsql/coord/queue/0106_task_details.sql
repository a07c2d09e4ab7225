-- Tasks as get_task and list_tasks show them (row-level security keeps them in the tenant).
create or replace view coord.task_details as
select t.tenant_id, t.id,
       row(t.id, t.kind, t.state::text, t.priority, t.payload,
           array(select d.depends_on_id from coord.task_dependencies as d where d.task_id = t.id order by 1),
           t.pending_deps, t.run_after, t.attempts, t.max_attempts, t.required_trust::integer, t.unique_key,
           t.lock_paths::text[], s.name, t.submitted_at, c.name, t.claim, t.lease_expires_at, t.finished_at,
           t.result, t.last_error, t.last_event, t.repository::text, t.required_verifications::text[])::api.task as task,
       t.state, t.kind
from coord.tasks as t
join coord.principals as s on s.tenant_id = t.tenant_id and s.id = t.submitted_by
left join coord.principals as c on c.tenant_id = t.tenant_id and c.id = t.claimed_by;

comment on view coord.task_details is 'Each task as an api.task (names instead of ids, its dependencies as an array).';
