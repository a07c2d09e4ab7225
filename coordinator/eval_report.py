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
    """Grouped bars: each safety metric's rate per configuration, and throughput beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [m for m in METRICS if any(r.metrics[m.key].of for r in report.results)]
    names = [r.config.name for r in report.results]
    fig, (bars, speed) = plt.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [4, 1]})
    width = 0.8 / max(len(names), 1)
    for j, r in enumerate(report.results):
        values = [100 * (r.metrics[m.key].rate or 0) for m in shown]
        positions = [i + (j - (len(names) - 1) / 2) * width for i in range(len(shown))]
        bars.bar(positions, values, width, label=r.config.name)
    bars.set_xticks(range(len(shown)))
    bars.set_xticklabels([m.label.replace(" ", "\n", 2) for m in shown], fontsize=8)
    bars.set_ylabel("% of attempts (work lost, harmless refused: lower is better)")
    bars.set_ylim(0, 105)
    bars.set_title(f"Safety metrics by configuration (seed {report.seed})")
    bars.legend(fontsize=8, ncols=min(len(names), 3))
    speed.bar(names, [r.throughput for r in report.results], color="grey")
    speed.set_title("throughput (calls/s)")
    speed.tick_params(axis="x", labelrotation=60, labelsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
