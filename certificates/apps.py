from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        from certificates.services import RENDER_TOPIC
        from core.outbox import register_handler

        register_handler(RENDER_TOPIC, _render)


def _render(*, certificate_id: int) -> None:
    # Rendering brings WeasyPrint and pyHanko: loaded by the process that renders, not by every
    # process that issues.
    from certificates.render import certificate_render

    certificate_render(certificate_id=certificate_id)
