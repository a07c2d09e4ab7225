"""coord hook: adapters that let a coding agent's hooks ask the coordinator, failing safe.

``coord hook claude-code`` reads one Claude Code hook event (JSON on stdin) and answers as
Claude Code's hook contract says (docs/hooks.md cites it): a PreToolUse decision in
``hookSpecificOutput.permissionDecision`` (deny / ask, with ``permissionDecisionReason``) and
exit 0, ``additionalContext`` for SessionStart, exit 2 with the reason on stderr only where no
JSON answer fits. Every decision is the database's (check_operation, acquire_lock,
check_network); this module maps the event to the call and the result to the answer. When the
coordinator cannot decide (server down, bad token, malformed event) the answer is the
``--on-error`` decision (ask or deny), never a silent allow: Claude Code treats any other exit
code as a non-blocking error and would run the tool.

``coord hook install --client claude-code`` writes these hooks into ``.claude/settings.json``.
"""

from __future__ import annotations

import difflib
import fcntl
import json
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import psycopg
from psycopg.conninfo import conninfo_to_dict

from coordinator import adapt
from coordinator.client import Client
from coordinator.errors import CoordError, from_psycopg, registered
from coordinator.git_fallback import GitFallback, is_unreachable
from coordinator.workspace import path_from_root, repository_root, resolve_path

from .context import Invocation, connection_options, root_option
from .fallback import fallback_option, remote_option

HOOK_COMMAND = "coord hook claude-code"
FILE_TOOLS = {"Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path", "NotebookEdit": "notebook_path"}
GATED_TOOLS = ("Bash", *FILE_TOOLS, "WebFetch")
# The database's refusals of a tool call's own input: a path it cannot lease, a host it cannot
# check, a command it cannot match (empty or over 10000 characters). The model chose that input
# and can send one that can be checked, so the call is denied: answering --on-error (ask) would
# let a crafted path, host or padded command turn every deny into a question to the user.
UNCHECKABLE_INPUT = frozenset({"CO201", "CO202", "CO203", "CO204", "CO205", "CO206", "CO208", "CO451", "CO472"})
MAX_BATCH_PATHS = 100  # api.acquire_locks takes 1-100 paths (CO218 beyond)
HEARTBEAT_EVENTS = ("Stop", "SubagentStop", "UserPromptSubmit")
DEFAULT_SESSION_TTL = "30 minutes"
_CLAUDE_SESSION_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# The hook timeout `coord hook install` writes (Claude Code runs a tool whose hook timed out), and
# the hook's own deadline for a whole event, well under it: the rest is Python's start-up.
HOOK_TIMEOUT_SECONDS = 30
DEFAULT_DEADLINE_SECONDS = 10.0


# --- answers -------------------------------------------------------------------------------------

@dataclass
class Answer:
    """What the hook prints and how it exits: JSON on stdout (or nothing) and exit 0, or a
    message on stderr and exit 2 (blocking) or 1 (non-blocking, shown to the user)."""

    output: dict[str, Any] | None = None
    stderr: str | None = None
    exit_code: int = 0

    @property
    def decision(self) -> str | None:
        return ((self.output or {}).get("hookSpecificOutput") or {}).get("permissionDecision")


def permission(decision: str, reason: str) -> Answer:
    return Answer({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": decision,
                                          "permissionDecisionReason": reason}})


NO_OPINION = Answer()  # exit 0, no output: Claude Code's own permission rules decide


class Refusal(Exception):
    """The coordinator answered no: deny the tool call with this reason."""


class CannotDecide(Exception):
    """The coordinator could not answer: the --on-error decision applies."""


# --- which coord session a Claude Code session is --------------------------------------------------

