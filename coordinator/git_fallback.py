"""Leases and claims through a shared git remote while the database is unreachable.

The database stays the authority: this is a stop-gap among cooperating clients (git knows no
identity), and ``coord git-sync`` hands everything taken here to the database when it is back,
through the same api functions (gate, conflicts, fences, audit). docs/git-fallback.md has the
design; in short:

* A lease on path P of repository R is the ref ``refs/coord/locks/<key(R, P)>`` whose commit
  message is JSON (holder, holder_key, repository, path, mode, fence, taken_at, expires_at).
* Every node N (P and each enclosing directory) has an intention ref
  ``refs/coord/intents/<key(R, N)>`` listing the leases at or below N and the last fence
  granted on N itself. A decision reads only refs it then writes: taking P reads and rewrites
  the intention refs of P and of every ancestor, and creates (or takes over) P's lease ref, in
  one ``git push --atomic`` where every ref carries ``--force-with-lease=<ref>:<value read>``.
  Two overlapping leases always write the intention ref of the higher node, so the remote
  accepts at most one of two racing pushes; the loser reads again and answers busy.
* A claim of task T is ``refs/coord/claims/<T>``, created if absent, taken over (claim + 1)
  after expiry by a compare-and-swap on the old value.

Objects are made in a private cache repository (``$XDG_CACHE_HOME/coord/git-fallback``), never
in the user's work tree; only plumbing is used (``commit-tree``, ``push --atomic
--force-with-lease``, ``ls-remote``, ``fetch``). Time comes from an injectable clock so that
tests move it instead of sleeping.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import CoordError, Unavailable, registered

LOCKS = "refs/coord/locks/"
INTENTS = "refs/coord/intents/"
CLAIMS = "refs/coord/claims/"
ZERO = "0" * 40
MAX_ATTEMPTS = 50  # compare-and-swap rounds before giving up on a contended remote
MAX_TTL = timedelta(hours=24)
Clock = Callable[[], datetime]

# What a connection error says when the server cannot be reached at all (libpq's words). A
# refusal by the server (password, pg_hba, unknown role or database) says none of them, so it
# never turns into a fallback.
_UNREACHABLE = re.compile(
    r"connection refused|could not connect|timeout expired|no such file or directory|network is unreachable|"
    r"could not translate host name|no route to host|server closed the connection unexpectedly|"
    r"connection timed out|host is down|name or service not known|temporary failure in name resolution",
    re.IGNORECASE)


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (fall back), as opposed to a
    refusal by a server that answered (never fall back)."""
    return isinstance(exc, Unavailable) and bool(_UNREACHABLE.search(str(exc)))


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- paths, as coord.normalize_path has them ----------------------------------------------------

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _json_path_list(text: str) -> bool:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and bool(value)


def canonical_path(path: str) -> str:
    """The canonical repository-relative path coord.normalize_path gives (tests compare the two
    on a table of paths), with the same errors CO201-CO206 and CO208."""
    if not path:
        raise registered("CO201", "path is required")
    if len(path.encode("utf-8", "surrogatepass")) > 4096:
        raise registered("CO202", "path is too long", f"path is {len(path.encode('utf-8', 'surrogatepass'))} bytes")
    if _CONTROL.search(path):
        raise registered("CO203", "path contains a control character",
                         "path contains a control character (U+0000-U+001F, U+007F-U+009F)")
    if re.match(r"^\s*(\[\s*\"|\{\s*\")", path) and _json_path_list(path):
        raise registered("CO208", "path is JSON", f"{path} is a JSON list or object, not a path")
    if re.match(r"^[/\\]", path) or re.match(r"^[A-Za-z]:", path):
        raise registered("CO206", "path is absolute", f"{path} is absolute")
    segments = unicodedata.normalize("NFC", path).replace("\\", "/").split("/")
    is_dir = segments[-1] in ("", ".", "..")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if not kept:
                raise registered("CO204", "path escapes the repository root",
                                 f"{path} climbs above the repository root")
            kept.pop()
        elif segment not in ("", "."):
            kept.append(segment)
    if not kept:
        raise registered("CO205", "path is the repository root", f"{path} normalizes to the repository root")
    return "/".join(kept) + ("/" if is_dir else "")


def node_of(path: str) -> str:
    """The lock node of a canonical path: src and src/ are one node."""
    return path.rstrip("/")


