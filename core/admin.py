"""Admin building blocks every domain's admin uses: registrar-only access, read-only rows and
inlines, and one way to turn a refused step into a message."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.exceptions import DomainError


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
