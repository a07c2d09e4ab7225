-- The shipped profiles (product data). coord.seed_profiles copies them into a new tenant; the
-- one marked is_default becomes the tenant's default profile. After that the tenant's profiles
-- are its operators' to change or delete, so a migrate does not re-sync them.
create or replace view coord.shipped_profiles as
select name, trust_level, max_concurrent_tasks, is_default, description
from (values
  ('standard', 2::smallint, 64, true, 'the tenant default profile')
) as d (name, trust_level, max_concurrent_tasks, is_default, description);

comment on view coord.shipped_profiles is 'The shipped profiles (product data): copied into every new tenant by coord.seed_profiles; the one marked is_default is the tenant''s default.';
