-- Where a webhook may not send: loopback, link-local (169.254/16, where the cloud metadata
-- services answer, and fe80::/10), private (RFC 1918, fc00::/7, the shared 100.64/10 where
-- Alibaba's metadata answers), unspecified, multicast and reserved addresses, and IPv6 forms
-- that carry an IPv4 address (mapped, NAT64 and its local-use /48, 6to4 and its relay anycast,
-- Teredo, IPv4-compatible). add_webhook refuses a URL
-- whose host is such an address; the deliverer, which resolves host names, refuses to connect
-- to one (claim_webhook_deliveries hands it this list).
create or replace function coord.webhook_refused_networks()
returns cidr[]
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select array['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
               '192.0.0.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4',
               '::/96', '::ffff:0:0/96', '64:ff9b::/96', '64:ff9b:1::/48', '2001::/32', '2002::/16', 'fc00::/7', 'fe80::/10', 'fec0::/10',
               'ff00::/8']::cidr[];
$$;

comment on function coord.webhook_refused_networks() is 'The networks a webhook may not target (loopback, link-local and metadata, private, unspecified, multicast, reserved, IPv4-carrying IPv6 forms) unless its tenant has webhook_private_targets.';
revoke all on function coord.webhook_refused_networks() from public;
