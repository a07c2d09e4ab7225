-- How long action claims and windows last: product data, one place. A claim's lease is
-- lease_default unless the target asks for another within lease_min..lease_max; an action
-- whose lease ran out is claimable again for retry_window; max_attempts bounds the claims when
-- the proposer names none; a principal is online while it was seen within presence_window.
create or replace view coord.action_settings as
select interval '5 minutes' as lease_default,
       interval '1 second' as lease_min,
       interval '1 hour' as lease_max,
       interval '1 hour' as retry_window,
       3 as max_attempts,
       interval '2 minutes' as presence_window;

comment on view coord.action_settings is 'Lifetimes of actions: lease_default (lease_min..lease_max) of a claim, retry_window (an action whose lease ran out may be claimed again until then), max_attempts (default), presence_window (online while last seen within it).';
