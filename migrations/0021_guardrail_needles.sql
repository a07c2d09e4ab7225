-- A second prefilter for pattern rules: the literal strings one of which every match contains
-- (coord.guard_pattern_needles), so a check skips the regex for units that contain none. Set
-- when a rule is stored; coord.seed_guardrails fills it for the shipped rules on the next
-- migrate. Rules added before this migration keep null: always evaluated, as before.
alter table authz.guardrails add column needles text[];
comment on column authz.guardrails.needles is 'Prefilter derived from pattern by coord.guard_pattern_needles when the rule is stored: every match contains one of these literals, so units containing none skip the regex. Null: always evaluate.';
