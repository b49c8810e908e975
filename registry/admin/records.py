"""The registry's records: working-day calendar overrides, the journal and the bank API read log."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin, RegistrarOnly
from registry import services
from registry.models import (
    ApiReadLog,
    CalendarOverride,
    JournalEvent,
)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(RegistrarOnly, admin.ModelAdmin):
    list_display = ("date", "is_working_day", "note")
    fields = ("date", "is_working_day", "note")

    def get_readonly_fields(self, request, obj=None):
        return ("date",) if obj else ()

    def save_model(self, request, obj, form, change):
        saved = services.calendar_override_set(
            actor=request.user,
            day=obj.date,
            is_working_day=form.cleaned_data["is_working_day"],
            note=form.cleaned_data["note"],
        )
        obj.pk = saved.pk


@admin.register(JournalEvent)
class JournalEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "event_type", "subject_label", "actor_label", "reason")
    list_filter = ("event_type", "subject_type", "occurred_at")
    search_fields = ("subject_label", "actor_label", "subject_id", "reason")
    date_hierarchy = "occurred_at"


@admin.register(ApiReadLog)
class ApiReadLogAdmin(ReadOnlyAdmin):
    """Who read what through the bank API, when (append-only)."""

    list_display = (
        "requested_at",
        "organisation_label",
        "key_prefix",
        "method",
        "path",
        "status_code",
    )
    list_filter = ("status_code", "method", "requested_at")
    search_fields = ("organisation_label", "key_prefix", "path")
    date_hierarchy = "requested_at"
