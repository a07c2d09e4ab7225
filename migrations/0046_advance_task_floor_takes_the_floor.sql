-- coord.advance_task_floor takes the floor the claim looked up and only moves it (the claim calls
-- it once the floor lags its scan by more than coord.task_floor_lag ids); the new signature is
-- created by plpgsql/coord/queue/0119_advance_task_floor.sql.
drop function if exists coord.advance_task_floor(uuid, text);