def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the hook remembers which coord session each Claude Code session is:
    $XDG_STATE_HOME/coord/claude-code (default ~/.local/state/coord/claude-code). Per user and
    machine, like the Claude Code sessions themselves; one small file per session."""
    env = os.environ if environ is None else environ
    base = Path(env["XDG_STATE_HOME"]) if env.get("XDG_STATE_HOME") else Path.home() / ".local" / "state"
    return base / "coord" / "claude-code"


@dataclass
class SessionMap:
    directory: Path = field(default_factory=state_dir)

    def _file(self, claude_session: str) -> Path:
        return self.directory / f"{claude_session}.json"

    def get(self, claude_session: str) -> str | None:
        return self._field(claude_session, "session_id")

    def cwd(self, claude_session: str) -> str | None:
        """The directory the session was started in: its repository root is the session's."""
        return self._field(claude_session, "cwd")

    def _field(self, claude_session: str, key: str) -> str | None:
        try:
            value = json.loads(self._file(claude_session).read_text())[key]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return str(value) if value else None

    def put(self, claude_session: str, session_id: str, cwd: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self._file(claude_session)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"session_id": session_id, "cwd": cwd}) + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)

    def drop(self, claude_session: str) -> None:
        self._file(claude_session).unlink(missing_ok=True)

    @contextmanager
    def exclusive(self, claude_session: str) -> Iterator[None]:
        """Held while a session is looked up or started: Claude Code runs the hooks of parallel
        tool calls at once, and two of them starting two coord sessions would make the second
        one's edits busy against the first one's leases."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.directory / f"{claude_session}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


# --- the adapter -------------------------------------------------------------------------------------

@dataclass
class ClaudeCodeHook:
    invocation: Invocation
    on_error: str = "ask"
    session_ttl: str = DEFAULT_SESSION_TTL
    repository: str | None = None  # the coord session's repository (None: the token's, else default)
    skill: str | None = None  # the skill the coord session runs under (name@version), held to its manifest
    sessions: SessionMap = field(default_factory=SessionMap)

    deadline: float = DEFAULT_DEADLINE_SECONDS
    event_name: str | None = None  # once the event is read: what the watchdog answers for
    fallback: str | None = None  # "git": file edits lease on fallback_remote when the server is unreachable
    fallback_remote: str | None = None

    def answer(self, raw: str) -> Answer:
        try:
            event = as_node_sees_it(json.loads(raw))
        except ValueError as exc:
            return self.cannot_decide(None, f"the hook event is not JSON ({exc})")
        except RecursionError:
            return self.cannot_decide(None, "the hook event nests too deep")
        if not isinstance(event, dict) or not isinstance(event.get("hook_event_name"), str):
            return self.cannot_decide(None, "the hook event has no hook_event_name")
        name = self.event_name = event["hook_event_name"]
        if name not in ("PreToolUse", "SessionStart", "SessionEnd", *HEARTBEAT_EVENTS):
            return NO_OPINION
        if name == "PreToolUse" and event.get("tool_name") not in GATED_TOOLS:
            return NO_OPINION  # not coordinated: no connection, no opinion
        claude_session = event.get("session_id")
        if not isinstance(claude_session, str) or not _CLAUDE_SESSION_ID.fullmatch(claude_session):
            return self.cannot_decide(name, "the hook event has no valid session_id")
        if not isinstance(event.get("cwd"), str) or not Path(event["cwd"]).is_absolute():
            return self.cannot_decide(name, "the hook event has no absolute cwd")
        try:
            try:
                client = self.connect()
            except CoordError as exc:
                if self.fallback != "git" or not is_unreachable(exc) or name != "PreToolUse" \
                        or event.get("tool_name") not in FILE_TOOLS:
                    raise
                return self.file_edit_on_git(event, str(event["tool_name"]))
            with client:
                return self.dispatch(client, name, event)
        except Refusal as exc:  # only a tool call can be denied; other events report the refusal
            return permission("deny", str(exc)) if name == "PreToolUse" else self.cannot_decide(name, str(exc))
        except CannotDecide as exc:
            return self.cannot_decide(name, str(exc))
        except CoordError as exc:
            if name == "PreToolUse" and exc.code in UNCHECKABLE_INPUT:
                return permission("deny", f"coord cannot check this {event.get('tool_name')} call: {_describe(exc)}")
            return self.cannot_decide(name, _describe(exc))
        except psycopg.Error as exc:
            return self.cannot_decide(name, _describe(from_psycopg(exc)))
        except Exception as exc:
            return self.cannot_decide(name, f"{type(exc).__name__}: {exc}")

    def connect(self) -> Client:
        """A client whose connection gives up within the deadline: connect_timeout (libpq counts
        whole seconds, at least 2) and a statement_timeout for every statement, so a server
        that accepts and never answers, or a lock the call waits on, ends in the --on-error
        answer rather than in Claude Code's hook timeout (after which it runs the tool). The
        watchdog (``Watchdog``) bounds what these cannot: DNS, the state file lock, the rest."""
        settings = self.invocation.settings()
        bearer = settings.bearer()
        if not bearer:
            raise registered("PT401", "no token", hint="pass --token or set COORD_TOKEN (coord agent add prints one)")
        dsn = settings.client_dsn()
        limit = max(2, int(self.deadline / 3))
        given = conninfo_to_dict(dsn).get("connect_timeout")
        if isinstance(given, str) and given.isdigit() and 0 < int(given) < limit:
            limit = int(given)
        try:
            connection = psycopg.connect(dsn, autocommit=True, application_name="coord", connect_timeout=limit)
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        try:
            connection.execute("select set_config('statement_timeout', %s, false)",
                               (f"{max(100, int(self.deadline * 1000 / 3))}ms",))
        except psycopg.Error as exc:
            connection.close()
            raise from_psycopg(exc) from None
        return _OwningClient(connection=connection, token=bearer)

    def cannot_decide(self, event: str | None, reason: str) -> Answer:
        """The --on-error answer. PreToolUse (and an event too malformed to name, which is most
        likely the PreToolUse the hook is wired for): ask or deny as JSON; with deny and no
        event name, exit 2 (blocking for every event that can block). Other events cannot be
        denied: the reason goes to stderr with exit 1 (shown to the user), or into the context
        at SessionStart."""
        text = f"coord could not decide: {reason} (coord hook --on-error {self.on_error})"
        if event == "PreToolUse":
            return permission(self.on_error, text)
        if event is None:
            if self.on_error == "deny":
                return Answer(stderr=text, exit_code=2)
            return permission("ask", text)
        if event == "SessionStart":
            return Answer({"hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": f"Agent Coordinator is unavailable: {reason}. File edits, shell commands and "
                                     f"web fetches will be {'denied' if self.on_error == 'deny' else 'asked about'} "
                                     "until it is reachable."},
                "systemMessage": text})
        return Answer(stderr=text, exit_code=1)

    def dispatch(self, client: Client, name: str, event: dict[str, Any]) -> Answer:
        claude_session = event["session_id"]
        if name == "SessionEnd":
            return self.session_end(client, claude_session)
        session_id = self.ensure_session(client, claude_session, event["cwd"])
        if name == "SessionStart":
            return self.session_start(client, session_id)
        if name in HEARTBEAT_EVENTS:
            return NO_OPINION  # ensure_session heartbeat it; Stop must not end it (docs/hooks.md)
        tool, tool_input = event.get("tool_name"), event.get("tool_input")
        if not isinstance(tool_input, dict):
            raise CannotDecide(f"the {tool} event has no tool_input object")
        if tool == "Bash":
            return self.bash(client, claude_session, event)
        if tool == "WebFetch":
            return self.web_fetch(client, tool_input)
        return self.file_edit(client, claude_session, event, str(tool))

    # --- sessions ---------------------------------------------------------------------------

    def ensure_session(self, client: Client, claude_session: str, cwd: str) -> str:
        """The coord session of this Claude Code session, heartbeat (which keeps its leases
        alive); a new one when there is none yet or it has ended (missed heartbeats)."""
        with self.sessions.exclusive(claude_session):
            known = self.sessions.get(claude_session)
            if known:
                client.session_id = known
                beat = client.heartbeat("working")
                if beat.ok:
                    return known
                if beat.code != "session_ended":
                    raise Refusal(f"coord refused the session heartbeat: {beat.code}: {beat.reason}")
            return self.start_session(client, claude_session, cwd)

    def start_session(self, client: Client, claude_session: str, cwd: str) -> str:
        client.session_id = None
        cwd = self.sessions.cwd(claude_session) or cwd  # a new coord session keeps the session's root
        started = client.start_session("claude-code", ["claude-code"], self.session_ttl, self.repository, self.skill)
        if not started.ok or started.session_id is None:
            raise Refusal(f"coord refused to start a session: {started.code}: {started.reason}")
        self.sessions.put(claude_session, str(started.session_id), cwd)
        return str(started.session_id)

    def session_start(self, client: Client, session_id: str) -> Answer:
        lines = [f"Agent Coordinator: this Claude Code session is coord session {session_id}. Editing a file takes "
                 "a lease on it in this session (another agent editing it is denied until it is released); "
                 "the leases are released when the session ends. Shell commands are checked against the "
                 "guardrails, and the files they name to write are leased the same way; web fetches are "
                 "checked against the network rules."]
        try:  # one call, one snapshot: api.session_context
            context = client.session_context()
        except CoordError as exc:  # a token that may not read every section still gets the session
            lines += ["", f"(cannot read the session context: {exc.code} {exc.message})"]
            return Answer({"hookSpecificOutput": {"hookEventName": "SessionStart",
                                                  "additionalContext": "\n".join(lines)}})
        lines += _section("Latest handoff for you", _handoff_lines(context.get("handoff")))
        lines += _section("Your leases", [f"- {lock['path']} ({lock['mode']}, fence {lock['fence']}, until "
                                          f"{_when(_time(lock['expires_at']))})" for lock in context["leases"]])
        lines += _section("What you remember (coord memory recall for more)",
                          [f"- [{m['tier']}, {m['author']}] {m['content']}" for m in context["memories"]])
        lines += _section("Ready tasks", [f"- task {t['task_id']} {t['kind']} (priority {t['priority']})"
                                          for t in context["ready_tasks"]])
        unread = context.get("messages") or {}
        lines += _section(f"Unread messages: {unread.get('unread', 0)} (coord messages inbox, then ack)",
                          [f"- message {m['message_id']} from {m['sender']}: "
                           f"{(m['subject'] + ': ') if m['subject'] else ''}{m['body'][:200]}"
                           for m in unread.get("latest", [])])
        return Answer({"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "\n".join(lines)}})

    def session_end(self, client: Client, claude_session: str) -> Answer:
        known = self.sessions.get(claude_session)
        if not known:
            return NO_OPINION
        client.session_id = known
        ended = client.end_session()
        if not ended.ok and ended.code != "session_ended":
            return Answer(stderr=f"coord could not end session {known}: {ended.code}: {ended.reason}", exit_code=1)
        self.sessions.drop(claude_session)
        (self.sessions.directory / f"{claude_session}.lock").unlink(missing_ok=True)
        return NO_OPINION

    # --- tools -----------------------------------------------------------------------------------

    def bash(self, client: Client, claude_session: str, event: dict[str, Any]) -> Answer:
        command = event["tool_input"].get("command")
        if not isinstance(command, str) or not command.strip():
            raise CannotDecide("the Bash event has no command")
        decision = client.check_operation("command", with_nul_escaped(command))
        writes = (decision.details or {}).get("writes") or []
        # what it writes that only the run can tell ($F, $(...), a glob where it starts): the database
        # says so (and audits it); no lease names it, so the user is asked
        unleased = (decision.details or {}).get("unleased") or []
        unknown = (f"coord cannot tell which files this command writes ({', '.join(unleased[:5])}"
                   f"{', ...' if len(unleased) > 5 else ''}), so no lease covers them; name the files"
                   if unleased else "")
        if decision.ok:
            leased = self.lease_writes(client, claude_session, event, writes) if writes else NO_OPINION
            if not unknown:
                return leased
            if leased.output is not None:
                unknown += "; " + leased.output["hookSpecificOutput"]["permissionDecisionReason"]
            return permission("ask", unknown)
        rules = ", ".join(f"{m['name']} ({m['severity']}, {m['category']})" for m in decision.matches or [])
        reason = f"coord guardrail {rules or decision.code}: {decision.reason}"
        if decision.code == "needs_approval":
            if decision.approval_id is not None:  # an approver may grant it: coord approvals approve ID
                reason += f" (approval request {decision.approval_id})"
            # The user may say yes and the command runs: its files are leased first, as for an allowed
            # one (a file another agent holds denies it, not asks), as an edit is before its prompt.
            leased = self.lease_writes(client, claude_session, event, writes) if writes else NO_OPINION
            if leased.output is not None:  # more files than one lease request takes: asked about both
                reason += "; " + leased.output["hookSpecificOutput"]["permissionDecisionReason"]
            if unknown:
                reason += "; " + unknown
            return permission("ask", reason)
        return permission("deny", reason)

    def web_fetch(self, client: Client, tool_input: dict[str, Any]) -> Answer:
        url = tool_input.get("url")
        if not isinstance(url, str):
            raise CannotDecide(f"the WebFetch event has no url ({url!r})")
        # The database reads the URL as Claude Code's parser does and denies (and audits) one whose
        # host cannot be told for certain; a plain spelling of the URL always exists.
        decision = client.check_network(with_nul_escaped(url))
        if decision.ok:
            return NO_OPINION
        if decision.decided_by == "url":
            return permission("deny", f"coord cannot tell for certain which host WebFetch of {url[:300]!r} "
                                      f"reaches: {decision.reason}")
        rule = f" (rule {decision.pattern}, {decision.decided_by})" if decision.pattern else \
            f" ({decision.decided_by or decision.code})"
        return permission("deny", f"coord network policy denies {decision.domain}{rule}: {decision.reason}")

    def lease_writes(self, client: Client, claude_session: str, event: dict[str, Any], writes: list[str]) -> Answer:
        """Leases in the session the project files an allowed command writes (check_operation's
        details.writes, read by the database from the command), as an edit of each would: all or
        none, and a file another agent holds denies the command. Paths outside the repository are
        the guardrails' (already asked), so they are not leased."""
        cwd = Path(event["cwd"])
        session_cwd = self.sessions.cwd(claude_session)
        root = repository_root(Path(session_cwd) if session_cwd else cwd, self.invocation.root)
        targets = [os.path.expanduser(t) if t == "~" or t.startswith("~/") else t  # the home is the client's
                   for t in writes]
        # A written directory with a target below it in the same spelling (cp x src/ gives src/ and src/x; the
        # database drops what lies below a tree it deletes or changes the mode of) is written into when it
        # is one on disk: src/x is leased then, not every file of src/. Only the disk tells.
        # (git's top of a repository, DIR/:/, makes no directory of DIR: it is the whole tree)
        parents = {"/".join(parts[:i]) for parts in (t.rstrip("/").split("/") for t in targets
                                                     if not (t.startswith(":/") or "/:/" in t))
                   for i in range(1, len(parts))}
        paths: dict[str, str] = {}  # without its trailing /: the lease to take (d/ over d: one path, once)
        written_into: dict[str, bool] = {}  # key: every spelling of it is a directory written into
        git_tree = False  # git's whole working tree among them (pull, a branch switch, reset --hard, ...)
        for target in targets:
            if target.startswith(":/") or "/:/" in target:  # git's top of the repository: coord.guard_git_writes
                mapped = git_top(target, root, cwd)
                if mapped is None:  # another repository, outside this one: the guardrails' alone
                    continue
                git_tree = git_tree or Path(mapped) == Path(root).resolve()
                target = mapped
            try:
                relative = resolve_path(target, root, cwd)
            except CoordError as exc:
                if exc.code == "CO541":  # outside the repository: the guardrails' alone
                    continue
                raise  # no name a lease can take (a control character): denied, as an edit of it is
            key = relative.rstrip("/")
            into = relative.endswith("/") and target.rstrip("/") in parents
            written_into[key] = written_into.get(key, True) and into
            if relative.endswith("/") or key not in paths:
                paths[key] = relative
        for key in [k for k, into in written_into.items() if into]:
            del paths[key]
        asked = ""
        if "." in paths:  # ., src/.., a formatter run at the root: every agent's files, which no lease covers
            # The database decides writing the whole repository (the path . read from the root), audited:
            # the hook only renders its answer. Allowed (a trust that overrides the rule): the rest is leased.
            whole = client.check_operation("path", ".")
            if not whole.ok:
                rules = ", ".join(f"{m['name']} ({m['severity']}, {m['category']})" for m in whole.matches or [])
                asked = (f"coord: the command writes the whole repository, which no lease covers: guardrail "
                         f"{rules or whole.code}: {whole.reason}; "
                         + ("git rewrites the whole working tree from any directory: wait until no other agent "
                            "holds files here, or name the files (git checkout REV -- FILE)" if git_tree else
                            "name the files it changes, or run it in a subdirectory"))
                if whole.code != "needs_approval":
                    raise Refusal(asked)
            del paths["."]
        # a lease covers its node and all below it (coord.covering_paths): a file below another target goes
        leases = [v for k, v in paths.items()
                  if not any("/".join(k.split("/")[:i]) in paths for i in range(1, k.count("/") + 1))]
        if not leases:
            return permission("ask", asked) if asked else NO_OPINION
        if len(leases) > MAX_BATCH_PATHS:
            return permission("ask", f"coord: this command writes {len(leases)} files, more than the "
                                     f"{MAX_BATCH_PATHS} one lease request can take; run it in parts")
        results = client.acquire_locks(leases, reason="claude-code Bash")
        if any(r.code == "session_ended" for r in results):  # as file_edit: one new session, once
            with self.sessions.exclusive(claude_session):
                self.start_session(client, claude_session, event["cwd"])
            results = client.acquire_locks(leases, reason="claude-code Bash")
        refused = [r for r in results if not r.ok and r.code != "batch_refused"]
        if not refused:
            return permission("ask", asked) if asked else NO_OPINION
        busy = [r for r in refused if r.code == "busy"]
        if busy:
            held = "; ".join(f"{r.path} is leased by {r.holder_name} ({r.holder_mode} lease on {r.holder_path}, "
                             f"expires {_when(r.holder_expires_at)})" for r in busy)
            raise Refusal(f"coord: the command writes files another agent holds: {held}; wait for them to be "
                          "released, or ask the holder to release them")
        why = "; ".join(f"{r.path}: {r.code}: {r.reason}" for r in refused)
        raise Refusal(f"coord refused the leases on the files the command writes: {why}")

    def file_edit(self, client: Client, claude_session: str, event: dict[str, Any], tool: str) -> Answer:
        relative, unleasable = self.edited_path(event, tool, self.sessions.cwd(claude_session))
        if unleasable:  # a NUL, or above the root: the guardrails decide (and audit) what no lease can name
            decision = client.check_operation("path", relative)
            if decision.ok:
                return NO_OPINION
            rules = ", ".join(f"{m['name']} ({m['severity']}, {m['category']})" for m in decision.matches or [])
            verdict = "ask" if decision.code == "needs_approval" else "deny"
            done = "asked about" if verdict == "ask" else "denied"
            return permission(verdict, f"coord: {unleasable}: {tool} is {done} by guardrail "
                                       f"{rules or decision.code}: {decision.reason}")
        result = client.acquire_lock(relative, reason=f"claude-code {tool}")
        if result.code == "session_ended":  # ended under us (missed heartbeat): one new session, once
            with self.sessions.exclusive(claude_session):
                self.start_session(client, claude_session, event["cwd"])
            result = client.acquire_lock(relative, reason=f"claude-code {tool}")
        if result.ok:
            return NO_OPINION
        if result.code == "busy":
            raise Refusal(f"coord: {relative} is leased by {result.holder_name} ({result.holder_mode} lease on "
                          f"{result.holder_path}, expires {_when(result.holder_expires_at)}); wait for it to be "
                          f"released, or ask {result.holder_name} to release it")
        raise Refusal(f"coord refused the lease on {relative}: {result.code}: {result.reason}")

    def file_edit_on_git(self, event: dict[str, Any], tool: str) -> Answer:
        """file_edit while the database cannot be reached and --fallback git is on: the lease is
        taken on the git remote (docs/git-fallback.md); busy is denied the same way."""
        if not isinstance(event.get("tool_input"), dict):
            raise CannotDecide(f"the {tool} event has no tool_input object")
        relative, unleasable = self.edited_path(event, tool, self.sessions.cwd(str(event["session_id"])))
        if unleasable:  # no database to decide: the fallback only leases what a lease can name
            raise Refusal(f"coord (git fallback, the database is unreachable): {unleasable}: {tool} is denied")
        token = self.invocation.settings().bearer() or ""
        if not self.fallback_remote:
            raise CannotDecide("--fallback git without --fallback-remote / COORD_FALLBACK_REMOTE")
        git = GitFallback(self.fallback_remote, token, repository=self.repository or "default")
        result = git.acquire(relative)
        if result.ok:
            return NO_OPINION
        raise Refusal(f"coord (git fallback, the database is unreachable): {relative} is leased by "
                      f"{result.holder_name} (lease on {result.holder_path}, expires "
                      f"{_when(result.holder_expires_at)}); wait for it to be released")

    def edited_path(self, event: dict[str, Any], tool: str, session_cwd: str | None = None) -> tuple[str, str | None]:
        """The repository-relative path a file tool call edits, and why no lease can name it (None
        when one can): a path with a NUL (sent with U+2400 for it) or outside the repository (sent
        as the path from the root, ../...), which the database decides as a guardrail check of
        kind path, audited. The root is the session's (found from the directory it started in), not that of the
        event's cwd, which follows the agent's `cd`: from inside a nested repository (a vendored
        checkout, a submodule) that root would name vendor/lib/x.py `x.py`, a lease that never
        meets another agent's lease on vendor/lib/x.py."""
        key = FILE_TOOLS[tool]
        path = event["tool_input"].get(key)
        if not isinstance(path, str) or not path:
            raise CannotDecide(f"the {tool} event has no tool_input.{key}")
        if "\x00" in path:  # no file system takes it (Node refuses it too); no lease can name it
            return with_nul_escaped(path), f"the {tool} path contains a NUL character"
        cwd = Path(event["cwd"])
        root = repository_root(Path(session_cwd) if session_cwd else cwd, self.invocation.root)
        try:
            return resolve_path(path, root, cwd), None
        except CoordError as exc:
            if exc.code == "CO541":
                relative = path_from_root(path, root, cwd)
                return relative, f"{path} is outside the repository {root} ({relative} from its root)"
            raise


