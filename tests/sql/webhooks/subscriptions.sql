-- Webhook subscriptions and the deliverer's calls: operators add, list and remove; the secret is
-- generated when not given and never listed; claiming with nothing due claims nothing; a report
-- for a delivery of nobody's is CO654; agents may not touch them.
begin;
set local search_path = tap, public;
select plan(8);

select coord_test.operator('ops');
select coord_test.agent('alice');

select coord_test.login('ops');
select is((select code from api.add_webhook('pager', 'https://ops.example/hook')), 'added', 'add_webhook');
select is((select length(details ->> 'secret') from api.add_webhook('pager2', 'https://ops.example/hook2')), 64,
          'a generated secret is returned once');
select results_eq($$select name, event_types from api.list_webhooks() order by name$$,
                  $$values ('pager', '{alert.raised}'::text[]), ('pager2', '{alert.raised}'::text[])$$,
                  'list_webhooks: names and types, no secret');
select is((select jsonb_array_length(details -> 'deliveries') from api.claim_webhook_deliveries()), 0,
          'nothing due: nothing claimed');
select is((select count(*)::int from api.list_webhook_deliveries()), 0, 'no deliveries');
select is((select code from api.report_webhook_delivery(1, gen_random_uuid(), true, 200)), 'stale_delivery_claim',
          'a report for an unknown (or removed) delivery is a stale claim, not an error');
select is((select code from api.remove_webhook('pager2')), 'removed', 'remove_webhook');
select coord_test.login('alice');
select throws_ok($$select api.add_webhook('x', 'https://x.example')$$, '42501', null, 'agents may not add webhooks');
select * from finish();
rollback;
