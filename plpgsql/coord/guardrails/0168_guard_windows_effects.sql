-- Guardrail effects of PowerShell cmdlets and cmd.exe tools (words lower-cased by
-- coord.guard_parse; parameters may be abbreviated: -r and -rec are -Recurse):
--   Remove-Item (ri, and rm/del/rd given PowerShell parameters): delete, delete-tree with -Recurse
--   Set-Content, Add-Content, Out-File, New-Item, Copy-Item, Move-Item: write (copy/delete sources)
--   Get-Content and friends: read; Invoke-WebRequest -InFile / -Body from a file: send
--   Invoke-Expression of downloaded or encoded code: exec-remote / exec-decoded;
--   powershell -EncodedCommand: exec-decoded
--   registry writes: Run keys and Winlogon are persist, Defender/UAC/firewall policy is
--   security-off, deleting machine keys is delete of a system target
--   Start-Process -Verb RunAs: privesc; remoting and inbound allow rules: network-expose
create or replace function coord.guard_windows_effects(p_op jsonb, p_ctx jsonb default '{}')
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_prog text := p_op ->> 'prog';
  v_words text[] := array(select lower(w) from jsonb_array_elements_text(p_op -> 'words') as w);
  v_raw text := lower(array_to_string(array(select jsonb_array_elements_text(coalesce(p_op -> 'raw', p_op -> 'words'))), ' '));
  v_args text[];
  v_out jsonb := '[]';
  v_key text;
  v_i integer;
  v_values constant text[] := array['-path', '-literalpath', '-destination', '-filter', '-include', '-exclude', '-value',
                                    '-name', '-itemtype', '-encoding', '-uri', '-outfile', '-method', '-body', '-infile',
                                    '-headers', '-credential', '-verb', '-argumentlist', '-filepath', '-type',
                                    '-propertytype', '-force:$true', '-executionpolicy', '-scope', '-windowstyle'];
