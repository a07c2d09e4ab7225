-- Messages between principals of one tenant, under a two-sided allowlist: a message reaches a
-- recipient only when the sender may send to it and it accepts from the sender
-- (coord.message_routes). A message is stored once; each recipient it reached has a delivery
-- row, which its ack marks read. Recipients it did not reach are in the send's result and its
-- audit event, not here.

alter table coord.tenants add column message_default text not null default 'deny';
alter table coord.tenants add constraint tenants_message_default_check check (message_default in ('allow', 'deny'));
comment on column coord.tenants.message_default is 'Decision of each side of the message allowlist (send, receive) when no rule of that side matches: allow or deny (the default: messages pass only along rules).';

create table coord.messages (
  tenant_id uuid not null,
  id bigint generated always as identity primary key,
  sender_id uuid not null,
  thread_id bigint not null,
  reply_to bigint,
  to_kind text not null,
  to_name text,
  subject text,
  body text not null,
  created_at timestamptz not null,
  constraint messages_sender_fkey foreign key (tenant_id, sender_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint messages_tenant_id_key unique (tenant_id, id),
  constraint messages_thread_fkey foreign key (tenant_id, thread_id)
    references coord.messages (tenant_id, id) on delete cascade,
  constraint messages_reply_to_fkey foreign key (tenant_id, reply_to)
    references coord.messages (tenant_id, id) on delete set null (reply_to),
  constraint messages_to_check check (
    to_kind in ('agent', 'team') and to_name is not null or to_kind = 'broadcast' and to_name is null),
  constraint messages_subject_check check (subject is null or char_length(subject) between 1 and 200),
  constraint messages_body_check check (char_length(body) between 1 and 10000)
);
comment on table coord.messages is 'Messages between principals of a tenant: sender, address (an agent, a team or a broadcast), subject, body, thread. Stored only when at least one recipient passed the allowlist; coord.message_deliveries says who received it.';
comment on column coord.messages.thread_id is 'The first message of the thread (its own id for a new thread); replies and follow-ups share it.';
comment on column coord.messages.to_name is 'The address as the sender gave it: an agent name or a team (profile) name; null for a broadcast.';

create index messages_thread_idx on coord.messages (tenant_id, thread_id, id);
create index messages_sender_idx on coord.messages (tenant_id, sender_id, id);

create table coord.message_deliveries (
  tenant_id uuid not null,
  message_id bigint not null,
  recipient_id uuid not null,
  read_at timestamptz,
  constraint message_deliveries_pkey primary key (message_id, recipient_id),
  constraint message_deliveries_message_fkey foreign key (tenant_id, message_id)
    references coord.messages (tenant_id, id) on delete cascade,
  constraint message_deliveries_recipient_fkey foreign key (tenant_id, recipient_id)
    references coord.principals (tenant_id, id) on delete cascade
);
comment on table coord.message_deliveries is 'One row per recipient a message reached; read_at is set by the recipient''s ack.';
comment on column coord.message_deliveries.read_at is 'When the recipient acknowledged the message; null: unread.';

create index message_deliveries_inbox_idx on coord.message_deliveries (tenant_id, recipient_id, message_id);
create index message_deliveries_unread_idx on coord.message_deliveries (tenant_id, recipient_id, message_id)
  where read_at is null;

create table coord.message_rules (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  action text not null,
  side text not null,
  from_kind text not null,
  from_principal_id uuid,
  from_profile_id uuid,
  to_kind text not null,
  to_principal_id uuid,
  to_profile_id uuid,
  reason text,
  created_by uuid,
  created_at timestamptz not null,
  constraint message_rules_action_check check (action in ('allow', 'deny')),
  constraint message_rules_side_check check (side in ('send', 'receive', 'both')),
  constraint message_rules_from_check check (
    from_kind = 'any' and from_principal_id is null and from_profile_id is null
    or from_kind = 'agent' and from_principal_id is not null and from_profile_id is null
    or from_kind = 'team' and from_principal_id is null and from_profile_id is not null),
  constraint message_rules_to_check check (
    to_kind = 'any' and to_principal_id is null and to_profile_id is null
    or to_kind = 'agent' and to_principal_id is not null and to_profile_id is null
    or to_kind = 'team' and to_principal_id is null and to_profile_id is not null),
  constraint message_rules_reason_check check (reason is null or char_length(reason) <= 1000),
  constraint message_rules_from_principal_fkey foreign key (tenant_id, from_principal_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint message_rules_to_principal_fkey foreign key (tenant_id, to_principal_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint message_rules_from_profile_fkey foreign key (tenant_id, from_profile_id)
    references coord.profiles (tenant_id, id) on delete cascade,
  constraint message_rules_to_profile_fkey foreign key (tenant_id, to_profile_id)
    references coord.profiles (tenant_id, id) on delete cascade
);
comment on table coord.message_rules is 'The message allowlist of a tenant: allow or deny messages from a sender (an agent, a team or anyone) to a recipient (the same), on the sender''s side (send), the recipient''s side (receive) or both. A side with a matching deny denies, else with a matching allow allows, else coord.tenants.message_default decides; a message passes when both sides allow.';
comment on column coord.message_rules.side is 'send: the sender''s permission to send; receive: the recipient''s acceptance; both: one rule for the two.';

create unique index message_rules_key on coord.message_rules (
  tenant_id, action, side, from_kind, from_principal_id, from_profile_id, to_kind, to_principal_id, to_profile_id)
  nulls not distinct;
create index message_rules_tenant_idx on coord.message_rules (tenant_id, side);
