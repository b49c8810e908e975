"""User accounts, managed by superusers only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from registry.models import (
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts are managed by superusers only."""

    list_display = ("username", "organisation", "role", "is_staff", "is_active")
    list_filter = ("role", "is_staff", "is_active")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Registry"), {"fields": ("organisation", "role")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Registry"), {"fields": ("organisation", "role", "is_staff")}),
    )
    autocomplete_fields = ("organisation",)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)
