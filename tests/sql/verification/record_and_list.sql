-- record_verification and list_verifications: a task that requires a tier is unverified until
-- its claimant records a passing result under the live claim; the records are listed.
begin;
set local search_path = tap, public;
select plan(4);

select coord_test.agent('alice');
select coord_test.login('alice');
select task_id from api.submit_task('build', p_verify => array['unit']) \gset
select task_id as claimed, claim from api.claim_task(array['build']) \gset
select is((select code from api.complete_task(:claimed, :claim)), 'unverified', 'a required tier without a record is unverified');
select is((select code from api.record_verification(:claimed, 'unit', 'pytest', 'pass', p_claim => :claim)), 'recorded', 'the claimant records a pass');
select is((select count(*)::int from api.list_verifications(:claimed)), 1, 'the record is listed');
select is((select code from api.complete_task(:claimed, :claim)), 'completed', 'then the task completes');
select coord_test.logout();

select * from finish();
rollback;
