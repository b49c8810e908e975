"""Registrar admin for certificates: read-only (they change through the registry's steps)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate
from core.admin import RegistrarOnly


@admin.register(Certificate)
class CertificateAdmin(RegistrarOnly, admin.ModelAdmin):
    list_display = ("number", "kind", "status", "asset", "issued_at", "rendered_at", "signed")
    list_filter = ("kind", "status", "signed", "issued_at")
    search_fields = ("number", "asset__name", "asset__registration_number")
    list_select_related = ("asset",)
    readonly_fields = ("links",)

    @admin.display(description=_("Links"))
    def links(self, obj: Certificate) -> str:
        verify = reverse("certificate-verify", args=[obj.number])
        download = reverse("certificate-download", args=[obj.number])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            verify,
            _("verification page"),
            download,
            _("PDF"),
        )

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return ["links", *(f.name for f in Certificate._meta.fields)]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)
