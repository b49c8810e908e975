"""Fault drills of the outbox with real worker processes (`manage.py worker`): workers killed with
SIGKILL mid-render, their database connections terminated, a process dead between its commit and
the dispatch. Every issued certificate must end with its document, rendered and stored once."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from certificates.events import CERTIFICATE_RENDERED
from certificates.models import Certificate
from certificates.services import render_key
from core.models import OutboxMessage
from registry.certificates import registration_certificate_issue
from registry.models import JournalEvent
from tests.factories import registered_asset
from tests.faults.crash_after_commit import EXIT_CODE
from tests.faults.processes import (
    PYTHON,
    ROOT,
    child_env,
    own_backend_pid,
    terminate_backends,
    wait_for,
    workers,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

LEASE = "3"  # seconds: a dead worker's message is taken up again this soon
CHILD = {"OUTBOX_LEASE_SECONDS": LEASE, "EMAIL_URL": "consolemail://"}
KILLS = 10
postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="pg_terminate_backend is PostgreSQL's",
)


@pytest.fixture(autouse=True)
def _database_tasks(settings):
    # The test process enqueues into the database, as a web server does; the workers run them.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.OUTBOX_LEASE_SECONDS = int(LEASE)


def _running_on(worker) -> bool:
    """Whether `worker` (since its last start) is inside a task right now."""
    rows = DBTaskResult.objects.filter(status="RUNNING", started_at__gte=worker.started_at)
    return any(worker.name in row.worker_ids for row in rows)


def _assert_each_rendered_and_stored_once(media: Path) -> None:
    certificates = list(Certificate.objects.all())
    assert certificates and all(c.is_rendered for c in certificates)
    renders = Counter(
        JournalEvent.objects.filter(event_type=CERTIFICATE_RENDERED).values_list(
            "subject_id", flat=True
        )
    )
    assert renders == Counter({c.number: 1 for c in certificates})
    stored = sorted(p.name for p in media.rglob("*.pdf"))
    assert stored == sorted(f"{c.number}.pdf" for c in certificates)
    for certificate in certificates:
        path = Path(certificate.document.path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == certificate.document_sha256


@postgres_only
def test_killed_workers_and_lost_connections_lose_no_certificate(registrar, tmp_path, settings):
    own_pid = own_backend_pid()
    with workers(2, tmp_path, **CHILD) as pool:
        for worker in pool:
            worker.started_at = timezone.now()
        assets = [registered_asset(registrar=registrar, name=f"港口数据集{n}") for n in range(6)]
        kills = terminations = 0
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            unrendered = Certificate.objects.filter(rendered_at__isnull=True).count()
            if kills >= KILLS and terminations >= 3:
                break
            if unrendered == 0:
                # Keep work coming until every kill has hit a worker inside a task.
                for asset in assets[:2]:
                    registration_certificate_issue(asset=asset, actor=None, reason="drill")
            for worker in pool:
                if kills < KILLS and _running_on(worker):
                    worker.kill()
                    kills += 1
                    worker.started_at = timezone.now()
                    worker.start()
            if terminations < kills // 3:
                terminations += bool(terminate_backends(exclude_pid=own_pid))
            time.sleep(0.05)
        assert kills == KILLS, f"only {kills} workers were caught inside a task"
        wait_for(
            lambda: not Certificate.objects.filter(rendered_at__isnull=True).exists(),
            timeout=120,
            what="every certificate's document",
        )
        # The workers outlived the terminated connections (only the SIGKILLs restarted them).
        assert all(worker.alive() for worker in pool)
        assert sum(worker.starts for worker in pool) == len(pool) + KILLS
    _assert_each_rendered_and_stored_once(Path(settings.MEDIA_ROOT))
    assert (
        not OutboxMessage.objects.exclude(state=OutboxMessage.State.DONE)
        .filter(topic="certificates.render")
        .exists()
    )


def test_a_crash_between_commit_and_dispatch_still_renders(registrar, tmp_path, settings):
    asset = registered_asset(registrar=registrar)
    crashed = subprocess.run(
        [PYTHON, "-m", "tests.faults.crash_after_commit", str(asset.pk)],
        cwd=ROOT,
        env=child_env(**CHILD),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == EXIT_CODE, crashed.stderr
    number = crashed.stdout.strip()
    certificate = Certificate.objects.get(number=number)
    message = OutboxMessage.objects.get(key=render_key(certificate.pk))
    # The step committed with its message; nothing was handed to the task backend.
    assert (message.state, message.dispatches) == (OutboxMessage.State.PENDING, 0)
    assert not certificate.is_rendered
    with workers(1, tmp_path, **CHILD):
        wait_for(
            lambda: Certificate.objects.get(pk=certificate.pk).is_rendered,
            timeout=90,
            what=f"the document of {number}",
        )
    _assert_each_rendered_and_stored_once(Path(settings.MEDIA_ROOT))


def _interrupted(log: Path) -> bool:
    """Whether a lost connection hit a task: either the task recorded its failure, or (the
    connection gone for that too) it stays RUNNING and the worker's loop reconnected."""
    failed = DBTaskResult.objects.filter(status="FAILED").values_list(
        "exception_class_path", flat=True
    )
    return "reconnecting" in log.read_text() or any("Error" in path for path in failed)


@postgres_only
def test_the_worker_reconnects_when_its_connection_is_terminated_mid_task(
    registrar, tmp_path, settings
):
    own_pid = own_backend_pid()
    log = tmp_path / "worker-0.log"
    with workers(1, tmp_path, **CHILD) as (worker,):
        worker.started_at = timezone.now()
        # A task can end between the look and the termination: try until one was hit.
        for _attempt in range(5):
            asset = registered_asset(registrar=registrar)
            wait_for(
                lambda: _running_on(worker) and terminate_backends(exclude_pid=own_pid),
                timeout=60,
                what="the worker's connection ended inside a task",
                every=0.01,
            )
            wait_for(
                lambda asset=asset: Certificate.objects.filter(
                    asset=asset, rendered_at__isnull=False
                ).exists(),
                timeout=60,
                what="a rendering after the lost connection",
            )
            if _interrupted(log):
                break
        assert _interrupted(log), log.read_text()
        # The interrupted delivery is taken up again after its lease: every message ends done.
        wait_for(
            lambda: not OutboxMessage.objects.exclude(state=OutboxMessage.State.DONE).exists(),
            timeout=60,
            what="every outbox message delivered",
        )
        # and the worker lived through it (no restart)
        assert worker.alive() and worker.starts == 1
    _assert_each_rendered_and_stored_once(Path(settings.MEDIA_ROOT))
