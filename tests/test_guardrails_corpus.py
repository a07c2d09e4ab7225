"""The golden corpus: every dangerous variant is caught and no harmless command is, measured
through api.check_operation on the real database by an agent at trust 2 (the tenant default).
Goals: block rate >= 99 %, false-positive rate <= 1 % (recorded in docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "guardrail_corpus"


def load(name: str) -> list[tuple[str, str]]:
    """(kind, text) per corpus line; 'sql: ' and 'path: ' prefixes, <NL> is a newline."""
    entries = []
    for line in (CORPUS / name).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind = "command"
        for prefix in ("sql", "path"):
            if line.startswith(prefix + ": "):
                kind, line = prefix, line[len(prefix) + 2:]
        entries.append((kind, line.replace("<NL>", "\n")))
    return entries


DANGEROUS = load("dangerous.txt")
HARMLESS = load("harmless.txt")


def test_the_corpus_is_big_enough_and_has_no_overlap() -> None:
    assert len(DANGEROUS) >= 200 and len(HARMLESS) >= 200
    assert not set(DANGEROUS) & set(HARMLESS)
    assert len(set(DANGEROUS)) == len(DANGEROUS) and len(set(HARMLESS)) == len(HARMLESS)
    assert {k for k, _ in DANGEROUS} == {"command", "sql", "path"} == {k for k, _ in HARMLESS}


def test_block_rate_and_false_positive_rate(agent_factory, capsys: pytest.CaptureFixture[str]) -> None:
    _, agent = agent_factory()
    answers = [(k, t, agent.check_operation(k, t)) for k, t in DANGEROUS]
    missed = [(k, t) for k, t, d in answers if d.code not in ("blocked", "needs_approval")]
    flagged = [(k, t, d.code, [m["name"] for m in d.matches])
               for k, t in HARMLESS if (d := agent.check_operation(k, t)).code != "allowed"]
    block_rate = 1 - len(missed) / len(DANGEROUS)
    false_positive_rate = len(flagged) / len(HARMLESS)
    with capsys.disabled():
        print(f"\nguardrail corpus: {len(DANGEROUS)} dangerous, block rate {block_rate:.2%} "
              f"({len(DANGEROUS) - len(missed)} caught); {len(HARMLESS)} harmless, "
              f"false-positive rate {false_positive_rate:.2%} ({len(flagged)} flagged)")
        for entry in missed:
            print("  missed:", entry)
        for entry in flagged:
            print("  flagged:", entry)
    assert block_rate >= 0.99, missed
    assert false_positive_rate <= 0.01, flagged
    # every shipped rule earns its place: some dangerous variant is caught by it
    matched = {m["name"] for _, _, d in answers for m in d.matches}
    defaults = {r.name for r in agent.list_guardrails()}
    assert defaults - matched == set(), "default rules no corpus entry exercises"
