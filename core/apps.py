import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Delivered outbox messages are kept this long for inspection (their effects are journaled).
OUTBOX_KEEP = dt.timedelta(days=30)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core.counters import counters_prune
        from core.housekeeping import register_pruner
        from core.outbox import outbox_prune

        register_pruner("outbox messages", lambda: outbox_prune(older_than=OUTBOX_KEEP))
        register_pruner("ended limit counters", counters_prune)
