-- All or none: once any path of a lock batch (acquire_locks, release_locks) is refused, every
-- other path's result becomes batch_refused, naming how many refused and the first of them, so
-- the caller sees why nothing was taken (or released). p_results[i] left null was never tried:
-- an earlier refusal of the gate stopped the batch first; it is batch_refused too. p_modes and
-- p_fences are what each batch_refused result reports of its path.
create or replace function coord.refuse_lock_batch(
  p_results api.lock_result[],
  p_paths text[],
  p_repository text,
  p_modes text[],
  p_fences bigint[],
  p_nothing text  -- 'taken' or 'released'
)
returns api.lock_result[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_refused jsonb := '[]';
  v_count integer := pg_catalog.cardinality(p_paths);
begin
  for i in 1 .. v_count loop
    if p_results[i].ok is false then
      v_refused := v_refused || jsonb_build_object('path', p_paths[i], 'code', p_results[i].code);
    end if;
  end loop;
  if jsonb_array_length(v_refused) = 0 then
    return p_results;
  end if;
  for i in 1 .. v_count loop
    if p_results[i].ok is distinct from false then
      p_results[i] := coord.lock_result('batch_refused', p_paths[i], p_repository => p_repository, p_mode => p_modes[i],
        p_fence => p_fences[i],
        p_reason => format('nothing was %s: %s of the %s %s refused (%s is %s)', p_nothing, jsonb_array_length(v_refused),
                           v_count, case p_nothing when 'taken' then 'paths' else 'leases' end,
                           v_refused -> 0 ->> 'path', v_refused -> 0 ->> 'code'),
        p_details => jsonb_build_object('refused', v_refused));
    end if;
  end loop;
  return p_results;
end;
$$;

comment on function coord.refuse_lock_batch(api.lock_result[], text[], text, text[], bigint[], text) is 'All or none for a lock batch: when any result refused, every other (or untried) result becomes batch_refused with details.refused naming the refused paths and codes.';
revoke all on function coord.refuse_lock_batch(api.lock_result[], text[], text, text[], bigint[], text) from public;
