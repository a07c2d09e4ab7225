-- A claim token comes from coord.lock_fence_seq (positive) and the api takes positive tokens
-- only (CO413); the claimant floor (coord.claimant_floors) and its count start at 0, so a token
-- given by hand at or below 0 would lie below a claimant's count and not be counted.
alter table coord.tasks add constraint tasks_claim_check check (claim > 0);
comment on constraint tasks_claim_check on coord.tasks is 'Claim tokens are positive, as coord.lock_fence_seq gives them (the claimant floor counts from 0).';
