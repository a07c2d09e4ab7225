-- Inlined into the caller's statement (plpgsql/README.md, "Inlined helpers").
create or replace function coord.check_claim(p_task_id bigint, p_claim bigint)
returns void
language sql
stable
return case
  when p_task_id is null or p_task_id <= 0
  then coord.fail('CO410', pg_catalog.format('task id %s', coalesce(p_task_id::text, 'null')))
  when p_claim is null or p_claim <= 0
  then coord.fail('CO413', pg_catalog.format('claim %s', coalesce(p_claim::text, 'null')))
end;

comment on function coord.check_claim(bigint, bigint) is 'CO410 for a missing task id, CO413 unless the claim token is positive.';
revoke all on function coord.check_claim(bigint, bigint) from public;