def ancestors(node: str) -> list[str]:
    """Enclosing directory nodes of a node, shallow to deep: a/b/c.py -> [a, a/b]."""
    parts = node.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def ref_key(repository: str, node: str) -> str:
    return hashlib.sha256(f"{repository}:{node}".encode()).hexdigest()[:40]


def holder_key(token: str) -> str:
    """Who holds a fallback lease, as sync recognizes it: 16 hex of a hash of the token,
    domain-separated so it is no prefix of the token hash the database stores."""
    return hashlib.sha256(b"coord-git-fallback\x00" + token.encode()).hexdigest()[:16]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def parse_ttl(ttl: str | timedelta | None, default: timedelta) -> timedelta:
    """A ttl as the CLI takes it: '10 minutes', '90 seconds', '2 hours', '1 day', or seconds."""
    if ttl is None:
        return default
    if isinstance(ttl, timedelta):
        value = ttl
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*",
                             ttl, re.IGNORECASE)
        if not match:
            raise registered("CO211", "ttl out of range", f"cannot read {ttl!r} as a duration",
                             "pass e.g. '10 minutes', '90 seconds' or '2 hours'")
        unit = (match.group(2) or "s").lower()[0]
        value = timedelta(seconds=float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])
    if not timedelta(0) < value <= MAX_TTL:
        raise registered("CO211", "ttl out of range", f"ttl {value}", "0 < ttl <= 24 hours")
    return value


# --- results -------------------------------------------------------------------------------------

@dataclass
class FallbackResult:
    """An answer of the fallback, shaped like the database's results (ok, code, reason)."""

    ok: bool
    code: str
    reason: str
    path: str | None = None
    repository: str | None = None
    mode: str | None = None
    fence: int | None = None
    expires_at: datetime | None = None
    holder_name: str | None = None
    holder_path: str | None = None
    holder_expires_at: datetime | None = None
    task_id: int | None = None
    claim: int | None = None
    ref: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "code": self.code, "reason": self.reason, "via": "git"}
        for name in ("path", "repository", "mode", "fence", "expires_at", "holder_name", "holder_path",
                     "holder_expires_at", "task_id", "claim", "ref"):
            value = getattr(self, name)
            if value is not None:
                out[name] = _iso(value) if isinstance(value, datetime) else value
        out["details"] = self.details
        return out


@dataclass(frozen=True)
class Lease:
    """The commit message of a lease ref."""

    holder: str
    holder_key: str
    repository: str
    path: str
    mode: str
    fence: int
    taken_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return self.expires_at > now

    def message(self) -> str:
        return json.dumps({"holder": self.holder, "holder_key": self.holder_key, "repository": self.repository,
                           "path": self.path, "mode": self.mode, "fence": self.fence,
                           "taken_at": _iso(self.taken_at), "expires_at": _iso(self.expires_at)}, sort_keys=True)

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> Lease:
        return cls(holder=str(doc["holder"]), holder_key=str(doc["holder_key"]), repository=str(doc["repository"]),
                   path=str(doc["path"]), mode=str(doc.get("mode", "exclusive")), fence=int(doc["fence"]),
                   taken_at=_parse_time(doc["taken_at"]), expires_at=_parse_time(doc["expires_at"]))


@dataclass(frozen=True)
class Claim:
    """The commit message of a claim ref."""

    holder: str
    holder_key: str
    task_id: int
    claim: int
    taken_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return self.expires_at > now

    def message(self) -> str:
        return json.dumps({"holder": self.holder, "holder_key": self.holder_key, "task_id": self.task_id,
                           "claim": self.claim, "taken_at": _iso(self.taken_at),
                           "expires_at": _iso(self.expires_at)}, sort_keys=True)

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> Claim:
        return cls(holder=str(doc["holder"]), holder_key=str(doc["holder_key"]), task_id=int(doc["task_id"]),
                   claim=int(doc["claim"]), taken_at=_parse_time(doc["taken_at"]),
                   expires_at=_parse_time(doc["expires_at"]))


