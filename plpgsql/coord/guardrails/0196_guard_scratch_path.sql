-- Whether a search path (entries separated by ':' or ';') has an entry in a scratch directory
-- anyone on the machine can write into: /tmp, /var/tmp, /dev/shm, /private/tmp, $TMPDIR. Code
-- or libraries loaded from there are whatever was put there, by this text or anyone else.
create or replace function coord.guard_scratch_path(p_value text)
returns boolean
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(p_value, '') <> ''
     and exists (select from regexp_split_to_table(p_value, '[:;]') as e
                 where btrim(e, ' ''"') ~ '^(/tmp|/var/tmp|/dev/shm|/private/tmp|/private/var/tmp|\$\{?TMPDIR\}?|\$\{?TMP\}?)(/|$)');
$$;

comment on function coord.guard_scratch_path(text) is 'Guardrail normalizer: true when a search path has an entry in a scratch directory anyone can write (/tmp, /var/tmp, /dev/shm, $TMPDIR).';
revoke all on function coord.guard_scratch_path(text) from public;
