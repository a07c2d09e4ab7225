"""coord eval's output: the comparison table (rich) and the chart (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from .evaluation import CLIENT_SIDE_OFF, METRICS, Count, Report


def cell(count: Count, lower_is_better: bool) -> str:
    if count.rate is None:
        return "–"
    bad = count.rate > 0 if lower_is_better else count.rate < 1
    text = f"{count.hit}/{count.of} ({count.rate:.0%})"
    return f"[red]{text}[/red]" if bad else f"[green]{text}[/green]"


def table(report: Report) -> Table:
    grid = Table(title=f"coord eval (seed {report.seed}, {len(report.scenarios)} scenarios)", header_style="bold")
    grid.add_column("metric", no_wrap=True)
    for r in report.results:
        grid.add_column(r.config.name, justify="right", no_wrap=True)
    for m in METRICS:
        if all(r.metrics[m.key].of == 0 for r in report.results):
            continue
        grid.add_row(m.label + (f" [dim]({m.layer})[/dim]" if m.layer else ""),
                     *(cell(r.metrics[m.key], m.lower_is_better) for r in report.results))
    grid.add_row("audited by the database", *(f"{r.audit_db.hit}/{r.audit_db.of}" for r in report.results))
    grid.add_row("throughput (calls/s)", *(f"{r.throughput:,.0f}" for r in report.results))
    grid.add_row("p50 / p99 (ms/call)", *(f"{r.percentile(50):.1f} / {r.percentile(99):.1f}" for r in report.results))
    return grid


NOTE = ("guardrails, profiles and network off are settings of the tenant made through the api; "
        f"{' and '.join(CLIENT_SIDE_OFF)} have no off switch in the database, so their \"off\" is a client "
        "without the layer against the same database (docs/evaluation.md). Audit completeness off = the "
        "client's own log; the database's audit is the row below.")


def chart(report: Report, path: Path) -> Path:
    """A heat map (configuration x safety metric: green where the layer did its job, red where
    it did not, each cell with its count) and throughput and latency bars beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [m for m in METRICS if any(r.metrics[m.key].of for r in report.results)]
    names = [r.config.name for r in report.results]
    goodness = [[_goodness(r.metrics[m.key], m.lower_is_better) for m in shown] for r in report.results]
    fig, (heat, speed) = plt.subplots(1, 2, figsize=(15, 1.6 + 0.65 * len(names)),
                                      gridspec_kw={"width_ratios": [5, 1.3]})
    heat.imshow([[float("nan") if g is None else g for g in row] for row in goodness], cmap="RdYlGn",
                vmin=-0.4, vmax=1.4, aspect="auto")  # the light middle of the map: text stays legible
    for i, r in enumerate(report.results):
        for j, m in enumerate(shown):
            c = r.metrics[m.key]
            text = "–" if c.rate is None else f"{c.rate:.0%}\n{c.hit}/{c.of}"
            heat.text(j, i, text, ha="center", va="center", fontsize=8)
    heat.set_xticks(range(len(shown)))
    heat.set_xticklabels([m.label.replace(" ", "\n", 2) for m in shown], fontsize=8)
    heat.xaxis.tick_top()
    heat.set_yticks(range(len(names)))
    heat.set_yticklabels(names, fontsize=9)
    heat.set_xlabel(f"coord eval, seed {report.seed}: share of attempts refused / prevented "
                    "(work lost, harmless and allowed refused: share lost or refused; green is safe)", fontsize=8)
    y = range(len(names))
    speed.barh(y, [r.throughput for r in report.results], color="grey")
    speed.set_yticks(list(y))
    speed.set_yticklabels(names, fontsize=8)
    speed.invert_yaxis()
    for i, r in enumerate(report.results):
        speed.text(0, i, f" p50 {r.percentile(50):.1f} / p99 {r.percentile(99):.1f} ms", va="center", fontsize=7,
                   color="white")
    speed.set_title("throughput (calls/s)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _goodness(count: Count, lower_is_better: bool) -> float | None:
    if count.rate is None:
        return None
    return 1 - count.rate if lower_is_better else count.rate
