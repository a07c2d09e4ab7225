-- Does the tenant's chain still hold a head saved earlier (audit.chain_head)? A result, not an
-- error: ok, or the problem with what was expected and found.
--   head_missing   the chain ends before the saved position (its newest links were deleted),
--                  or that position has no link (the chain verification names the gap)
--   head_mismatch  another link sits at the saved position (the chain was rewritten from there
--                  or before)
-- A head at or before the archived anchor is compared with what the archive recorded (its
-- first and last links) or, once restored, with the restored link; otherwise it cannot be
-- compared in the database (checked false): restore that month to compare it.
-- Errors: CO603 malformed head, CO604 a head of another tenant.
create or replace function audit.verify_head(p_tenant_id uuid, p_head text)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_saved record;
  v_anchor record;
  v_last bigint;
  v_found bytea;
  v_known boolean := true;
begin
  select * into v_saved from audit.parse_head(p_head);
  if v_saved.tenant_id <> p_tenant_id then
    raise exception using
      errcode = 'CO604',
      message = 'the audit chain head belongs to another tenant',
      detail = pg_catalog.format('the head names tenant %s', v_saved.tenant_id),
      hint = 'verify with a head coord audit head printed for your own tenant';
  end if;
  select * into v_anchor from audit.chain_anchor(p_tenant_id);
  select coalesce(max(l.chain_seq), v_anchor.seq) into v_last
  from audit.chain_links as l where l.tenant_id = p_tenant_id;

  if v_saved.chain_seq > v_last then
    return pg_catalog.jsonb_build_object(
      'ok', false, 'problem', 'head_missing', 'chain_seq', v_saved.chain_seq,
      'expected', pg_catalog.format('a link at chain_seq %s', v_saved.chain_seq),
      'found', pg_catalog.format('the chain ends at chain_seq %s', v_last),
      'missing', pg_catalog.format('%s..%s', v_last + 1, v_saved.chain_seq));
  end if;

  if v_saved.chain_seq > v_anchor.seq then
    select l.hash into v_found
    from audit.chain_links as l where l.tenant_id = p_tenant_id and l.chain_seq = v_saved.chain_seq;
    if not found then
      return pg_catalog.jsonb_build_object(
        'ok', false, 'problem', 'head_missing', 'chain_seq', v_saved.chain_seq,
        'expected', pg_catalog.format('a link at chain_seq %s', v_saved.chain_seq),
        'found', 'no link', 'missing', v_saved.chain_seq::text);
    end if;
  elsif v_saved.chain_seq = v_anchor.seq then
    v_found := v_anchor.hash;
  else
    select coalesce(
             (select x.last_hash from audit.archives as x
              where x.tenant_id = p_tenant_id and x.last_seq = v_saved.chain_seq limit 1),
             (select x.first_prev_hash from audit.archives as x
              where x.tenant_id = p_tenant_id and x.first_seq = v_saved.chain_seq + 1 limit 1),
             (select r.hash from audit.restored_events as r
              where r.tenant_id = p_tenant_id and r.chain_seq = v_saved.chain_seq limit 1))
    into v_found;
    v_known := v_found is not null;
  end if;

  if not v_known then
    return pg_catalog.jsonb_build_object('ok', true, 'chain_seq', v_saved.chain_seq, 'checked', false,
      'found', pg_catalog.format('chain_seq %s is archived (the chain resumes after %s); restore its month to compare',
                                 v_saved.chain_seq, v_anchor.seq));
  end if;
  if v_found <> v_saved.hash then
    return pg_catalog.jsonb_build_object(
      'ok', false, 'problem', 'head_mismatch', 'chain_seq', v_saved.chain_seq,
      'expected', pg_catalog.encode(v_saved.hash, 'hex'), 'found', pg_catalog.encode(v_found, 'hex'));
  end if;
  return pg_catalog.jsonb_build_object('ok', true, 'chain_seq', v_saved.chain_seq, 'checked', true);
end;
$$;

comment on function audit.verify_head(uuid, text) is 'Whether the tenant''s chain still holds a saved head: ok, or head_missing (the chain ends before it: missing names the positions) or head_mismatch (another link at that position), with expected and found. CO603 malformed, CO604 another tenant''s head.';
revoke all on function audit.verify_head(uuid, text) from public;
