"""The registrar's list of amendment and renewal requests, decided by admin actions that ask for a
note on an intermediate page. Rows are read-only: requests are filed in the portal and decided
through `registry.services.change_requests` only."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin import RegistrarOnly, error_text
from registry.exceptions import RegistryError
from registry.models import ChangeRequest, ChangeRequestStatus
from registry.services.change_requests import change_request_approve, change_request_reject


@dataclass(frozen=True)
class _Row:
    """A request as the confirmation page lists it: kind, asset, reason and proposed values."""

    pk: int
    text: str

    def __str__(self) -> str:
        return self.text


def _row(change_request: ChangeRequest) -> _Row:
    changes = "; ".join(f"{f} → {v!r}" for f, v in change_request.proposed_changes.items())
    text = f"{change_request}: {change_request.reason}"
    return _Row(pk=change_request.pk, text=f"{text} [{changes}]" if changes else text)


class ApprovalForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RejectionForm(forms.Form):
    note = forms.CharField(
        label=_("Reason for the rejection"), widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(ChangeRequest)
class ChangeRequestAdmin(RegistrarOnly, admin.ModelAdmin):
    list_display = ("asset", "kind", "status", "requested_by", "requested_at", "decided_at")
    list_filter = ("kind", "status", "requested_at")
    search_fields = ("asset__name", "asset__registration_number", "reason")
    list_select_related = ("asset", "requested_by")
    actions = ["approve", "reject"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ChangeRequest._meta.fields]

    def _decide(self, request, queryset, *, approve: bool):
        form_class = ApprovalForm if approve else RejectionForm
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            note = form.cleaned_data["note"]
            for change_request in queryset.filter(status=ChangeRequestStatus.OPEN):
                try:
                    with transaction.atomic():
                        if approve:
                            change_request_approve(
                                request=change_request, actor=request.user, note=note
                            )
                        else:
                            change_request_reject(
                                request=change_request, actor=request.user, note=note
                            )
                except (RegistryError, ValidationError) as exc:
                    messages.error(request, f"{change_request}: {error_text(exc)}")
                else:
                    messages.success(request, _("Decided: %(r)s") % {"r": change_request})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Approve requests") if approve else _("Reject requests"),
            "objections": [_row(r) for r in queryset.select_related("asset")],
            "form": form,
            "step": "approve" if approve else "reject",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/registry/objection/resolve.html", context)

    @admin.action(description=_("Approve (amend or renew the registration)"), permissions=["view"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject (with a reason)"), permissions=["view"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, approve=False)
