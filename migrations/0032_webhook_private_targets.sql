-- Webhook receivers at private addresses (loopback, link-local, RFC 1918, fc00::/7, the cloud
-- metadata services) are refused unless the server's owner lets a tenant reach them (a
-- development receiver on 127.0.0.1). No api function sets it: only the owner or a superuser.
alter table coord.tenants add column webhook_private_targets boolean not null default false;
comment on column coord.tenants.webhook_private_targets is 'Set by the server''s owner only: this tenant''s webhooks may target loopback, link-local, private and metadata addresses (coord.webhook_refused_networks). Off by default.';

-- A transaction that writes a second tenant's events gives them a later position than its own
-- id (audit.declare_event_writer).
comment on column audit.events.txid is 'Stream position: the transaction that wrote the event (events of one call share it), or for a transaction that wrote another tenant''s events first, a later transaction id no reader of this tenant had passed.';
