-- authz.cedar_request_parts hands on the key of the caller's Cedar entities (o_base_key) and the
-- entities the call names one by one, instead of the caller's entities themselves: its result
-- type changes, so the old function goes (plpgsql/authz/gate/0227_cedar_request_parts.sql
-- creates the new one; authz.cedar_base_entities builds the caller's entities when a backend
-- does not keep them yet).
drop function if exists authz.cedar_request_parts(text, text, jsonb, coord.caller, coord.profiles);
