"""Organisations: holders, banks and the registry itself."""

from __future__ import annotations

from django.contrib import admin

from core.admin import RegistrarOnly
from registry import services
from registry.models import (
    Organisation,
)


@admin.register(Organisation)
class OrganisationAdmin(RegistrarOnly, admin.ModelAdmin):
    list_display = ("name", "uscc", "kind", "contact_email", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "uscc")
    fields = (
        "name",
        "uscc",
        "kind",
        "legal_representative",
        "address",
        "contact_email",
        "contact_phone",
    )

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in self.fields}
        if change:
            changed = {field: data[field] for field in form.changed_data if field in data}
            saved = services.organisation_update(organisation=obj, actor=request.user, **changed)
        else:
            saved = services.organisation_create(actor=request.user, **data)
        obj.pk = saved.pk
