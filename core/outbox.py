"""The transactional outbox: side effects of domain steps, delivered at least once, done once.

A domain step that needs something done beyond its own rows (render a certificate, send an e-mail,
later call a bank's webhook) calls `outbox_add` inside its transaction. The message row commits or
rolls back with the step, so an effect is never lost after a commit nor done for a step that rolled
back. Delivery:

- `outbox_dispatch` claims due messages (new ones, and dispatched ones whose lease ran out because
  the worker that had them died) and hands each to the task backend (`core.tasks`). It runs right
  after the step's commit (the fast path) and in every loop of `manage.py worker` (the safety net:
  a process killed between commit and the fast path loses nothing, the worker finds the row).
- `outbox_deliver` runs the topic's handler under the message's row lock and marks the message done
  in the same transaction as the handler's own writes, so two deliveries of one message (a lease
  that ran out while the first was slow) never both apply: the second waits, then finds it done.
  A handler that raises is retried with exponential backoff; after `OUTBOX_MAX_ATTEMPTS` the
  message is `failed` and the daily tick tries again (`outbox_retry_failed`).

Handlers are registered by the domains at start-up (`register_handler` in their AppConfig.ready):
core knows topics, not domains. A handler must be idempotent (rendering finds the document already
stored; an e-mail may in the worst case go out twice, never not at all).

Infrastructure times here are wall-clock (`timezone.now`), not the registry's business clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

State = OutboxMessage.State
Handler = Callable[..., object]
_HANDLERS: dict[str, Handler] = {}


class UnknownTopic(LookupError):
    pass


def register_handler(topic: str, handler: Handler) -> None:
    """Name the function that carries out messages of `topic` (called with the payload's items)."""
    _HANDLERS[topic] = handler


def lease() -> dt.timedelta:
    """How long a dispatched message belongs to its worker before another may take it up."""
    return dt.timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 120))


