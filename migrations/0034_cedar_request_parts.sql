-- authz.cedar_request returns the parts of a Cedar request (context, the caller's entities, the
-- call's entities, the resource, the action's registry row) instead of one request and one
-- entity list, so that authz.cedar_evaluate keeps the parts that repeat parsed (docs/cedar.md).
-- Its result type changes, so the old function goes; plpgsql/ creates the new one.
drop function if exists authz.cedar_request(text, text, jsonb, coord.caller, coord.profiles);
