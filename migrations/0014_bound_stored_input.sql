-- coord:superuser
-- Values the api refuses since this migration (CO226, CO241; docs/security.md, input limits)
-- but accepted before it, brought into range and then kept there by constraints:
--   * task run_after and token expiry outside 0001-01-02 .. 9999-12-30 ('infinity', year
--     12026 from a token lifetime of 10000 years): clients cannot represent them (psycopg
--     refuses to load them, so one such task broke every list_tasks and get_task of its
--     tenant). Clamped to the nearest bound: the task still waits practically forever (or is
--     ready now), the token still expires practically never (or is expired);
--   * list columns stored as given with two dimensions, null elements or an index that does
--     not start at 1 (token scopes, handoff lists, alert rule decisions): flattened in order,
--     nulls dropped (results then have one shape).
-- Superuser: row-level security hides every tenant from coord_owner.

-- A finished task never changes: its transition trigger refuses any update. Moving an
-- unrepresentable run_after into range is a repair of the row, not a transition.
alter table coord.tasks disable trigger user;
update coord.tasks
set run_after = least(greatest(run_after, timestamptz '0001-01-02 00:00:00+00'), timestamptz '9999-12-30 00:00:00+00')
where not (run_after between timestamptz '0001-01-02 00:00:00+00' and timestamptz '9999-12-30 00:00:00+00');
alter table coord.tasks enable trigger user;
alter table coord.tasks add constraint tasks_run_after_in_range
  check (run_after between timestamptz '0001-01-02 00:00:00+00' and timestamptz '9999-12-30 00:00:00+00');
comment on constraint tasks_run_after_in_range on coord.tasks is
  'run_after is finite and within the range every client can represent (coord.check_timestamp, CO226).';

update coord.tokens
set expires_at = least(greatest(expires_at, timestamptz '0001-01-02 00:00:00+00'), timestamptz '9999-12-30 00:00:00+00')
where not (expires_at between timestamptz '0001-01-02 00:00:00+00' and timestamptz '9999-12-30 00:00:00+00');
alter table coord.tokens add constraint tokens_expires_at_in_range
  check (expires_at between timestamptz '0001-01-02 00:00:00+00' and timestamptz '9999-12-30 00:00:00+00');
comment on constraint tokens_expires_at_in_range on coord.tokens is
  'expires_at is null (never) or finite and within the range every client can represent (lifetimes of at most 100 years, CO223).';

-- Flattening keeps every element in storage order (unnest reads a multi-dimensional array row
-- by row); the api checks the shape of every list it is given from now on (coord.check_list).
update coord.tokens
set scopes = array(select s from unnest(scopes) with ordinality as u (s, n) where s is not null order by n)
where case when cardinality(scopes) = 0 then false when array_ndims(scopes) > 1 or array_lower(scopes, 1) <> 1 then true
          else array_position(scopes, null) is not null end;

update coord.handoffs
set completed = array(select s from unnest(completed) with ordinality as u (s, n) where s is not null order by n),
    in_progress = array(select s from unnest(in_progress) with ordinality as u (s, n) where s is not null order by n),
    decisions = array(select s from unnest(decisions) with ordinality as u (s, n) where s is not null order by n),
    next_steps = array(select s from unnest(next_steps) with ordinality as u (s, n) where s is not null order by n)
where case when cardinality(completed) = 0 then false when array_ndims(completed) > 1 or array_lower(completed, 1) <> 1 then true
          else array_position(completed, null) is not null end
   or case when cardinality(in_progress) = 0 then false when array_ndims(in_progress) > 1 or array_lower(in_progress, 1) <> 1 then true
          else array_position(in_progress, null) is not null end
   or case when cardinality(decisions) = 0 then false when array_ndims(decisions) > 1 or array_lower(decisions, 1) <> 1 then true
          else array_position(decisions, null) is not null end
   or case when cardinality(next_steps) = 0 then false when array_ndims(next_steps) > 1 or array_lower(next_steps, 1) <> 1 then true
          else array_position(next_steps, null) is not null end;

update coord.alert_rules
set decisions = array(select s from unnest(decisions) with ordinality as u (s, n) where s is not null order by n)
where case when cardinality(decisions) = 0 then false when array_ndims(decisions) > 1 or array_lower(decisions, 1) <> 1 then true
          else array_position(decisions, null) is not null end;
