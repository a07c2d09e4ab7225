"""coord memory: remember, recall, forget and list agents' memories.

Every rule (tiers, ttl, dedup, who sees what, the ranking) lives in api.remember, api.recall,
api.forget and api.list_memories; this module parses and renders. Embeddings are the caller's
(a JSON array of 384 numbers, --embedding-file), since no model runs in the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from coordinator.client import Client
from coordinator.errors import registered

from .context import Invocation, client_command
from .render import plain

TIERS = ["working", "episodic", "procedural", "semantic"]
VISIBILITIES = ["private", "team", "tenant"]
RECALL_COLUMNS = ["memory_id", "score", "relevance", "recency", "importance", "tier", "author", "content"]
LIST_COLUMNS = ["memory_id", "tier", "visibility", "author", "importance", "seen_count", "last_seen_at",
                "expires_at", "tags", "content"]


def _embedding(path: Path | None) -> list[float] | None:
    if path is None:
        return None
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise registered("CO447", "the embedding file is not JSON", detail=f"{path}: {exc}") from None
    if not isinstance(value, list):
        raise registered("CO447", "the embedding file holds no JSON array",
                         detail=f"{path} holds a JSON {type(value).__name__}")
    return value


def _metadata(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise registered("CO440", "--metadata is not JSON", detail=str(exc)) from None


embedding_option = click.option("--embedding-file", type=click.Path(dir_okay=False, path_type=Path),
                                help="A JSON array of 384 numbers: your embedding of the content or query "
                                     "(used where the server has pgvector).")


@click.group()
def memory() -> None:
    """Agents' memory: remember, recall (ranked, with the parts of each score), list and forget.

    Tiers: working (scratch, expires), episodic (what happened), procedural (how to), semantic
    (facts). A memory is private to its author, shared with its team (the author's profile) or
    with the tenant; recall sees only what you may see, in your repository. See docs/memory.md.
    """


@memory.command("remember")
@click.argument("content")
@click.option("--tier", type=click.Choice(TIERS), default="semantic", show_default=True)
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--importance", type=float, default=0.5, show_default=True, help="0 to 1.")
@click.option("--ttl", help="Forget after this long, e.g. '2 hours' (working memories: default 1 hour, "
                            "at most 7 days).")
@click.option("--metadata", help="A JSON object kept with the memory.")
@click.option("--visibility", type=click.Choice(VISIBILITIES), default="private", show_default=True)
@embedding_option
@client_command
def memory_remember(invocation: Invocation, client: Client, content: str, tier: str, tags: tuple[str, ...],
                    importance: float, ttl: str | None, metadata: str | None, visibility: str,
                    embedding_file: Path | None) -> None:
    """Remember CONTENT (the same content again within the tier's window reinforces the memory)."""
    invocation.result(client.remember(tier, content, list(tags), importance, ttl, _metadata(metadata),
                                      _embedding(embedding_file), visibility))


@memory.command("recall")
@click.argument("query", required=False)
@click.option("--tier", "tiers", multiple=True, type=click.Choice(TIERS), help="Only this tier (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only memories with this tag (repeatable: all of them).")
@click.option("--limit", type=int, default=10, show_default=True)
@embedding_option
@client_command
def memory_recall(invocation: Invocation, client: Client, query: str | None, tiers: tuple[str, ...],
                  tags: tuple[str, ...], limit: int, embedding_file: Path | None) -> None:
    """The memories that best match QUERY, with their scores (no QUERY: by recency and importance)."""
    rows = client.recall(query, list(tiers) or None, list(tags) or None, limit, _embedding(embedding_file))
    if invocation.as_json:
        invocation.json(rows)
        return
    shown = [{k: round(v, 3) if isinstance(v, float) else v for k, v in plain(r).items()} for r in rows]
    invocation.listing(shown, RECALL_COLUMNS, empty="(nothing recalled)")
    notes = {r.note for r in rows if r.note}
    if notes:
        click.echo("note: " + "; ".join(sorted(notes)), err=True)


@memory.command("list")
@click.option("--tier", "tiers", multiple=True, type=click.Choice(TIERS), help="Only this tier (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only memories with this tag (repeatable: all of them).")
@click.option("--mine", is_flag=True, help="Only the memories you wrote.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--before-id", type=int, help="Page: memories older than this id.")
@client_command
def memory_list(invocation: Invocation, client: Client, tiers: tuple[str, ...], tags: tuple[str, ...], mine: bool,
                limit: int, before_id: int | None) -> None:
    """The memories you may see in your repository, newest first."""
    invocation.listing(client.list_memories(list(tiers) or None, list(tags) or None, mine, limit, before_id),
                       LIST_COLUMNS, empty="(no memories)")


@memory.command("forget")
@click.argument("memory_id", type=int)
@client_command
def memory_forget(invocation: Invocation, client: Client, memory_id: int) -> None:
    """Forget MEMORY_ID (agents: their own; operators: any memory of the tenant)."""
    invocation.result(client.forget(memory_id))


COMMANDS = [memory]