class _OwningClient(Client):
    """A Client on a connection opened for it (with the hook's timeouts), which it then owns as
    Client(dsn) owns its own: it installs the loaders once and closes it."""

    def __init__(self, connection: psycopg.Connection[Any], token: str) -> None:
        super().__init__(connection=connection, token=token)
        adapt.install(connection)
        self._owns_connection = True


class Watchdog:
    """Answers for a hook that has not answered within its deadline: prints the --on-error
    answer for the event (as far as it was read) and ends the process at once, whatever the
    main thread is waiting on. Claude Code would otherwise kill the hook at its timeout and run
    the tool. ``emit`` is the one way out, so the two never both print."""

    def __init__(self, hook: ClaudeCodeHook) -> None:
        self.hook = hook
        self.lock = threading.Lock()
        self.timer = threading.Timer(hook.deadline, self.expire)
        self.timer.daemon = True

    def start(self) -> Watchdog:
        self.timer.start()
        return self

    def expire(self) -> None:
        answer = self.hook.cannot_decide(self.hook.event_name, f"no answer within the hook's deadline of "
                                                               f"{self.hook.deadline:g} s")
        if self.lock.acquire(blocking=False):  # else the main thread is printing its own answer
            _print(answer)
            os._exit(answer.exit_code)

    def emit(self, answer: Answer) -> None:
        if not self.lock.acquire(blocking=False):
            self.lock.acquire()  # the watchdog is answering: it ends the process, with its exit code
        self.timer.cancel()
        _print(answer)
        sys.exit(answer.exit_code)


