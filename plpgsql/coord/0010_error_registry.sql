-- The one registry of error codes: what the database raises, how PostgREST and the CLI report it.
-- Codes of origin 'coord' are raised through coord.fail(); 'postgresql' codes are raised by
-- PostgreSQL itself for malformed arguments before our code runs, and are part of the contract.
create or replace view coord.error_registry as
select code, name, origin, http_status, exit_code, message, hint
from (values
  ('PT401', 'unauthenticated',          'coord', 401, 77, 'not authenticated',
   'send a valid token in the x-coord-token header (psql: select api.login(''<token>''))'),
  ('PT403', 'forbidden',                'coord', 403, 77, 'not allowed to read this',
   'the token lacks the scope or role for this read; mutations report denials as results instead'),
  ('CO201', 'path_required',            'coord', 400, 65, 'a path is required', 'pass a repository-relative path such as src/app.py'),
  ('CO202', 'path_too_long',            'coord', 400, 65, 'path is longer than 4096 bytes', 'lock a parent directory (trailing /) instead'),
  ('CO203', 'path_invalid_character',   'coord', 400, 65, 'path contains a control character', 'paths may not contain control characters'),
  ('CO204', 'path_escapes_root',        'coord', 400, 65, 'path escapes the repository root', 'remove the leading ../ segments'),
  ('CO206', 'path_absolute',            'coord', 400, 65, 'path is absolute', 'pass the path relative to the repository root, e.g. src/app.py rather than /home/me/repo/src/app.py'),
  ('CO205', 'path_is_root',             'coord', 400, 65, 'path names the repository root', 'lock a directory below the root, e.g. src/'),
  ('CO211', 'ttl_out_of_range',         'coord', 400, 65, 'ttl must be positive and at most 24 hours', 'renew long work instead of taking a long lease'),
  ('CO212', 'wait_out_of_range',        'coord', 400, 65, 'wait must be between 0 and 60 seconds', 'retry the call to wait longer'),
  ('CO213', 'read_committed_required',  'coord', 400, 65, 'lock operations need a READ COMMITTED transaction', 'an older snapshot cannot see leases granted since it was taken; use READ COMMITTED (the default, and what PostgREST and the client use)'),
  ('CO214', 'mode_unknown',             'coord', 400, 65, 'unknown lock mode', 'use exclusive or shared'),
  ('CO215', 'reason_too_long',          'coord', 400, 65, 'reason is longer than 1000 characters', 'shorten the reason'),
  ('CO216', 'fence_invalid',            'coord', 400, 65, 'a positive fence is required', 'pass the fence returned by acquire_lock'),
  ('CO217', 'paths_invalid',            'coord', 400, 65, 'between 1 and 1000 paths are required', 'split the request'),
  ('CO221', 'name_invalid',             'coord', 400, 65, 'invalid name', 'names are 1-63 letters, digits, and . _ - @, starting with a letter or digit'),
  ('CO222', 'scopes_invalid',           'coord', 400, 65, 'invalid token scopes', 'scopes look like locks:write, locks:* or *'),
  ('CO223', 'expiry_invalid',           'coord', 400, 65, 'token lifetime must be positive', 'omit it for a token that does not expire'),
  ('CO224', 'limit_out_of_range',       'coord', 400, 65, 'limit must be between 1 and 1000', null),
  ('CO225', 'request_headers_invalid',  'coord', 400, 65, 'request.headers is not a JSON object', 'set request.headers to a JSON object of lower-cased header names'),
  ('CO231', 'team_invalid',             'coord', 400, 65, 'the team file is malformed', 'see docs/teams.md: version: 1, agents: a list of {name, role, scopes, description}, prune: true or false'),
  ('CO232', 'team_duplicate_name',      'coord', 400, 65, 'the team file names a principal twice', 'declare each name once'),
  ('CO233', 'role_immutable',           'coord', 400, 65, 'a principal''s role cannot change', 'declare the principal with its current role, or give the new role a new name and prune the old one'),
  ('CO234', 'team_changes_caller',      'coord', 400, 65, 'a team file cannot change the principal that applies it', 'declare your own entry with the scopes of your live tokens, or apply with another operator'),
  ('CO301', 'tenant_unknown',           'coord', 400, 66, 'unknown tenant', 'list tenants with coord status'),
  ('CO302', 'principal_unknown',        'coord', 400, 66, 'unknown principal', 'list agents with coord agent list'),
  ('CO303', 'token_unknown',            'coord', 400, 66, 'unknown token', 'list tokens with coord token list'),
  ('CO304', 'name_taken',               'coord', 400, 65, 'name already in use in this tenant', 'choose another name'),
  ('CO501', 'server_misconfigured',     'coord', 400, 78, 'server is misconfigured', 'run coord migrate'),
  ('CO900', 'wait_retry',               'internal', 400, 70, 'internal retry signal', 'never escapes a function; report it as a bug if seen'),
  ('CO601', 'audit_immutable',          'coord', 400, 77, 'the audit log is append-only', 'audit events are never updated or deleted; retention archives whole partitions'),
  ('22P02', 'invalid_text_representation', 'postgresql', 400, 65, 'an argument has the wrong type', 'check the argument types in docs/api.md'),
  ('22007', 'invalid_datetime_format',  'postgresql', 400, 65, 'an interval or timestamp argument is malformed', 'intervals look like 30 seconds or 00:05:00'),
  ('22015', 'interval_field_overflow',  'postgresql', 400, 65, 'an interval argument is out of range', 'intervals are limited to about 178 million years; leases to 24 hours'),
  ('22003', 'numeric_value_out_of_range', 'postgresql', 400, 65, 'a numeric argument is out of range', null),
  ('22P05', 'untranslatable_character', 'postgresql', 400, 65, 'an argument contains a NUL byte or an untranslatable character', 'text may not contain NUL bytes'),
  ('42501', 'insufficient_privilege',   'postgresql', 401, 77, 'the role may not call this function', 'the token''s role (agent, operator, auditor) is not granted this function; PostgREST answers 401 because tokens are verified by the database, not as JWTs'),
  ('42883', 'undefined_function',       'postgresql', 404, 64, 'unknown function or argument name', 'list functions with coord call --list'),
  ('55P03', 'lock_not_available',       'postgresql', 500, 75, 'an overlapping request has held its locks for too long', 'another transaction touching an overlapping path has not committed for 2 seconds; retry'),
  ('40001', 'serialization_failure',    'postgresql', 500, 75, 'transaction conflict, safe to retry', 'retry the call'),
  ('40P01', 'deadlock_detected',        'postgresql', 500, 75, 'deadlock, safe to retry', 'retry the call')
) as r (code, name, origin, http_status, exit_code, message, hint);

comment on view coord.error_registry is 'Every error code the api can raise, with its HTTP status under PostgREST and its coord CLI exit code. docs/errors.md and coordinator.errors are checked against it.';
grant select on coord.error_registry to coord_auth;
