-- Guardrail rules become operations on targets: a rule names the effects it is about (actions
-- such as delete-tree, write, send, publish) and the classes of targets it touches (root,
-- system, credential, ...), instead of a regex per spelling. Pattern rules stay for custom
-- rules and shapes an effect cannot name. The shipped rules move from a table to the view
-- authz.shipped_guardrails (plpgsql/authz), re-applied with every release; coord.seed_guardrails
-- keeps each tenant's copy of the builtin rules in step with it after every migrate. The table of
-- the first rule set stays, renamed, as it was (migrations never drop data).
set local role coord_owner;

alter table authz.guardrails
  add column actions text[],
  add column targets text[],
  alter column pattern drop not null,
  drop constraint guardrails_values_check,
  add constraint guardrails_values_check check (
    name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'
    and category in ('filesystem', 'git', 'database', 'deployment', 'credentials', 'process', 'network',
                     'persistence', 'privilege', 'security', 'supply-chain', 'infrastructure')
    and applies_to in ('command', 'sql', 'path', 'any')
    and severity in ('low', 'medium', 'high', 'critical')
    and mode in ('block', 'needs_approval')
    and (pattern is null or char_length(pattern) between 1 and 2000 and ('' ~ pattern) is not null)
    and char_length(description) between 1 and 1000),
  add constraint guardrails_rule_check check (
    (pattern is null) <> (actions is null)
    and (actions is null or cardinality(actions) between 1 and 20)
    and (targets is null or actions is not null and cardinality(targets) between 1 and 40)
    and (applies_to = 'any') = (actions is not null));

comment on column authz.guardrails.actions is 'Effects the rule is about (delete-tree, write, read, send, publish, sql-all-rows, ...; see docs/architecture.md, Guardrails); null for a pattern rule.';
comment on column authz.guardrails.targets is 'Target classes the rule is about (root, system, home, credential, persistence, ...); null: whatever the action touches.';
comment on column authz.guardrails.pattern is 'For pattern rules: a PostgreSQL advanced regular expression (\y is a word boundary, not \b), matched case-sensitively against each canonical unit of kind applies_to; validated when the rule is stored. Null for operation rules.';
comment on column authz.guardrails.applies_to is 'command, sql or path for pattern rules (the kind of canonical unit they match); any for operation rules, which match effects of every kind.';
comment on table authz.guardrails is 'Destructive-operation rules of a tenant: an operation on targets (actions x target classes, matched against the effects the normalizer derives) or a regex over canonical units (docs/architecture.md, Guardrails). A match blocks or needs approval unless the caller''s trust reaches override_trust.';

alter table authz.guardrail_defaults rename to guardrail_defaults_v1;
alter table authz.guardrail_defaults_v1 rename constraint guardrail_defaults_values_check to guardrail_defaults_v1_values_check;
comment on table authz.guardrail_defaults_v1 is 'The first shipped guardrail rule set (regular expressions per spelling), kept as it was; the rules now shipped are the view authz.shipped_guardrails.';
drop function if exists coord.guard_canonical(text[], text[]);
drop function if exists coord.guard_shell_units(text, integer, jsonb, boolean);
drop function if exists coord.guard_sql_units(text, integer);
drop function if exists coord.guard_units(text, text);
drop function if exists api.list_guardrails(text);
drop function if exists api.add_guardrail(text, text, text, text, text, text, text, smallint);

