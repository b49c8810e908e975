from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Data asset registry")

    def ready(self) -> None:
        # The certificate engine sits below the registry: hand it the journal and the rule that
        # a registration certificate stands only while its registration does.
        from certificates import ports
        from registry import journal
        from registry.certificates import asset_standing

        ports.install_journal_writer(journal.record)
        ports.add_standing_rule(asset_standing)

        from core.outbox import register_handler
        from registry.notifications import NOTIFY_TOPIC, send_step_notification

        register_handler(NOTIFY_TOPIC, send_step_notification)
