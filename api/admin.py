"""Registrars may look at the idempotency keys the API remembers (support: "did our filing go
through?"); nobody edits them: rows are written by `api.idempotency` and pruned by the tick."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from api.models import IdempotencyKey
from core.admin import ReadOnlyAdmin

BODY_PREVIEW = 5000  # characters of a stored answer shown


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "caller_label", "key", "method", "path", "status_code")
    list_filter = ("status_code", "method", "created_at")
    search_fields = ("key", "caller_label", "path")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        # The stored bytes as text, instead of a bytes repr.
        fields = [
            name for name in super().get_readonly_fields(request, obj) if name != "response_body"
        ]
        return [*fields, "response_text"]

    @admin.display(description=_("response body"))
    def response_text(self, obj: IdempotencyKey) -> str:
        text = bytes(obj.response_body).decode("utf-8", errors="replace")
        return text if len(text) <= BODY_PREVIEW else text[:BODY_PREVIEW] + " …"