def _print(answer: Answer) -> None:
    if answer.output is not None:
        click.echo(json.dumps(answer.output))
    if answer.stderr:
        click.echo(answer.stderr, err=True)
    sys.stdout.flush()
    sys.stderr.flush()


def as_node_sees_it(value: Any) -> Any:
    """The event with every lone UTF-16 surrogate (JSON "\\ud800", which JSON.parse keeps) replaced
    by U+FFFD, in keys and values: Claude Code (Node) encodes its strings to UTF-8 that way when
    it runs the command, writes the file or fetches the URL, so that is what the check must see
    (PostgreSQL cannot even hold a lone surrogate). Pairs were already joined by json.loads."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [as_node_sees_it(item) for item in value]
    if isinstance(value, dict):
        return {as_node_sees_it(k): as_node_sees_it(v) for k, v in value.items()}
    return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def git_top(target: str, root: Path, cwd: Path) -> str | None:
    """A write the database names from git's top of a repository (coord.guard_git_writes): ``:/PATH``
    from the directory the command starts in, ``DIR/:/PATH`` from DIR; git works on the whole tree
    of the repository it runs in, whichever directory that is. Returns PATH below the top of the
    repository DIR lies in (the repository root, or a nested checkout below it, where git would
    stop), absolute; None when DIR lies outside the repository root."""
    if target.startswith(":/"):
        where, below = ".", target[2:]
    else:
        where, _, below = target.partition("/:/")
    try:
        inside = resolve_path(where or "/", root, cwd)
    except CoordError as exc:
        if exc.code == "CO541":
            return None
        raise
    top = Path(root).resolve()
    directory = top / inside.rstrip("/") if inside not in ("./", ".") else top
    while directory != top and not _git_stops_at(directory):  # a nested repository stops git there
        directory = directory.parent
    return str(directory / below) if below else str(directory)


def _git_stops_at(directory: Path) -> bool:
    """Whether git's search for its repository ends at ``directory``: a ``.git`` file naming one
    (a worktree, a submodule) or a ``.git`` directory git accepts (HEAD, objects/, refs/). An
    empty or stray ``.git`` (mkdir src/.git) does not stop it: git goes on up to the root's."""
    dot = directory / ".git"
    try:
        if dot.is_file():
            with dot.open("rb") as f:
                return f.read(8) == b"gitdir: "
        return (dot / "HEAD").is_file() and (dot / "objects").is_dir() and (dot / "refs").is_dir()
    except OSError:
        return False


