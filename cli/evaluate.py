"""coord eval: scripted multi-agent scenarios with ablation switches, as a table and a chart."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from coordinator import eval_scenarios, evaluation

from .context import Invocation, json_option, with_invocation
from .render import emit_json, err, out


@click.command(name="eval")
@click.option("--dsn", "server_dsn", metavar="DSN",
              help="Superuser DSN of a PostgreSQL server to run on: eval creates a scratch database there and "
                   "drops it afterwards. Default: a temporary embedded server.")
@click.option("--scenarios", "scenario_paths", multiple=True, type=click.Path(path_type=Path),
              help="Scenario files or directories of *.yaml (repeatable). Default: the shipped scenarios.")
@click.option("--config", "config_names", multiple=True, metavar="NAME",
              help="Configurations to run (repeatable): all_on, no_guardrails, no_profiles, no_audit, no_network, "
                   "no_fencing. Default: all six.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the scripts (who races for what, "
              "who dies, which corpus sample).")
@click.option("--chart", type=click.Path(path_type=Path), default=Path("coord-eval.png"), show_default=True,
              help="Where to write the PNG chart.")
@click.option("--list", "list_only", is_flag=True, help="Validate and list the scenarios, run nothing.")
@json_option
@with_invocation
def eval_command(invocation: Invocation, server_dsn: str | None, scenario_paths: tuple[Path, ...],
                 config_names: tuple[str, ...], seed: int, chart: Path, list_only: bool) -> None:
    """Run scripted agents against a real server with each safety layer on and off.

    Agents (each its own principal and connection) race for files and tasks, try destructive
    operations, read across tenants, exceed their limits, die mid-task and replay stale fences.
    Guardrails, profiles and network policy are switched off as configuration of the tenant;
    fencing and audit have no off switch in the database, so their "off" is a client without the
    layer (docs/evaluation.md)."""
    scenarios = eval_scenarios.load(scenario_paths)
    if list_only:
        rows = [{"name": s.name, "kind": s.kind, "agents": s.agents, "source": s.source} for s in scenarios]
        if invocation.as_json:
            emit_json(rows)
        else:
            for s in scenarios:
                out.print(f"[bold]{s.name}[/bold] ({s.kind}, {s.agents} agents): {s.description}")
        return
    try:
        chosen = evaluation.configs(config_names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--config") from None
    say = None if invocation.as_json else (lambda m: err.print(f"[dim]{m}[/dim]"))
    with evaluation.eval_target(server_dsn, progress=say) as target, Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, disable=invocation.as_json, transient=True) as bar:
        task = bar.add_task("coord eval", total=len(chosen) * len(scenarios))

        def step(label: str) -> None:
            bar.update(task, description=label)

        def done(label: str) -> None:
            bar.advance(task)

        report = evaluation.run_eval(target, scenarios, chosen, seed, step=step, scenario_done=done)
    from coordinator import eval_report

    written = eval_report.chart(report, chart)
    if invocation.as_json:
        emit_json({**report.to_dict(), "chart": str(written)})
        return
    # The table is wide (a column per configuration): not cut to 80 columns when piped.
    wide = out if out.is_terminal else Console(highlight=False, width=160)
    wide.print(eval_report.table(report))
    out.print(f"[dim]{eval_report.NOTE}[/dim]")
    out.print(f"chart: {written}")


COMMANDS = [eval_command]
