import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Delivered outbox messages are kept this long for inspection (their effects are journaled),
# the task backend's own rows for a week.
OUTBOX_KEEP = dt.timedelta(days=30)
TASK_RESULTS_KEEP = dt.timedelta(days=7)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core.counters import counters_prune
        from core.housekeeping import register_pruner
        from core.outbox import outbox_prune
        from core.tasks import task_results_prune

        register_pruner("outbox messages", lambda: outbox_prune(older_than=OUTBOX_KEEP))
        register_pruner("ended limit counters", counters_prune)
        register_pruner("task results", lambda: task_results_prune(older_than=TASK_RESULTS_KEEP))