def with_nul_escaped(text: str) -> str:
    """``text`` with each NUL as U+2400 (SYMBOL FOR NULL): PostgreSQL text cannot hold U+0000,
    and the database reads U+2400 as the NUL the hook saw (a command or path holding one is
    blocked, a URL host holding one cannot be told)."""
    return text.replace("\x00", "\u2400")


def _describe(exc: CoordError) -> str:
    return f"{exc.code} {exc.message}" + (f" ({exc.detail})" if exc.detail else "")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if moment else "unknown"


def _section(title: str, lines: list[str]) -> list[str]:
    return ["", f"{title}:", *(lines or ["- (none)"])]


def _handoff_lines(h: dict[str, Any] | None) -> list[str]:
    if not h:
        return []
    lines = [f"- from {h['author']} at {_when(_time(h['created_at']))}: {h['summary']}"]
    for label, key in (("in progress", "in_progress"), ("next steps", "next_steps"),
                       ("decisions", "decisions"), ("relevant files", "relevant_files")):
        if h.get(key):
            lines.append(f"  {label}: " + "; ".join(h[key]))
    return lines


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- installing the hooks -------------------------------------------------------------------------

def claude_code_settings_path(root: Path, scope: str) -> Path:
    if scope == "user":
        return Path.home() / ".claude" / "settings.json"
    return Path(root) / ".claude" / "settings.json"


