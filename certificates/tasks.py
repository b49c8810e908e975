"""Background work of the certificates app (Django's tasks framework).

Production and `make run` use the database backend (django-tasks-db) with `manage.py db_worker`;
tests use the immediate backend, so a certificate renders when its transaction commits.
"""

from django.tasks import task


@task()
def render_certificate(certificate_id: int) -> str:
    # Not a cycle: this module stays light because every web process imports it to enqueue,
    # while rendering brings WeasyPrint and pyHanko, loaded only by the process that renders.
    from certificates.render import certificate_render

    return certificate_render(certificate_id=certificate_id).number
