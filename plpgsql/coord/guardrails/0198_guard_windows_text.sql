-- Whether shell text is PowerShell or cmd.exe rather than a POSIX shell: its first word is a
-- PowerShell cmdlet (Verb-Noun) or alias, a Windows-only program, or a PowerShell assignment
-- ($x = ...), or it names a drive path (C:\), $env: or %VARIABLE%. Decides how it is lexed
-- (coord.guard_lex p_windows): backslashes are path separators there, not escapes.
create or replace function coord.guard_windows_text(p_text text)
returns boolean
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := lower(ltrim(coalesce(p_text, ''), E' \t\n&.'));
  v_first text;
begin
  v_first := split_part(split_part(split_part(split_part(v, ' ', 1), '(', 1), ';', 1), '|', 1);
  return v_first in ('powershell', 'powershell.exe', 'pwsh', 'pwsh.exe', 'cmd', 'cmd.exe', 'iex', 'iwr', 'irm', 'gci', 'gc',
                     'ri', 'ni', 'sl', 'saps', 'spps', 'gps', 'certutil', 'certutil.exe', 'bitsadmin', 'schtasks', 'wevtutil',
                     'vssadmin', 'bcdedit', 'netsh', 'takeown', 'icacls', 'wmic', 'reg', 'reg.exe', 'rd', 'del', 'erase',
                     'diskpart', 'taskkill', 'msiexec', 'rundll32', 'regsvr32', 'mshta', 'cscript', 'wscript', 'cipher',
                     'sdelete', 'wbadmin', 'mountvol', 'fsutil', 'runas', 'forfiles', 'auditpol', 'manage-bde', 'dism',
                     'sc.exe', 'net1', 'nltest', 'dsquery', 'wmic.exe', 'schtasks.exe', 'msbuild', 'installutil', 'regasm',
                     'regsvcs', 'cmstp', 'odbcconf', 'pcalua', 'mavinject', 'wusa', 'setx', 'attrib', 'robocopy', 'xcopy')
         or strpos(v_first, '-') > 1 and split_part(v_first, '-', 1) in (
              'get', 'set', 'remove', 'new', 'add', 'clear', 'stop', 'start', 'invoke', 'format', 'copy', 'move', 'rename',
              'out', 'write', 'import', 'export', 'test', 'enable', 'disable', 'restart', 'register', 'unregister',
              'install', 'uninstall', 'update', 'expand', 'compress', 'convertto', 'convertfrom', 'select', 'where',
              'foreach', 'sort', 'measure', 'resolve', 'split', 'join', 'wait', 'mount', 'dismount', 'initialize',
              'reset', 'grant', 'revoke', 'block', 'unblock', 'push', 'pop', 'publish', 'send', 'receive', 'connect',
              'disconnect', 'save', 'show', 'lock', 'unlock', 'suspend', 'resume', 'enter', 'find', 'restore', 'backup',
              'optimize', 'repair', 'read', 'edit', 'protect', 'unprotect')
            and v_first not in ('git-lfs', 'pre-commit', 'ssh-keygen', 'ssh-add', 'ssh-copy-id', 'apt-get', 'apt-key',
                                'docker-compose', 'redis-cli', 'add-apt-repository', 'update-rc.d', 'update-alternatives',
                                'start-stop-daemon', 'find-up', 'set-up')
         or left(v_first, 1) = '$' and strpos(v_first, '=') > 0
         -- .NET types and objects: [scriptblock]::Create(...), (New-Object Net.WebClient)
         or strpos(v, '[') > 0 and v ~ '^\(*\[(scriptblock|system\.|io\.|convert\]|text\.encoding|net\.|reflection\.|runtime\.)'
         or strpos(v, '[scriptblock]::') > 0 or strpos(v, 'new-object') > 0 and v ~ '(^|[(;|\s])new-object\s'
         or strpos(v, ':\') > 0 and v ~ '(^|[^a-z])[a-z]:\\'
         or strpos(v, '$env:') > 0
         or strpos(v, '%') > 0 and v ~ '%(userprofile|systemroot|windir|temp|tmp|appdata|localappdata|programfiles|programdata|homepath|systemdrive|username|computername)%';
end;
$$;

comment on function coord.guard_windows_text(text) is 'Guardrail normalizer: true for PowerShell or cmd.exe text (a cmdlet, a Windows-only program, C:\ paths, $env:, %VARIABLE%).';
revoke all on function coord.guard_windows_text(text) from public;