def claude_code_hooks(command: str = HOOK_COMMAND) -> dict[str, list[dict[str, Any]]]:
    """The hooks block: PreToolUse on the tools coord decides about, session start and end,
    and the events that heartbeat the session between tool calls."""
    hook = [{"type": "command", "command": command, "timeout": 30}]
    hooks: dict[str, list[dict[str, Any]]] = {"PreToolUse": [{"matcher": "|".join(GATED_TOOLS), "hooks": hook}]}
    for event in ("SessionStart", "SessionEnd", *HEARTBEAT_EVENTS):
        hooks[event] = [{"hooks": hook}]
    return hooks


def _ours(entry: Any) -> bool:
    return isinstance(entry, dict) and any(
        isinstance(h, dict) and str(h.get("command", "")).startswith(HOOK_COMMAND) for h in entry.get("hooks") or [])


def install_claude_code_hooks(root: Path, scope: str = "project", dry_run: bool = False) -> str:
    """Write coord's hooks into Claude Code's settings.json (project: ROOT/.claude/settings.json,
    user: ~/.claude/settings.json), keeping every other key and hook; our entries (those running
    ``coord hook claude-code``) are replaced, so running it again changes nothing. Returns the
    unified diff ('' when nothing changes); with dry_run nothing is written."""
    if scope not in ("project", "user"):
        raise ValueError(f"scope is project or user, not {scope!r}")
    path = claude_code_settings_path(root, scope)
    before = path.read_text() if path.exists() else ""
    try:
        settings = json.loads(before) if before.strip() else {}
    except ValueError as exc:
        raise click.ClickException(f"{path} is not JSON ({exc}); fix or move it, then install again") from None
    if not isinstance(settings, dict) or not isinstance(settings.get("hooks", {}), dict):
        raise click.ClickException(f"{path}: expected an object with a hooks object")
    hooks = settings.setdefault("hooks", {})
    for event, entries in claude_code_hooks().items():
        kept = [e for e in hooks.get(event) or [] if not _ours(e)]
        hooks[event] = kept + entries
    after = json.dumps(settings, indent=2) + "\n"
    if after == before:
        return ""
    diff = "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{path}" if before else "/dev/null", tofile=f"b/{path}"))
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(after)
    return diff


