-- Whether a secret variable sent to a host goes to the service that issued it: GITHUB_TOKEN to
-- github.com, NPM_TOKEN to the npm registry, OPENAI_API_KEY to openai.com, ... A token sent
-- anywhere else (a request bin, a pastebin, an unknown host) leaves its owner.
create or replace function coord.guard_token_host(p_variable text, p_host text)
returns boolean
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select p_host is not null
    -- a host read with user info (https://api.github.com@collector.example/: the host is what
    -- follows the @), percent-encoding or a backslash is not the host it looks like
    and p_host !~ '[@%\\]' and (
    p_host in ('localhost', '127.0.0.1', '::1', 'host.docker.internal')
    -- GITEA_TOKEN to gitea.example.com: the variable names the service the host runs, as a whole
    -- label (not github-token-check.example.io), and only for services not known below (a
    -- GITHUB_TOKEN goes to GitHub's hosts, never to github.attacker.example)
    or char_length(split_part(p_variable, '_', 1)) >= 3
       and strpos('.' || p_host || '.', '.' || split_part(lower(p_variable), '_', 1) || '.') > 0
       and not exists (select from (values ('^(github|gh)_'), ('^gitlab'), ('^(npm|node_auth)'), ('^openai'), ('^anthropic'),
                                           ('^slack'), ('^(hf|hugging)'), ('^(pypi|twine)'), ('^docker'), ('^vercel'),
                                           ('^netlify'), ('^(cloudflare|cf)_'), ('^stripe'), ('^sentry'), ('^aws'),
                                           ('^(google|gcp|gcloud)'), ('^azure')) as k (variable)
                       where lower(p_variable) ~ k.variable)
    or exists (select from (values
      ('^(github|gh)_', '(^|\.)(github\.com|githubusercontent\.com|ghcr\.io)$'),
      ('^gitlab', '(^|\.)gitlab\.com$'), ('^(npm|node_auth)', '(^|\.)(npmjs\.org|npmjs\.com)$'),
      ('^openai', '(^|\.)openai\.com$'), ('^anthropic', '(^|\.)anthropic\.com$'), ('^slack', '(^|\.)slack\.com$'),
      ('^(hf|hugging)', '(^|\.)huggingface\.co$'), ('^(pypi|twine)', '(^|\.)(pypi\.org|pythonhosted\.org)$'),
      ('^docker', '(^|\.)(docker\.com|docker\.io)$'), ('^vercel', '(^|\.)vercel\.com$'),
      ('^netlify', '(^|\.)netlify\.com$'), ('^(cloudflare|cf)_', '(^|\.)cloudflare\.com$'),
      ('^stripe', '(^|\.)stripe\.com$'), ('^sentry', '(^|\.)sentry\.io$'), ('^(datadog|dd)_', '(^|\.)datadoghq\.(com|eu)$'),
      ('^aws', '(^|\.)amazonaws\.com$'), ('^(google|gcp|gcloud)', '(^|\.)(googleapis\.com|google\.com)$'),
      ('^azure', '(^|\.)(azure\.com|microsoft\.com|windows\.net)$'), ('^sendgrid', '(^|\.)sendgrid\.com$'),
      ('^twilio', '(^|\.)twilio\.com$'), ('^linear', '(^|\.)linear\.app$'), ('^notion', '(^|\.)(notion\.com|notion\.so)$'),
      ('^(jira|atlassian|confluence)', '(^|\.)atlassian\.(net|com)$'), ('^heroku', '(^|\.)heroku\.com$'),
      ('^(digitalocean|do_)', '(^|\.)digitalocean\.com$'), ('^circle', '(^|\.)circleci\.com$'),
      ('^(codecov)', '(^|\.)codecov\.io$'), ('^(pagerduty|pd_)', '(^|\.)pagerduty\.com$'), ('^fly', '(^|\.)fly\.io$'),
      ('^railway', '(^|\.)railway\.app$'), ('^supabase', '(^|\.)supabase\.(co|com)$'), ('^(discord)', '(^|\.)discord(app)?\.com$'),
      ('^telegram', '(^|\.)telegram\.org$'), ('^(replicate)', '(^|\.)replicate\.com$'), ('^(mistral)', '(^|\.)mistral\.ai$'),
      ('^(groq)', '(^|\.)groq\.com$'), ('^(cohere)', '(^|\.)cohere\.(ai|com)$'), ('^(pinecone)', '(^|\.)pinecone\.io$'),
      ('^(grafana)', '(^|\.)grafana\.(net|com)$'), ('^(newrelic|new_relic)', '(^|\.)newrelic\.com$'),
      ('^(bitbucket|bb_)', '(^|\.)bitbucket\.org$'), ('^(artifactory|jfrog)', '(^|\.)jfrog\.io$'),
      ('^(sonar)', '(^|\.)sonarcloud\.io$'), ('^(snyk)', '(^|\.)snyk\.io$')
    ) as t (variable, host)
    where lower(p_variable) ~ t.variable and p_host ~ t.host));
$$;

comment on function coord.guard_token_host(text, text) is 'Guardrail data flow: true when a secret variable goes to the service that issued it (or to this machine).';
revoke all on function coord.guard_token_host(text, text) from public;
