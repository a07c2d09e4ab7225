-- What one canonical SQL statement does, as guardrail effects. p_flat is the statement with
-- subqueries replaced by () (its kind and targets), p_full the same statement with them inline
-- (its WHERE clause). Both are upper-case with literals emptied ('').
--   sql-drop-database   DROP DATABASE
--   sql-drop            DROP TABLE / SCHEMA / ROLE / USER / EXTENSION / TABLESPACE / SERVER / OWNED
--   sql-drop-object     DROP VIEW / INDEX / FUNCTION / TRIGGER / SEQUENCE / TYPE / POLICY ...
--   sql-truncate        TRUNCATE
--   sql-all-rows        DELETE or UPDATE without a WHERE that can be false (no WHERE, TRUE, 1=1,
--                       x = x, OR 1=1, x IN (SELECT x FROM the same table)), MERGE ... THEN DELETE
--   sql-alter-drop      ALTER TABLE ... DROP COLUMN / CONSTRAINT
--   sql-privilege       superuser-like role attributes, granting superuser or pg_* roles, grants to
--                       PUBLIC or ON *.*, default privileges for PUBLIC, row-level security off,
--                       writes to pg_authid/pg_catalog, SET ROLE to a superuser
--   sql-server          server-level settings and files: ALTER SYSTEM, SET GLOBAL, COPY to or from a
--                       file, pg_read_file & co, large-object import/export, LOAD, untrusted
--                       languages and extensions, session_replication_role, DISABLE TRIGGER,
--                       pg_terminate_backend, pg_reload_conf, replication slots, REASSIGN OWNED,
--                       subscriptions, INTO OUTFILE, LOAD DATA INFILE
--   sql-server-exec     running programs on the server: COPY ... PROGRAM, xp_cmdshell, sys_exec
--   sql-definer         SECURITY DEFINER functions
--   sql-dynamic         EXECUTE of a statement built at run time ('DEL' || 'ETE ...', format(...))
create or replace function coord.guard_sql_effects(p_flat text, p_full text default null)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  s text := coalesce(p_flat, '');
  v_full text := coalesce(p_full, p_flat, '');
  v_out jsonb := '[]';
  v_m text[];
  v_table text;
  v_where text;
  v_head text;
