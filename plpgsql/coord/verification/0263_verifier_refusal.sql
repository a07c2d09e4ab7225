-- Why p_me may not record a p_tier verification of work claimed by p_claimant, or null when it
-- may. The claimant's side (the claimant, the owner of a claimant device, a device of the
-- claimant: coord.acts_for either way) runs the automated tiers; operators and trust-4 agents
-- may record them too (a CI or review bot). A manual tier is someone else's judgement: an
-- operator or a trust-4 agent, never the claimant's side.
create or replace function coord.verifier_refusal(p_me coord.caller, p_claimant uuid, p_tier text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_claimant_side boolean := coord.acts_for(p_me.principal_id, p_claimant) or coord.acts_for(p_claimant, p_me.principal_id);
  v_reviewer boolean := p_me.role = 'operator'
                        or p_me.role = 'agent' and coalesce((coord.effective_profile(p_me)).trust_level, 0) >= 4;
begin
  if p_tier = 'manual' then
    if v_claimant_side then
      return 'a manual verification is recorded by someone else than the claimant (an operator or a trust-4 agent)';
    elsif not v_reviewer then
      return 'a manual verification needs an operator or a trust-4 agent';
    end if;
  elsif not (v_claimant_side or v_reviewer) then
    return format('a %s verification is recorded by the claimant, an operator or a trust-4 agent', p_tier);
  end if;
  return null;
end;
$$;

comment on function coord.verifier_refusal(coord.caller, uuid, text) is 'Null when p_me may record a p_tier verification of p_claimant''s claim (automated tiers: the claimant''s side, operators, trust-4 agents; manual: operators and trust-4 agents, never the claimant''s side), else why not.';
revoke all on function coord.verifier_refusal(coord.caller, uuid, text) from public;
