"""The one background task of the outbox (Django's tasks framework): deliver a message.

Production and `make run` use the database backend (django-tasks-db) with `manage.py worker`;
tests use the immediate backend, so a message is delivered when its step's transaction commits.
"""

import datetime as dt

from django.db.models import Q
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task, task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from core.outbox import outbox_deliver


@task()
def deliver_outbox_message(message_id: int) -> str:
    return outbox_deliver(message_id)


def task_results_prune(*, older_than: dt.timedelta) -> int:
    """Delete the task backend's rows older than `older_than`: finished ones (the outbox keeps
    what each delivery did) and ones left RUNNING by a worker that died (the outbox has delivered
    their message again long since). The database backend only; 0 for any other."""
    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return 0
    cutoff = timezone.now() - older_than
    stale = DBTaskResult.objects.filter(
        Q(finished_at__lt=cutoff) | Q(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    )
    deleted, _ = stale.delete()
    return deleted