class _Lost(Exception):
    """A compare-and-swap push lost the race: read again."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "coord" / "git-fallback"


def default_holder() -> str:
    agent = os.environ.get("COORD_AGENT")
    if agent:
        return agent
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class GitFallback:
    """Leases and claims on one git remote, for one holder (its token's key)."""

    def __init__(self, remote: str, token: str, *, holder: str | None = None, repository: str = "default",
                 cache_dir: Path | str | None = None, clock: Clock = utc_now) -> None:
        if not remote:
            raise registered("CO531", "a connection setting has an invalid value", "no git remote for the fallback",
                             "pass --fallback-remote URL or set COORD_FALLBACK_REMOTE")
        self.remote = remote
        self.holder_key = holder_key(token)
        self.holder = holder or default_holder()
        self.repository = repository
        self.cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.clock = clock
        self._ready = False

    # --- git plumbing --------------------------------------------------------------------------

    def _git(self, *args: str, input_text: str | None = None, env: Mapping[str, str] | None = None,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        self._init()
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
        for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # never the caller's repository
            full_env.pop(name, None)
        done = subprocess.run(["git", "--git-dir", str(self.cache), *args], input=input_text, capture_output=True,
                              text=True, env=full_env, check=False)
        if check and done.returncode != 0:
            raise Unavailable(f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}",
                              hint=f"check that the fallback remote {self.remote} is reachable")
        return done

    def _init(self) -> None:
        if self._ready:
            return
        if not (self.cache / "objects").is_dir():  # first use: a bare repository of our own
            self.cache.mkdir(parents=True, exist_ok=True)
            env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
            with open(self.cache.parent / f".{self.cache.name}.lock", "w") as lock:  # one creator at a time
                fcntl.flock(lock, fcntl.LOCK_EX)
                subprocess.run(["git", "init", "--quiet", "--bare", str(self.cache)], capture_output=True,
                               check=True, env=env)
        self._ready = True

    def _ls_remote(self) -> dict[str, str]:
        done = self._git("ls-remote", self.remote, "refs/coord/*")
        refs: dict[str, str] = {}
        for line in done.stdout.splitlines():
            sha, _, ref = line.partition("\t")
            refs[ref] = sha
        return refs

    def _missing(self, shas: Iterable[str]) -> list[str]:
        wanted = sorted(set(shas))
        if not wanted:
            return []
        done = self._git("cat-file", "--batch-check", input_text="".join(s + "\n" for s in wanted))
        return [line.split()[0] for line in done.stdout.splitlines() if line.endswith(" missing")]

    def _snapshot(self, refs_wanted: Iterable[str] | None = None) -> dict[str, str]:
        """The remote's refs/coord/* (ref -> commit), with the commits of the refs wanted (all
        when None) present in the cache. Nothing is written to the cache's refs, so processes
        sharing one cache never contend on ref locks."""
        self._init()
        for _ in range(MAX_ATTEMPTS):
            refs = self._ls_remote()
            names = refs if refs_wanted is None else [r for r in refs_wanted if r in refs]
            missing = self._missing(refs[r] for r in names)
            if not missing:
                return refs
            # By object id: a ref moved since ls-remote makes this fail, and the next round reads
            # the new values.
            self._git("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", self.remote, *missing, check=False)
        raise Unavailable("the fallback remote changed faster than it could be read", hint="retry")

    def _messages(self, shas: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(shas))
        if not wanted:
            return {}
        done = self._git("cat-file", "--batch", input_text="".join(s + "\n" for s in wanted))
        out: dict[str, dict[str, Any]] = {}
        data = done.stdout
        position = 0
        while position < len(data):
            header_end = data.index("\n", position)
            sha, _kind, size = data[position:header_end].split()
            body = data[header_end + 1: header_end + 1 + int(size)]
            position = header_end + 1 + int(size) + 1
            _, _, message = body.partition("\n\n")
            try:
                out[sha] = json.loads(message)
            except ValueError:
                out[sha] = {}
        return out

    def _commit(self, message: str, parent: str | None) -> str:
        tree = self._git("hash-object", "-t", "tree", "-w", "--stdin", input_text="").stdout.strip()
        stamp = f"{int(self.clock().timestamp())} +0000"
        env = {"GIT_AUTHOR_NAME": self.holder, "GIT_AUTHOR_EMAIL": f"{self.holder_key}@coord",
               "GIT_COMMITTER_NAME": self.holder, "GIT_COMMITTER_EMAIL": f"{self.holder_key}@coord",
               "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        args = ["commit-tree", tree, *(["-p", parent] if parent else [])]
        return self._git(*args, input_text=message, env=env).stdout.strip()

    def _push(self, updates: Mapping[str, tuple[str | None, str | None]]) -> None:
        """One atomic push: each ref -> (expected old value or None for absent, new value or
        None to delete). _Lost when any expectation no longer holds."""
        args = ["push", "--atomic", "--porcelain", "--quiet"]
        specs = []
        for ref, (old, new) in sorted(updates.items()):
            args.append(f"--force-with-lease={ref}:{old or ''}")
            specs.append(f"{new}:{ref}" if new else f":{ref}")
        done = self._git(*args, self.remote, *specs, check=False)
        if done.returncode == 0:
            return
        text = done.stdout + done.stderr
        if "stale info" in text or "atomic" in text or "[rejected]" in text or "failed to update ref" in text \
                or "cannot lock ref" in text or "reference already exists" in text:
            raise _Lost(text)
        raise Unavailable(f"git push to {self.remote} failed: {text.strip()}",
                          hint="check that the fallback remote is reachable and writable")

    # --- reading -------------------------------------------------------------------------------

    def _read(self, refs: Mapping[str, str], names: Iterable[str]) -> dict[str, dict[str, Any]]:
        present = {name: refs[name] for name in names if name in refs}
        messages = self._messages(present.values())
        return {name: messages.get(sha, {}) for name, sha in present.items()}

    def leases(self, *, mine_only: bool = False) -> list[tuple[str, str, Lease]]:
        """Every lease ref of the remote (ref, commit, lease), the caller's only with mine_only."""
        refs = self._snapshot()
        names = [r for r in refs if r.startswith(LOCKS)]
        docs = self._read(refs, names)
        out = []
        for name in sorted(names):
            try:
                lease = Lease.parse(docs[name])
            except (KeyError, ValueError, TypeError):
                continue
            if not mine_only or lease.holder_key == self.holder_key:
                out.append((name, refs[name], lease))
        return out

    def claims(self, *, mine_only: bool = False) -> list[tuple[str, str, Claim]]:
        refs = self._snapshot()
        names = [r for r in refs if r.startswith(CLAIMS)]
        docs = self._read(refs, names)
        out = []
        for name in sorted(names):
            try:
                claim = Claim.parse(docs[name])
            except (KeyError, ValueError, TypeError):
                continue
            if not mine_only or claim.holder_key == self.holder_key:
                out.append((name, refs[name], claim))
        return out

    # --- leases --------------------------------------------------------------------------------

    def _refs_for(self, repository: str, node: str) -> tuple[str, dict[str, str]]:
        nodes = [*ancestors(node), node]
        return LOCKS + ref_key(repository, node), {n: INTENTS + ref_key(repository, n) for n in nodes}

    def acquire(self, path: str, ttl: str | timedelta | None = None, mode: str = "exclusive",
                repository: str | None = None) -> FallbackResult:
        """Take (or renew, when it is already yours) an exclusive lease on ``path`` and everything
        below it: granted with a fence, or busy naming the live lease in the way."""
        if mode != "exclusive":
            raise registered("CO214", "mode unknown", f"mode {mode} in the git fallback",
                             "the git fallback takes exclusive leases only")
        repository = repository or self.repository
        canonical = canonical_path(path)
        node = node_of(canonical)
        length = parse_ttl(ttl, timedelta(minutes=15))
        lock_ref, intent_refs = self._refs_for(repository, node)
        for _ in range(MAX_ATTEMPTS):
            refs = self._snapshot([lock_ref, *intent_refs.values()])
            docs = self._read(refs, [lock_ref, *intent_refs.values()])
            now = self.clock()
            old_lease = _lease_or_none(docs.get(lock_ref))
            blocking = self._blocking(node, intent_refs, docs, now)
            if blocking is None and old_lease is not None and old_lease.live(now) \
                    and old_lease.holder_key != self.holder_key:
                blocking = {"path": node_of(old_lease.path), "holder": old_lease.holder,
                            "holder_key": old_lease.holder_key, "fence": old_lease.fence,
                            "expires_at": _iso(old_lease.expires_at)}
            if blocking is not None:
                return FallbackResult(False, "busy", f"{blocking['path']} is held by {blocking['holder']} until "
                                                     f"{blocking['expires_at']}", path=canonical,
                                      repository=repository, mode=mode, holder_name=blocking["holder"],
                                      holder_path=blocking["path"],
                                      holder_expires_at=_parse_time(blocking["expires_at"]), ref=lock_ref,
                                      details={"conflict": blocking})
            renewing = old_lease is not None and old_lease.live(now) and old_lease.holder_key == self.holder_key
            last_fence = max(int(docs.get(intent_refs[node], {}).get("fence", 0)),
                             old_lease.fence if old_lease else 0)
            fence = old_lease.fence if renewing and old_lease else last_fence + 1
            lease = Lease(self.holder, self.holder_key, repository, canonical, mode, fence,
                          old_lease.taken_at if renewing and old_lease else now, now + length)
            updates: dict[str, tuple[str | None, str | None]] = {
                lock_ref: (refs.get(lock_ref), self._commit(lease.message(), refs.get(lock_ref)))}
            entry = {"path": node, "holder": self.holder, "holder_key": self.holder_key, "fence": fence,
                     "expires_at": _iso(lease.expires_at)}
            for each, ref in intent_refs.items():
                doc = docs.get(ref, {})
                entries = [e for e in doc.get("leases", []) if e.get("path") != node and _live(e, now)]
                new_doc = {"repository": repository, "node": each, "fence": int(doc.get("fence", 0)),
                           "leases": sorted([*entries, entry], key=lambda e: e["path"])}
                if each == node:
                    new_doc["fence"] = fence
                updates[ref] = (refs.get(ref), self._commit(json.dumps(new_doc, sort_keys=True), refs.get(ref)))
            try:
                self._push(updates)
            except _Lost:
                continue
            return FallbackResult(True, "renewed" if renewing else "granted",
                                  f"{'renewed' if renewing else 'granted'} through the git fallback", path=canonical,
                                  repository=repository, mode=mode, fence=fence, expires_at=lease.expires_at,
                                  ref=lock_ref, details={"remote": self.remote,
                                                         "took_over": bool(old_lease and not renewing)})
        raise Unavailable("the git fallback remote is too contended", hint="retry")

    def _blocking(self, node: str, intent_refs: Mapping[str, str], docs: Mapping[str, Mapping[str, Any]],
                  now: datetime) -> dict[str, Any] | None:
        """The live lease of another holder in the way: on an ancestor itself, or at or below
        the node (read from the intention refs, the refs the push compares)."""
        for each, ref in intent_refs.items():
            for entry in docs.get(ref, {}).get("leases", []):
                if not _live(entry, now):
                    continue
                overlaps = entry.get("path") == each if each != node else True
                mine_here = entry.get("holder_key") == self.holder_key and entry.get("path") == node
                if overlaps and not mine_here:
                    return dict(entry)
        return None

    def release(self, path: str, fence: int, repository: str | None = None) -> FallbackResult:
        """Release your lease on ``path`` if ``fence`` is its fence: released; else not_held,
        stale_fence or expired (an expired lease of yours is removed all the same)."""
        repository = repository or self.repository
        canonical = canonical_path(path)
        node = node_of(canonical)
        lock_ref, intent_refs = self._refs_for(repository, node)
        for _ in range(MAX_ATTEMPTS):
            refs = self._snapshot([lock_ref, *intent_refs.values()])
            docs = self._read(refs, [lock_ref, *intent_refs.values()])
            now = self.clock()
            lease = _lease_or_none(docs.get(lock_ref))
            common = {"path": canonical, "repository": repository, "ref": lock_ref}
            if lease is None or lease.holder_key != self.holder_key:
                return FallbackResult(False, "not_held", "you hold no lease on this path in the git fallback",
                                      **common)  # type: ignore[arg-type]
            if lease.fence != fence:
                return FallbackResult(False, "stale_fence", f"the lease has fence {lease.fence}, not {fence}",
                                      fence=lease.fence, **common)  # type: ignore[arg-type]
            try:
                self._remove(refs, docs, lock_ref, intent_refs, node, now)
            except _Lost:
                continue
            if not lease.live(now):
                return FallbackResult(False, "expired", "the lease ran out; it is removed", fence=fence,
                                      **common)  # type: ignore[arg-type]
            return FallbackResult(True, "released", "released through the git fallback", fence=fence,
                                  **common)  # type: ignore[arg-type]
        raise Unavailable("the git fallback remote is too contended", hint="retry")

    def _remove(self, refs: Mapping[str, str], docs: Mapping[str, Mapping[str, Any]], lock_ref: str,
                intent_refs: Mapping[str, str], node: str, now: datetime) -> None:
        """Delete a lease ref and its entries in the intention refs, in one atomic push."""
        updates: dict[str, tuple[str | None, str | None]] = {lock_ref: (refs[lock_ref], None)}
        for each, ref in intent_refs.items():
            if ref not in refs:
                continue
            doc = docs.get(ref, {})
            entries = [e for e in doc.get("leases", []) if e.get("path") != node and _live(e, now)]
            new_doc = {"repository": doc.get("repository"), "node": each, "fence": int(doc.get("fence", 0)),
                       "leases": entries}
            updates[ref] = (refs[ref], self._commit(json.dumps(new_doc, sort_keys=True), refs[ref]))
        self._push(updates)

    def clear_lease(self, ref: str, expected: str, lease: Lease) -> bool:
        """Remove a lease ref if it still has the value ``expected`` (sync and --all): True when
        removed, False when it changed meanwhile (someone took it over; it is theirs now)."""
        node = node_of(lease.path)
        lock_ref, intent_refs = self._refs_for(lease.repository, node)
        if lock_ref != ref:
            return False
        for _ in range(MAX_ATTEMPTS):
            refs = self._snapshot([lock_ref, *intent_refs.values()])
            if refs.get(lock_ref) != expected:
                return False
            docs = self._read(refs, intent_refs.values())
            try:
                self._remove(refs, docs, lock_ref, intent_refs, node, self.clock())
            except _Lost:
                continue
            return True
        raise Unavailable("the git fallback remote is too contended", hint="retry")

    # --- claims --------------------------------------------------------------------------------

    def claim(self, task_id: int, lease: str | timedelta | None = None) -> FallbackResult:
        """Claim task ``task_id``: claimed with a claim token, or busy while another holder's
        claim is live (an expired one is taken over with claim + 1)."""
        if task_id <= 0:
            raise registered("CO410", "task unknown", f"task {task_id}", "pass the id of a task you know of")
        length = parse_ttl(lease, timedelta(minutes=5))
        ref = f"{CLAIMS}{task_id}"
        for _ in range(MAX_ATTEMPTS):
            refs = self._snapshot([ref])
            old = _claim_or_none(self._read(refs, [ref]).get(ref))
            now = self.clock()
            if old is not None and old.live(now) and old.holder_key != self.holder_key:
                return FallbackResult(False, "busy", f"task {task_id} is claimed by {old.holder} until "
                                                     f"{_iso(old.expires_at)}", task_id=task_id, ref=ref,
                                      holder_name=old.holder, holder_expires_at=old.expires_at)
            renewing = old is not None and old.live(now)
            number = old.claim if renewing and old else (old.claim + 1 if old else 1)
            new = Claim(self.holder, self.holder_key, task_id, number, old.taken_at if renewing and old else now,
                        now + length)
            try:
                self._push({ref: (refs.get(ref), self._commit(new.message(), refs.get(ref)))})
            except _Lost:
                continue
            return FallbackResult(True, "renewed" if renewing else "claimed", f"task {task_id} claimed through the git "
                                  "fallback", task_id=task_id, claim=number, expires_at=new.expires_at, ref=ref,
                                  details={"remote": self.remote, "took_over": bool(old and not renewing)})
        raise Unavailable("the git fallback remote is too contended", hint="retry")

    def clear_ref(self, ref: str, expected: str) -> bool:
        """Delete ``ref`` if it still has the value ``expected`` (claims)."""
        self._init()
        try:
            self._push({ref: (expected, None)})
        except _Lost:
            return False
        return True


def _live(entry: Mapping[str, Any], now: datetime) -> bool:
    try:
        return _parse_time(str(entry["expires_at"])) > now
    except (KeyError, ValueError):
        return False


def _lease_or_none(doc: Mapping[str, Any] | None) -> Lease | None:
    if not doc:
        return None
    try:
        return Lease.parse(doc)
    except (KeyError, ValueError, TypeError):
        return None


def _claim_or_none(doc: Mapping[str, Any] | None) -> Claim | None:
    if not doc:
        return None
    try:
        return Claim.parse(doc)
    except (KeyError, ValueError, TypeError):
        return None


__all__ = [
    "Claim",
    "CoordError",
    "FallbackResult",
    "GitFallback",
    "Lease",
    "canonical_path",
    "holder_key",
    "is_unreachable",
]


# --- coord git-sync --------------------------------------------------------------------------------

def _seconds_left(expires_at: datetime, now: datetime) -> int:
    return max(1, min(int(MAX_TTL.total_seconds()), int((expires_at - now).total_seconds() + 0.999)))


def sync(fallback: GitFallback, client: Any, *, dry_run: bool = False, clear_all: bool = False) -> dict[str, Any]:
    """Import the caller's live fallback leases and claims into the database, oldest first,
    through the api (acquire_lock; claim_task_by_id), then clear the refs imported or refused
    (compare-and-swap deletes: a ref someone took over since stays theirs). Every decision is
    the database's and audited there: a lease that overlaps a live database lease of another
    holder is refused (busy) and reported. Refs of other holders stay; with ``clear_all`` the
    expired refs of every holder are removed as well. ``dry_run`` reports what would be done."""
    me = client.authenticate()
    repository = getattr(me, "repository", None) or "default"
    now = fallback.clock()
    report: dict[str, Any] = {"remote": fallback.remote, "repository": repository, "dry_run": dry_run,
                              "leases": [], "claims": [], "cleared_expired": []}
    mine = sorted(fallback.leases(mine_only=True), key=lambda item: (item[2].taken_at, item[2].path))
    for ref, sha, lease in mine:
        row: dict[str, Any] = {"ref": ref, "path": lease.path, "repository": lease.repository,
                               "git_fence": lease.fence, "taken_at": _iso(lease.taken_at),
                               "expires_at": _iso(lease.expires_at)}
        report["leases"].append(row)
        if lease.repository != repository:
            row.update(action="skipped", reason=f"the lease is in repository {lease.repository}; your token acts "
                                                f"in {repository} (sync with a token or session of that repository)")
            continue
        if not lease.live(now):
            row.update(action="expired", reason="the lease ran out before the database was back")
        elif dry_run:
            row.update(action="would_import", ttl_seconds=_seconds_left(lease.expires_at, now))
        else:
            result = client.acquire_lock(
                lease.path, ttl=f"{_seconds_left(lease.expires_at, now)} seconds",
                reason=f"imported from the git fallback: {ref} fence {lease.fence} taken {_iso(lease.taken_at)}")
            row.update(action="imported" if result.ok else "refused", code=result.code, reason=result.reason,
                       fence=result.fence, db_expires_at=result.expires_at and _iso(result.expires_at),
                       holder_name=result.holder_name, holder_path=result.holder_path)
        if not dry_run:
            row["cleared"] = fallback.clear_lease(ref, sha, lease)
    claim_by_id = getattr(client, "claim_task_by_id", None)
    for ref, sha, claim in sorted(fallback.claims(mine_only=True), key=lambda item: item[2].taken_at):
        row = {"ref": ref, "task_id": claim.task_id, "git_claim": claim.claim, "taken_at": _iso(claim.taken_at),
               "expires_at": _iso(claim.expires_at)}
        report["claims"].append(row)
        if not claim.live(now):
            row.update(action="expired", reason="the claim ran out before the database was back")
        elif dry_run:
            row.update(action="would_import", lease_seconds=_seconds_left(claim.expires_at, now))
        elif claim_by_id is None:
            row.update(action="skipped", reason="the database has no claim_task_by_id")
            continue
        else:
            result = claim_by_id(claim.task_id, f"{_seconds_left(claim.expires_at, now)} seconds")
            row.update(action="imported" if result.ok else "refused", code=result.code, reason=result.reason,
                       claim=result.claim, lease_expires_at=result.lease_expires_at and _iso(result.lease_expires_at))
        if not dry_run:
            row["cleared"] = fallback.clear_ref(ref, sha)
    if clear_all:
        for ref, sha, lease in fallback.leases():
            if not lease.live(now):
                report["cleared_expired"].append({"ref": ref, "path": lease.path, "holder": lease.holder,
                                                  "cleared": dry_run or fallback.clear_lease(ref, sha, lease)})
        for ref, sha, claim in fallback.claims():
            if not claim.live(now):
                report["cleared_expired"].append({"ref": ref, "task_id": claim.task_id, "holder": claim.holder,
                                                  "cleared": dry_run or fallback.clear_ref(ref, sha)})
    return report
