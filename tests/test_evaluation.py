"""coord eval: the scenario format and its validation, and a short run of every configuration
against a real database (the safety metrics with every layer on, and each layer's switch
moving its own metrics)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from conftest import Cluster, Database
from coord_cli.main import main

from coordinator import eval_report, eval_scenarios, evaluation
from coordinator.errors import CoordError

HERE = Path(__file__).resolve().parent
SHORT = HERE / "fixtures" / "eval"
CORPUS = HERE / "guardrail_corpus"


# --- the format ----------------------------------------------------------------------------------

def test_shipped_scenarios_are_valid_and_cover_every_kind() -> None:
    scenarios = eval_scenarios.load()
    assert len(scenarios) >= 12
    assert {s.kind for s in scenarios} == set(eval_scenarios.PARAMS)
    assert {s.kind for s in eval_scenarios.load([SHORT])} == set(eval_scenarios.PARAMS)


def test_shipped_destructive_operations_come_from_the_guardrail_corpus() -> None:
    corpus = set()
    for path in CORPUS.rglob("*.txt"):
        corpus.update(eval_scenarios.corpus_lines(path.read_text()))
    for scenario in eval_scenarios.load():
        if scenario.kind == "destructive":
            assert set(scenario.params["dangerous"]) <= corpus, scenario.name


GOOD = "name: x\ndescription: d\nkind: lock_race\nagents: 2\nparams: {paths: [a.py]}\n"


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "a scenario is a mapping"),
    ("name: [x\n", "not valid YAML"),
    (GOOD.replace("kind: lock_race", "kind: lock_fight"), "unknown kind 'lock_fight'"),
    (GOOD.replace("name: x\n", ""), "missing key 'name'"),
    (GOOD + "colour: red\n", "unknown key 'colour'"),
    (GOOD.replace("agents: 2", "agents: two"), "agents must be a int"),
    (GOOD.replace("agents: 2", "agents: 40"), "agents must be between 1 and 16"),
    (GOOD.replace("{paths: [a.py]}", "{paths: [a.py], speed: 3}"), "params.speed is not a parameter of lock_race"),
    (GOOD.replace("{paths: [a.py]}", "{rounds: 2}"), "missing params.paths"),
    (GOOD.replace("[a.py]", "a.py"), "params.paths must be a list of strings"),
    ("name: x\ndescription: d\nkind: profile_limits\nparams: {limits: {max_lokcs: 1}}\n",
     "params.limits.max_lokcs is not a limit"),
    ("name: x\ndescription: d\nkind: agent_death\nagents: 2\nparams: {tasks: 2, die: 2}\n",
     "params.die must leave at least one agent alive"),
    ("name: x\ndescription: d\nkind: destructive\n", "params.dangerous or params.corpus"),
])
def test_invalid_scenarios_are_refused_with_the_file_and_the_key(text: str, message: str) -> None:
    with pytest.raises(CoordError) as caught:
        eval_scenarios.parse(text, "my/scenario.yaml")
    assert caught.value.code == "CO590"
    assert caught.value.message.startswith("my/scenario.yaml: ")
    assert message in caught.value.message
    assert caught.value.hint


def test_a_corpus_file_is_read_relative_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "ops.txt").write_text("# mine\nrm -rf /\n\nsql: DROP TABLE t\n")
    (tmp_path / "s.yaml").write_text("name: c\ndescription: d\nkind: destructive\nparams: {corpus: ops.txt}\n")
    (scenario,) = eval_scenarios.load([tmp_path])
    assert scenario.params["dangerous"] == ["rm -rf /", "sql: DROP TABLE t"]
    (tmp_path / "s.yaml").write_text("name: c\ndescription: d\nkind: destructive\nparams: {corpus: none.txt}\n")
    with pytest.raises(CoordError, match=r"params\.corpus"):
        eval_scenarios.load([tmp_path])


def test_eval_list_validates_before_running(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: b\ndescription: d\nkind: nope\n")
    result = CliRunner().invoke(main, ["eval", "--scenarios", str(tmp_path), "--list"])
    assert result.exit_code == 65, result.output
    assert "CO590" in result.output and "bad.yaml" in result.output
    listed = CliRunner().invoke(main, ["eval", "--scenarios", str(SHORT), "--list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {row["name"] for row in json.loads(listed.output)} >= {"short-race", "short-death"}


def test_conflicts_count_overlapping_writes_of_other_agents() -> None:
    assert evaluation.conflicts([(0, "src/"), (1, "src/app.py"), (2, "src/util.py"), (3, "docs/a.md")]) == 2
    assert evaluation.conflicts([(0, "a.py"), (0, "a.py"), (1, "b.py")]) == 0
    assert evaluation.conflicts([(0, "a.py"), (1, "a.py"), (2, "a.py")]) == 2


# --- a short run of every configuration ----------------------------------------------------------

@pytest.mark.committed
def test_short_run_all_layers_on_and_each_switch_moves_its_metric(committed_db: Database, tmp_path: Path) -> None:
    target = evaluation.Target(committed_db.admin_dsn, gateway_dsn=committed_db.client_dsn)
    scenarios = eval_scenarios.load([SHORT])
    report = evaluation.run_eval(target, scenarios, evaluation.configs(), seed=7)
    by = {r.config.name: r for r in report.results}
    on = by["all_on"].metrics

    # Every layer on: nothing conflicting, stale, destructive, over the limit, forbidden or
    # cross-tenant got through, every effect is audited, no work was lost, nothing harmless refused.
    for key in ("conflicting_writes", "stale_writes", "destructive", "limit_violations", "egress",
                "cross_tenant", "audit"):
        assert on[key].of > 0 and on[key].hit == on[key].of, (key, on[key])
    for key in ("work_lost", "harmless_refused", "allowed_egress_refused"):
        assert on[key].of > 0 and on[key].hit == 0, (key, on[key])
    assert all(r.audit_db.hit == r.audit_db.of for r in report.results)  # the database audits in every run

    # Each layer off moves the metrics it owns, and only those.
    for layer in evaluation.LAYERS:
        off = by[f"no_{layer}"].metrics
        owned = [m for m in evaluation.METRICS if m.layer == layer and not m.lower_is_better]
        assert owned
        for m in owned:
            assert off[m.key].hit < on[m.key].hit, (layer, m.key, off[m.key], on[m.key])
        for m in evaluation.METRICS:
            if m.layer not in (layer, "audit") and m.key != "audit":
                assert (off[m.key].hit, off[m.key].of) == (on[m.key].hit, on[m.key].of), (layer, m.key)
    assert by["no_fencing"].metrics["work_lost"].hit > 0
    assert all(r.metrics["cross_tenant"].hit == r.metrics["cross_tenant"].of for r in report.results)

    # The table and the chart render from the report.
    assert "all_on" in str(eval_report.table(report).columns[1].header)
    png = eval_report.chart(report, tmp_path / "eval.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(json.dumps(report.to_dict()))["configs"][0]["config"] == "all_on"


@pytest.mark.committed
def test_the_same_seed_plays_the_same_script(committed_db: Database) -> None:
    """The counts of the timing-sensitive scenarios (races, deaths) are the same on every run,
    with and without fencing."""
    target = evaluation.Target(committed_db.admin_dsn, gateway_dsn=committed_db.client_dsn)
    scenarios = [s for s in eval_scenarios.load([SHORT]) if s.kind in ("lock_race", "task_race", "agent_death")]
    chosen = evaluation.configs(["all_on", "no_fencing"])

    def counts(seed: int) -> list[dict[str, dict[str, list[int]]]]:
        return [r.scenarios for r in evaluation.run_eval(target, scenarios, chosen, seed=seed).results]

    assert counts(3) == counts(3)


def test_eval_on_another_server_runs_in_a_scratch_database_and_leaves_nothing(cluster: Cluster,
                                                                                tmp_path: Path) -> None:
    """coord eval --dsn: a scratch database migrated for the run, agents through logins bound to
    the run's tenants, the database and the logins gone afterwards; --json and the chart."""
    chart = tmp_path / "eval.png"
    roles = "select count(*) from pg_roles where rolname like 'coord_login_%'"  # other tests' logins stay
    with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
        logins_before = conn.execute(roles).fetchone()
    result = CliRunner().invoke(main, ["eval", "--dsn", cluster.admin_dsn("postgres"), "--scenarios",
                                       str(SHORT / "network.yaml"), "--config", "all_on", "--config", "no_network",
                                       "--chart", str(chart), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    by = {c["config"]: c["metrics"] for c in report["configs"]}
    assert by["all_on"]["egress"] == {"hit": 1, "of": 1, "rate": 1.0}
    assert by["no_network"]["egress"] == {"hit": 0, "of": 1, "rate": 0.0}
    assert chart.read_bytes()[:4] == b"\x89PNG"
    with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
        assert conn.execute("select count(*) from pg_database where datname like 'coord_eval_%'").fetchone() == (0,)
        assert conn.execute(roles).fetchone() == logins_before
