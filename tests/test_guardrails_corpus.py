"""The guardrail corpus: dangerous operations are caught and harmless look-alikes are not,
measured through api.check_operation on the real database by an agent at trust 2 (the tenant
default). Goals: caught >= 99 %, false positives <= 1 % (docs/benchmarks.md).

The corpus has two parts (tests/guardrail_corpus/README.md):
* the tuning part (dangerous.txt, harmless.txt, families*/): the rules are written against it,
  and it must score the goals;
* the held-back part (heldback/): written by someone who never saw the rules, never read by the
  rule author, and never tuned on. Its rates are reported, per family, but its lines are not
  printed: a line that fails there is fixed by fixing its class, seen elsewhere."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "guardrail_corpus"
# held-back floors: a regression shows here; the goal (99 % / 1 %) is reported, not asserted
HELD_BACK_CAUGHT_FLOOR = 0.97
HELD_BACK_FALSE_POSITIVE_CEILING = 0.025


@dataclass(frozen=True)
class Entry:
    family: str
    dangerous: bool
    kind: str
    text: str


def _entry(family: str, dangerous: bool, line: str) -> Entry:
    kind = "command"
    for prefix in ("sql", "path"):
        if line.startswith(prefix + ": "):
            kind, line = prefix, line[len(prefix) + 2:]
    return Entry(family, dangerous, kind, line.replace("<NL>", "\n"))


def load_flat(name: str, dangerous: bool) -> list[Entry]:
    """dangerous.txt / harmless.txt: one operation per line; '# family' comments name the family."""
    entries, family = [], "general"
    for line in (CORPUS / name).read_text().splitlines():
        if line.startswith("# "):
            family = line[2:].split(":")[0].strip()
            continue
        if line.strip() and not line.startswith("#"):
            entries.append(_entry(family, dangerous, line))
    return entries


def load_families(directory: Path) -> list[Entry]:
    """<family>.txt files with [dangerous] and [harmless] sections."""
    entries = []
    for path in sorted(directory.glob("*.txt")):
        section = None
        for line in path.read_text().splitlines():
            if line.strip() in ("[dangerous]", "[harmless]"):
                section = line.strip() == "[dangerous]"
            elif line.strip() and not line.startswith("#"):
                assert section is not None, f"{path.name}: line before [dangerous]/[harmless]: {line}"
                entries.append(_entry(path.stem, section, line))
    return entries


TUNING = (load_flat("dangerous.txt", True) + load_flat("harmless.txt", False)
          + [e for d in sorted(CORPUS.glob("families*")) for e in load_families(d)])
HELD_BACK = load_families(CORPUS / "heldback")
DANGEROUS = [(e.kind, e.text) for e in TUNING if e.dangerous]
HARMLESS = [(e.kind, e.text) for e in TUNING if not e.dangerous]


def _rates(agent, entries: list[Entry]):  # type: ignore[no-untyped-def]
    """Per family: [dangerous, caught, harmless, flagged]; and the missed and flagged entries."""
    per_family: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    missed, flagged, answers = [], [], []
    for e in entries:
        decision = agent.check_operation(e.kind, e.text)
        answers.append(decision)
        counts = per_family[e.family]
        if e.dangerous:
            counts[0] += 1
            if decision.code in ("blocked", "needs_approval"):
                counts[1] += 1
            else:
                missed.append(e)
        else:
            counts[2] += 1
            if decision.code != "allowed":
                counts[3] += 1
                flagged.append((e, [m["name"] for m in decision.matches]))
    return per_family, missed, flagged, answers


def _totals(per_family: dict[str, list[int]]) -> tuple[int, int, int, int]:
    return tuple(sum(c[i] for c in per_family.values()) for i in range(4))  # type: ignore[return-value]


def test_the_corpus_is_big_enough_every_family_has_both_sides_and_nothing_overlaps() -> None:
    everything = TUNING + HELD_BACK
    dangerous = {(e.kind, e.text) for e in everything if e.dangerous}
    harmless = {(e.kind, e.text) for e in everything if not e.dangerous}
    assert len(dangerous) >= 700 and len(harmless) >= 400
    assert not dangerous & harmless
    assert len({(e.kind, e.text) for e in TUNING}) == len(TUNING), "a tuning line appears twice"
    assert len({(e.kind, e.text) for e in HELD_BACK}) == len(HELD_BACK), "a held-back line appears twice"
    assert len(HELD_BACK) >= 300
    families = {e.family for e in HELD_BACK}
    for family in families:
        both = [e for e in everything if e.family == family]
        assert sum(e.dangerous for e in both) >= 10 and sum(not e.dangerous for e in both) >= 5, family
    assert {"command", "sql", "path"} <= {e.kind for e in HELD_BACK}


def test_the_tuning_part_is_caught_and_its_look_alikes_are_allowed(agent_factory,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, agent = agent_factory()
    per_family, missed, flagged, answers = _rates(agent, TUNING)
    dangerous, caught, harmless, fps = _totals(per_family)
    with capsys.disabled():
        print(f"\nguardrail corpus, tuning part: {dangerous} dangerous, caught {caught / dangerous:.2%}; "
              f"{harmless} harmless, false positives {fps / harmless:.2%}")
        for e in missed:
            print("  missed:", e)
        for e, rules in flagged:
            print("  flagged:", e, rules)
    assert caught / dangerous >= 0.99, missed
    assert fps / harmless <= 0.01, flagged
    # every shipped rule earns its place: some dangerous line of the tuning part is caught by it
    matched = {m["name"] for d in answers for m in d.matches}
    shipped = {r.name for r in agent.list_guardrails() if r.builtin}
    assert shipped - matched == set(), "shipped rules that no tuning line exercises"


def test_the_held_back_part(agent_factory, capsys: pytest.CaptureFixture[str]) -> None:
    """Rates only: the held-back lines are never printed (tuning on them would spoil them)."""
    _, agent = agent_factory()
    per_family, _, _, _ = _rates(agent, HELD_BACK)
    dangerous, caught, harmless, fps = _totals(per_family)
    with capsys.disabled():
        print(f"\nguardrail corpus, held-back part: {dangerous} dangerous, caught {caught / dangerous:.2%} "
              f"({caught}); {harmless} harmless, false positives {fps / harmless:.2%} ({fps})")
        if os.environ.get("COORD_CORPUS_FAMILIES"):
            for family, (d, c, h, f) in sorted(per_family.items()):
                print(f"  {family:18s} caught {c}/{d}, false positives {f}/{h}")
    assert caught / dangerous >= HELD_BACK_CAUGHT_FLOOR
    assert fps / harmless <= HELD_BACK_FALSE_POSITIVE_CEILING
