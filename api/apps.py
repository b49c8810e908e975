from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Bank API")

    def ready(self) -> None:
        from api.idempotency import RETENTION, idempotency_prune
        from core.housekeeping import register_pruner

        register_pruner("idempotency keys", lambda: idempotency_prune(older_than=RETENTION))
