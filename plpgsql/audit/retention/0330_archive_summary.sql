-- What an export of one month must contain, computed by the database from its own rows:
-- the row count, the content hash (sha256 over the sha256 of every canonical line, in
-- audit.archive_lines order), unsealed events, and per tenant the first and last link.
create or replace function audit.archive_summary(p_month date)
returns jsonb
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  with lines as (
    select x.tenant_id, x.chain_seq, x.line, x.n,
           (x.line::jsonb ->> 'prev_hash') as prev_hash, (x.line::jsonb ->> 'hash') as hash
    from audit.archive_lines(p_month) with ordinality as x (tenant_id, chain_seq, line, n)
  ),
  tenants as (
    select l.tenant_id, count(*) as tenant_rows,
           min(l.chain_seq) as first_seq, max(l.chain_seq) as last_seq,
           (array_agg(l.prev_hash order by l.chain_seq))[1] as first_prev_hash,
           (array_agg(l.hash order by l.chain_seq desc))[1] as last_hash
    from lines as l
    where l.chain_seq is not null
    group by l.tenant_id
  )
  select jsonb_build_object(
    'partition', 'events_' || to_char(p_month, 'YYYY_MM'),
    'month', to_char(p_month, 'YYYY-MM-DD'),
    'rows', (select count(*) from lines),
    'unsealed', (select count(*) from lines where chain_seq is null),
    'content_sha256', (select coalesce(encode(sha256(string_agg(sha256(convert_to(l.line, 'UTF8')), ''::bytea
                                                                order by l.n)), 'hex'),
                                       encode(sha256(''::bytea), 'hex')) from lines as l),
    'tenants', coalesce((select jsonb_agg(jsonb_build_object(
                          'tenant_id', t.tenant_id, 'rows', t.tenant_rows, 'first_seq', t.first_seq,
                          'first_prev_hash', t.first_prev_hash, 'last_seq', t.last_seq, 'last_hash', t.last_hash)
                          order by t.tenant_id) from tenants as t), '[]'))
$$;

comment on function audit.archive_summary(date) is 'The database''s own account of one month''s export: rows, unsealed, content_sha256 and per-tenant first/last links. coord audit archive writes it into the manifest; audit.archive_month recomputes and compares it.';
revoke all on function audit.archive_summary(date) from public;
