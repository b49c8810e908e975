from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    name = "pledges"
    verbose_name = _("Pledges")

    def ready(self) -> None:
        # The registry cannot import pledges: cancelling or transferring a pledged asset needs the
        # pledgees' consent, a rule the registry runs through its encumbrance checks.
        from pledges.services import active_pledges_block
        from registry import extensions

        extensions.add_encumbrance_check(active_pledges_block)
