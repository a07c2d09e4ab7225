-- A claim floor (coord.task_ready_floors) is a sequence whose minimum is 0, and resetting one sets
-- it to 0: a task with an id below 0 (given by hand, OVERRIDING SYSTEM VALUE) would lie below every
-- floor and never be claimed by a claim of one kind. The identity gives positive ids; so must a hand.
alter table coord.tasks add constraint tasks_id_check check (id > 0);
