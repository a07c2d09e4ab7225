-- authz.cedar_evaluate builds the Cedar request itself and keys the caller's entities by the
-- caller and profile it is handed, so authz.cedar_request_parts (which it asks only for the
-- requests it does not build) no longer makes that key (o_base_key): its result type changes,
-- so the old function goes (plpgsql/authz/gate/0227_cedar_request_parts.sql creates the new one).
drop function if exists authz.cedar_request_parts(text, text, jsonb, coord.caller, coord.profiles, text);
