"""Admin building blocks every domain's admin uses: registrar-only access, read-only rows and
inlines, and one way to turn a refused step into a message; and the outbox's own admin page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.exceptions import DomainError
from core.models import OutboxMessage
from core.outbox import outbox_retry_failed


def error_text(exc: Exception) -> str:
    """The message a registrar sees for a refused step; anything else is re-raised."""
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return "; ".join(
                f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
            )
        return " ".join(exc.messages)
    raise exc


def is_registrar(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and getattr(user, "is_registrar", False))


class RegistrarOnly:
    """Visible and usable by registrars (and superusers) only; nobody deletes registry data."""

    def has_module_permission(self, request):
        return is_registrar(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(RegistrarOnly, admin.ModelAdmin):
    """Rows that change only through services (journal, read log, finalised records): registrars
    see every field and change none."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return is_registrar(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- The outbox, for operators: what is waiting, what failed and why; try a failed one again. ---


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "key",
        "topic",
        "state",
        "attempts",
        "dispatches",
        "created_at",
        "available_at",
        "done_at",
        "last_error_short",
    )
    list_filter = ("state", "topic")
    search_fields = ("key",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ["try_again"]

    @admin.display(description="last error")
    def last_error_short(self, message: OutboxMessage) -> str:
        return message.last_error[:120]

    @admin.action(description="Try the selected failed messages again now")
    def try_again(self, request, queryset):
        count = outbox_retry_failed(ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) queued again.")
