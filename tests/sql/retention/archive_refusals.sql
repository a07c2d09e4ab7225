-- The archive path (coord audit archive, as the superuser) removes audit data only in whole
-- months past the hot retention; anything else is refused before a row moves. (A full archive
-- and restore needs committed, sealed months and files: tests/test_retention.py.)
begin;
set local search_path = tap, public;
select plan(5);

select is(audit.hot_retention(), interval '90 days', 'the hot retention is 90 days');
select throws_ok(format('select audit.archive_month(%L)', jsonb_build_object(
                   'month', date_trunc('month', now())::date, 'file', 'events_now.jsonl.gz', 'file_sha256', repeat('0', 64)))::text,
                 'CO481', null, 'the current month is too recent (CO481)');
select throws_ok(format('select audit.archive_month(%L)', jsonb_build_object(
                   'month', date_trunc('month', now() - interval '60 days')::date, 'file', 'x.jsonl.gz',
                   'file_sha256', repeat('0', 64)))::text,
                 'CO481', null, 'so is a month that ended less than 90 days ago');
select throws_ok(format('select audit.archive_month(%L)', jsonb_build_object(
                   'month', '1999-01-01', 'file', 'events_1999_01.jsonl.gz', 'file_sha256', repeat('0', 64)))::text,
                 'CO484', null, 'a month without partition is CO484');
select throws_ok($$select audit.archive_month('{"month": "2020-01-15"}')$$, 'CO486', null,
                 'a manifest without a month''s first day, file and hash is CO486');

select * from finish();
rollback;