begin
  -- positional words: not parameters, not a parameter's value
  v_args := array(select w from unnest(v_words) with ordinality as x (w, o)
                  where w !~ '^-[a-z]' and (x.o = 1 or not (v_words[x.o - 1] = any (v_values) or v_words[x.o - 1] ~ '^-(p|pa|pat|lit|li|d|de|des|dest|destination)$'))
                  order by x.o);
  -- Defender protections set to Disabled
  if v_prog = 'set-mppreference' and exists (select from unnest(v_words) with ordinality as x (w, o)
                                              where x.w ~ '^-enable' and v_words[x.o + 1] in ('disabled', '0', '$false', 'auditmode')
                                                 or x.w ~ '^-disable' and v_words[x.o + 1] in ('$true', '1')) then
    return coord.guard_effect('security-off', array['defender']);
  end if;
  -- cloud and directory modules' Remove-* cmdlets delete what they name
  if v_prog ~ '^remove-(az|azure|azurerm|s3|ec2|rds|iam|ecs|eks|ddb|lm|cfn|cw|r53|kms|sm|ssm|gce|gcs|gcp|mg|spo|exo|pnp|team|mailbox|vm|k8s|dns)' then
    return coord.guard_effect('cloud-delete', array[v_prog]);
  end if;
  if v_prog in ('remove-item', 'ri', 'rm', 'del', 'erase', 'rd', 'rmdir')
     and (v_prog in ('remove-item', 'ri') or exists (select from unnest(v_words) as w where w ~ '^-(r|re|rec|recu|recur|recurs|recurse|fo|for|forc|force|path|literalpath)$')) then
    v_args := array(select w from unnest(v_words) with ordinality as x (w, o)
                    where w !~ '^-[a-z]' and (x.o = 1 or v_words[x.o - 1] !~ '^-(filter|include|exclude|credential)$'));
    if cardinality(v_args) = 0 and p_ctx ->> 'in' = 'paths' then
      -- Get-ChildItem C:\ -Recurse | Remove-Item: the items listed
      v_args := array(select jsonb_array_elements_text(coalesce(p_ctx -> 'paths', '[]')));
    end if;
    v_out := v_out || coord.guard_effect(
      case when exists (select from unnest(v_words) as w where w ~ '^-(r|re|rec|recu|recur|recurs|recurse)$')
                or p_ctx ->> 'in' = 'paths' then 'delete-tree' else 'delete' end, v_args);
    if v_raw ~ 'historysavepath' then
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'delete', 't', 'HistorySavePath', 'c', jsonb_build_array('history')));
    end if;
  elsif v_prog in ('set-content', 'add-content', 'out-file', 'new-item', 'ni', 'sc', 'ac', 'tee-object', 'export-csv',
                   'set-itemproperty', 'new-itemproperty', 'sp') then
    v_out := v_out || coord.guard_effect('write', array(
      select coalesce((select v_words[i + 1] from generate_subscripts(v_words, 1) as i
                       where v_words[i] ~ '^-(path|p|literalpath|filepath)$' limit 1), v_args[1])));
    if v_raw ~ 'historysavepath' then
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'write', 't', 'HistorySavePath', 'c', jsonb_build_array('history')));
    end if;
  elsif v_prog in ('get-content', 'gc', 'select-string', 'sls', 'import-clixml') then
    v_out := v_out || coord.guard_effect('read', v_args);
  elsif v_prog in ('remove-itemproperty', 'rp', 'clear-itemproperty', 'clear-item', 'clear-content', 'clc') then
    v_out := v_out || coord.guard_effect('write', v_args);
  end if;

  -- registry: persistence, security policy, machine keys
  if v_prog in ('reg', 'set-itemproperty', 'new-itemproperty', 'sp', 'new-item', 'ni', 'remove-item', 'ri', 'remove-itemproperty', 'rp') then
    v_key := (select w from unnest(v_words) as w where w ~ '^(hklm|hkcu|hkey_local_machine|hkey_current_user|hku|hkcr|registry::)' limit 1);
    if v_key is not null then
      if v_prog = 'reg' and v_args[1] = 'query' or v_prog = 'reg' and v_args[1] = 'export' then
        null;
      elsif v_key ~ '\\(run|runonce|runonceex|runservices|runservicesonce|winlogon|image file execution options|appinit_dlls|shell folders|userinit|startup|explorer\\run|policies\\explorer\\run)(\\|$)'
            or v_key ~ 'currentversion\\(run|runonce)' then
        v_out := v_out || coord.guard_effect('persist', array[v_key]);
      elsif v_key ~ '(windows defender|disableantispyware|disablerealtimemonitoring|policies\\system|enablelua|consentpromptbehavioradmin|localaccounttokenfilterpolicy|firewallpolicy|securityhealth|wdfilter|windefend|lsa$|lsa\\|amsi|scriptblocklogging|eventlog)' then
        v_out := v_out || coord.guard_effect('security-off', array[v_key]);
      elsif v_key ~ 'terminal server' then
        v_out := v_out || coord.guard_effect('network-expose', array[v_key]);
      elsif v_key ~ '^(hklm|hkey_local_machine|hkcr)' and (v_prog = 'reg' and v_args[1] in ('delete', 'add', 'import', 'load', 'unload', 'restore')
                                                            or v_prog <> 'reg') then
        v_out := v_out || jsonb_build_array(jsonb_build_object('a', case when v_prog = 'reg' and v_args[1] = 'delete' or v_prog in ('remove-item', 'ri', 'remove-itemproperty', 'rp') then 'delete' else 'write' end,
                                                               't', v_key, 'c', jsonb_build_array('system')));
      end if;
    end if;
  end if;

  -- code from the network or encoded code
  if v_prog in ('iex', 'invoke-expression') and v_raw ~ '(downloadstring|downloadfile|downloaddata|invoke-webrequest|iwr|irm|invoke-restmethod|net\.webclient|start-bitstransfer|https?://|webclient|bitsadmin)' then
    v_out := v_out || coord.guard_effect('exec-remote', array['(downloaded code)']);
  elsif v_prog in ('iex', 'invoke-expression') and v_raw ~ '(frombase64string|encodedcommand|-enc |convertto-securestring|gzipstream|deflatestream|\[char\])' then
    v_out := v_out || coord.guard_effect('exec-decoded', array['(decoded code)']);
  end if;
  if v_prog = 'powershell' and exists (select from unnest(v_words) as w where w ~ '^[-/](e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedcommand)$') then
    v_out := v_out || coord.guard_effect('exec-decoded', array['-EncodedCommand']);
  end if;
  if v_prog in ('invoke-webrequest', 'iwr', 'invoke-restmethod', 'irm') then
    for v_i in 1 .. coalesce(cardinality(v_words), 0) - 1 loop
      if v_words[v_i] in ('-infile') then
        v_out := v_out || coord.guard_effect('send', array[v_words[v_i + 1]]);
      end if;
    end loop;
  end if;
  -- ownership and access of many files (icacls ... /grant Everyone:F /T, takeown /r)
  if v_prog in ('icacls', 'takeown', 'cacls') then
    v_args := array(select w from unnest(v_words) as w where w !~ '^/' and w !~ '^(everyone|users|\*s-1-1-0|authenticated users|y|n)(:|$)');
    v_out := v_out || coord.guard_effect(case when v_words && array['/t', '/r'] then 'perms-tree' else 'perms' end,
                                         array(select w from unnest(v_words) with ordinality as x (w, o)
                                               where w !~ '^/' and (x.o = 1 or v_words[x.o - 1] not in ('/grant', '/grant:r', '/deny', '/setowner', '/d', '/remove', '/save', '/restore'))));
    if exists (select from unnest(v_words) as w where w ~ '^(everyone|users|\*s-1-1-0|authenticated users|guest)[:]') then
      v_out := v_out || coord.guard_effect('perms-open', v_args);
    end if;
  end if;
  if v_prog in ('start-process', 'saps', 'start') and exists (select from unnest(v_words) with ordinality as x (w, o)
                                                                where w ~ '^-verb' and v_words[x.o + 1] = 'runas') then
    v_out := v_out || coord.guard_effect('privesc', array['runas']);
  end if;
  if v_prog in ('enable-psremoting', 'set-wsmanquickconfig') or v_prog = 'winrm' and v_words[1] in ('quickconfig', 'qc')
     or v_prog = 'new-netfirewallrule' and v_raw ~ '-action allow' and v_raw ~ '-direction inbound' then
    v_out := v_out || coord.guard_effect('network-expose', array[v_prog]);
  end if;
  if v_prog = 'set-item' and v_raw ~ 'wsman:.*trustedhosts' then
    v_out := v_out || coord.guard_effect('security-off', array['trustedhosts']);
  end if;
  return v_out;
end;
$$;

comment on function coord.guard_windows_effects(jsonb, jsonb) is 'Guardrail effects of PowerShell cmdlets and cmd.exe tools: deletes, writes, reads, uploads, registry persistence and security policy, downloaded or encoded code run, elevation, remoting.';
revoke all on function coord.guard_windows_effects(jsonb, jsonb) from public;
