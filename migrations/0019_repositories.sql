-- A tenant may coordinate several repositories: a lease is keyed by repository as well as
-- path, so two repositories' src/app.py never collide. The caller's repository is its
-- session's, else its token's, else 'default' (coord.caller.repository); tasks and handoffs
-- record the repository they were written in, and a claim takes its leases there.
-- Names follow tenant names; coord.check_repository raises CO207 for anything else.

alter table coord.tokens
  add column repository text collate "C",
  add constraint tokens_repository_check check (repository ~ '^[a-z0-9][a-z0-9_.-]{0,62}$');
comment on column coord.tokens.repository is 'The repository calls made with this token act in when they name no session (null: the session''s, else default).';

alter table coord.sessions
  add column repository text collate "C" not null default 'default',
  add constraint sessions_repository_check check (repository ~ '^[a-z0-9][a-z0-9_.-]{0,62}$');
comment on column coord.sessions.repository is 'The repository the session works in: named at start, else the token''s, else default. Every call in the session takes and checks leases there.';

alter table coord.locks
  add column repository text collate "C" not null default 'default',
  add constraint locks_repository_check check (repository ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  drop constraint locks_holder_path_key,
  add constraint locks_holder_path_key unique nulls not distinct (tenant_id, repository, path, holder_id, session_id);
drop index coord.locks_tenant_path_idx;
create index locks_tenant_path_idx on coord.locks (tenant_id, repository, path);
comment on column coord.locks.repository is 'The repository the path is in: leases overlap only within one repository.';

alter table coord.tasks
  add column repository text collate "C" not null default 'default',
  add constraint tasks_repository_check check (repository ~ '^[a-z0-9][a-z0-9_.-]{0,62}$');
comment on column coord.tasks.repository is 'The repository the task was submitted in: its lock_paths are paths there, and claiming it takes the leases there.';

alter table coord.handoffs
  add column repository text collate "C" not null default 'default',
  add constraint handoffs_repository_check check (repository ~ '^[a-z0-9][a-z0-9_.-]{0,62}$');
comment on column coord.handoffs.repository is 'The repository the author worked in; relevant_files are paths there.';

-- The caller and every result or row that shows a path carry the repository. Appended, so
-- clients reading by name see one more field and nothing moves.
alter type coord.caller add attribute repository text;
alter type api.principal_info add attribute repository text;
alter type api.lock_result add attribute repository text;
alter type api.claim_result add attribute repository text;
alter type api.task add attribute repository text;
alter type api.handoff add attribute repository text;

-- Row shapes change: plpgsql/ creates these again with a repository column.
drop function if exists api.check_locks(text[]);
drop function if exists api.my_locks();
