"""Objections filed during publicity, dismissed or upheld by registrars with a note."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin import RegistrarOnly, error_text
from registry import services
from registry.admin.forms import ObjectionResolutionForm
from registry.choices import ObjectionStatus
from registry.exceptions import RegistryError
from registry.models import (
    Objection,
)


class ObjectionAddForm(forms.ModelForm):
    class Meta:
        model = Objection
        fields = ("asset", "objector_name", "objector_contact", "reasons", "evidence")


@admin.register(Objection)
class ObjectionAdmin(RegistrarOnly, admin.ModelAdmin):
    list_display = ("asset", "objector_name", "status", "filed_at", "resolved_at")
    list_filter = ("status", "filed_at")
    search_fields = ("objector_name", "asset__name", "asset__application_number")
    autocomplete_fields = ("asset",)
    actions = ["dismiss", "uphold"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ObjectionAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in Objection._meta.fields if f.name != "id"]

    def save_model(self, request, obj, form, change):
        if change:
            return  # resolved through the actions below
        data = form.cleaned_data
        created = services.objection_file(
            asset=data["asset"],
            objector_name=data["objector_name"],
            objector_contact=data["objector_contact"],
            reasons=data["reasons"],
            evidence=data.get("evidence"),
            actor=request.user,
        )
        obj.pk = created.pk

    def _resolve(self, request, queryset, *, upheld: bool):
        form = ObjectionResolutionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for objection in queryset.filter(status=ObjectionStatus.OPEN):
                try:
                    with transaction.atomic():
                        services.objection_resolve(
                            objection=objection,
                            actor=request.user,
                            upheld=upheld,
                            note=form.cleaned_data["note"],
                        )
                except (RegistryError, ValidationError) as exc:
                    messages.error(request, f"{objection}: {error_text(exc)}")
                else:
                    messages.success(request, _("Resolved: %(o)s") % {"o": objection})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Uphold objections") if upheld else _("Dismiss objections"),
            "objections": queryset,
            "form": form,
            "step": "uphold" if upheld else "dismiss",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/registry/objection/resolve.html", context)

    @admin.action(description=_("Dismiss (publicity resumes)"), permissions=["change"])
    def dismiss(self, request, queryset):
        return self._resolve(request, queryset, upheld=False)

    @admin.action(description=_("Uphold (application rejected)"), permissions=["change"])
    def uphold(self, request, queryset):
        return self._resolve(request, queryset, upheld=True)
