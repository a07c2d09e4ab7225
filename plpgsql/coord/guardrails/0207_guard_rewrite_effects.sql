-- The files a tool rewrites in place, deletes or unpacks that coord.guard_effects does not name
-- otherwise, so that the leases a shell command takes (coord.guard_lease_targets) cover them:
--  * formatters and fixers (black, ruff format, ruff check --fix, prettier --write, gofmt -w,
--    rustfmt, clang-format -i, eslint --fix, isort, autopep8 -i, ...) write their path operands,
--    a directory meaning its files; with no operand, those that format the project (cargo fmt,
--    go fmt, terraform fmt, ...) write the directory they run in (.);
--  * sort -o FILE, shuf -o FILE, curl -o FILE, wget -O FILE, sponge FILE, dos2unix FILE write FILE
--    (curl -O URL and wget URL the URL's file name);
--  * gzip/bzip2/xz/lz4/zstd FILE write FILE.gz ... and delete FILE (-d: the other way; -k, -c
--    keep it); gunzip and friends decompress;
--  * tar -x and unzip write where they unpack (-C DIR, -d DIR, else .); zip ARCHIVE writes it;
--  * patch with no file operand and git apply write the files the diff names (read from a diff
--    given as text, else unknown: only the run tells).
-- (git's other working-tree writes are coord.guard_git_writes'.)
-- Check-only runs (--check, --diff, --dry-run, -l) write nothing. Relative operands are read
-- from the directory cd chose (p_ctx cwd).
create or replace function coord.guard_rewrite_effects(p_op jsonb, p_ctx jsonb default '{}')
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_prog text := lower(regexp_replace(coalesce(p_op ->> 'prog', ''), '^.*/', ''));
  v_args text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'args', '[]')));
  v_flags text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'flags', '[]')));
  v_words text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'words', '[]')));
  v_cwd text := p_ctx ->> 'cwd';
  v_sub text;
  v_writes text[] := '{}';
  v_deletes text[] := '{}';
  v_flag_words text;
  v_x text;
  v_ext text;