# --- commands ----------------------------------------------------------------------------------------

@click.group()
def hook() -> None:
    """Hook adapters for coding agents: each answers its client's hook contract and fails safe.

    `coord hook install --client claude-code` wires `coord hook claude-code` into
    .claude/settings.json; see docs/hooks.md for what each event does.
    """


@hook.command("claude-code")
@click.option("--on-error", type=click.Choice(["ask", "deny"]), default="ask", show_default=True,
              help="The decision when coord cannot decide (server unreachable, bad token, malformed event).")
@click.option("--deadline", type=click.FloatRange(0.5, HOOK_TIMEOUT_SECONDS / 2), default=DEFAULT_DEADLINE_SECONDS,
              show_default=True,
              help="Seconds the hook may take before it gives the --on-error answer (connecting and each "
                   f"statement get a third of it); well under the hook timeout install writes "
                   f"({HOOK_TIMEOUT_SECONDS} s).")
@click.option("--ttl", default=DEFAULT_SESSION_TTL, show_default=True,
              help="The coord session's heartbeat deadline (1 s to 1 h); every hook event heartbeats it.")
@click.option("--repository", envvar="COORD_REPOSITORY",
              help="Repository the session's leases are kept in (default: the token's, else default) "
                   "[env COORD_REPOSITORY].")