def max_attempts() -> int:
    return getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt `attempts + 1`: base · 2^(attempts − 1), at most an hour."""
    base = getattr(settings, "OUTBOX_BACKOFF_SECONDS", 10)
    return dt.timedelta(seconds=min(3600, base * 2 ** max(0, attempts - 1)))


def outbox_add(
    topic: str, *, payload: dict[str, Any] | None = None, key: str | None = None
) -> OutboxMessage:
    """Ask for an effect, inside the caller's transaction. `key` names the effect so that asking
    twice is one message (a reopened one if it had failed); without it every call is new."""
    message, _queued = _ask(
        topic, key or f"{topic}:{uuid.uuid4().hex}", payload or {}, reopen=(State.FAILED,)
    )
    # Dispatched after commit even when the message already existed: it may be waiting.
    _dispatch_after_commit([message.pk])
    return message


def _ask(
    topic: str, key: str, payload: dict[str, Any], *, reopen: tuple[str, ...]
) -> tuple[OutboxMessage, bool]:
    """The message named `key`: created, or reopened when it is in one of the `reopen` states;
    whether it was (re)queued."""
    if topic not in _HANDLERS:
        raise UnknownTopic(f"No outbox handler for {topic!r}")
    now = timezone.now()
    with transaction.atomic():
        message, created = OutboxMessage.objects.select_for_update().get_or_create(
            key=key,
            defaults={"topic": topic, "payload": payload, "created_at": now, "available_at": now},
        )
        if created:
            return message, True
        if message.state in reopen:
            fields = _reopened(now)
            for name, value in fields.items():
                setattr(message, name, value)
            message.save(update_fields=list(fields))
            return message, True
    return message, False


def _reopened(now: dt.datetime) -> dict[str, Any]:
    """The fields of a message given a new round of attempts, due now."""
    return {"state": State.PENDING, "attempts": 0, "available_at": now, "lease_until": None}


def _dispatch_after_commit(ids: list[int]) -> None:
    # The fast path. `robust`: a failure here (the broker away, the database gone) is logged, not
    # raised into the committed request; the worker's own dispatch picks the messages up.
    transaction.on_commit(functools.partial(outbox_dispatch, ids=ids), robust=True)


def _due(now: dt.datetime) -> Q:
    return Q(state=State.PENDING, available_at__lte=now) | Q(
        state=State.DISPATCHED, lease_until__lte=now
    )


def outbox_dispatch(*, ids: Iterable[int] | None = None, limit: int = 100) -> int:
    """Hand due messages to the task backend; the number handed over.

    Claimed rows are locked with SKIP LOCKED, so dispatchers side by side never take the same row,
    and a row whose delivery is under way (its lock held by the delivering task) is left alone even
    if its lease ran out. With the database task backend the task row commits with the claim."""
    from core import tasks  # the task module imports this one

    now = timezone.now()
    with transaction.atomic():
        due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(_due(now))
        if ids is not None:
            due = due.filter(pk__in=list(ids))
        claimed = list(due.order_by("available_at", "pk")[:limit])
        until = now + lease()
        for message in claimed:
            message.state = State.DISPATCHED
            message.lease_until = until
            message.dispatches += 1
        OutboxMessage.objects.bulk_update(claimed, ["state", "lease_until", "dispatches"])
        for message in claimed:
            tasks.deliver_outbox_message.enqueue(message.pk)
    return len(claimed)


def outbox_deliver(message_id: int) -> str:
    """Carry out one message once; what happened ("done", "retry", "failed", "skipped")."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.state not in (State.PENDING, State.DISPATCHED):
            return "skipped"
        handler = _HANDLERS.get(message.topic)
        try:
            if handler is None:
                raise UnknownTopic(f"No outbox handler for {message.topic!r}")
            with transaction.atomic():
                handler(**message.payload)
        except (OperationalError, InterfaceError):
            # The database went away: nothing can be recorded now. The lease runs out and the
            # message is taken up again.
            raise
        except Exception as exc:
            if isinstance(exc, DatabaseError) and transaction.get_connection().needs_rollback:
                raise
            logger.warning("Outbox message %s failed: %s", message.key, exc, exc_info=True)
            return _record_failure(message, exc)
        message.state = State.DONE
        message.attempts += 1
        message.done_at = timezone.now()
        message.lease_until = None
        message.last_error = ""
        message.save(update_fields=["state", "attempts", "done_at", "lease_until", "last_error"])
        return "done"


def _record_failure(message: OutboxMessage, exc: Exception) -> str:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    message.lease_until = None
    if message.attempts >= max_attempts():
        message.state = State.FAILED
    else:
        message.state = State.PENDING
        message.available_at = timezone.now() + backoff(message.attempts)
    message.save(update_fields=["attempts", "last_error", "lease_until", "state", "available_at"])
    return "failed" if message.state == State.FAILED else "retry"


def outbox_ensure(topic: str, *, key: str, payload: dict[str, Any]) -> bool:
    """For reconciliation: make sure the effect named `key` is under way (a new message, or a
    reopened one if it had failed or was marked done while its effect is missing). True when
    something was (re)queued."""
    message, queued = _ask(topic, key, payload, reopen=(State.FAILED, State.DONE))
    if queued:
        _dispatch_after_commit([message.pk])
    return queued


def outbox_retry_failed(*, ids: Iterable[int] | None = None) -> int:
    """Give failed messages (all, or those of `ids`) a new round of attempts (the daily tick; an
    operator in the admin); how many."""
    now = timezone.now()
    with transaction.atomic():
        chosen = OutboxMessage.objects.select_for_update().filter(state=State.FAILED)
        if ids is not None:
            chosen = chosen.filter(pk__in=list(ids))
        failed = list(chosen.values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=failed).update(**_reopened(now))
    if failed:
        _dispatch_after_commit(failed)
    return len(failed)


def outbox_prune(*, older_than: dt.timedelta) -> int:
    """Delete messages done longer ago than `older_than` (their effects are recorded elsewhere)."""
    deleted, _ = OutboxMessage.objects.filter(
        state=State.DONE, done_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
