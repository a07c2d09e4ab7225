"""coord: the operator's command line. It parses, calls ``coordinator``, renders, and maps
error codes to exit codes. Tables for people, ``--json`` for machines.

One module per area (server, principals, locks, tasks, audit, alerts, approvals, actions, guard,
profiles, network, skills, catalog, memory, messages); what they share is in ``context``
(connection options, the click context object, errors) and ``render`` (tables and JSON)."""

from __future__ import annotations

import click

from . import (
    actions,
    alerts,
    approvals,
    audit,
    catalog,
    events,
    fallback,
    guard,
    hooks,
    locks,
    mcp,
    network,
    policy,
    principals,
    profiles,
    server,
    session,
    skills,
    tasks,
)
from . import evaluate as eval_command
from . import memory as memory_commands
from . import messages as message_commands
from . import verify as verify_command
from . import watch as watch_view


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="agent-coordinator")
def main() -> None:
    """Agent Coordinator: locks, leases and audit for fleets of AI coding agents, in PostgreSQL.

    Start with `coord up` (an embedded PostgreSQL 18), then `coord agent add NAME` and
    `coord lock acquire PATH --token TOKEN`. `coord demo` shows everything in one go.
    """


for area in (server, principals, catalog, locks, tasks, audit, events, alerts, approvals, actions, guard,
             profiles, network, skills, policy):
    for command in area.COMMANDS:
        main.add_command(command)
for area in (session, memory_commands, message_commands, verify_command, hooks, mcp, watch_view, eval_command,
             fallback):
    for command in area.COMMANDS:
        main.add_command(command)


if __name__ == "__main__":
    main()
