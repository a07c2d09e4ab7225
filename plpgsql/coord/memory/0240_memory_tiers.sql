-- The four tiers of memory and how each ages: product data, read by remember (default and
-- longest ttl, the dedup window), recall (the half-life of recency) and the maintenance sweep
-- (how long a memory nobody remembers again is kept).
create or replace view coord.memory_tiers as
select tier, half_life, default_ttl, max_ttl, dedup_window, retention, description
from (values
  ('working',    interval '1 hour',   interval '1 hour', interval '7 days',    interval '1 hour',  null::interval,
   'scratch notes of the work in hand; always expire (ttl default 1 hour, at most 7 days)'),
  ('episodic',   interval '7 days',   null::interval,    interval '3650 days', interval '1 day',   interval '180 days',
   'what happened; removed 180 days after it was last remembered'),
  ('procedural', interval '180 days', null::interval,    interval '3650 days', interval '30 days', null::interval,
   'how to do something; kept until forgotten or its ttl'),
  ('semantic',   interval '365 days', null::interval,    interval '3650 days', interval '30 days', null::interval,
   'facts about the code and the world; kept until forgotten or its ttl')
) as t (tier, half_life, default_ttl, max_ttl, dedup_window, retention, description);

comment on view coord.memory_tiers is 'Memory tiers: the half-life of recency in recall, the default and longest ttl, the window within which the same content from the same author reinforces a memory instead of adding one, and the retention of memories not remembered again (null: kept until forgotten or expired).';