begin
  if v_prog = '' or v_prog = 'git' and v_args[1] is distinct from 'apply' then
    return '[]';
  end if;
  v_flag_words := ' ' || array_to_string(v_flags, ' ') || ' ';
  -- formatters and fixers
  if v_prog in ('black', 'blue', 'isort', 'autopep8', 'yapf', 'autoflake', 'docformatter', 'pyupgrade', 'add-trailing-comma',
                'ruff', 'prettier', 'eslint', 'stylelint', 'biome', 'gofmt', 'goimports', 'gofumpt', 'go', 'rustfmt',
                'cargo', 'clang-format', 'shfmt', 'stylua', 'terraform', 'tofu', 'dprint', 'taplo', 'swiftformat',
                'swift-format', 'ktlint', 'rubocop', 'standardrb', 'php-cs-fixer', 'phpcbf', 'mix', 'dart', 'deno',
                'nixfmt', 'alejandra', 'buildifier', 'sqlfluff', 'djlint', 'markdownlint', 'markdownlint-cli2',
                'cmake-format', 'elm-format', 'ormolu', 'fourmolu', 'scalafmt', 'google-java-format', 'zig', 'xo',
                'standard', 'csharpier', 'dotnet', 'mdformat', 'pyink', 'fantomas', 'rome', 'oxlint', 'tflint')
     and v_flag_words !~ ' (--check|--check-only|--diff|--dry-run|--list-different|-check|--output=none|--set-exit-if-changed) ' then
    v_sub := case
      when v_prog in ('black', 'blue', 'pyupgrade', 'add-trailing-comma', 'rustfmt', 'stylua', 'nixfmt', 'alejandra',
                      'buildifier', 'swiftformat', 'elm-format', 'scalafmt', 'csharpier', 'mdformat', 'pyink', 'fantomas',
                      'isort', 'standardrb', 'phpcbf')
           and (v_prog not in ('standardrb') or v_flag_words ~ ' --fix ') then 'files'
      when v_prog in ('autopep8', 'yapf', 'autoflake', 'docformatter', 'clang-format', 'cmake-format', 'ormolu', 'fourmolu',
                      'google-java-format')
           and v_flag_words ~ ' (-i|--in-place|--replace|--mode=inplace) ' then 'files'
      when v_prog in ('prettier', 'biome', 'rome') and v_flag_words ~ ' (--write|-w|--apply|--apply-unsafe|--fix) '
           or v_prog in ('gofmt', 'goimports', 'gofumpt', 'shfmt') and v_flag_words ~ ' -w '
           or v_prog in ('eslint', 'stylelint', 'markdownlint', 'markdownlint-cli2', 'xo', 'standard', 'oxlint', 'tflint')
              and v_flag_words ~ ' --fix '
           or v_prog in ('ktlint') and v_flag_words ~ ' (-F|--format) '
           or v_prog in ('rubocop') and v_flag_words ~ ' (-a|-A|--autocorrect|--autocorrect-all|--auto-correct|-x|--fix-layout) ' then 'files'
      when v_prog = 'ruff' and (v_args[1] = 'format' or (v_args[1] = 'check' or v_args[1] !~ '^[a-z]+$' or v_args[1] is null)
                                                        and v_flag_words ~ ' (--fix|--fix-only) ') then 'sub'
      when v_prog in ('biome', 'rome') and v_args[1] in ('format', 'check', 'lint') and v_flag_words ~ ' (--write|--apply|--fix) ' then 'sub'
      when v_prog in ('sqlfluff', 'php-cs-fixer') and v_args[1] = 'fix' or v_prog = 'djlint' and v_flag_words ~ ' --reformat ' then
        case when v_prog = 'djlint' then 'files' else 'sub' end
      when v_prog in ('go', 'terraform', 'tofu', 'dprint', 'taplo', 'deno', 'dart', 'zig') and v_args[1] = 'fmt'
           or v_prog in ('cargo', 'mix') and v_args[1] in ('fmt', 'format') or v_prog = 'dart' and v_args[1] = 'format'
           or v_prog = 'swift-format' and v_args[1] = 'format' and v_flag_words ~ ' (-i|--in-place) '
           or v_prog = 'dotnet' and v_args[1] = 'format' then 'project'
      when v_prog in ('cargo') and v_args[1] = 'clippy' and v_flag_words ~ ' --fix ' then 'project'
    end;
    if v_sub = 'files' then
      v_writes := coalesce(nullif(array(select a from unnest(v_args) as a where a !~ '^[-+]' and a !~ '^[0-9]+$'), '{}'), array['.']);
    elsif v_sub = 'sub' then
      v_writes := coalesce(nullif(array(select a from unnest(v_args[2:]) as a where a !~ '^[-+]' and a !~ '^[0-9]+$'), '{}'), array['.']);
    elsif v_sub = 'project' then
      -- cargo fmt -- FILE formats FILE; otherwise the project it runs in
      v_writes := coalesce(nullif(array(select w from unnest(v_words) with ordinality as x (w, o)
                                        where x.o > coalesce(array_position(v_words, '--'), cardinality(v_words) + 1)
                                          and w !~ '^-'), '{}'),
                           nullif(array(select a from unnest(v_args[2:]) as a
                                        where a !~ '^-' and a !~ '^\.\.\.$' and a !~ '^[0-9]+$' and v_prog not in ('cargo', 'dotnet', 'mix')), '{}'),
                           array['.']);
      v_writes := array(select regexp_replace(w, '/\.\.\.$', '') from unnest(v_writes) as w);
    end if;
  end if;
  -- sort -o FILE, shuf -o FILE (the flag's value is the word after it, or -oFILE, --output=FILE)
  if v_prog in ('sort', 'shuf') then
    v_writes := array(select case when w in ('-o', '--output') then v_words[x.o + 1]
                                  when w like '--output=%' then substr(w, 10) else substr(w, 3) end
                      from unnest(v_words) with ordinality as x (w, o)
                      where w in ('-o', '--output') or w like '--output=%' or w ~ '^-o.');
  elsif v_prog in ('sponge', 'dos2unix', 'unix2dos', 'mac2unix', 'unix2mac') then
    v_writes := array(select a from unnest(v_args) as a where a !~ '^-');
  elsif v_prog in ('gzip', 'bzip2', 'xz', 'lzma', 'lz4', 'zstd', 'pigz', 'pbzip2', 'compress', 'gunzip', 'bunzip2', 'unxz',
                   'unlzma', 'unzstd', 'uncompress', 'lzip', 'brotli')
        and v_flag_words !~ ' (-c|--stdout|--to-stdout|-t|--test|-l|--list) ' then
    v_ext := case when v_prog in ('gzip', 'gunzip', 'pigz') then '.gz' when v_prog in ('bzip2', 'bunzip2', 'pbzip2') then '.bz2'
                  when v_prog in ('xz', 'unxz') then '.xz' when v_prog in ('lzma', 'unlzma') then '.lzma'
                  when v_prog = 'lz4' then '.lz4' when v_prog in ('zstd', 'unzstd') then '.zst' when v_prog = 'lzip' then '.lz'
                  when v_prog = 'brotli' then '.br' else '.Z' end;
    for v_x in select a from unnest(v_args) as a where a !~ '^-' loop
      if v_prog like 'un%' or v_prog = 'gunzip' or v_flag_words ~ ' (-d|--decompress|--uncompress) ' then
        v_writes := v_writes || case when right(v_x, char_length(v_ext)) = v_ext then left(v_x, -char_length(v_ext))
                                     when v_x ~ '\.(tgz|tbz2|txz)$' then regexp_replace(v_x, '\.t[a-z0-9]+$', '.tar')
                                     else v_x || '.out' end;
      else
        v_writes := v_writes || (v_x || v_ext);
      end if;
      -- zstd, lz4 and brotli keep the input unless told; -k keeps it for the others
      if not (v_flag_words ~ ' (-k|--keep) ' or v_prog in ('zstd', 'unzstd', 'lz4', 'brotli') and v_flag_words !~ ' (--rm) ') then
        v_deletes := v_deletes || v_x;
      end if;
    end loop;
  elsif v_prog in ('tar', 'bsdtar', 'gtar') and (v_flag_words ~ ' (-x|--extract|--get) '
                                                  or v_words[2] ~ '^[a-wyz]*x[a-z]*$') then
    v_writes := array[coalesce(p_op -> 'vals' -> '-C' ->> 0, p_op -> 'vals' -> '--directory' ->> 0,
                               (select case when w like '--directory=%' then substr(w, 13) else v_words[x.o + 1] end
                                from unnest(v_words) with ordinality as x (w, o)
                                where w in ('-C', '--directory') or w like '--directory=%' limit 1), '.')];
  elsif v_prog = 'unzip' and v_flag_words !~ ' (-l|-t|-v|-p|-Z) ' then
    v_writes := array[coalesce(p_op -> 'vals' -> '-d' ->> 0,
                               (select v_words[x.o + 1] from unnest(v_words) with ordinality as x (w, o) where w = '-d' limit 1), '.')];
  elsif v_prog in ('curl', 'wget') then
    -- curl -o FILE, wget -O FILE (also when the URL names no file)
    v_writes := array(select case when w in ('--output', '--output-document') or w ~ '^-[a-zA-Z]*[oO]$' then v_words[x.o + 1]
                                  else regexp_replace(w, '^(--output=|--output-document=|-[oO])', '') end
                      from unnest(v_words) with ordinality as x (w, o)
                      where (v_prog = 'curl' and (w = '--output' or w like '--output=%' or w ~ '^-o.' or w ~ '^-[a-zA-Z]*o$'))
                         or (v_prog = 'wget' and (w = '--output-document' or w like '--output-document=%' or w ~ '^-O.'
                                                  or w ~ '^-[a-zA-Z]*O$')));
    v_writes := array(select w from unnest(v_writes) as w where w is not null and w <> '-');
    -- curl -O URL and wget URL (without -O) write the URL's file name where they run
    if v_prog = 'curl' and exists (select from unnest(v_words) as w where w ~ '^-[a-zA-Z]*O[a-zA-Z]*$' or w = '--remote-name')
       or v_prog = 'wget' and cardinality(v_writes) = 0
          and not exists (select from unnest(v_words) as w where w ~ '^-[a-zA-Z]*O' or w like '--output-document%'
                                                               or w in ('-P', '--directory-prefix', '--spider')) then
      v_writes := v_writes || array(select coalesce(nullif(regexp_replace(regexp_replace(a, '[?#].*$', ''), '^[a-z]+://[^/]*/?([^/]*/)*', ''), ''),
                                                    'index.html')
                                    from unnest(v_args) as a where a ~* '^(https?|ftp)://');
    end if;
  elsif v_prog = 'patch' and v_flag_words !~ ' (--dry-run|-C|--check) ' and cardinality(array(select a from unnest(v_args) as a where a !~ '^-')) = 0
        or v_prog = 'git' and v_args[1] = 'apply' and v_flag_words !~ ' (--check|--stat|--numstat|--summary|--cached) ' then
    -- a diff applied writes the files it names: those of a diff given as text, else what only the run can tell
    v_writes := coalesce(nullif(array(select distinct m[2] from regexp_matches(coalesce(p_ctx ->> 'stdin', ''), '(?n)^\+\+\+ (b/)?([^\s]+)', 'g') as m
                                      where m[2] <> '/dev/null'), '{}'), array['$(files the diff names)']);
  elsif v_prog = 'zip' and v_args[1] is not null then
    v_writes := v_args[1:1];
  end if;
  if cardinality(v_writes) = 0 and cardinality(v_deletes) = 0 then
    return '[]';
  end if;
  -- git -C DIR apply: the diff's files from DIR
  if v_prog = 'git' and p_op -> 'vals' ? '-C' then
    v_writes := array(select case when w ~ '^[/~$]' then w else coord.guard_path((p_op -> 'vals' -> '-C' ->> 0) || '/' || w) end
                      from unnest(v_writes) as w);
  end if;
  -- relative to the directory cd chose earlier in the same text ($PWD/x is x there)
  if v_cwd is not null then
    v_writes := array(select regexp_replace(w, '^(\$PWD|\$\{PWD\}|~\+)(/|$)', './') from unnest(v_writes) as w);
    v_deletes := array(select regexp_replace(w, '^(\$PWD|\$\{PWD\}|~\+)(/|$)', './') from unnest(v_deletes) as w);
    v_writes := array(select case when w ~ '^[/~$]' then w else coord.guard_path(v_cwd || '/' || w) end from unnest(v_writes) as w);
    v_deletes := array(select case when w ~ '^[/~$]' then w else coord.guard_path(v_cwd || '/' || w) end from unnest(v_deletes) as w);
  end if;
  return coord.guard_effect('write', v_writes) || case when cardinality(v_deletes) > 0 then coord.guard_effect('delete', v_deletes)
                                                        else '[]' end;
end;
$$;

comment on function coord.guard_rewrite_effects(jsonb, jsonb) is 'Write and delete effects of tools that rewrite files in place or unpack them (formatters and fixers, git apply, sort -o, sponge, gzip and friends, tar -x, unzip, zip), read from the directory cd chose: what a lease for a shell command must cover.';
revoke all on function coord.guard_rewrite_effects(jsonb, jsonb) from public;
