-- How long approval requests and grants live: product data, one place. A pending request
-- expires after request_ttl; an approval is a grant that must be used within grant_ttl (the
-- approver may choose between grant_ttl_min and grant_ttl_max); a waiter waits at most
-- wait_max in one call.
create or replace view coord.approval_settings as
select interval '1 hour' as request_ttl,
       interval '1 hour' as grant_ttl,
       interval '1 minute' as grant_ttl_min,
       interval '24 hours' as grant_ttl_max,
       interval '15 minutes' as wait_max;

comment on view coord.approval_settings is 'Lifetimes of approvals: request_ttl (a pending request expires), grant_ttl (default time to use an approval; an approver may pick grant_ttl_min..grant_ttl_max), wait_max (longest wait_for_approval timeout).';
