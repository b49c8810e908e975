"""Read-only inlines of the registrar's asset page: objections, versions, journal, certificates."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate
from core.admin import ReadOnlyInline
from registry.models import (
    AssetVersion,
    JournalEvent,
    Objection,
)


class JournalInline(ReadOnlyInline):
    model = JournalEvent
    fk_name = "asset"
    fields = readonly_fields = ("occurred_at", "event_type", "actor_label", "reason", "payload")
    ordering = ("id",)
    verbose_name_plural = _("journal")


class VersionInline(ReadOnlyInline):
    model = AssetVersion
    fields = readonly_fields = ("number", "reason", "holder", "valid_from", "valid_until", "note")


class ObjectionInline(ReadOnlyInline):
    model = Objection
    fields = readonly_fields = ("objector_name", "status", "filed_at", "reasons", "resolution_note")
    show_change_link = True


class CertificateInline(ReadOnlyInline):
    model = Certificate
    fields = readonly_fields = ("number", "kind", "status", "issued_at", "rendered_at", "signed")
    ordering = ("-issued_at", "-id")
    show_change_link = True
