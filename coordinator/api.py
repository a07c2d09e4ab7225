"""The api functions as client methods: one per function, named as in the catalog, with its
arguments (without the p_ prefix) in the catalog's order and its COMMENT ON as the docstring.

Generated from the catalog by `coord docs` (coordinator/codegen.py); do not edit by hand.
Arguments left at None take the function's default. coordinator.client.Client sends the calls
(_one, _rows) and adds what is not a single call (sessions, waiting for work)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from .results import (
    Action,
    ActionResult,
    AgentPresence,
    Alert,
    AlertRule,
    Approval,
    ApprovalPolicy,
    ApprovalResult,
    ArchiveRow,
    AuditEvent,
    AuditSinceRow,
    CedarPolicyHistoryRow,
    CedarPolicyRow,
    CheckMessageRouteRow,
    ClaimResult,
    DiscoverDevicesRow,
    EventsHeadRow,
    EventsSinceRow,
    GetSkillRow,
    GetThreadRow,
    GuardrailDecision,
    GuardrailExplanation,
    GuardrailRule,
    GuardrailViolation,
    GuardrailWord,
    Handoff,
    HeldLock,
    InboxRow,
    Lease,
    ListDevicesRow,
    ListMemoriesRow,
    ListMessageRulesRow,
    ListSkillsRow,
    ListThreadsRow,
    ListWebhookDeliveriesRow,
    ListWebhooksRow,
    LockCheck,
    LockResult,
    NetworkDecision,
    NetworkRule,
    PrincipalInfo,
    PrincipalRow,
    Profile,
    ProfileResult,
    RecallRow,
    RestoredEvent,
    Result,
    SessionResult,
    SkillResult,
    Task,
    TaskResult,
    TokenGrant,
    TokenRow,
    ValidateSkillRow,
    Verification,
    VerificationResult,
)


class Api:
    """One method per api function (coordinator.client.Client is the one to use)."""

    def ack_messages(self, message_ids: Sequence[int]) -> Result:
        """Marks messages of your inbox read (1-1000 ids): code acked with details.acked (marked now),
        already_acked and unknown (not in your inbox: no such message, or not delivered to you); idempotent;
        denied when the policy refuses (details.rule). Audited as message.ack. Errors: CO716.
        """
        return self._one("ack_messages", Result, message_ids=message_ids)

    def acquire_lock(self, path: str, ttl: timedelta | str | None = None, reason: str | None = None,
                     mode: str | None = None, wait: timedelta | str | None = None) -> LockResult:
        """Takes a lease on p_path and everything below it in your repository (your session's, else your token's,
        else default; the same path in another repository never overlaps) (src and src/ are the same node and
        both overlap src/app.py; a trailing / says the path is a directory and is kept in the lease) in mode
        exclusive or shared for p_ttl (0 < ttl <= 24 h). Returns ok with code granted (new fence) or renewed
        (your session already held it in that mode: same fence, new expiry); ok=false with busy (holder_* name
        the lease in the way, details.conflicts all of them), denied (policy, or a ttl above the profile's
        max_lock_ttl), outside_skill (your session runs a skill whose manifest does not give this access to
        the path: details.needs names the missing entry, details.skill the skill@version), at_limit (you hold
        the max_locks live leases of your profile; details.held and limit), or session_ended (the
        x-coord-session you sent has ended or expired). Leases taken under a session belong to it: its
        heartbeats keep them alive and its end releases them; a lease of a dead session never blocks. With
        p_wait (<= 60 s) it waits for overlapping leases to be released or to expire. Expired leases never
        block. Errors: CO201-CO206 bad path, CO211 ttl, CO212 wait, CO213 not READ COMMITTED, CO214 mode,
        CO215 reason, 55P03 when an overlapping request keeps its locks uncommitted for over 2 s.
        """
        return self._one("acquire_lock", LockResult, path=path, ttl=ttl, reason=reason, mode=mode, wait=wait)

    def acquire_locks(self, paths: Sequence[str], ttl: timedelta | str | None = None, reason: str | None = None,
                      mode: str | None = None) -> list[LockResult]:
        """Takes leases on p_paths (1-100 distinct paths, as acquire_lock does for each: same repository, mode,
        ttl and reason for all) all or none, in one transaction: one row per path, in the order given. When
        every path is granted or renewed, all rows are ok (fences as acquire_lock returns them). When any is
        refused (busy, denied, outside_skill for a path the manifest of your session's skill does not cover,
        at_limit for the batch as a whole, session_ended), nothing is taken: those rows say why, the others
        are batch_refused (details.refused lists the refused paths and codes). One policy decision per path (a
        refusal names its path; the call counts once against calls_per_hour); every path is audited as
        lock.acquire. Paths are locked in one global order, so overlapping batches and single acquires wait
        for each other and never deadlock. No p_wait: retry a refused batch, or use acquire_lock to wait for
        one path. Use it for several paths you need together (a refactoring across files): one round trip, and
        never half of them. Errors: CO218 count or a path named twice, CO241 not a flat list, CO201-CO206 bad
        path, CO211 ttl, CO213, CO214 mode, CO215 reason, 55P03 when an overlapping request keeps its locks
        uncommitted for over 2 s.
        """
        return self._rows("acquire_locks", LockResult, paths=paths, ttl=ttl, reason=reason, mode=mode)

    def add_alert_rule(self, name: str, action_pattern: str, decisions: Sequence[str], threshold: int,
                       within: timedelta | str, severity: str | None = None, description: str | None = None) -> Result:
        """Operators: adds an alert rule: p_threshold events with a decision in p_decisions (denied, blocked,
        needs_approval, refused) on actions matching p_action_pattern (* wildcard), by one actor within
        p_within, raise an alert of p_severity (notice, warning, critical). Code added (details.rule_id),
        exists when the name is taken, denied. Errors: CO491 pattern, CO492 rule fields, CO241 decisions not a
        flat list.
        """
        return self._one("add_alert_rule", Result, name=name, action_pattern=action_pattern, decisions=decisions,
                         threshold=threshold, within=within, severity=severity, description=description)

    def add_approval_policy(self, name: str, scopes: Sequence[str], kinds: Sequence[str] | None = None,
                            rules: Sequence[str] | None = None, min_trust: int | None = None,
                            path_prefix: str | None = None, description: str | None = None) -> Result:
        """Operators: adds an auto-approval policy. A pending approval request is approved by it (audited as the
        policy's approval, and used by the asking call at once) only when p_scopes covers every scope the
        request needs (guardrail:<category> for each guardrail rule that asked); a policy without scopes
        approves nothing. p_kinds (operation kinds: command, sql, path, task.complete, action:<kind>; null any
        but an action, which only a policy naming its action:<kind> approves) must hold the request's kind,
        p_rules (null any) every rule that asked, the requester's trust must reach p_min_trust (0-4), and
        p_path_prefix (optional) limits it to path operations under that prefix (dir/ or an exact path). Code
        added (details.policy_id); denied when the policy gate refuses (details.rule). Errors: CO468 invalid
        field, CO470 name exists, CO241 list shape.
        """
        return self._one("add_approval_policy", Result, name=name, scopes=scopes, kinds=kinds, rules=rules,
                         min_trust=min_trust, path_prefix=path_prefix, description=description)

    def add_device(self, name: str, scopes: Sequence[str], expires_in: timedelta | str | None = None) -> TokenGrant:
        """Agents and operators: adds device p_name, owned by you, and returns its first token (code issued;
        shown once) with p_scopes (required, e.g. {sessions:write,tasks:read}) and optional lifetime
        p_expires_in. The device authenticates as the agent role held to those scopes; you act for it (you
        never approve its requests). denied when the policy refuses: scope.escalation (a scope your own token
        lacks), device.by_device. Errors: CO221 bad name, CO241/CO222 bad scopes, CO223 bad lifetime, CO304
        name taken.
        """
        return self._one("add_device", TokenGrant, name=name, scopes=scopes, expires_in=expires_in)

    def add_guardrail(self, name: str, category: str, applies_to: str, severity: str, pattern: str | None = None,
                      mode: str | None = None, description: str | None = None, override_trust: int | None = None,
                      actions: Sequence[str] | None = None, targets: Sequence[str] | None = None) -> Result:
        """Operators: adds a guardrail rule to your tenant: an operation rule (p_applies_to any, p_actions: the
        effects it is about, p_targets: the target classes, null for any; words from authz.guard_vocabulary,
        coord guard vocabulary) or a pattern rule (p_pattern: a PostgreSQL ARE, \\y is a word boundary,
        matched against the canonical units of p_applies_to command, sql or path; see docs/architecture.md,
        Guardrails); p_category filesystem, git, database, deployment, credentials, process, network,
        persistence, privilege, security, supply-chain or infrastructure; p_severity low, medium, high or
        critical; p_mode block or needs_approval; p_override_trust defaults to 3 for low/medium and 4 for high
        (critical: nobody). Code added with details.rule_id; denied when the policy refuses (details.rule).
        Errors: CO474 invalid field, CO473 bad regex, CO476 name exists.
        """
        return self._one("add_guardrail", Result, name=name, category=category, applies_to=applies_to,
                         severity=severity, pattern=pattern, mode=mode, description=description,
                         override_trust=override_trust, actions=actions, targets=targets)

    def add_network_rule(self, pattern: str, action: str, priority: int | None = None, for_agent: str | None = None,
                         reason: str | None = None, for_profile: str | None = None) -> Result:
        """Operators, and trust-4 agents for other agents and profiles only (never for themselves, their own
        profile or the whole tenant, which includes them): adds an allow or deny rule for a host name (exact),
        *.name (its subdomains), an IP address (any spelling check_network accepts; stored canonical, IPv4
        embedded in IPv6 as IPv4) or a range address/prefix-length (10.0.0.0/8, 169.254.0.0/16, fd00::/8; no
        bits set past the prefix), for the whole tenant, for one agent (p_for_agent) or for the agents of one
        profile (p_for_profile; the caller is always the verified operator or trust-4 agent), with a priority
        -1000..1000. Code added, details.rule_id and the canonical pattern; denied when the policy refuses
        (details.rule). Errors: CO451 pattern, CO454 range, CO452 action, CO403 priority, CO215 reason, CO302
        unknown agent, CO462 unknown profile; CO452 also when both p_for_agent and p_for_profile are given.
        """
        return self._one("add_network_rule", Result, pattern=pattern, action=action, priority=priority,
                         for_agent=for_agent, reason=reason, for_profile=for_profile)

    def add_webhook(self, name: str, url: str, event_types: Sequence[str] | None = None, secret: str | None = None,
                    max_attempts: int | None = None) -> Result:
        """Operators: subscribe a URL to event types of your tenant (default alert.raised; type, family.* or *),
        from now on. Each delivery is a POST of the event as JSON with headers X-Coord-Signature: sha256=<hex
        HMAC-SHA256 of the body under the secret>, Idempotency-Key (the same for every attempt) and
        X-Coord-Event-Type; retried with exponential backoff, dead after p_max_attempts. Without p_secret one
        is generated and returned once in details.secret. Codes added (details.webhook_id), webhook_exists,
        denied. Errors: CO652 (also a URL with credentials, or whose host is a loopback, link-local, private
        or metadata address, unless the server's owner set the tenant's webhook_private_targets), CO650 event
        types.
        """
        return self._one("add_webhook", Result, name=name, url=url, event_types=event_types, secret=secret,
                         max_attempts=max_attempts)

    def allow_messages(self, sender: str, recipient: str, side: str | None = None, reason: str | None = None) -> Result:
        """Operators: adds an allow rule to your tenant's message allowlist: p_sender (a sender) may message
        p_recipient (a recipient), each NAME or agent:NAME (a principal), team:NAME (the agents acting under a
        profile) or * (anyone), on p_side send (the sender's permission), receive (the recipient's acceptance)
        or both (default). On each side a matching deny wins over any allow, an allow over the tenant default
        (set_message_default); a message passes when both sides allow. Code added with details.rule_id;
        unchanged when the same rule exists (its rule_id); denied when the policy refuses (details.rule).
        Audited as message.rule_add. Errors: CO714 side or malformed party, CO215 reason, CO302 unknown
        principal, CO462 unknown profile.
        """
        return self._one("allow_messages", Result, sender=sender, recipient=recipient, side=side, reason=reason)

    def apply_team(self, team: Any, dry_run: bool | None = None) -> Result:
        """Operators: declares the principals of your tenant from a team document (p_team is a JSON object:
        {"version": 1, "agents": [{"name", "role", "scopes", "description", "profile"}], "prune": false};
        docs/teams.md) and returns the diff in details (create, change, unchanged, disable) with each new
        token once in details.tokens (code applied or no_change; planned and nothing written with p_dry_run).
        Idempotent. A scope change revokes the tokens with other scopes and issues one new token; a declared
        disabled principal is enabled with a new token; an agent's declared profile (null: the tenant default)
        is assigned (change profile, no new token); prune disables principals not declared, never you. denied
        when the policy refuses or a token would carry a scope yours lacks. Errors: CO404 over 4 MiB, CO242
        nested over 32 levels, CO231 malformed file, CO221 bad name, CO222 bad scopes, CO232 duplicate name,
        CO233 role change, CO234 change to yourself, CO462 unknown profile.
        """
        return self._one("apply_team", Result, team=team, dry_run=dry_run)

    def approve_request(self, approval_id: int, reason: str,
                        valid_for: timedelta | str | None = None) -> ApprovalResult:
        """Operators, and agents whose profile has trust 4: approve the pending approval request p_approval_id
        with p_reason (1-1000 characters). The requester then repeats its call once with p_approval => the id,
        before the grant expires (p_valid_for, 1 minute to 24 hours, default 1 hour). Code approved;
        self_approval when the request is yours (or of a principal you act for), not_pending when it is
        decided, used, cancelled or expired (also a lost race with another approver); denied when the policy
        refuses (details.rule). Every answer is audited (approval.approve). Errors: CO464 unknown request,
        CO466 reason, CO467 valid_for, CO213.
        """
        return self._one("approve_request", ApprovalResult, approval_id=approval_id, reason=reason, valid_for=valid_for)

    def assert_lease(self, path: str, fence: int) -> LockResult:
        """Fencing at the resource: call it at the last moment before acting on p_path (e.g. inside the commit
        path) to check you still hold the lease granted with p_fence (in your repository). ok with code held,
        else expired, session_ended, stale_fence (granted again since) or not_held. Read-only. Errors:
        CO201-CO206 path, CO216 fence, PT403.
        """
        return self._one("assert_lease", LockResult, path=path, fence=fence)

    def assign_profile(self, agent: str, profile: str | None = None) -> ProfileResult:
        """Operators and trust-4 agents: gives agent p_agent the profile p_profile (null: back to the tenant
        default); it applies from the agent's next call. Code assigned; denied (an agent may not assign
        itself, nor a profile with more trust than its own). Errors: CO302 unknown agent, CO462 unknown
        profile.
        """
        return self._one("assign_profile", ProfileResult, agent=agent, profile=profile)

    def audit_head(self, seal: bool | None = None) -> Result:
        """Operators and auditors: seal the tenant's finished audit events (p_seal, default true) and return its
        chain head, the newest sealed link: details.chain_seq, hash, event_id, occurred_at, sealed_at and
        head, a printable line (coord-audit-head:1:<tenant>:<chain_seq>:<hash>). Keep it outside the database;
        verify_audit(p_head => ...) later refuses a chain that no longer holds it (its newest links deleted,
        or rewritten). Code head, or denied. Audited as audit.head.
        """
        return self._one("audit_head", Result, seal=seal)

    def audit_since(self, after: int | None = None, limit: int | None = None) -> list[AuditSinceRow]:
        """Operators and auditors: every audit event of your tenant after p_after (an id this function or
        events_since returned; 0: from the start), oldest first in stream order, at most p_limit; only events
        of finished transactions older than every running one, so resuming after the last id received misses
        nothing (coord audit tail --follow). Errors: CO224 limit, CO651 unknown id, PT403.
        """
        return self._rows("audit_since", AuditSinceRow, after=after, limit=limit)

    def authenticate(self) -> PrincipalInfo:
        """Verifies the x-coord-token header, or the JWT of an Authorization: Bearer header (signature, alg
        HS256, exp, nbf and its jti as a token of this database), in request.headers (and the optional
        x-coord-session header: a session of that principal; the repository is the session's, else the
        token's, else default) and vouches for its principal for this transaction; returns the principal, or
        null when anonymous. PT401 for a bad token or JWT, for both credentials at once, and for a token of
        another tenant than the one the session's login is bound to (coord login add). Use api.pre_request
        (PostgREST) or api.login (psql) rather than calling it directly.
        """
        return self._one("authenticate", PrincipalInfo)

    def begin_request(self, function: str, headers: str, read_only: bool | None = None) -> PrincipalInfo:
        """The Python client's request context in one call: sets what PostgREST sets for POST /rpc/p_function
        (role coord_anon, anonymous claims, method, path, p_headers as request.headers, no cookies), makes the
        transaction read-only when p_read_only (a stable function), then runs api.pre_request (verifies the
        x-coord-token or Authorization: Bearer header, switches role). Sent pipelined with the api call in one
        implicit transaction.
        """
        return self._one("begin_request", PrincipalInfo, function=function, headers=headers, read_only=read_only)

    def cancel_approval(self, approval_id: int, reason: str | None = None) -> ApprovalResult:
        """The requester withdraws its pending approval request p_approval_id (p_reason optional, at most 1000
        characters). Code cancelled; not_requester when the request is another principal's (approvers deny
        instead), not_pending when it is decided, used or expired (or a racing decision won); denied when the
        policy refuses (details.rule). Audited (approval.cancel). Errors: CO464 unknown request, CO466 reason,
        CO213.
        """
        return self._one("cancel_approval", ApprovalResult, approval_id=approval_id, reason=reason)

    def cancel_task(self, task_id: int) -> TaskResult:
        """Cancels a queued or claimed task (a claimant's later complete/fail gets stale_claim) and,
        transitively, the queued tasks depending on it: code cancelled with details.dependents_cancelled.
        Agents below trust 3 may cancel only tasks they submitted (else denied); trust-3+ agents and operators
        any. already_finished for a finished task. Errors: CO410 unknown task.
        """
        return self._one("cancel_task", TaskResult, task_id=task_id)

    def cedar_policy(self, version: int | None = None) -> list[CedarPolicyRow]:
        """The tenant's policy engine, whether this server can run Cedar, and Cedar policy version p_version
        (default the newest; version null: none stored, policy is the shipped baseline), with the shipped
        schema it is validated against. Read-only. Errors: CO563 unknown version, PT403.
        """
        return self._rows("cedar_policy", CedarPolicyRow, version=version)

    def cedar_policy_history(self) -> list[CedarPolicyHistoryRow]:
        """Every Cedar policy version of the tenant, newest first: who stored it, when, why, the version a
        rollback restored, the SHA-256 of its text, and which is in force. Read-only. Errors: PT403.
        """
        return self._rows("cedar_policy_history", CedarPolicyHistoryRow)

    def check_locks(self, paths: Sequence[str]) -> list[LockCheck]:
        """For each of p_paths (1-1000, normalized) in your repository (your session's, else your token's, else
        default; column repository), the live leases there that overlap it: on the same node, on an enclosing
        directory, or anywhere below it (a path covers its subtree with or without a trailing /: src and
        src/app.py overlap). One row per lease, or one row with locked = false. fence is shown only for your
        own leases. Read-only. Errors: CO217 count, CO241 not a flat list, CO201-CO206 paths.
        """
        return self._rows("check_locks", LockCheck, paths=paths)

    def check_message_route(self, sender: str, recipient: str) -> list[CheckMessageRouteRow]:
        """Operators and auditors: would a message from p_sender (NAME or agent:NAME) to p_recipient (NAME,
        team:NAME or *) pass your tenant's allowlist? One row per recipient as send_message would address
        them: allowed, the refusing side and rule_id (null: the tenant default), and each side's decision and
        rule. Nothing is sent. Read-only. Errors: CO710, CO302, CO462, PT403.
        """
        return self._rows("check_message_route", CheckMessageRouteRow, sender=sender, recipient=recipient)

    def check_network(self, domain: str) -> NetworkDecision:
        """May you contact p_domain (a host name or an IP address, or an http(s) URL: the host its fetch reaches,
        as a WHATWG parser such as Node's reads it)? A URL whose host cannot be told for certain (backslashes,
        user info, tabs or controls, percent-encoded or non-ASCII hosts, not exactly two slashes, another
        scheme, a numeric host that is no IPv4 address, a host that is no valid host name (a label with an
        underscore or an edge hyphen); U+2400 stands for a NUL the client saw) is denied with decided_by url,
        audited with target type url. Normalizes it to one canonical spelling: names to lower case without
        trailing dot or port (IDN as punycode); IPv4 addresses in any form inet_aton accepts (2852039166,
        0xa9fea9fe, 169.254.43518, 0251.0376.0251.0376, 127.1) to the dotted quad; IPv6 bracketed or not, with
        or without port and zone id, to RFC 5952, and IPv4-mapped, -translated, -compatible and NAT64
        (64:ff9b::/96; the rest of 64:ff9b::/32 in the RFC 6052 placement that lands in a non-global range,
        else the local-use 64:ff9b:1::/48 read as a /96) addresses, and 6to4 and Teredo addresses of
        non-global IPv4 addresses, to the IPv4 address they embed. Other URLs, paths, user info,
        percent-encoding, non-ASCII, bad ports and numeric hosts that are no IPv4 address are CO451. Then the
        highest-priority matching rule of your tenant, your profile or you decides (names: exact or *.suffix
        for subdomains; addresses: the address and range rules containing it; deny wins at equal priority),
        else your profile's network_default, else the tenant's. ok with code allowed, or denied
        (details.decided_by: agent, profile, tenant or default), or outside_skill when your session runs a
        skill whose manifest does not name the host (decided_by skill; details.needs, details.skill; rules are
        not asked); domain is the canonical host. Every check is audited (details.requested keeps what you
        sent). Errors: CO451.
        """
        return self._one("check_network", NetworkDecision, domain=domain)

    def check_operation(self, kind: str, text: str, approval: int | None = None) -> GuardrailDecision:
        """May you run this? p_kind is command (shell text), sql (SQL text), path (a file you will write or
        delete; a relative path is read from the repository root, and one climbing above it is blocked by
        edit-outside-repository) or env (the name of an environment variable you will read: allowed, unless
        your session runs a skill whose manifest does not name it). The text is normalized (chains, pipelines,
        sh -c / bash -lc / env / sudo / xargs wrappers, substitutions, quotes, $IFS, binary paths, merged and
        reordered flags; SQL without comments and literals; paths collapsed) and matched against your tenant's
        enabled guardrail rules. Code allowed (ok; overridden when your trust overrode a low/medium rule at
        trust 3 or a high one at trust 4, which is recorded), blocked or needs_approval, with the matching
        rules and the normalized units; critical rules are never overridden and blocked operations are never
        approved. U+2400 stands for a NUL the client saw (text cannot hold U+0000): a command or path holding
        it is blocked (normalizer), and so is a text longer than the 10000 characters the normalizer reads.
        needs_approval records an approval request (approval_id; the same pending one while you repeat the
        call): once an approver (coord approvals approve) or an auto-approval policy approves it, repeat the
        identical call with p_approval => approval_id to be allowed once (approval_id then names the grant
        used); a used grant is approval_used, one for another operation, agent or repository
        approval_mismatch, one not approved (pending, denied, expired, cancelled) approval_not_granted. A
        refusal of the policy is denied (details.rule); outside_skill when your session runs a skill whose
        manifest does not give write access to the path or name the variable (details.needs, details.skill;
        the guardrails are not asked). details.writes (a command): the files it writes, deletes or changes the
        mode of that a lease could name (literal paths, relative ones read from where the command starts and
        after its cd, ~/x from the home directory of the client, which expands it; not globs, expansions,
        other homes, caches, /dev/null or .git), which a client leasing what an agent edits leases too where
        they lie inside its repository (the Claude Code hook does): formatters and fixers (black, ruff format,
        prettier --write, gofmt -w, ...) write their operands, git checkout -- / restore / mv, sort -o,
        sponge, gzip, tar -x, unzip and zip what they write; a glob below a literal directory is that
        directory; . is the directory the command starts in (a client finding it is the repository root asks
        check_operation of the path .); what runs on another machine or in a container (ssh, docker/kubectl
        exec) is left out. details.unleased (a command): what it writes that only the run can tell ($F,
        $(...), find's {}, a glob where it starts, anything after a cd to such a place or one that may not
        run): a client must not run it unasked (the hook asks). Both are recorded in the audit event. Every
        check is audited; blocks, approvals needed and overrides are kept as violations. Errors: CO471 kind,
        CO472 empty, CO770 env name.
        """
        return self._one("check_operation", GuardrailDecision, kind=kind, text=text, approval=approval)

    def claim_action(self, action_id: int | None = None, lease: timedelta | str | None = None) -> ActionResult:
        """Devices and agents (scope actions:claim): claim approved action p_action_id aimed at you, or the
        oldest one when null (an action whose last claim's lease ran out is released first), with a lease of
        p_lease (1 second to 1 hour, default 5 minutes). Code claimed with the claim (the fencing token
        renew_action, complete_action and fail_action need), the lease, kind and payload; the first claim uses
        the action's approval. empty when none is approved for you (LISTEN on details.channel: each approval
        is announced there); not_claimable (state says which), not_target, expired (the claim deadline or the
        approval ran out); denied when the policy refuses (details.rule). Errors: CO457 unknown action, CO458
        lease, CO213.
        """
        return self._one("claim_action", ActionResult, action_id=action_id, lease=lease)

    def claim_or_wait(self, kinds: Sequence[str], lease: timedelta | str | None = None,
                      waiting: bool | None = None) -> ClaimResult:
        """claim_task for a claimer that waits for work: LISTEN on the tenant's task channel (details.channel of
        an empty claim) first, committed (autocommit), then call this; while it answers empty, this connection
        counts as a waiting claimer and every task that becomes ready is announced on the channel (payload:
        its kind), so call it again when one arrives (and every few seconds: a task whose run_after passes is
        not announced). A connection that does not LISTEN on the channel (a pooled connection of PostgREST or
        the MCP server, one whose LISTEN has not committed yet, one that UNLISTENed) is no waiting claimer:
        for it this is claim_task, and it stops waiting. With p_waiting false (the last look, when you stop
        waiting) or once it answers anything else, the connection stops waiting; so does closing it. Nothing
        is announced while no claimer waits. Codes as claim_task: claimed, or ok=false with empty,
        outside_skill, at_limit, session_ended or denied. Errors: CO241/CO401/CO402 kinds, CO406 lease, CO213.
        """
        return self._one("claim_or_wait", ClaimResult, kinds=kinds, lease=lease, waiting=waiting)

    def claim_task(self, kinds: Sequence[str], lease: timedelta | str | None = None) -> ClaimResult:
        """Claims the best ready task of p_kinds (priority, then age) for p_lease: code claimed with task_id,
        payload, claim (the fencing token renew/complete/fail need), attempt and lease_expires_at, and in
        locks the fences of the leases it declared. A task that declares leases is claimed only if you may
        take them as acquire_lock would (scope locks:write, trust, allowed operations, the lease within
        max_lock_ttl) and they fit your profile's max_locks; otherwise it is skipped, stays queued, and the
        refusal is audited (lock.acquire). ok=false with empty, outside_skill (your session runs a skill whose
        manifest does not cover the leases every ready task declares: details.task_ids, needs, skill; those
        tasks stay queued), at_limit (your concurrency limit; or, with details.max_locks, leases_held,
        leases_needed and task_ids, the leases of the ready tasks do not fit max_locks), session_ended or
        denied (the claim, or with details.rule and task_ids the leases the ready tasks declare). Errors:
        CO241/CO401/CO402 kinds, CO406 lease, CO213.
        """
        return self._one("claim_task", ClaimResult, kinds=kinds, lease=lease)

    def claim_task_by_id(self, task_id: int, lease: timedelta | str | None = None) -> ClaimResult:
        """Claims task p_task_id for p_lease if it is ready (queued, dependencies completed, run_after passed,
        within your trust), with the same gate, limits and declared leases as claim_task: code claimed with
        the claim token (the fencing token renew/complete/fail need), lease_expires_at and the fences of its
        declared leases. ok=false with empty (the task is claimed, finished or not ready, or its leases are
        busy), outside_skill (your session's skill does not cover its declared leases), at_limit,
        session_ended or denied. coord git-sync uses it to import a claim taken on the git fallback. Errors:
        CO410 unknown task, CO406 lease, CO213.
        """
        return self._one("claim_task_by_id", ClaimResult, task_id=task_id, lease=lease)

    def claim_tasks(self, kinds: Sequence[str], lease: timedelta | str | None = None,
                    limit: int | None = None) -> list[ClaimResult]:
        """Claims up to p_limit (1-1000) ready tasks of p_kinds in one transaction, as claim_task does for one:
        one row per claim; when nothing was claimed, a single ok=false row (empty, at_limit, session_ended,
        denied, outside_skill: the leases the ready tasks declare are outside your session's skill). Tasks
        whose declared leases you may not take (the lock.acquire decision, or your profile's max_locks, which
        counts every lease you hold) are skipped and stay queued; each refusal is audited as lock.acquire
        denied or at_limit. Claims are audited by the task state machine (with the decision that allowed
        them); a claim that takes nothing is audited as task.claim with its code (empty: severity debug).
        Errors: CO241/CO401/CO402 kinds, CO406 lease, CO224 limit, CO213.
        """
        return self._rows("claim_tasks", ClaimResult, kinds=kinds, lease=lease, limit=limit)

    def claim_webhook_deliveries(self, limit: int | None = None, lease: timedelta | str | None = None) -> Result:
        """Operators (the deliverer: coord notify, coord maintain): writes the outbox rows for your tenant's
        webhooks' new events, then claims up to p_limit due deliveries until now + p_lease (SKIP LOCKED:
        concurrent deliverers share the work). details.deliveries: delivery_id, claim, url, body, signature
        (send as X-Coord-Signature), idempotency_key (send as Idempotency-Key), event_type, attempt. POST each
        and call report_webhook_delivery. A claimed attempt counts; deliveries whose last attempt was never
        reported become dead (details.died). Code deliveries_claimed, or denied. Errors: CO224 limit, CO654
        lease (1 s to 1 h). Audited as webhook.claim when something was claimed, fanned out or buried.
        """
        return self._one("claim_webhook_deliveries", Result, limit=limit, lease=lease)

    def complete_action(self, action_id: int, claim: int, result: Any = None) -> ActionResult:
        """The target holding live claim p_claim on action p_action_id: report it executed with p_result (a JSON
        object up to 64 KiB). Code executed (final); stale_fence (the action was claimed again or finished
        since your claim: a late report never lands), expired (the lease ran out first: the action went back
        to approved, or failed after its last attempt), not_target; denied when the policy refuses
        (details.rule). Errors: CO457 unknown action, CO458 claim or result, CO213.
        """
        return self._one("complete_action", ActionResult, action_id=action_id, claim=claim, result=result)

    def complete_task(self, task_id: int, claim: int, result: Any = None, approval: int | None = None) -> TaskResult:
        """Completes the task if p_claim is your live claim (code completed): the result (JSON, at most 64 KiB)
        is stored, its declared leases are released and its dependents move toward ready. A stale, foreign or
        expired claim is refused as a result (stale_claim, expired, session_ended) and changes nothing but the
        rescue of an expired claim. Operations the agent declares it ran (p_result.operations: command strings
        or {"kind": "command|sql|path", "text": ...}, at most 100) are checked against the guardrails at the
        agent's trust (each check audited, violations kept): if any is blocked the result is blocked with
        details.operations, nothing is completed and the task stays claimed; blocked operations are never
        approved. If any needs approval (and none is blocked) the result is needs_approval and an approval
        request for this completion (the task and its declared operations) is recorded (approval_id; the
        pending one while you repeat the call): once approved, the same completion with p_approval =>
        approval_id completes the task, once; a used grant is approval_used, one for another completion or
        agent approval_mismatch, one not approved approval_not_granted (the task stays claimed). A task
        submitted with p_verify tiers completes only when each has a passing record under this claim
        (record_verification, coord verify): otherwise unverified (details.missing), the task stays claimed. A
        refusal of the policy is denied (details.rule). Errors: CO477 malformed operations, CO471, CO472,
        CO412 when this claim already completed it, CO410 unknown task, CO413 claim, CO404 result over 64 KiB,
        CO242 result nested over 32 levels, CO213.
        """
        return self._one("complete_task", TaskResult, task_id=task_id, claim=claim, result=result, approval=approval)

    def complete_tasks(self, tasks: Any) -> list[TaskResult]:
        """Completes several claimed tasks (p_tasks: a JSON array of 1-1000 objects {"task_id": id, "claim":
        claim, "result": {...}}, result optional, each task once) all or none, in one transaction, as
        complete_task does for each: one row per item, in the order given. Every claim, and the guardrails on
        the operations each result declares, is checked before anything is completed: when all pass, every row
        is completed; when any is refused (stale_claim, expired, session_ended, unverified, blocked,
        needs_approval, denied), nothing is completed: those rows say why (and are committed as complete_task
        commits them: an expired claim goes back to the queue, guardrail checks are kept), the others are
        batch_refused (details.refused lists the refused task ids and codes). One policy decision per task
        (the call counts once against calls_per_hour); refusals are audited as task.complete, completions by
        the task state machine. A needs_approval row carries the approval_id of a request for that completion:
        once approved, complete that task with complete_task(p_approval => approval_id) (a batch never spends
        a grant it is given, since another item could refuse the batch; an auto-approval policy's grant is
        used at once, as by complete_task). Use it with claim_tasks to finish a batch of short tasks in one
        round trip. Errors: CO421 malformed batch or a task named twice, CO404 batch over 4 MiB or a result
        over 64 KiB, CO242, CO410 unknown task, CO413 claim, CO412 when a claim already completed its task,
        CO477/CO471/CO472 malformed operations, CO213.
        """
        return self._rows("complete_tasks", TaskResult, tasks=tasks)

    def create_agent(self, name: str, scopes: Sequence[str] | None = None, expires_in: timedelta | str | None = None,
                     repository: str | None = None) -> TokenGrant:
        """Operators: registers agent p_name in your tenant and returns its first token (code issued; the token
        is shown once) with p_scopes (default {*}) and optional lifetime p_expires_in; p_repository names the
        repository its calls act in outside a session (default: default). denied when the policy refuses,
        including scope.escalation: every scope of the new token must be held by your own. Errors: CO207 bad
        repository, CO221 bad name, CO241/CO222 bad scopes, CO223 bad lifetime (at most 100 years), CO304 name
        taken.
        """
        return self._one("create_agent", TokenGrant, name=name, scopes=scopes, expires_in=expires_in,
                         repository=repository)

    def create_profile(self, name: str, trust_level: int, settings: Any = None) -> ProfileResult:
        """Operators and trust-4 agents: creates a profile with p_trust_level (0 suspended, 1 read-only, 2
        standard, 3 elevated, 4 admin) and the limits in p_settings (p_settings is a JSON object): max_locks,
        max_lock_ttl, max_concurrent_tasks, allowed_task_kinds, allowed_operations (action names or prefix.*),
        max_task_duration, calls_per_hour, network_default (allow|deny), description; an absent or null limit
        means none. Code created with details = the profile; denied (an agent cannot create trust above its
        own). Errors: CO461 name, CO463 setting, CO404/CO242 settings over 64 KiB or 32 levels, CO304 name
        taken.
        """
        return self._one("create_profile", ProfileResult, name=name, trust_level=trust_level, settings=settings)

    def delete_profile(self, name: str) -> ProfileResult:
        """Operators and trust-4 agents: deletes a profile no agent has and that is not the default; its network
        rules, the message rules naming it as a team and its team's memories go with it
        (details.network_rules, message_rules and team_memories count them, in the result and the audit
        event). Code deleted; in_use (details.is_default, agents) or denied. Errors: CO462 unknown profile.
        """
        return self._one("delete_profile", ProfileResult, name=name)

    def deny_messages(self, sender: str, recipient: str, side: str | None = None, reason: str | None = None) -> Result:
        """Operators: adds a deny rule to your tenant's message allowlist: p_sender (a sender) may not message
        p_recipient (a recipient), each NAME or agent:NAME (a principal), team:NAME (the agents acting under a
        profile) or * (anyone), on p_side send (the sender's permission), receive (the recipient's acceptance)
        or both (default). On each side a matching deny wins over any allow, an allow over the tenant default
        (set_message_default); a message passes when both sides allow. Code added with details.rule_id;
        unchanged when the same rule exists (its rule_id); denied when the policy refuses (details.rule).
        Audited as message.rule_add. Errors: CO714 side or malformed party, CO215 reason, CO302 unknown
        principal, CO462 unknown profile.
        """
        return self._one("deny_messages", Result, sender=sender, recipient=recipient, side=side, reason=reason)

    def deny_request(self, approval_id: int, reason: str) -> ApprovalResult:
        """Operators, and agents whose profile has trust 4: deny the pending approval request p_approval_id with
        p_reason (1-1000 characters); the requester's call stays refused. Code rejected (the request is
        denied); self_approval when the request is yours (or of a principal you act for), not_pending when it
        is decided, used, cancelled or expired (also a lost race with another approver); a refusal of the
        policy is code denied with details.rule. Every answer is audited (approval.deny). Errors: CO464
        unknown request, CO466 reason, CO213.
        """
        return self._one("deny_request", ApprovalResult, approval_id=approval_id, reason=reason)

    def device_heartbeat(self) -> Result:
        """Devices and agents (scope presence:write): say you are alive. Sets when you were last seen; you count
        as online (discover_devices, list_devices) for coord.action_settings.presence_window (2 minutes) after
        it, so heartbeat every minute or so. Claiming, renewing and reporting actions count as being seen too.
        Code alive with details.last_seen_at and online_until; denied when the policy refuses (details.rule).
        Errors: CO213.
        """
        return self._one("device_heartbeat", Result)

    def discover_agents(self, capability: str | None = None, presence: str | None = None) -> list[AgentPresence]:
        """Sessions of your tenant (live, and those ended within the last hour), optionally with a capability and
        a presence: online (heartbeat within half its ttl), idle (older, still within ttl) or offline (ended
        or expired). Read-only. Errors: CO434 presence, PT403.
        """
        return self._rows("discover_agents", AgentPresence, capability=capability, presence=presence)

    def discover_devices(self, presence: str | None = None, scope: str | None = None) -> list[DiscoverDevicesRow]:
        """Devices of your tenant that are not revoked, with their owner, the scopes of their live tokens,
        presence (online while last seen within 2 minutes, coord.action_settings.presence_window, by
        device_heartbeat or an action call, or while the newest session's heartbeat is within twice its ttl;
        offline otherwise), when they were last seen and how many approved actions wait for them; optionally
        only p_presence (online or offline) and only devices whose tokens grant p_scope (e.g. actions:claim).
        Read-only. Errors: CO478 presence, CO222 scope, PT403.
        """
        return self._rows("discover_devices", DiscoverDevicesRow, presence=presence, scope=scope)

    def end_session(self) -> SessionResult:
        """Ends your session (x-coord-session): its leases are released and its claimed tasks requeued (details
        name them); code ended. session_ended if it was already over; denied when the policy refuses
        (details.rule). Errors: CO431 no session.
        """
        return self._one("end_session", SessionResult)

    def events_head(self) -> list[EventsHeadRow]:
        """Where your tenant's event stream stands: id, the position to pass to events_since to get only what
        comes after now (0 when the stream is empty), and held, how many committed events wait behind a
        transaction that is still running (they are handed out once it ends; a follower reads again soon
        instead of waiting for a notification). Errors: PT403.
        """
        return self._rows("events_head", EventsHeadRow)

    def events_since(self, after: int | None = None, types: Sequence[str] | None = None,
                     limit: int | None = None) -> list[EventsSinceRow]:
        """The typed event stream of your tenant (lease.*, task.*, session.*, alert.*, approval.*): events after
        p_after (an id this function returned; 0: from the start), oldest first, at most p_limit. p_types:
        event types, families (lease.*) or * (null: all). Each type needs its read permission (alerts:
        operators and auditors; approvals: audit readers); types you may not read are left out. Only events of
        finished transactions older than every running one are handed out, so resuming after the last id you
        received misses nothing even when a transaction commits late; ids are not increasing in stream order,
        so keep the last one, not the largest. Errors: CO224 limit, CO650 types, CO651 unknown id, PT403.
        """
        return self._rows("events_since", EventsSinceRow, after=after, types=types, limit=limit)

    def explain_operation(self, kind: str, text: str) -> GuardrailExplanation:
        """How check_operation would see an operation, without recording it: each unit (command, SQL statement or
        path) with its parsed operation (program, subcommand, flags, operands, redirections) and its effects
        (action x target x target classes), the rules that match and the answer at your trust. Read-only.
        Errors: CO471, CO472, PT403.
        """
        return self._one("explain_operation", GuardrailExplanation, kind=kind, text=text)

    def fail_action(self, action_id: int, claim: int, error: str) -> ActionResult:
        """The target holding live claim p_claim on action p_action_id: report it failed with p_error (1-1000
        characters). Code failed (final: a failed action is not retried; only an expired lease is);
        stale_fence, expired, not_target as for complete_action; denied when the policy refuses
        (details.rule). Errors: CO457 unknown action, CO458 claim or error, CO213.
        """
        return self._one("fail_action", ActionResult, action_id=action_id, claim=claim, error=error)

    def fail_task(self, task_id: int, claim: int, error: str, retryable: bool | None = None) -> TaskResult:
        """Reports that your live claim failed. Retryable (default): the task is requeued after a jittered
        exponential backoff (code requeued, run_after) or, on its last attempt, becomes dead (code dead; its
        dependents are cancelled). Not retryable: code failed, dependents cancelled
        (details.dependents_cancelled). Stale claims are refused as results (stale_claim, expired,
        session_ended); denied when the policy refuses (details.rule). Errors: CO410, CO413, CO416 error text
        over 4000 characters, CO213.
        """
        return self._one("fail_task", TaskResult, task_id=task_id, claim=claim, error=error, retryable=retryable)

    def fleet_status(self, limit: int | None = None) -> Any:
        """Operators and auditors: your tenant's fleet in one jsonb document (what coord watch shows). Keys:
        tenant, at (the time it was read), channel (LISTEN on it: each change to the tenant's leases, tasks,
        sessions, alerts, approval requests or actions sends the tenant id, never data; read this again then),
        counts {agents (enabled), leases, claims, dead_tasks, open_alerts, pending_approvals, open_actions},
        agents [{name, kind, role, presence online|idle|offline, last_seen, live_sessions, leases, claims}],
        leases [{repository, path, mode, fence, holder, session_id, task_id, reason, acquired_at,
        expires_at}], claims [{task_id, kind, agent, session_id, attempts, claimed_at, lease_expires_at}],
        queue [{kind, state queued|claimed|failed|dead, count, ready, oldest_ready_age_seconds}], dead_tasks
        [{task_id, kind, attempts, last_error, finished_at}] newest first, alerts (open) [{alert_id, rule,
        severity, actor_name, event_count, raised_at, last_event_at}] newest first, approvals (pending,
        unexpired) [{approval_id, requester, kind, target, rules, created_at, expires_at}] oldest first,
        actions in flight (proposed, approved or executing) [{action_id, kind, state, proposer, target,
        approval_id, claim, attempts, max_attempts, created_at, expires_at, lease_expires_at}] oldest first.
        Lists hold at most p_limit (1-1000) entries; counts are complete. Read-only. Errors: CO224 limit,
        PT403.
        """
        return self._value("fleet_status", limit=limit)

    def follow_events(self) -> Result:
        """Register this connection as a follower of your tenant's event stream until it closes: new events are
        then announced on details.channel (LISTEN on it first; the payload is a transaction id, no content:
        read them with events_since). Code following (details.settled false when a writer older than 10 s may
        finish unannounced: read again later), or denied. Call it on a connection of its own, not a pooled
        one. Audited as event.follow.
        """
        return self._one("follow_events", Result)

    def forget(self, memory_id: int) -> Result:
        """Forgets (deletes) a memory: agents their own, operators any memory of the tenant. Code forgotten;
        not_author when an agent names a memory it can see but did not write; denied when the policy refuses
        (details.rule). Errors: CO448 no such memory (or none you can see).
        """
        return self._one("forget", Result, memory_id=memory_id)

    def get_action(self, action_id: int) -> Action:
        """Action p_action_id: its kind, payload, required scopes, proposer, target, approval request, state,
        claim and attempts, result or error. Agents see the actions they proposed or are the target of (trust
        4: all); operators and auditors all of the tenant. Read-only. Errors: CO457 unknown action, PT403.
        """
        return self._one("get_action", Action, action_id=action_id)

    def get_approval(self, approval_id: int) -> Approval:
        """One approval request: the operation (canonical form and its sha256), requester, target, the rules that
        asked, the scopes a policy must cover, state, expiry and the decision. Yours; operators, auditors and
        trust-4 agents see all of the tenant. Read-only. Errors: CO464 unknown request, PT403.
        """
        return self._one("get_approval", Approval, approval_id=approval_id)

    def get_skill(self, skill: str) -> list[GetSkillRow]:
        """One skill version: p_skill is name@version, or a name for its highest version not retired (else its
        highest). The columns of list_skills. Read-only. Errors: CO760 malformed reference, CO765 unknown
        skill, PT403.
        """
        return self._rows("get_skill", GetSkillRow, skill=skill)

    def get_task(self, task_id: int) -> Task:
        """One task of your tenant with its state, claim, dependencies and result. Read-only. Errors: CO410
        unknown task, PT403.
        """
        return self._one("get_task", Task, task_id=task_id)

    def get_thread(self, thread_id: int, limit: int | None = None) -> list[GetThreadRow]:
        """The messages of thread p_thread_id (the id of its first message) that you sent or received, oldest
        first, at most p_limit (1-1000, default 100); read_at is your ack (null for your own messages and
        unread ones). Read-only. Errors: CO712 (a thread you have no message in), CO224, PT403.
        """
        return self._rows("get_thread", GetThreadRow, thread_id=thread_id, limit=limit)

    def heartbeat(self, status: str | None = None, current_task: int | None = None) -> SessionResult:
        """Keeps your session (x-coord-session) alive until now + its ttl and extends every lease and claim it
        holds to at least that (code alive), a lease never past now + the profile's max_lock_ttl, a claim
        never past its deadline (claimed_at + the profile's max_task_duration) nor past the leases of its
        task. Leases are extended only if you may still hold them (the decision renew_lock takes), claims only
        if you may still renew them (renew_task's); otherwise details.locks_refused / claims_refused name the
        rule, the refusal is audited, and they run out. p_status is one lower-case word (working, idle,
        blocked, ...), p_current_task what you work on. A session that missed its heartbeat is over:
        session_ended, and its leases and claims are gone; start a new one. A refusal of the policy is denied
        (details.rule). Errors: CO431 no session, CO434 status, CO410 unknown task.
        """
        return self._one("heartbeat", SessionResult, status=status, current_task=current_task)

    def inbox(self, unread: bool | None = None, since: datetime | str | None = None,
              limit: int | None = None) -> list[InboxRow]:
        """Messages delivered to you, oldest first: unread only (p_unread, default true) or all, created after
        p_since when given, at most p_limit (1-1000, default 50). sent_to is the address the sender used (a
        name, team:NAME or *). Reading does not mark read: ack_messages does. Read-only. Errors: CO224, CO226,
        PT403.
        """
        return self._rows("inbox", InboxRow, unread=unread, since=since, limit=limit)

    def list_actions(self, state: str | None = None, side: str | None = None, limit: int | None = None,
                     before_id: int | None = None) -> list[Action]:
        """Actions of your tenant, newest first: p_state proposed, approved, rejected, executing, executed,
        failed, expired (null: all); p_side proposer or target narrows to the actions you proposed or are the
        target of. Agents see those they proposed or are the target of (trust 4: all); operators and auditors
        all. p_limit 1-1000, older than p_before_id for paging. Read-only. Errors: CO478 state or side, CO224
        limit, PT403.
        """
        return self._rows("list_actions", Action, state=state, side=side, limit=limit, before_id=before_id)

    def list_alert_rules(self) -> list[AlertRule]:
        """Operators and auditors: the alert rules of your tenant with their open alert counts. Read-only.
        Errors: PT403.
        """
        return self._rows("list_alert_rules", AlertRule)

    def list_alerts(self, state: str | None = None, severity: str | None = None, rule: str | None = None,
                    actor: str | None = None, limit: int | None = None, before_id: int | None = None) -> list[Alert]:
        """Operators and auditors: alerts of your tenant, newest first, filtered by state (open, resolved),
        minimum severity (notice, warning, critical), rule name and actor name; page with p_before_id. Errors:
        CO224 limit, CO496 filter, PT403.
        """
        return self._rows("list_alerts", Alert, state=state, severity=severity, rule=rule, actor=actor, limit=limit,
                          before_id=before_id)

    def list_approval_policies(self) -> list[ApprovalPolicy]:
        """The auto-approval policies of your tenant by name. Read-only. Errors: PT403."""
        return self._rows("list_approval_policies", ApprovalPolicy)

    def list_approvals(self, state: str | None = None, limit: int | None = None,
                       before_id: int | None = None) -> list[Approval]:
        """Approval requests of your tenant, newest first: p_state pending (default), approved, denied, expired,
        cancelled, used, or null for all; agents see their own, operators, auditors and trust-4 agents all.
        p_limit 1-1000, older than p_before_id for paging. Read-only. Errors: CO456 state, CO224 limit, PT403.
        """
        return self._rows("list_approvals", Approval, state=state, limit=limit, before_id=before_id)

    def list_archives(self) -> list[ArchiveRow]:
        """Operators and auditors: the archived months of your tenant (newest first): file and content sha256,
        your events in it, the first and last chain position (the hot chain resumes after last_hash), the
        audit.archived event, and whether it is restored.
        """
        return self._rows("list_archives", ArchiveRow)

    def list_devices(self, presence: str | None = None) -> list[ListDevicesRow]:
        """Devices of your tenant with their owner, the scopes of their live tokens and presence: online while
        last seen (device_heartbeat, action calls) within 2 minutes or while the newest session's heartbeat is
        within twice its ttl, offline otherwise (or revoked); optionally only p_presence. Read-only. Errors:
        CO434 presence, PT403.
        """
        return self._rows("list_devices", ListDevicesRow, presence=presence)

    def list_guardrail_violations(self, limit: int | None = None,
                                  before_id: int | None = None) -> list[GuardrailViolation]:
        """Operators and auditors: the newest guardrail violations of your tenant (blocked, needs_approval,
        overridden), p_limit 1-1000, older than p_before_id for paging. Read-only. Errors: PT403, CO224.
        """
        return self._rows("list_guardrail_violations", GuardrailViolation, limit=limit, before_id=before_id)

    def list_guardrail_vocabulary(self) -> list[GuardrailWord]:
        """The actions and target classes guardrail operation rules are written in (api.add_guardrail p_actions
        and p_targets). Read-only. Errors: PT403.
        """
        return self._rows("list_guardrail_vocabulary", GuardrailWord)

    def list_guardrails(self, category: str | None = None) -> list[GuardrailRule]:
        """Guardrail rules of your tenant (optionally of one category), enabled or not: operation rules with
        their actions and target classes, pattern rules with their patterns. Read-only. Errors: PT403.
        """
        return self._rows("list_guardrails", GuardrailRule, category=category)

    def list_leases(self, agent: str | None = None) -> list[Lease]:
        """Operators and auditors: every live lease of your tenant (optionally of one holder, p_agent by name),
        ordered by repository and path: mode, fence, holder, the session and claimed task it belongs to,
        reason, acquired, renewed and expiry times. Read-only. Errors: PT403.
        """
        return self._rows("list_leases", Lease, agent=agent)

    def list_memories(self, tiers: Sequence[str] | None = None, tags: Sequence[str] | None = None,
                      mine: bool | None = None, limit: int | None = None,
                      before_id: int | None = None) -> list[ListMemoriesRow]:
        """The memories you may see in your repository (yours, your team's, the tenant's; p_mine: only yours),
        newest first, of p_tiers, carrying all p_tags; page with p_before_id. Read-only. Errors: CO442 tier,
        CO446 tags, CO224 limit, PT403.
        """
        return self._rows("list_memories", ListMemoriesRow, tiers=tiers, tags=tags, mine=mine, limit=limit,
                          before_id=before_id)

    def list_message_rules(self) -> list[ListMessageRulesRow]:
        """Your tenant's message allowlist: each rule (rule_id, allow or deny, side send, receive or both, from
        and to as NAME, team:NAME or *), deny rules first, and last the tenant default (rule_id null), which
        decides a side no rule of it matches. Read-only. Errors: PT403.
        """
        return self._rows("list_message_rules", ListMessageRulesRow)

    def list_network_rules(self) -> list[NetworkRule]:
        """Network rules of your tenant (agent or profile set for scoped rules) in the order they are tried
        (priority, deny before allow, age). Read-only. Errors: PT403.
        """
        return self._rows("list_network_rules", NetworkRule)

    def list_principals(self) -> list[PrincipalRow]:
        """Operators and auditors: the agents and users of your tenant with their live token and lease counts.
        """
        return self._rows("list_principals", PrincipalRow)

    def list_profiles(self) -> list[Profile]:
        """Profiles of your tenant with their trust level, limits, whether each is the default and how many
        agents have it. Read-only. Errors: PT403.
        """
        return self._rows("list_profiles", Profile)

    def list_skills(self, name: str | None = None, include_retired: bool | None = None) -> list[ListSkillsRow]:
        """Skill versions of your tenant (one skill with p_name; retired ones with p_include_retired), newest
        version first, with the canonical manifest, who registered it, the approval it used and how many live
        sessions run it. Read-only. Errors: PT403.
        """
        return self._rows("list_skills", ListSkillsRow, name=name, include_retired=include_retired)

    def list_tasks(self, state: str | None = None, kind: str | None = None, limit: int | None = None,
                   before_id: int | None = None) -> list[Task]:
        """Tasks of your tenant, newest first, optionally of one state and kind; page with p_before_id.
        Read-only. Errors: CO418 state, CO224 limit, PT403.
        """
        return self._rows("list_tasks", Task, state=state, kind=kind, limit=limit, before_id=before_id)

    def list_threads(self, limit: int | None = None) -> list[ListThreadsRow]:
        """The threads you sent or received messages in, most recently active first, at most p_limit (1-1000,
        default 50): the first subject you can see, who started what you see of it, your messages in it, how
        many of them you have not acked, and when the last was sent. Read-only. Errors: CO224, PT403.
        """
        return self._rows("list_threads", ListThreadsRow, limit=limit)

    def list_tokens(self) -> list[TokenRow]:
        """Operators and auditors: tokens of your tenant (never the token text; prefix identifies one)."""
        return self._rows("list_tokens", TokenRow)

    def list_verifications(self, task_id: int) -> list[Verification]:
        """The verification records of one task of your tenant, oldest first, with the claim each verified and
        who recorded it. Read-only. Errors: CO410 unknown task, PT403.
        """
        return self._rows("list_verifications", Verification, task_id=task_id)

    def list_webhook_deliveries(self, state: str | None = None, webhook: str | None = None, limit: int | None = None,
                                before_id: int | None = None) -> list[ListWebhookDeliveriesRow]:
        """Operators and auditors: webhook deliveries of your tenant, newest first (paged with p_before_id), by
        state (pending, delivered, dead) and webhook name: attempts, the next attempt of a pending one, the
        last HTTP status and error. Errors: CO224 limit, CO496 state, PT403.
        """
        return self._rows("list_webhook_deliveries", ListWebhookDeliveriesRow, state=state, webhook=webhook,
                          limit=limit, before_id=before_id)

    def list_webhooks(self) -> list[ListWebhooksRow]:
        """Operators and auditors: the webhook subscriptions of your tenant (never their secrets) with their
        deliveries pending, delivered and dead. Errors: PT403.
        """
        return self._rows("list_webhooks", ListWebhooksRow)

    def login(self, token: str) -> PrincipalInfo:
        """For psql: inside BEGIN ... COMMIT, authenticates with p_token exactly as a request carrying it would
        (an opaque token in the x-coord-token header, a JWT as Authorization: Bearer), and switches role.
        Lasts until the transaction ends.
        """
        return self._one("login", PrincipalInfo, token=token)

    def maintain(self) -> Result:
        """Operators: one eager sweep of your tenant now: ends sessions that missed their heartbeat (releasing
        their leases, requeueing their claims), rescues expired claims (requeue with backoff, or dead) and
        removes expired leases, expires approval requests and unused approvals past their expiry
        (approvals_expired), returns actions whose lease ran out to approved or fails them after their last
        attempt and expires approved actions nobody claimed in time (actions_retried, actions_failed,
        actions_expired), up to 1000 of each, deletes memories past their ttl or their tier's retention
        (memories_expired, memories_retired, up to 1000 each), seals finished audit events into the tenant's
        hash chain (audit_sealed), and audits drift of the logins that serve the tenant (the gateway, the
        request roles, its bound logins: login_drift, critical alert login-drift). Code swept, details counts;
        denied when the policy refuses (details.rule). coord maintain runs this for every tenant in a loop.
        """
        return self._one("maintain", Result)

    def my_locks(self) -> list[HeldLock]:
        """Your live leases in your repository (your session's, else your token's, else default) with their
        fences, ordered by path. Read-only.
        """
        return self._rows("my_locks", HeldLock)

    def my_profile(self) -> Profile:
        """The profile you act under (your own or the tenant default): trust level and limits. Allowed at every
        trust level, 0 included. Agents only (operators act with trust 4, auditors with 1). Errors: PT403.
        """
        return self._one("my_profile", Profile)

    def pre_request(self) -> PrincipalInfo:
        """PostgREST db-pre-request: verifies the x-coord-token header and switches to the principal's role
        (coord_agent, coord_operator or coord_auditor) for the rest of the transaction.
        """
        return self._one("pre_request", PrincipalInfo)

    def propose_action(self, kind: str, payload: Any, required_scopes: Sequence[str], target: str,
                       max_attempts: int | None = None) -> ActionResult:
        """Agents and operators: propose an action of p_kind with p_payload (a JSON object) for device or agent
        p_target, needing p_required_scopes from an auto-approval policy, tried at most p_max_attempts times
        (1-10, default 3). Its approval is an approval request (approval_id; kind action:<kind>, target the
        action), decided with approve_request / deny_request (never by you or a principal you act for) or by a
        policy whose scopes cover every required scope. Operations the action declares it will run
        (p_payload.operations: command strings or {"kind": "command|sql|path", "text": ...}, at most 100) are
        checked against the guardrails at your trust, as check_operation checks them (each check audited,
        violations kept, details.operations): a blocked one refuses the proposal (blocked, nothing proposed);
        one that needs approval adds its rules and guardrail:<category> scopes to the approval request, which
        an auto-approval policy must then cover too. Code proposed (waiting for approval) or approved (a
        policy approved it; the target may claim it); blocked; denied when the policy refuses (details.rule).
        Errors: CO458 bad field, CO459 unknown target, CO477 malformed operations, CO471, CO472, CO241, CO213.
        """
        return self._one("propose_action", ActionResult, kind=kind, payload=payload, required_scopes=required_scopes,
                         target=target, max_attempts=max_attempts)

    def prune_tasks(self, finished_before: timedelta | str | None = None) -> Result:
        """Operators: deletes completed, failed and cancelled tasks of your tenant that finished more than
        p_finished_before ago (default 7 days); dead tasks stay until an operator redrives them. Their history
        remains in the audit log. Code pruned, details.pruned counts by state; denied when the policy refuses
        (details.rule). Errors: CO420 interval negative or over 100 years.
        """
        return self._one("prune_tasks", Result, finished_before=finished_before)

    def query_audit(self, limit: int | None = None, action: str | None = None, target_id: str | None = None,
                    before_id: int | None = None, after_id: int | None = None, actor: str | None = None,
                    decision: str | None = None, target_type: str | None = None, since: datetime | str | None = None,
                    until: datetime | str | None = None, severity: str | None = None) -> list[AuditEvent]:
        """Operators and auditors: audit events of your tenant, filtered by action pattern (* matches any run,
        e.g. guardrail.*), target id and type, actor name, decision, time range [since, until) and minimum
        severity. Newest first, paged with p_before_id; with p_after_id, the events after that id oldest first
        (a tail cursor). Errors: CO224 limit, CO491 pattern, CO496 filter, CO226 since or until not finite or
        beyond 0001-01-02 .. 9999-12-30, PT403.
        """
        return self._rows("query_audit", AuditEvent, limit=limit, action=action, target_id=target_id,
                          before_id=before_id, after_id=after_id, actor=actor, decision=decision,
                          target_type=target_type, since=since, until=until, severity=severity)

    def query_restored_audit(self, partition: str | None = None, action: str | None = None, limit: int | None = None,
                             before_seq: int | None = None) -> list[RestoredEvent]:
        """Operators and auditors: events of your tenant from restored archives (coord audit restore), newest
        chain position first, optionally by partition (events_YYYY_MM) and action; page with p_before_seq.
        CO224 bad limit.
        """
        return self._rows("query_restored_audit", RestoredEvent, partition=partition, action=action, limit=limit,
                          before_seq=before_seq)

    def read_handoff(self, handoff_id: int | None = None, task_id: int | None = None, from_agent: str | None = None,
                     for_me: bool | None = None, limit: int | None = None) -> list[Handoff]:
        """Handoff documents of your tenant, newest first: one by id, about a task, from an agent, or (p_for_me)
        addressed to you or left by you for yourself. Read-only. Errors: CO224 limit, PT403.
        """
        return self._rows("read_handoff", Handoff, handoff_id=handoff_id, task_id=task_id, from_agent=from_agent,
                          for_me=for_me, limit=limit)

    def recall(self, query: str | None = None, tiers: Sequence[str] | None = None, tags: Sequence[str] | None = None,
               limit: int | None = None, embedding: Sequence[Any] | None = None) -> list[RecallRow]:
        """The memories you may see in your repository (yours, your team's, the tenant's; not expired), best
        first: of p_tiers, carrying all p_tags, at most p_limit (1-1000). Each row has its score and the parts
        of it: score = relevance x (0.3 + 0.7 recency) x (0.3 + 0.7 importance); relevance from text_rank
        (full text, any word of p_query) and trigram (pg_trgm word similarity, for identifiers and paths), and
        with p_embedding (384 numbers) vector_similarity (cosine) where pgvector is installed; recency halves
        every half-life of the tier (coord.memory_tiers). ranking says how rows were ranked (text, vector,
        hybrid, or recency when neither query nor embedding is given); note says when the embedding could not
        be used (no pgvector). Read-only. Errors: CO439 query over 1000 characters, CO442 tier, CO446 tags,
        CO447 embedding, CO224 limit, PT403.
        """
        return self._rows("recall", RecallRow, query=query, tiers=tiers, tags=tags, limit=limit, embedding=embedding)

    def record_verification(self, task_id: int, tier: str, executor: str, status: str, output_digest: str | None = None,
                            details: Any = None, claim: int | None = None) -> VerificationResult:
        """Records the result of one verification tier (static, unit, integration, system, manual) of a claimed
        task's work: p_executor says what ran it (e.g. coord verify, ci:github), p_status pass or fail,
        p_output_digest the sha256 (hex) of its output, p_details a JSON object (at most 16 KiB); p_claim
        (required) the claim whose work was verified, which must still be the live claim (get_task shows it:
        read it before the run). The record belongs to that claim; the latest record per tier under the
        completing claim decides whether complete_task may complete (otherwise unverified). Who may record:
        automated tiers the claimant (or its device or owner), an operator or a trust-4 agent; manual an
        operator or a trust-4 agent, never the claimant's side (verifier_not_allowed). Returns recorded with
        verification_id and missing (required tiers still without a pass), stale_claim when the task is not
        claimed (or by another claim), or denied. Errors: CO422 tier, CO423 status, executor, digest or
        details, CO410 unknown task, CO413 claim missing, CO404 details over 16 KiB, CO213.
        """
        return self._one("record_verification", VerificationResult, task_id=task_id, tier=tier, executor=executor,
                         status=status, output_digest=output_digest, details=details, claim=claim)

    def redrive_task(self, task_id: int) -> TaskResult:
        """Operators: returns a dead or failed task to the queue with its attempts reset (code queued).
        Dependents cancelled by its failure stay cancelled; resubmit them. ok=false with not_redrivable,
        duplicate (pending work has its unique_key) or denied. Errors: CO410 unknown task.
        """
        return self._one("redrive_task", TaskResult, task_id=task_id)

    def register_skill(self, name: str, version: str, manifest: Any, reason: str | None = None,
                       approval: int | None = None) -> SkillResult:
        """Registers version p_version (MAJOR.MINOR.PATCH, above every registered version of the skill) of skill
        p_name with permission manifest p_manifest {"network": [host or *.domain], "files": [{"path": pattern,
        "access": "read"|"write"}], "env": [NAME or PREFIX*]} (docs/skills.md). The manifest is validated
        strictly and stored canonical (details.manifest). Returns skill_id, name, version, approval_id and
        details. Code registered (details.skill_id, widened: the entries the previous version did not allow);
        already_registered for the same version with the same manifest (versions are immutable). A manifest
        wider than the previous version's (for the first version: any entry) registered by an agent (trust 4)
        is needs_approval: an approval request is recorded (approval_id); once an approver grants it, repeat
        the identical call with p_approval; approval_used, approval_mismatch, approval_not_granted as for
        check_operation. Operators need no approval. denied when the policy refuses. Errors: CO760 name or
        version, CO761 manifest structure, CO762 file pattern, CO763 network pattern, CO764 env entry, CO766
        version not above the registered ones, CO767 the version exists with another manifest, CO215 reason.
        """
        return self._one("register_skill", SkillResult, name=name, version=version, manifest=manifest, reason=reason,
                         approval=approval)

    def release_lock(self, path: str, fence: int) -> LockResult:
        """Releases your lease on p_path (in your repository) if p_fence is its current fence: ok with code
        released. Otherwise ok=false with expired (the lease ran out; it is removed), stale_fence (the path
        was granted again since), not_held, or held_by_task (the lease was taken by claiming a task and ends
        with it); denied when the policy refuses. Errors: CO201-CO206 bad path, CO213 not READ COMMITTED,
        CO216 fence.
        """
        return self._one("release_lock", LockResult, path=path, fence=fence)

    def release_locks(self, paths: Sequence[str], fences: Sequence[int]) -> list[LockResult]:
        """Releases your leases on p_paths (1-100 distinct paths, in your repository), each with the fence at the
        same position of p_fences, all or none, in one transaction: one row per lease, in the order given.
        When every lease is released all rows are ok (code released). When any is refused (expired,
        stale_fence, not_held, held_by_task, denied), nothing is released: those rows say why, the others are
        batch_refused (details.refused lists the refused paths and codes). One policy decision per lease;
        every lease is audited as lock.release. Use it to hand back the leases of finished work in one round
        trip; release_lock for one. Errors: CO218 count, fences not matching paths, or a path named twice,
        CO241 not a flat list, CO201-CO206 bad path, CO213, CO216 fence.
        """
        return self._rows("release_locks", LockResult, paths=paths, fences=fences)

    def remember(self, tier: str, content: str, tags: Sequence[str] | None = None, importance: Any = None,
                 ttl: timedelta | str | None = None, metadata: Any = None, embedding: Sequence[Any] | None = None,
                 visibility: str | None = None) -> Result:
        """Remembers content (1-10000 characters) in your repository, in a tier: working (scratch; expires, ttl
        default 1 hour, at most 7 days), episodic (what happened; removed 180 days after last remembered),
        procedural (how-to) or semantic (facts); tags (at most 32), importance 0-1, ttl (at most 10 years),
        metadata (a JSON object, 16 KiB), an optional embedding of 384 numbers (stored where pgvector is
        installed; details.note says when not) and visibility: private (default), team (the agents of your
        profile) or tenant. The same content from you in the same tier within its dedup window (working 1
        hour, episodic 1 day, others 30 days) is reinforced instead: code reinforced (importance the higher of
        the two, seen_count + 1, last seen now, tags and metadata merged); else code remembered.
        details.memory_id; denied when the policy refuses (details.rule). Errors: CO442 tier, CO443 content,
        CO444 importance, CO445 ttl, CO446 tags, CO447 embedding, CO440 metadata, CO449 visibility, CO241,
        CO242, CO404 (metadata over 16 KiB, also once merged with the reinforced memory's).
        """
        return self._one("remember", Result, tier=tier, content=content, tags=tags, importance=importance, ttl=ttl,
                         metadata=metadata, embedding=embedding, visibility=visibility)

    def remove_approval_policy(self, name: str) -> Result:
        """Operators: removes the auto-approval policy p_name; requests it approved keep their history
        (get_approval names no policy then). Code removed; denied when the policy gate refuses (details.rule).
        Errors: CO468 name, CO469 unknown policy.
        """
        return self._one("remove_approval_policy", Result, name=name)

    def remove_message_rule(self, rule_id: int) -> Result:
        """Operators: removes a rule of your tenant's message allowlist (list_message_rules shows the ids). Code
        removed; denied when the policy refuses (details.rule). Audited as message.rule_remove. Errors: CO715
        unknown rule.
        """
        return self._one("remove_message_rule", Result, rule_id=rule_id)

    def remove_network_rule(self, rule_id: int) -> Result:
        """Operators and trust-4 agents (never rules that apply to themselves: their own, their profile's, or
        tenant-wide ones): removes a network rule of your tenant (code removed); denied when the policy
        refuses (details.rule). Errors: CO453 unknown rule.
        """
        return self._one("remove_network_rule", Result, rule_id=rule_id)

    def remove_webhook(self, name: str) -> Result:
        """Operators: remove a webhook subscription and its deliveries (pending ones are not sent). Codes
        removed, denied. Errors: CO653 unknown webhook.
        """
        return self._one("remove_webhook", Result, name=name)

    def renew_action(self, action_id: int, claim: int, lease: timedelta | str | None = None) -> ActionResult:
        """The target holding live claim p_claim on action p_action_id: extend its lease to now + p_lease (1
        second to 1 hour, default 5 minutes). Code renewed; stale_fence (the action was claimed again or
        finished since your claim), expired (the lease already ran out: the action went back to approved, or
        failed after its last attempt), not_target; denied when the policy refuses (details.rule). Errors:
        CO457 unknown action, CO458 lease or claim, CO213.
        """
        return self._one("renew_action", ActionResult, action_id=action_id, claim=claim, lease=lease)

    def renew_lock(self, path: str, fence: int, ttl: timedelta | str | None = None) -> LockResult:
        """Extends your live lease on p_path (in your repository) to now + p_ttl if p_fence is its current fence
        (code renewed, same fence). An expired lease cannot be renewed (code expired): acquire it again for a
        new fence. stale_fence, not_held, held_by_task and denied as for release_lock; session_ended when your
        session is over. Errors: CO201-CO206, CO211, CO213, CO216.
        """
        return self._one("renew_lock", LockResult, path=path, fence=fence, ttl=ttl)

    def renew_task(self, task_id: int, claim: int, lease: timedelta | str | None = None) -> TaskResult:
        """Extends your live claim (and the leases the task declared) to now + p_lease: code renewed with
        details.lease_expires_at. ok=false with stale_claim, expired (the lease already ran out; the task was
        returned to the queue), session_ended or denied (also when the new expiry passes the claim's deadline:
        claimed_at + the profile's max_task_duration, and when you may no longer hold the task's leases for
        p_lease as renew_lock decides: scope locks:write, trust, allowed operations, max_lock_ttl;
        details.rule). Errors: CO410 unknown task, CO413 claim, CO406 lease, CO213.
        """
        return self._one("renew_task", TaskResult, task_id=task_id, claim=claim, lease=lease)

    def report_webhook_delivery(self, delivery_id: int, claim: UUID | str, ok: bool, status: int | None = None,
                                error: str | None = None) -> Result:
        """Operators (the deliverer): report one attempt of a delivery claimed with claim_webhook_deliveries:
        p_ok for a 2xx answer (delivered); otherwise p_status (HTTP status, none for a timeout or refused
        connection) and p_error: retry_scheduled (details.next_attempt_at: 10 s after the first failure,
        doubling, at most 1 h), or delivery_dead after the subscription's max_attempts. stale_delivery_claim
        when the claim ran out and the delivery was claimed again or finished, or the webhook was removed
        (details.state gone); denied. Errors: CO654.
        """
        return self._one("report_webhook_delivery", Result, delivery_id=delivery_id, claim=claim, ok=ok, status=status,
                         error=error)

    def resolve_alert(self, alert_id: int, note: str) -> Result:
        """Operators: resolves an open alert of your tenant with a note (code resolved; already_resolved when it
        was). A later match raises a new alert. denied when the policy refuses. Errors: CO497 note, CO494
        unknown alert.
        """
        return self._one("resolve_alert", Result, alert_id=alert_id, note=note)

    def retire_skill(self, name: str, version: str | None = None, reason: str | None = None) -> Result:
        """Retires version p_version of skill p_name (every version when p_version is null): no session starts
        under it any more (CO768); sessions running it stay held to its manifest until they end. Code retired
        (details.versions), or already_retired; denied when the policy refuses (operators, and agents at trust
        4). Errors: CO760 name or version, CO765 unknown skill or version, CO215 reason.
        """
        return self._one("retire_skill", Result, name=name, version=version, reason=reason)

    def revoke_device(self, name: str) -> Result:
        """Operators: any device of your tenant; agents: the devices they own. Disables device p_name and revokes
        every token it holds (code revoked, or already_revoked); its next call fails with PT401. denied when
        the policy refuses (principal.not_owner). Errors: CO302 unknown device.
        """
        return self._one("revoke_device", Result, name=name)

    def revoke_token(self, token_id: UUID | str) -> Result:
        """Operators: revokes a token of your tenant (code revoked, or already_revoked); its next use fails with
        PT401. denied when the policy refuses. Errors: CO303 unknown token.
        """
        return self._one("revoke_token", Result, token_id=token_id)

    def rollback_cedar_policy(self, version: int, reason: str) -> Result:
        """Operators: makes the text of Cedar policy version p_version the tenant's newest version again (a new
        version with rolled_back_from; the history keeps every version), with p_reason (code policy_stored,
        details.version, details.rolled_back_from); denied when the policy refuses (details.rule). It was
        validated when first stored. Errors: CO562 no reason, CO563 unknown version.
        """
        return self._one("rollback_cedar_policy", Result, version=version, reason=reason)

    def rotate_token(self, name: str, grace: timedelta | str | None = None,
                     token_id: UUID | str | None = None) -> TokenGrant:
        """Operators: any principal of your tenant; agents: themselves and the devices they own. Replaces the
        token p_token_id of principal p_name (default: its newest live token) with a new one of the same
        scopes (code rotated; the new token is shown once); the old one is refused at once (p_grace 0, the
        default) or after p_grace. not_live when the token is revoked or expired. denied when the policy
        refuses: principal.not_owner, scope.escalation (the token has a scope your own lacks). Errors: CO227
        grace outside 0..30 days, CO302 unknown principal, CO303 unknown token.
        """
        return self._one("rotate_token", TokenGrant, name=name, grace=grace, token_id=token_id)

    def send_message(self, to: str, body: str, subject: str | None = None, thread: int | None = None,
                     reply_to: int | None = None) -> Result:
        """Sends a message from you to p_to: an agent (NAME or agent:NAME), a team (team:NAME, the enabled agents
        acting under that profile, you excepted) or * (every enabled agent of your tenant but you). p_body
        1-10000 characters, p_subject optional, 1-200 characters without control characters; p_reply_to a
        message you sent or received (the reply joins its thread), p_thread a thread you are in (without
        either: a new thread). Each recipient must pass the two-sided allowlist (you may send to it and it
        accepts from you; docs/messages.md): code sent with details.message_id, thread_id, delivered (names)
        and skipped (each recipient refused, the side send or receive and the rule_id, null for the tenant
        default, or a disabled recipient); refused when nobody passed (nothing is stored); no_recipients when
        the team or tenant has no one else; denied when the policy refuses (details.rule). Recipients watching
        their inbox are notified with the message id. Audited as message.send (sizes and names, never the
        text). Errors: CO710 address, CO711 body, CO713 subject, CO712 unknown message or thread (or reply_to
        outside p_thread), CO302 unknown principal, CO462 unknown team.
        """
        return self._one("send_message", Result, to=to, body=body, subject=subject, thread=thread, reply_to=reply_to)

    def session_context(self, memories: int | None = None, tasks: int | None = None,
                        messages: int | None = None) -> Any:
        """The start of a session in one document: handoff (the latest addressed to you or left by you for
        yourself, or null), leases (your live leases in your repository), memories (the top p_memories, 0-100,
        you may see in your repository by recency x importance, as api.recall ranks them without a query),
        ready_tasks (up to p_tasks, 0-100, queued tasks of the tenant with no pending dependencies, newest
        first) and messages (unread: how many messages of your inbox you have not acked; latest: the newest
        p_messages, 0-100, of them). Needs the reads of each section (handoff.read, lock.list, memory.read,
        task.read, message.read). Read-only. Errors: CO224, PT403.
        """
        return self._value("session_context", memories=memories, tasks=tasks, messages=messages)

    def set_alert_rule(self, name: str, enabled: bool | None = None, threshold: int | None = None,
                       within: timedelta | str | None = None, severity: str | None = None,
                       action_pattern: str | None = None, decisions: Sequence[str] | None = None,
                       description: str | None = None) -> Result:
        """Operators: changes an alert rule of your tenant by name: enable or disable it, or change its
        threshold, interval, severity, action pattern, decisions or description (null keeps a field). Open
        alerts keep their severity. Code changed, or denied. Errors: CO493 unknown rule, CO491 pattern, CO492
        rule fields, CO241 decisions not a flat list.
        """
        return self._one("set_alert_rule", Result, name=name, enabled=enabled, threshold=threshold, within=within,
                         severity=severity, action_pattern=action_pattern, decisions=decisions, description=description)

    def set_cedar_policy(self, policy: str, reason: str) -> Result:
        """Operators: validates p_policy (Cedar policy text) against the shipped schema (authz.cedar_schema) with
        cedarpy in the database and stores it as the tenant's newest version, with who, when and p_reason
        (code policy_stored, details.version); denied when the policy refuses (details.rule). The tenant
        decides with it when its engine is cedar or both. Errors: CO561 the server has no PL/Python with
        cedarpy (nothing is stored unvalidated), CO562 the policy does not validate (details list Cedar's
        errors) or the reason is missing.
        """
        return self._one("set_cedar_policy", Result, policy=policy, reason=reason)

    def set_default_profile(self, profile: str) -> ProfileResult:
        """Operators and trust-4 agents: makes p_profile the tenant default, the profile of every agent without
        one of its own (from their next call). Code default_set; denied (an agent may not move the default it
        acts under, nor to more trust than its own). Errors: CO462 unknown profile.
        """
        return self._one("set_default_profile", ProfileResult, profile=profile)

    def set_guardrail_enabled(self, name: str, enabled: bool) -> Result:
        """Operators: enables or disables a guardrail rule of your tenant by name, default rules included (code
        enabled, disabled, or unchanged); denied when the policy refuses (details.rule). Audited. Errors:
        CO475 unknown rule, CO474 enabled missing.
        """
        return self._one("set_guardrail_enabled", Result, name=name, enabled=enabled)

    def set_message_default(self, action: str) -> Result:
        """Operators: the decision of each side of your tenant's message allowlist when none of its rules
        matches, allow or deny (new tenants: deny, so messages pass only along rules). Code changed
        (details.previous) or unchanged; denied when the policy refuses (details.rule). Audited as
        message.default. Errors: CO714.
        """
        return self._one("set_message_default", Result, action=action)

    def set_policy_engine(self, engine: str, reason: str) -> Result:
        """Operators: the tenant decides with p_engine from the next call: native (the default), cedar (its
        newest Cedar policy, the shipped baseline until it stores one; calls_per_hour still counts) or both
        (both must allow; a disagreement is denied and audited as policy.disagreement), with p_reason (code
        engine_set, details.engine, details.previous); denied when the policy refuses (details.rule). Errors:
        CO561 cedar or both on a server without PL/Python and cedarpy, CO564 unknown engine or no reason.
        """
        return self._one("set_policy_engine", Result, engine=engine, reason=reason)

    def start_session(self, agent_type: str | None = None, capabilities: Sequence[str] | None = None,
                      ttl: timedelta | str | None = None, repository: str | None = None,
                      skill: str | None = None) -> SessionResult:
        """Starts a session of the calling agent (code started, session_id, expires_at). Send session_id in the
        x-coord-session header from then on: leases and claims taken in the session belong to it, one
        heartbeat (within p_ttl, 1 s to 1 h, default 60 s) keeps all of them alive, and when the session ends
        or misses its heartbeat they are released and requeued. The session works in repository p_repository
        (else your token's, else default; details.repository): every lease taken, checked or released in it is
        keyed by that repository and path. With p_skill (name@version, or a name for its newest version not
        retired) the session runs that skill: every call made in it is held to the skill's manifest as well as
        to your profile (leases, check_network, check_operation path and env answer outside_skill for what the
        manifest does not cover; details.skill and details.manifest). A refusal of the policy is denied
        (details.rule). Errors: CO432 ttl, CO241/CO433 capabilities, CO436 agent type, CO207 repository, CO760
        skill reference, CO765 unknown skill, CO768 retired skill.
        """
        return self._one("start_session", SessionResult, agent_type=agent_type, capabilities=capabilities, ttl=ttl,
                         repository=repository, skill=skill)

    def submit_task(self, kind: str, payload: Any = None, priority: int | None = None,
                    depends_on: Sequence[int] | None = None, run_after: datetime | str | None = None,
                    max_attempts: int | None = None, required_trust: int | None = None, unique_key: str | None = None,
                    locks: Sequence[str] | None = None, verify: Sequence[str] | None = None) -> TaskResult:
        """Queues one task of p_kind. p_priority -1000..1000 (higher first), p_depends_on existing task ids (it
        becomes ready when all completed; if one fails, dies or is cancelled, this task is cancelled),
        p_run_after not before, p_max_attempts 1..100, p_required_trust 0..4 (claimants need at least this
        trust), p_unique_key dedupes pending work of the kind (code duplicate returns the pending task),
        p_locks paths (in your repository: the task records it) the claim leases exclusively there (all or
        none). p_verify verification tiers (static, unit, integration, system, manual) that need a passing
        record under the claim before complete_task completes it (record_verification, coord verify). Returns
        code submitted with task_id and state, or duplicate, or denied. Errors: CO401 kind, CO403 priority,
        CO404 payload over 64 KiB, CO242 payload nested over 32 levels, CO226 run_after not finite or beyond
        0001-01-02 .. 9999-12-30, CO241 depends_on or locks not a flat list, CO405 max_attempts, CO407 unknown
        dependency, CO409 trust, CO414 unique_key, CO417 locks, CO419 a dependency already failed, CO201-CO206
        lock paths, CO422 unknown verification tier.
        """
        return self._one("submit_task", TaskResult, kind=kind, payload=payload, priority=priority,
                         depends_on=depends_on, run_after=run_after, max_attempts=max_attempts,
                         required_trust=required_trust, unique_key=unique_key, locks=locks, verify=verify)

    def submit_tasks(self, tasks: Any) -> list[TaskResult]:
        """Queues a batch (1-1000) atomically: p_tasks is a JSON array of objects with the submit_task fields
        (kind required; payload, priority, depends_on, run_after, max_attempts, required_trust, unique_key,
        locks) plus an optional ref, a name other items of the batch may list in depends_on. One result per
        item, in order (code submitted, or duplicate with the pending task), or one denied when the policy
        refuses (details.rule): one decision per kind the batch submits (as submit_task takes for its kind;
        the call counts once against calls_per_hour), so a policy on a kind refuses every batch that submits
        it, and nothing of it is queued. Errors as submit_task, plus CO404 batch over 4 MiB, CO415 malformed
        batch, CO407 unknown ref, CO408 dependency cycle; any error writes nothing.
        """
        return self._rows("submit_tasks", TaskResult, tasks=tasks)

    def update_profile(self, name: str, settings: Any) -> ProfileResult:
        """Operators and trust-4 agents: changes the settings named in p_settings (p_settings is a JSON object;
        as create_profile, plus trust_level; null clears a limit) of profile p_name; they apply from the next
        call of its agents. Code updated with details = the new profile; denied (an agent may not change the
        profile it acts under, nor raise trust above its own). Errors: CO462 unknown profile, CO463 setting,
        CO404/CO242 settings over 64 KiB or 32 levels.
        """
        return self._one("update_profile", ProfileResult, name=name, settings=settings)

    def validate_skill(self, skill: str, operations: Any) -> list[ValidateSkillRow]:
        """Dry run of skill p_skill (name@version, or a name for its highest version not retired): for each
        operation of p_operations (a JSON array of at most 1000: {"kind": "network", "domain": host}, {"kind":
        "lock", "path": p, "mode": "exclusive"|"shared"} for acquire_lock, acquire_locks and the leases a
        claimed task declares, {"kind": "path", "path": p} for check_operation kind path, {"kind": "env",
        "name": VAR} for check_operation kind env) what a session running the skill is answered: allowed (the
        manifest covers it; the profile and policy still decide), outside_skill (needs: the missing manifest
        entry, reason), or error (the call itself raises: needs.sqlstate). The same decision and normalization
        as the live calls, so they do exactly what it predicts. Writes nothing. Errors: CO760 reference, CO765
        unknown skill, CO769 malformed operations, PT403.
        """
        return self._rows("validate_skill", ValidateSkillRow, skill=skill, operations=operations)

    def verify_audit(self, seal: bool | None = None, head: str | None = None) -> Result:
        """Operators and auditors: seal the tenant's finished audit events (p_seal, default true) and verify its
        hash chain from the archived anchor; with p_head (a head coord audit head printed earlier and kept
        elsewhere) also that the chain still holds that link, which finds the newest links deleted or the
        chain rewritten; and that the DDL guard's event triggers are in place. Code intact (details: sealed,
        unsealed, head_seq, head_hash, saved_head, guard) or broken (ok false; details.problem: a chain
        problem (link_missing, prev_hash_mismatch, event_missing, order_violation, hash_mismatch,
        event_unlinked) with chain_seq, event_id, expected, found; else head_missing
        (details.saved_head.missing names the positions) or head_mismatch; else guard_missing or
        guard_disabled). A refusal of the policy is denied (details.rule). Errors: CO603 malformed head, CO604
        a head of another tenant. Every verification is audited as audit.verify.
        """
        return self._one("verify_audit", Result, seal=seal, head=head)

    def wait_for_approval(self, approval_id: int, timeout: timedelta | str | None = None) -> ApprovalResult:
        """The state of approval request p_approval_id now (yours; operators, auditors and trust-4 agents see
        all): code approval_pending (waiting for an approver), approval_granted (approved and unused: repeat
        your call with p_approval => the id before expires_at) or approval_closed (state denied, expired,
        cancelled or used), with details.channel: LISTEN on it before calling, and each transition of the
        request is announced there (payload: the new state). The database answers at once; the client
        (Client.wait_for_approval, coord approvals wait, the MCP tool) waits on the channel up to p_timeout (0
        to 15 minutes, coord.approval_settings.wait_max) and asks again. Read-only. Errors: CO464 unknown
        request, CO467 timeout, PT403.
        """
        return self._one("wait_for_approval", ApprovalResult, approval_id=approval_id, timeout=timeout)

    def watch_fleet(self) -> Result:
        """Operators and auditors: hold the watch of your tenant's fleet on this connection until it closes, so
        that changes to leases, tasks, sessions and alerts are announced on the fleet channel
        (details.channel; LISTEN on it, payload the tenant id). Without a watcher nothing is announced. Code
        watching; watched_elsewhere (retryable) when another watcher held it for the 10 s this waits, in which
        case announcements flow anyway: call again to take over when it leaves; or denied. Call it on a
        connection of its own: a pooled connection (PostgREST) keeps the watch until the pool closes it.
        Audited as fleet.watch.
        """
        return self._one("watch_fleet", Result)

    def watch_inbox(self) -> Result:
        """Wait for mail: from now until this connection closes, each message delivered to you is announced on
        details.channel (LISTEN on it; the payload is the message id, nothing else). Call it, LISTEN, then
        read the inbox, then wait for notifications (Client.wait_for_messages does this). Use a connection of
        its own: a pooled connection (PostgREST) keeps the watch until the pool closes it, and while anyone of
        the tenant watches, every send notifies. Code watching; denied when the policy refuses. Audited as
        message.watch.
        """
        return self._one("watch_inbox", Result)

    def write_handoff(self, summary: str, completed: Sequence[str] | None = None,
                      in_progress: Sequence[str] | None = None, decisions: Sequence[str] | None = None,
                      next_steps: Sequence[str] | None = None, relevant_files: Sequence[str] | None = None,
                      task_id: int | None = None, to_agent: str | None = None) -> Result:
        """Leaves a handoff document for whoever continues the work: summary (1-20000 characters), completed, in
        progress, decisions, next steps (up to 200 items each), relevant files (canonical paths in your
        repository, which the handoff records; up to 1000), optionally about a task and addressed to an agent.
        Code written, details.handoff_id; denied when the policy refuses (details.rule). Errors: CO441, CO241
        a list not flat, CO410 unknown task, CO302 unknown agent, CO201-CO206 paths.
        """
        return self._one("write_handoff", Result, summary=summary, completed=completed, in_progress=in_progress,
                         decisions=decisions, next_steps=next_steps, relevant_files=relevant_files, task_id=task_id,
                         to_agent=to_agent)
