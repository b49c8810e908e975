"""The outbox (core.outbox): an effect exists exactly when its step committed, is done once, is
retried with backoff, is taken up again after a dead worker's lease, and is reconciled daily.
Deliveries run through the immediate task backend of the tests; the fault drills (tests/faults)
run the same code with real worker processes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from certificates.models import Certificate
from certificates.render import certificate_render
from certificates.services import RENDER_TOPIC, certificates_reconcile, render_key
from core import outbox
from core.models import OutboxMessage, SequenceCounter
from core.tasks import deliver_outbox_message, task_results_prune
from operations.tick import daily_tick
from tests.conftest import AFTER_PUBLICITY

State = OutboxMessage.State
PROBE = "tests.probe"


def _probe(*, name: str, fail: bool = False) -> None:
    """A handler with a database effect: counts its runs in a counter row."""
    SequenceCounter.objects.filter(name=name).update(value=F("value") + 1)
    if fail:
        raise ValueError("the receiver is away")


@pytest.fixture(autouse=True)
def _probe_topic(db):
    outbox.register_handler(PROBE, _probe)
    SequenceCounter.objects.create(name="probe")
    yield
    outbox._HANDLERS.pop(PROBE, None)


def _runs() -> int:
    return SequenceCounter.objects.get(name="probe").value


def test_an_effect_is_done_once_when_its_step_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox.outbox_add(PROBE, payload={"name": "probe"}, key="probe:1")
    message.refresh_from_db()
    assert (message.state, message.attempts, message.dispatches) == (State.DONE, 1, 1)
    assert _runs() == 1
    # A second delivery of the same message (a lease that ran out) changes nothing.
    assert outbox.outbox_deliver(message.pk) == "skipped"
    assert outbox.outbox_dispatch() == 0
    assert _runs() == 1


def test_asking_twice_for_one_named_effect_is_one_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.outbox_add(PROBE, payload={"name": "probe"}, key="probe:same")
        second = outbox.outbox_add(PROBE, payload={"name": "probe"}, key="probe:same")
    assert first.pk == second.pk
    assert _runs() == 1


def test_a_rolled_back_step_leaves_no_effect(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.outbox_add(PROBE, payload={"name": "probe"})
        raise RuntimeError("the step fails after asking")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert _runs() == 0


def test_an_unknown_topic_is_refused():
    with pytest.raises(outbox.UnknownTopic):
        outbox.outbox_add("nobody.listens", payload={})


def test_a_failing_effect_is_retried_with_backoff_then_failed(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_BACKOFF_SECONDS = 10
    message = outbox.outbox_add(PROBE, payload={"name": "probe", "fail": True})

    before = timezone.now()
    assert outbox.outbox_deliver(message.pk) == "retry"
    message.refresh_from_db()
    # The handler's own write rolled back with it; the failure is recorded.
    assert _runs() == 0
    assert (message.state, message.attempts) == (State.PENDING, 1)
    assert message.last_error == "ValueError: the receiver is away"
    assert before + dt.timedelta(seconds=10) <= message.available_at
    assert message.available_at <= timezone.now() + dt.timedelta(seconds=10)
    # Not due yet: the dispatcher leaves it.
    assert outbox.outbox_dispatch() == 0

    assert outbox.outbox_deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert message.available_at >= timezone.now() + dt.timedelta(seconds=19)  # doubled
    assert outbox.outbox_deliver(message.pk) == "failed"
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.FAILED, 3)
    assert outbox.outbox_deliver(message.pk) == "skipped"

    # The daily tick gives it a new round.
    assert outbox.outbox_retry_failed() == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.PENDING, 0)


def test_backoff_doubles_up_to_an_hour(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 10
    waits = [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4, 12)]
    assert waits == [10, 20, 40, 80, 3600]


def test_a_dead_workers_message_is_taken_up_after_its_lease(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    message = outbox.outbox_add(PROBE, payload={"name": "probe"})
    assert outbox.outbox_dispatch() == 1
    message.refresh_from_db()
    assert message.state == State.DISPATCHED
    # Its worker dies: within the lease nobody else takes it...
    assert outbox.outbox_dispatch() == 0
    # ...after it, the next dispatcher does.
    OutboxMessage.objects.filter(pk=message.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert outbox.outbox_dispatch() == 1
    message.refresh_from_db()
    assert (message.state, message.dispatches) == (State.DISPATCHED, 2)
    # Both deliveries arrive; the effect happens once.
    assert [outbox.outbox_deliver(message.pk) for _ in range(2)] == ["done", "skipped"]
    assert _runs() == 1


def test_done_messages_are_pruned_after_a_while():
    old = outbox.outbox_add(PROBE, payload={"name": "probe"})
    outbox.outbox_deliver(old.pk)
    OutboxMessage.objects.filter(pk=old.pk).update(done_at=timezone.now() - dt.timedelta(days=31))
    fresh = outbox.outbox_add(PROBE, payload={"name": "probe"})
    outbox.outbox_deliver(fresh.pk)
    pending = outbox.outbox_add(PROBE, payload={"name": "probe", "fail": True})
    assert outbox.outbox_prune(older_than=dt.timedelta(days=30)) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {fresh.pk, pending.pk}


def test_the_daily_tick_requeues_a_certificate_without_its_document(
    registered, django_capture_on_commit_callbacks
):
    # given: a certificate whose rendering failed all its attempts (a broken signing key, say)
    certificate = Certificate.objects.get(asset=registered)
    assert not certificate.is_rendered
    OutboxMessage.objects.filter(key=render_key(certificate.pk)).update(
        state=State.FAILED, attempts=8
    )
    # when: the daily tick runs
    with django_capture_on_commit_callbacks(execute=True):
        report = daily_tick(today=AFTER_PUBLICITY)
    # then: it went out again and the certificate has its document
    assert report.messages_retried == 1
    # and it pruned what is kept only for a while, in every app that keeps such records
    assert {"outbox messages", "idempotency keys", "task results"} <= set(report.pruned)
    certificate.refresh_from_db()
    assert certificate.is_rendered
    assert OutboxMessage.objects.get(key=render_key(certificate.pk)).state == State.DONE


def test_reconciliation_asks_again_for_a_document_whose_message_is_gone(
    registered, django_capture_on_commit_callbacks
):
    certificate = Certificate.objects.get(asset=registered)
    OutboxMessage.objects.filter(topic=RENDER_TOPIC).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates_reconcile() == 1
    certificate.refresh_from_db()
    assert certificate.is_rendered
    # Nothing is left to do.
    assert certificates_reconcile() == 0


def test_rendering_replaces_a_file_left_by_a_crashed_attempt(registered, settings):
    certificate = Certificate.objects.get(asset=registered)
    orphan = Path(settings.MEDIA_ROOT) / certificate.document.field.generate_filename(
        certificate, f"{certificate.number}.pdf"
    )
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"%PDF- half written by a worker that died before its commit")

    certificate_render(certificate_id=certificate.pk)

    certificate.refresh_from_db()
    stored = sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert stored == [f"{certificate.number}.pdf"]
    assert certificate.document.name.endswith(f"{certificate.number}.pdf")
    assert orphan.read_bytes().startswith(b"%PDF-1")


def test_a_registrar_sees_failed_messages_and_tries_them_again(
    client, registrar, django_capture_on_commit_callbacks
):
    failed = outbox.outbox_add(PROBE, payload={"name": "probe"}, key="probe:failed")
    OutboxMessage.objects.filter(pk=failed.pk).update(
        state=State.FAILED, attempts=8, last_error="SMTPServerDisconnected: gone"
    )
    client.force_login(registrar)
    page = client.get("/admin/core/outboxmessage/?state=failed")
    assert page.status_code == 200
    assert "probe:failed" in page.text and "SMTPServerDisconnected" in page.text

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/admin/core/outboxmessage/",
            {"action": "try_again", "_selected_action": [failed.pk]},
            follow=True,
        )
    assert "1 message(s) queued again." in answer.text
    failed.refresh_from_db()
    assert failed.state == State.DONE
    assert _runs() == 1


def test_the_outbox_page_is_for_registrars_only(client, enterprise_user):
    client.force_login(enterprise_user)
    assert client.get("/admin/core/outboxmessage/").status_code in (302, 403)


def test_old_task_rows_are_pruned_and_recent_ones_kept(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    week_ago = timezone.now() - dt.timedelta(days=8)
    rows = {}
    for name in ("old finished", "old running", "recent finished", "waiting"):
        result = deliver_outbox_message.enqueue(1)
        rows[name] = DBTaskResult.objects.get(pk=result.id)
    DBTaskResult.objects.filter(pk=rows["old finished"].pk).update(
        status="SUCCESSFUL", started_at=week_ago, finished_at=week_ago
    )
    DBTaskResult.objects.filter(pk=rows["old running"].pk).update(
        status="RUNNING",
        started_at=week_ago,  # its worker died a week ago
    )
    DBTaskResult.objects.filter(pk=rows["recent finished"].pk).update(
        status="SUCCESSFUL", started_at=timezone.now(), finished_at=timezone.now()
    )

    assert task_results_prune(older_than=dt.timedelta(days=7)) == 2

    kept = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert kept == {rows["recent finished"].pk, rows["waiting"].pk}