@click.option("--skill", envvar="COORD_SKILL",
              help="Run the coord session under this skill (NAME@VERSION): the leases of edits and the hosts "
                   "of web fetches are held to its manifest [env COORD_SKILL].")
@fallback_option
@remote_option
@root_option
@connection_options
def hook_claude_code(on_error: str, deadline: float, ttl: str, repository: str | None, skill: str | None,
                     fallback: str | None, fallback_remote: str | None, root: Path | None, data_dir: Path | None,
                     dsn: str | None, token: str | None, session: str | None) -> None:
    """Answer one Claude Code hook event read from stdin (PreToolUse, SessionStart, SessionEnd,
    Stop, SubagentStop, UserPromptSubmit) as Claude Code's hook contract says. Each Claude Code
    session is its own coord session (--session and COORD_SESSION are not used); see
    docs/hooks.md. With --fallback git, a file edit while the server cannot be reached takes its
    lease on the git remote instead (docs/git-fallback.md); other tools get the --on-error answer."""
    del session  # the Claude Code session names the coord session
    invocation = Invocation(data_dir=data_dir, dsn=dsn, token=token, root=root)
    adapter = ClaudeCodeHook(invocation, on_error, ttl, repository, deadline=deadline, skill=skill,
                             fallback=fallback, fallback_remote=fallback_remote)
    watchdog = Watchdog(adapter).start()  # before stdin: a writer that never closes it is bounded too
    try:
        # Bytes that are not UTF-8 read as U+FFFD, as Node reads them.
        answer = adapter.answer(sys.stdin.buffer.read().decode("utf-8", "replace"))
    except Exception as exc:  # never exit 1 with a traceback: for PreToolUse that runs the tool
        answer = adapter.cannot_decide(adapter.event_name, f"{type(exc).__name__}: {exc}")
    watchdog.emit(answer)


@hook.command("install")
@click.option("--client", "client_name", type=click.Choice(["claude-code"]), required=True)
@click.option("--scope", type=click.Choice(["project", "user"]), default="project", show_default=True,
              help="project: .claude/settings.json of the repository; user: ~/.claude/settings.json.")
@click.option("--dry-run", is_flag=True, help="Show the diff, write nothing.")
@root_option
def hook_install(client_name: str, scope: str, dry_run: bool, root: Path | None) -> None:
    """Add coord's hooks to the client's settings, keeping everything else; prints the diff.
    Running it again changes nothing."""
    try:
        top = repository_root(Path.cwd(), root) if scope == "project" else Path.cwd()
    except CoordError as exc:
        raise click.ClickException(str(exc)) from None
    diff = install_claude_code_hooks(top, scope, dry_run)
    click.echo(diff or f"{claude_code_settings_path(top, scope)} already has coord's hooks", nl=not diff)


COMMANDS = [hook]
