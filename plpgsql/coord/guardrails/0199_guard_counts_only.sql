-- Whether a command at the end of a pipeline prints only counts or names of what flows in,
-- never the values: wc, grep -c/-q/-l, cut -d= -f1, awk -F= '{print $1}', sed 's/=.*//'.
-- env | grep -c PATH and printenv | wc -l print no secret.
create or replace function coord.guard_counts_only(p_op jsonb)
returns boolean
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select case p_op ->> 'prog'
    when 'wc' then true
    -- grep -E '^(PATH|HOME)=': the lines of named variables that hold no secret
    when 'grep' then p_op -> 'flags' ?| array['-c', '--count', '-q', '--quiet', '--silent', '-l', '-L', '--files-with-matches']
                     or coalesce(p_op -> 'args' ->> 0, p_op -> 'vals' -> '-e' ->> 0, '') ~ '^\^\(?[A-Z_][A-Z0-9_]*(\|[A-Z_][A-Z0-9_]*)*\)?=$'
                        and coalesce(p_op -> 'args' ->> 0, p_op -> 'vals' -> '-e' ->> 0, '') !~* '(secret|token|pass|key|auth|cred|private|session|cookie|dsn|url)'
    when 'jq' then coalesce(p_op -> 'args' ->> 0, '') ~ '(^|\|)\s*(length|keys|keys_unsorted|type)\s*$'
    when 'egrep' then p_op -> 'flags' ?| array['-c', '--count', '-q', '--quiet', '-l']
    when 'rg' then p_op -> 'flags' ?| array['-c', '--count', '-q', '--quiet', '-l']
    when 'cut' then coalesce(p_op -> 'vals' -> '-f' ->> 0, '') in ('1', '1,1') and coalesce(p_op -> 'vals' -> '-d' ->> 0, '') = '='
    when 'awk' then coalesce(p_op -> 'vals' -> '-F' ->> 0, '') = '=' and coalesce(p_op -> 'args' ->> 0, '') ~ '^\{ ?print \$1;? ?\}$'
    when 'sed' then coalesce(p_op -> 'args' ->> 0, '') in ('s/=.*//', 's/=.*$//')
    when 'measure-object' then true
    when 'select-object' then lower(coalesce(p_op -> 'words' ->> 0, '')) in ('name', 'key', '-property', '-expandproperty')
                              and lower(coalesce(p_op -> 'words' ->> case when p_op -> 'words' ->> 0 ~* '^-' then 1 else 0 end, '')) in ('name', 'key')
    else false end;
$$;

comment on function coord.guard_counts_only(jsonb) is 'Guardrail data flow: true for a command that prints only counts or names of its input (wc, grep -c, cut -d= -f1, ...).';
revoke all on function coord.guard_counts_only(jsonb) from public;
