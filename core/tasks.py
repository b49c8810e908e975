"""The one background task of the outbox (Django's tasks framework): deliver a message.

Production and `make run` use the database backend (django-tasks-db) with `manage.py worker`;
tests use the immediate backend, so a message is delivered when its step's transaction commits.
"""

from django.tasks import task

from core.outbox import outbox_deliver


@task()
def deliver_outbox_message(message_id: int) -> str:
    return outbox_deliver(message_id)
