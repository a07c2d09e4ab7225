create or replace function coord.check_claim(p_task_id bigint, p_claim bigint)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_task_id is null or p_task_id <= 0 then
    perform coord.fail('CO410', format('task id %s', coalesce(p_task_id::text, 'null')));
  end if;
  if p_claim is null or p_claim <= 0 then
    perform coord.fail('CO413', format('claim %s', coalesce(p_claim::text, 'null')));
  end if;
end;
$$;

comment on function coord.check_claim(bigint, bigint) is 'CO410 for a missing task id, CO413 unless the claim token is positive.';
revoke all on function coord.check_claim(bigint, bigint) from public;
