-- One link of the chain: sha256(prev_hash || int8send(chain_seq) || canonical event text).
-- The position is hashed too, so moving an event to another place breaks the link.
create or replace function audit.link_hash(p_prev_hash bytea, p_chain_seq bigint, p_event jsonb)
returns bytea
language sql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.sha256(p_prev_hash || pg_catalog.int8send(p_chain_seq)
                           || pg_catalog.convert_to(p_event::text, 'UTF8'))
$$;

comment on function audit.link_hash(bytea, bigint, jsonb) is 'Hash of one chain link: sha256(prev_hash || int8send(chain_seq) || canonical event text).';
revoke all on function audit.link_hash(bytea, bigint, jsonb) from public;
