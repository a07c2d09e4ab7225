-- The one decision of a manifest: does it cover this network host, lease, path or environment
-- variable? The live calls (check_network, acquire_lock(s), a claim's leases, check_operation)
-- and api.validate_skill both ask it, so the dry run says exactly what the calls will do.
-- p_kind and p_target:
--   network  a host in canonical spelling (coord.normalize_host): an exact entry, or *.domain
--            for a subdomain of it;
--   lock     a normalized lease path (coord.normalize_path), p_mode exclusive (needs write) or
--            shared (read or write). A path with a trailing / is a directory: only a /** entry
--            over it covers it; a path without one is covered by an entry matching it, or a
--            /** entry over it or a directory above it;
--   path     the path check_operation got for kind path (a file to write or delete), normalized
--            by coord.skill_path_target; null when it is outside the repository, which no
--            manifest covers (p_requested: what was sent); else as a lock exclusive;
--   env      a variable name: an exact entry, or PREFIX* for names starting with PREFIX.
-- Returns {allowed, kind, target, needs, reason}; needs is the manifest entry that is missing.
create or replace function coord.skill_decision(p_manifest jsonb, p_kind text, p_target text, p_mode text default null,
                                                p_requested text default null)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_target text := p_target;
  v_access text := case when p_kind = 'lock' and p_mode = 'shared' then 'read' else 'write' end;
  v_dir boolean;
  v_base text;
  v_allowed boolean;
  v_needs jsonb;
begin
  if p_kind = 'network' then
    v_allowed := exists (select from jsonb_array_elements_text(p_manifest -> 'network') as e
                         where e = v_target
                            or (left(e, 2) = '*.' and char_length(v_target) > char_length(e) - 1
                                and right(v_target, char_length(e) - 1) = substr(e, 2)));
    v_needs := jsonb_build_object('network', v_target);
  elsif p_kind = 'env' then
    v_allowed := exists (select from jsonb_array_elements_text(p_manifest -> 'env') as e
                         where e = v_target or (right(e, 1) = '*' and starts_with(v_target, left(e, -1))));
    v_needs := jsonb_build_object('env', v_target);
  elsif p_kind in ('lock', 'path') then
    if p_kind = 'path' and v_target is null then
      return jsonb_build_object('allowed', false, 'kind', p_kind, 'target', p_requested,
        'needs', jsonb_build_object('files', jsonb_build_object('path', p_requested, 'access', 'write')),
        'reason', format('%s is outside the repository: no manifest covers it', p_requested));
    end if;
    v_dir := right(v_target, 1) = '/';
    v_base := rtrim(v_target, '/');
    v_allowed := exists (select from jsonb_array_elements(p_manifest -> 'files') as f
                         where (f ->> 'access' = 'write' or v_access = 'read')
                           and case when v_dir then right(f ->> 'path', 3) = '/**' and v_base ~ coord.skill_path_regex(f ->> 'path')
                                    else v_target ~ coord.skill_path_regex(f ->> 'path') end);
    v_needs := jsonb_build_object('files', jsonb_build_object('path', case when v_dir then v_base || '/**' else v_target end,
                                                              'access', v_access));
  else
    perform coord.fail('CO769', format('kind %s', coalesce(pg_catalog.quote_literal(left(p_kind, 50)), 'null')));
  end if;
  return jsonb_build_object('allowed', v_allowed, 'kind', p_kind, 'target', v_target,
    'needs', case when not v_allowed then v_needs end,
    'reason', case when v_allowed then null
                   when p_kind = 'network' then format('the manifest has no network entry covering %s', v_target)
                   when p_kind = 'env' then format('the manifest has no env entry covering %s', v_target)
                   else format('the manifest has no files entry giving %s access to %s', v_access,
                               v_needs -> 'files' ->> 'path') end);
end;
$$;

comment on function coord.skill_decision(jsonb, text, text, text, text) is 'Whether manifest p_manifest covers a network host, a lease (p_mode exclusive needs write, shared read), a path check_operation got (write; null: outside the repository, never covered; p_requested the text sent) or an environment variable: {allowed, kind, target, needs (the missing entry), reason}. The one decision the live calls and api.validate_skill share.';
revoke all on function coord.skill_decision(jsonb, text, text, text, text) from public;
