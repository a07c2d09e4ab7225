"""Builds bench/data/memory_quality.json: a small labelled set for recall quality (bin/bench memory).

Templated, not collected: 40 subjects of a software project (paths, identifiers, subsystems)
crossed with 36 facts (a phrasing to remember and a different phrasing to ask with), 8 facts per
subject = 320 memories. 80 queries ask for one (subject, fact) each, naming the subject the way
people do (a path's file name or stem, an identifier in another case style) and the fact in
other words; the one memory with that subject and fact is the relevant one. Every other memory
of the subject, and every memory of the fact about another subject, is a distractor. Queries
with an even index are the tuning half (weights may be chosen on them), odd ones are held back.

Deterministic (seeded); run it to regenerate: python bench/memory_quality_data.py
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SUBJECTS = [
    "coordinator/client.py", "cli/hooks.py", "plpgsql/api/locks/0510_acquire_lock.sql", "bench/harness.py",
    "docs/security.md", "src/billing/invoice.py", "src/cart/totals.py", "web/static/app.js",
    "deploy/k8s/ingress.yaml", "scripts/release.sh", "tests/conftest.py", "src/search/indexer.rs",
    "migrations/0019_repositories.sql", "src/auth/token_store.go", "config/settings.toml", "Makefile",
    "acquire_lock", "claim_task", "refresh_token", "InvoiceService", "parse_team_file", "RateLimiter",
    "write_handoff", "compute_totals", "SessionStore", "retry_webhook", "normalize_path", "AuditSealer",
    "the payments service", "the nightly sweeper", "the search indexer", "the auth gateway",
    "the metrics exporter", "the build cache", "the staging database", "the release pipeline",
    "the mobile app", "the admin dashboard", "the message queue", "the feature flag service",
]

# (what is remembered, how it is asked for); {s} is the subject as remembered, {q} as asked.
FACTS = [
    ("{s} fails intermittently on CI when tests run in parallel; rerun with -p no:xdist",
     "why is {q} flaky in continuous integration"),
    ("{s} must hold the lease before writing, otherwise the fence check rejects the commit",
     "what does {q} need before it can write"),
    ("{s} reads its timeout from COORD_TIMEOUT and defaults to thirty seconds",
     "which environment variable sets the {q} timeout"),
    ("{s} was rewritten in March to remove the global mutex",
     "when was the global lock taken out of {q}"),
    ("{s} leaks file descriptors when the connection pool is exhausted",
     "{q} runs out of open files under load"),
    ("{s} is owned by the platform team; ask Priya before changing it",
     "who is responsible for {q}"),
    ("{s} rounds money to cents before applying tax",
     "does {q} round amounts before or after tax"),
    ("{s} retries failed deliveries with exponential backoff up to five attempts",
     "how many times does {q} try again after an error"),
    ("{s} must never run against production without a dry run first",
     "is it safe to run {q} on prod directly"),
    ("{s} caches results in Redis for ten minutes",
     "how long are {q} answers kept in the cache"),
    ("{s} logs secrets at debug level; keep the log level at info",
     "{q} prints credentials in verbose logging"),
    ("{s} depends on the old v1 schema and breaks after the migration to v2",
     "why did {q} stop working after the schema upgrade"),
    ("{s} is slow because it scans the whole table without an index",
     "how to speed up {q} queries"),
    ("{s} is deprecated; use the new streaming API instead",
     "what replaces {q}"),
    ("{s} needs the feature flag beta_checkout enabled to be reachable",
     "which flag turns on {q}"),
    ("{s} deadlocked last week when two workers renewed at the same moment",
     "what caused the {q} hang between workers"),
    ("{s} validates input with a JSON schema stored in schemas/v3",
     "where is the schema that checks {q} input"),
    ("{s} is built with the release profile; debug builds are ten times slower",
     "why is the {q} debug build so slow"),
    ("{s} has a memory leak in the websocket handler fixed by upgrading the library",
     "{q} memory keeps growing with open sockets"),
    ("{s} uses UTC everywhere; local times are converted only in the UI",
     "which time zone does {q} store"),
    ("{s} sends a heartbeat every twenty seconds and is declared dead after sixty",
     "how often does {q} report that it is alive"),
    ("{s} returns 429 when a client exceeds one hundred requests per minute",
     "what limits the request rate of {q}"),
    ("{s} keeps its state in a single SQLite file under /var/lib/app",
     "where does {q} persist data on disk"),
    ("{s} was the root cause of the outage on the fourth of July",
     "which component broke during the July incident {q}"),
    ("{s} requires Python 3.11 because it uses exception groups",
     "minimum interpreter version for {q}"),
    ("{s} is covered by property tests with hypothesis in tests/property",
     "are there generative tests for {q}"),
    ("{s} pins the TLS certificate of the upstream API",
     "does {q} do certificate pinning"),
    ("{s} should be split into smaller modules; it has grown past two thousand lines",
     "{q} file is too big, plan to break it up"),
    ("{s} compresses payloads with zstd above sixty four kilobytes",
     "which compression does {q} use for large bodies"),
    ("{s} is translated into German and French; strings live in locales/",
     "where are the {q} translations kept"),
    ("{s} needs a database migration before deploying the new version",
     "steps before rolling out a new {q} release"),
    ("{s} falls back to the read replica when the primary is unavailable",
     "what happens to {q} if the main database goes down"),
    ("{s} emits metrics prefixed with app_ and scraped by Prometheus",
     "how are {q} statistics collected"),
    ("{s} was benchmarked at twelve thousand operations per second on two cores",
     "throughput numbers measured for {q}"),
    ("{s} must be reviewed by security because it handles personal data",
     "does {q} need a security sign-off"),
    ("{s} uses optimistic locking with a version column to avoid lost updates",
     "how does {q} prevent concurrent overwrite"),
]


def asked_as(subject: str, rng: random.Random) -> str:
    """The subject as someone asking would write it."""
    if "/" in subject or subject == "Makefile":
        name = subject.rsplit("/", 1)[-1]
        return rng.choice([name, name.split(".")[0].lstrip("0123456789_")])
    if subject.startswith("the "):
        return subject[4:]
    if "_" in subject:  # snake_case -> camelCase
        head, *rest = subject.split("_")
        return rng.choice([head + "".join(w.title() for w in rest), subject.replace("_", " ")])
    return " ".join(w.lower() for w in re.findall(r"[A-Z][a-z]+", subject))  # CamelCase -> words


def build(seed: int = 15) -> dict[str, object]:
    rng = random.Random(seed)
    memories, by_pair = [], {}
    for s, subject in enumerate(SUBJECTS):
        for f in sorted(rng.sample(range(len(FACTS)), 8)):
            by_pair[(s, f)] = len(memories)
            memories.append({"id": len(memories), "subject": s, "fact": f,
                             "content": FACTS[f][0].format(s=subject)})
    pairs = sorted(by_pair)
    queries = []
    for i, (s, f) in enumerate(rng.sample(pairs, 80)):
        queries.append({"id": i, "split": "tune" if i % 2 == 0 else "held_out",
                        "query": FACTS[f][1].format(q=asked_as(SUBJECTS[s], rng)),
                        "relevant": [by_pair[(s, f)]]})
    return {"description": __doc__.split("\n\n")[1].replace("\n", " "), "memories": memories, "queries": queries}


if __name__ == "__main__":
    target = Path(__file__).parent / "data" / "memory_quality.json"
    target.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {target}")
