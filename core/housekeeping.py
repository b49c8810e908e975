"""Records kept only for a while (delivered outbox messages, idempotency keys, expired limit
counters): each app that keeps such records registers its pruner here at start-up, and the daily
tick (`operations.tick`) runs them all. Core knows what to call, not what the records are, so an
app of any layer can take part without the tick importing it."""

from __future__ import annotations

from collections.abc import Callable

_PRUNERS: dict[str, Callable[[], int]] = {}


def register_pruner(what: str, prune: Callable[[], int]) -> None:
    """`prune()` deletes what has expired and returns how many rows went; `what` names them."""
    _PRUNERS[what] = prune


def prune_all() -> dict[str, int]:
    """Run every pruner; rows deleted, by what they were."""
    return {what: prune() for what, prune in sorted(_PRUNERS.items())}