begin
  -- PREPARE name [(types)] AS statement: the statement is what will run
  -- WITH ... AS () [, ... AS ()] statement: the statement after the CTEs
  if left(s, 8) = 'PREPARE ' then
    s := regexp_replace(s, '^PREPARE [^ ]+( \(\))? AS ', '');
    v_full := regexp_replace(v_full, '^PREPARE [^ ]+( \([^()]*\))? AS ', '');
  end if;
  if left(s, 5) = 'WITH ' then
    s := regexp_replace(s, '^WITH (RECURSIVE )?([^ ,]+( \(\))? AS( NOT)?( MATERIALIZED)? \(\)( ?, ?)?)+ ?', '');
  end if;
  -- the statement's first word picks the checks that can apply (one comparison rather than a
  -- regular expression per kind of statement)
  v_head := split_part(s, ' ', 1);

  if v_head = 'DROP' and s ~ '^DROP DATABASE( |$)' then
    v_out := v_out || coord.guard_effect('sql-drop-database', array[s]);
  elsif v_head = 'DROP' and s ~ '^DROP (TABLE|SCHEMA|OWNED|TABLESPACE|ROLE|USER|GROUP|EXTENSION|FOREIGN TABLE|SERVER|KEYSPACE|COLLECTION|INDEX ON ALL)( |$)' then
    v_out := v_out || coord.guard_effect('sql-drop', array[s]);
  elsif v_head in ('CREATE', 'RESTORE') and (s ~ '^CREATE OR REPLACE (TRANSIENT )?(TABLE|DATABASE|SCHEMA) ' or s ~ '^RESTORE (DATABASE|LOG) .* WITH (.* )?REPLACE( |,|$)') then
    -- replacing a table, a schema or a database, or restoring over one, throws the data there away
    v_out := v_out || coord.guard_effect(case when s ~ '^RESTORE|^CREATE OR REPLACE DATABASE' then 'sql-drop-database' else 'sql-drop' end, array[s]);
  elsif v_head = 'DROP' then
    v_out := v_out || coord.guard_effect('sql-drop-object', array[s]);
  elsif v_head = 'TRUNCATE' then
    v_out := v_out || coord.guard_effect('sql-truncate', array[s]);
  elsif v_head in ('DELETE', 'UPDATE') and strpos(s, ' ') > 0 then
    v_m := regexp_match(s, '^(?:DELETE FROM|DELETE|UPDATE) (?:ONLY )?([A-Z0-9_."$]+)');
    v_table := v_m[1];
    v_where := coord.guard_sql_where(v_full);
    if v_where is null or coord.guard_sql_always_true(v_where, v_table) then
      v_out := v_out || coord.guard_effect('sql-all-rows', array[coalesce(v_table, s)]);
    end if;
    if v_table ~ '^(PG_CATALOG\.|PG_|MYSQL\.USER|INFORMATION_SCHEMA\.)' then
      v_out := v_out || coord.guard_effect('sql-privilege', array[v_table]);
    end if;
  elsif v_head = 'MERGE' and (s ~ ' THEN DELETE( |$)'
                               -- a table merged with itself on its own key: every row matches
                               or s ~ '^MERGE INTO ([A-Z0-9_."]+)( AS)?( [A-Z0-9_]+)? USING \1( |$).* THEN UPDATE ') then
    v_out := v_out || coord.guard_effect('sql-all-rows', array[s]);
  elsif s like 'ALTER TABLE %' then
    -- ClickHouse mutations: ALTER TABLE t DELETE WHERE ..., ALTER TABLE t UPDATE ... WHERE ...
    v_m := regexp_match(v_full, '^ALTER TABLE ([A-Z0-9_."]+)( ON CLUSTER [^ ]+)? (DELETE|UPDATE .*?)( WHERE (.*))?$');
    if v_m is not null and (v_m[4] is null or coord.guard_sql_always_true(v_m[5], v_m[1])) then
      v_out := v_out || coord.guard_effect('sql-all-rows', array[v_m[1]]);
    end if;
    if s ~ ' (DISABLE|NO FORCE) ROW LEVEL SECURITY( |$)' then
      v_out := v_out || coord.guard_effect('sql-privilege', array[s]);
    elsif s ~ ' DISABLE (ALWAYS )?TRIGGER( |$)' or s ~ ' ENABLE REPLICA TRIGGER( |$)' then
      v_out := v_out || coord.guard_effect('sql-server', array[s]);
    elsif s ~ ' DROP (?!(NOT NULL|DEFAULT|IDENTITY|EXPRESSION)( |$))' then
      v_out := v_out || coord.guard_effect('sql-alter-drop', array[s]);
    end if;
  elsif v_head in ('ALTER', 'SET', 'SHUTDOWN', 'KILL', 'RESET', 'PURGE', 'INSTALL', 'UNINSTALL', 'RECONFIGURE', 'DBCC', 'PRAGMA',
                  'BULK', 'BACKUP', 'EXPORT', 'UNLOAD', 'COPY', 'INSERT', 'CHANGE', 'START', 'STOP')
        and (s ~ '^ALTER SYSTEM( |$)' or s ~ '^ALTER EVENT TRIGGER [^ ]+ DISABLE' or s ~ '^ALTER (ROLE|USER|DATABASE) .* SET SESSION_REPLICATION_ROLE'
             or s ~ '^(RESET BINARY LOGS|CHANGE (REPLICATION SOURCE|MASTER) TO|START (REPLICA|SLAVE)|STOP (REPLICA|SLAVE))( |$)' or s ~ '^SET GLOBAL ' or s ~ '^SET PERSIST' or s ~ '^(SHUTDOWN|KILL( CONNECTION| QUERY)?|RESET MASTER|RESET SLAVE|PURGE BINARY LOGS|INSTALL PLUGIN|UNINSTALL PLUGIN|ALTER SERVER (?!ROLE)|RECONFIGURE|DBCC)( |$)'
        or s ~ '^PRAGMA (WRITABLE_SCHEMA|TRUSTED_SCHEMA|JOURNAL_MODE ?= ?OFF|SYNCHRONOUS ?= ?OFF|FOREIGN_KEYS ?= ?(OFF|0|FALSE)|IGNORE_CHECK_CONSTRAINTS)'
        or s ~ '^BULK INSERT ' or s ~ '^BACKUP (LOG|DATABASE) .* (TO DISK ?= ?''(NUL|/DEV/NULL)''|WITH (TRUNCATE_ONLY|NO_LOG))'
        or s ~ '^(EXPORT DATA|UNLOAD|COPY INTO '''')( |$)' or s ~ '^INSERT INTO (TABLE )?FUNCTION '
        or s ~ '^ALTER DATABASE [^ ]+ (WITH |SET )?(ALLOW_CONNECTIONS|OFFLINE|SINGLE_USER|READ_ONLY|EMERGENCY|TRUSTWORTHY ON|RECOVERY SIMPLE|CONNECTION LIMIT 0)') then
    v_out := v_out || coord.guard_effect('sql-server', array[s]);
  elsif v_head in ('CREATE', 'ALTER', 'SET') and (s ~ '^(CREATE|ALTER) (SERVER )?(ROLE|USER|GROUP|LOGIN) ' or s like 'SET PASSWORD FOR %') then
    s := replace(replace(s, '[', ''), ']', '');
    -- superuser-like attributes, membership of an administrators' role, the administrators'
    -- own accounts changed, logins without password policy
    if s ~ ' (SUPERUSER|BYPASSRLS|CREATEROLE|REPLICATION|SYSADMIN)( |$)'
       or s ~ '^(CREATE|ALTER) (USER|LOGIN) ''?(ROOT|SA|SYS|SYSTEM|ADMIN|ADMINISTRATOR|DBA|POSTGRES)''?( |@|$)' and s ~ '(IDENTIFIED|PASSWORD)'
       or s ~ '^(ALTER (ROLE|USER|LOGIN)|SET PASSWORD FOR) ''?(POSTGRES|ROOT|RDSADMIN|AZURE_SUPERUSER|CLOUDSQLSUPERUSER|SA|SYS|SYSTEM|ADMIN|ADMINISTRATOR|DBA|ACCOUNTADMIN|MASTER|DBO)''?( |@|$)'
          and s ~ '(PASSWORD|RENAME|NOLOGIN|VALID UNTIL|IDENTIFIED|ENABLE|UNLOCK|ACCOUNT UNLOCK| = |DEFAULT_ROLE|GRANT)'
       or s ~ ' IN (ROLE|GROUP) (POSTGRES|RDS_SUPERUSER|AZURE_PG_ADMIN|CLOUDSQLSUPERUSER|PG_[A-Z_]+)( |,|$)'
       or s ~ ' ROLE (POSTGRES|RDS_SUPERUSER|AZURE_PG_ADMIN|CLOUDSQLSUPERUSER|PG_WRITE_SERVER_FILES|PG_EXECUTE_SERVER_PROGRAM|PG_READ_SERVER_FILES)( |,|$)'
       or s ~ '^ALTER (SERVER )?ROLE (DB_OWNER|SYSADMIN|SECURITYADMIN|SERVERADMIN|SETUPADMIN|DB_SECURITYADMIN|DB_ACCESSADMIN|DB_DDLADMIN|CONTROL|BULKADMIN|DBCREATOR|PROCESSADMIN) ADD MEMBER '
       or s ~ '^CREATE LOGIN ' and s ~ 'CHECK_(POLICY|EXPIRATION) ?= ?OFF'
       or s ~ '^ALTER LOGIN (SA|ADMINISTRATOR|BUILTIN[^ ]*) ' then
      v_out := v_out || coord.guard_effect('sql-privilege', array[s]);
    end if;
  elsif v_head = 'GRANT' then
    if s ~ ' TO (GROUP |ROLE )?"?(PUBLIC|ALLUSERS|ALLAUTHENTICATEDUSERS)"?( |,|$)' or s ~ ' ON \*\.\* ' or s ~ ' WITH (ADMIN|GRANT) OPTION( |$)' and s ~ '^GRANT ALL'
       or s ~ '^GRANT (ROLE )?(POSTGRES|PG_[A-Z_]+|RDS_SUPERUSER|RDS_IAM|AZURE_PG_ADMIN|CLOUDSQLSUPERUSER|SUPERUSER|ROOT|SYSADMIN|DB_OWNER|DBA|SYSDBA|SYSOPER|SYSBACKUP|ACCOUNTADMIN|SECURITYADMIN|ORGADMIN|USERADMIN|SERVICE_ROLE|SUPABASE_ADMIN|SYSTEM|ADMIN)( ?, ?[A-Z_]+)* TO '
       or s ~ '^GRANT ALL( PRIVILEGES)? TO ' or s ~ '^GRANT (CONTROL SERVER|CONTROL ON DATABASE|ALTER ANY (LOGIN|USER|ROLE|DATABASE)|IMPERSONATE ANY|IMPERSONATE ON LOGIN|UNSAFE ASSEMBLY|EXTERNAL ACCESS ASSEMBLY|EXEMPT ACCESS POLICY|BECOME USER|(CREATE|DROP|ALTER|EXECUTE|SELECT|UPDATE|DELETE|INSERT) ANY |GRANT ANY |OWNERSHIP ON (DATABASE|ACCOUNT|SCHEMA|WAREHOUSE) |MANAGE GRANTS|ALL PRIVILEGES ON ACCOUNT|SUPER |FILE ON |SHUTDOWN |PROCESS ON |RELOAD ON |`?ROLES/)'
       or s ~ ' TO "?(ANON|AUTHENTICATED)"?( |,|$)' and (s ~ '^GRANT (ALL|INSERT|UPDATE|DELETE|TRUNCATE|USAGE ON SCHEMA (AUTH|STORAGE|VAULT|EXTENSIONS))' or s ~ ' ON (TABLE )?(ALL TABLES IN SCHEMA )?"?(AUTH|STORAGE|VAULT|PGSODIUM|SUPABASE_FUNCTIONS)"?[. ]') then
      v_out := v_out || coord.guard_effect('sql-privilege', array[s]);
    end if;
  elsif v_head in ('CREATE', 'ALTER') and s ~ '^(CREATE|ALTER) POLICY ' and v_full ~ ' (USING|WITH CHECK) ?\( ?(TRUE|1 ?= ?1|'''' ?= ?'''')\ ?\)'
        and (s ~ ' TO (PUBLIC|[A-Z_]*ANON[A-Z_]*)( |,|$)' or s ~ '^ALTER POLICY ' or s !~ ' TO ') then
    -- a row-level security policy that lets every row through
    v_out := v_out || coord.guard_effect('sql-privilege', array[s]);
  elsif s like 'ALTER DEFAULT PRIVILEGES %' and s ~ ' TO PUBLIC( |,|$)' then
    v_out := v_out || coord.guard_effect('sql-privilege', array[s]);
  elsif v_head = 'SET' and s ~ '^SET (SESSION |LOCAL )?(ROLE|SESSION AUTHORIZATION) (POSTGRES|RDSADMIN|RDS_SUPERUSER|AZURE_SUPERUSER|CLOUDSQLSUPERUSER|ROOT|SA)( |$)' then
    v_out := v_out || coord.guard_effect('sql-privilege', array[s]);
  elsif v_head in ('SET', 'RESET') and strpos(s, 'SESSION_REPLICATION_ROLE') > 0 and s ~ '^(SET|RESET) (SESSION |LOCAL )?SESSION_REPLICATION_ROLE' and s !~ '(= ?| TO )(DEFAULT|ORIGIN)$' and s !~ '^RESET' then
    v_out := v_out || coord.guard_effect('sql-server', array[s]);
  elsif v_head = 'COPY' then
    if s ~ ' (TO|FROM) PROGRAM( |$)' then
      v_out := v_out || coord.guard_effect('sql-server-exec', array[s]);
    elsif s ~ ' (TO|FROM) ''''' then
      v_out := v_out || coord.guard_effect('sql-server', array[s]);
    end if;
  elsif v_head = 'LOAD' and (s !~ '^LOAD DATA LOCAL ' or s ~ '^LOAD DATA (LOW_PRIORITY |CONCURRENT )?INFILE ') then
    v_out := v_out || coord.guard_effect('sql-server', array[s]);
  elsif v_head in ('CREATE', 'REASSIGN', 'ALTER') and (s ~ '^CREATE (OR REPLACE )?(TRUSTED )?(PROCEDURAL )?LANGUAGE ' or s ~ '^CREATE (SUBSCRIPTION|EVENT TRIGGER) '
        or s ~ '^CREATE EXTENSION (IF NOT EXISTS )?"?(PLPYTHON3?U|PLPERLU|PLTCLU|PLSH|ADMINPACK|DBLINK|POSTGRES_FDW|FILE_FDW|LO|PG_EXECUTE_SERVER_PROGRAM|SYSTEM_STATS|PGCRYPTO_UNSAFE|PLV8U|PLJAVAU|PLRUBYU)"?( |$)'
        or s ~ '^REASSIGN OWNED ' or s ~ '^ALTER (EXTENSION|LANGUAGE) ' or s ~ '^ALTER DATABASE [^ ]+ (OWNER|RENAME|SET|CONNECTION LIMIT|IS_TEMPLATE|ALLOW_CONNECTIONS)') then
    v_out := v_out || coord.guard_effect(case when s ~ '^REASSIGN' then 'sql-drop' else 'sql-server' end, array[s]);
  elsif v_head = 'CREATE' and s ~ '^CREATE (OR REPLACE )?(FUNCTION|PROCEDURE) ' then
    if s ~ ' LANGUAGE "?(PLPYTHON3?U|PLPERLU|PLTCLU|PLSH|C|INTERNAL|PLV8U|PLJAVAU)"?( |$)' then
      v_out := v_out || coord.guard_effect('sql-server-exec', array[s]);
    elsif s ~ ' SECURITY DEFINER( |$)' then
      v_out := v_out || coord.guard_effect('sql-definer', array[s]);
    end if;
  elsif v_head = 'ALTER' and s ~ '^ALTER (FUNCTION|PROCEDURE) .* SECURITY DEFINER( |$)' then
    v_out := v_out || coord.guard_effect('sql-definer', array[s]);
  elsif v_head in ('EXEC', 'EXECUTE', 'CREATE') and (s ~ '^(EXEC|EXECUTE) (MASTER\.\.|MASTER\.DBO\.|SYS\.)?(XP_CMDSHELL|SP_CONFIGURE|SP_OACREATE|SP_OAMETHOD|SP_ADDSRVROLEMEMBER|SP_ADDROLEMEMBER|SP_ADDLOGIN|SP_PASSWORD|XP_REGWRITE|XP_REGDELETEKEY|XP_DIRTREE|XP_FILEEXIST|XP_SUBDIRS|XP_FIXEDDRIVES|SP_ADDEXTENDEDPROC|SP_EXECUTE_EXTERNAL_SCRIPT|SP_ADDLINKEDSERVER|SP_SERVEROPTION|SP_DETACH_DB|SP_RENAMEDB)( |$)'
        or s like 'CREATE ASSEMBLY %') then
    v_out := v_out || coord.guard_effect(case when s ~ 'XP_CMDSHELL|SP_OACREATE|SP_OAMETHOD|SP_ADDEXTENDEDPROC|SP_EXECUTE_EXTERNAL_SCRIPT|^CREATE ASSEMBLY' then 'sql-server-exec'
                                              when s ~ 'SP_ADDSRVROLEMEMBER|SP_ADDROLEMEMBER|SP_ADDLOGIN|SP_PASSWORD' then 'sql-privilege'
                                              else 'sql-server' end, array[s]);
  elsif v_head = 'EXECUTE' and (s !~ '^EXECUTE [A-Z0-9_]+( ?\(.*\))?$' or s ~ '^EXECUTE (CONCAT|FORMAT|CONVERT_FROM|DECODE|REPLACE|REVERSE|CHR|TRANSLATE|LOWER|UPPER|SUBSTR|SUBSTRING|ENCODE|OVERLAY|REGEXP_REPLACE|CONCAT_WS|STRING_AGG|ARRAY_TO_STRING)( ?\()') and (s ~ '\|\||FORMAT ?\(|CONCAT' or s !~ '^EXECUTE ''''( USING .*)?$') then
    -- dynamic SQL built at run time: what runs cannot be read in advance
    v_out := v_out || coord.guard_effect('sql-dynamic', array[s]);
  end if;

  -- functions that reach past the database, wherever they are called
  if strpos(s, '(') > 0 and (s ~ '(DBLINK|DBLINK_OPEN|PG_READ_FILE|PG_READ_BINARY_FILE|PG_LS_DIR|PG_LS_LOGDIR|PG_LS_WALDIR|PG_LS_TMPDIR|PG_STAT_FILE|PG_FILE_WRITE|PG_FILE_RENAME|PG_FILE_UNLINK|LO_IMPORT|LO_EXPORT|PG_TERMINATE_BACKEND|PG_RELOAD_CONF|PG_ROTATE_LOGFILE|PG_DROP_REPLICATION_SLOT|PG_PROMOTE|PG_REPLICATION_ORIGIN_DROP|DBLINK_EXEC|DBLINK_CONNECT|LOAD_FILE|PG_LOGICAL_EMIT_MESSAGE|PG_SWITCH_WAL|PG_CREATE_RESTORE_POINT|PG_BACKUP_START|PG_WAL_REPLAY_PAUSE)\s*\(' or s ~ 'PG_CANCEL_BACKEND\s*\(' and s ~ ' FROM PG_STAT_ACTIVITY' or v_full ~ 'SET_CONFIG ?\( ?''SESSION_REPLICATION_ROLE''') then
    v_out := v_out || coord.guard_effect('sql-server', array[coalesce(substring(s from '(PG_[A-Z_]+|LO_[A-Z_]+|DBLINK(_[A-Z_]+)?|LOAD_FILE|SET_CONFIG)'), 'server function')]);
  end if;
  if s like any (array['%XP_CMDSHELL%', '%SYS_EXEC%', '%SYS_EVAL%', '%PG_EXECUTE_SERVER_PROGRAM%', '%LOAD_EXTENSION%']) then
    v_out := v_out || coord.guard_effect('sql-server-exec', array[s]);
  end if;
  -- server-side files and other servers: OPENROWSET(BULK ...), OPENDATASOURCE, ClickHouse's
  -- file(), s3(), url(), remote() table functions
  if s like '% INTO %FILE %' and s ~ ' INTO (OUTFILE|DUMPFILE) ' or v_head = 'VACUUM' and s like 'VACUUM INTO %' or strpos(s, '(') > 0 and (s ~ '(OPENROWSET|OPENDATASOURCE|OPENQUERY) ?\('
     or s ~ '( FROM| JOIN|^INSERT INTO (TABLE )?FUNCTION) (FILE|S3|S3CLUSTER|URL|HDFS|REMOTE|REMOTESECURE|AZUREBLOBSTORAGE|GCS|MYSQL|POSTGRESQL|JDBC|ODBC|EXECUTABLE) ?\(') then
    v_out := v_out || coord.guard_effect('sql-server', array[s]);
  end if;
  return v_out;
end;
$$;

comment on function coord.guard_sql_effects(text, text) is 'Guardrail effects of one canonical SQL statement: drops, truncation, unbounded or always-true DELETE/UPDATE/MERGE, privilege escalation, server-level settings, files and programs.';
revoke all on function coord.guard_sql_effects(text, text) from public;
