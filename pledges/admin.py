"""Registrar admin for pledges: the filings the pledgee banks registered through the API, in
priority order on the asset page and in a filtered list; registrars annul erroneous filings."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline, error_text
from core.exceptions import DomainError
from pledges.models import Pledge, PledgeStatus
from pledges.services import pledge_annul
from registry.admin.assets import AssetPagePart, extend_asset_page
from registry.admin.forms import ObjectionResolutionForm


class PledgeInline(ReadOnlyInline):
    model = Pledge
    fields = readonly_fields = (
        "number",
        "status",
        "pledgee",
        "secured_amount",
        "debt_start",
        "debt_end",
        "registration_end",
        "registered_at",
    )
    ordering = ("priority",)
    show_change_link = True
    verbose_name_plural = _("pledges (in priority order)")


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    """Pledge filings are registered by the pledgee banks (API); registrars oversee them here
    and annul erroneous ones."""

    list_display = (
        "number",
        "asset",
        "pledgor",
        "pledgee",
        "secured_amount",
        "debt_end",
        "registration_end",
        "status",
        "registered_at",
    )
    list_filter = ("status", ("pledgee", admin.RelatedOnlyFieldListFilter), "registered_at")
    search_fields = (
        "number",
        "asset__name",
        "asset__registration_number",
        "pledgor__uscc",
        "pledgor__name",
        "pledgee__uscc",
        "pledgee__name",
    )
    list_select_related = ("asset", "pledgor", "pledgee")
    date_hierarchy = "registered_at"
    actions = ["annul"]

    @admin.action(description=_("Annul (erroneous filing)"), permissions=["view"])
    def annul(self, request, queryset):
        form = ObjectionResolutionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for pledge in queryset.filter(status=PledgeStatus.ACTIVE):
                try:
                    with transaction.atomic():
                        pledge_annul(
                            pledge=pledge, actor=request.user, reason=form.cleaned_data["note"]
                        )
                except (DomainError, ValidationError) as exc:
                    messages.error(request, f"{pledge}: {error_text(exc)}")
                else:
                    messages.success(request, _("Annulled: %(p)s") % {"p": pledge})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Annul pledge registrations"),
            "objections": queryset,
            "form": form,
            "step": "annul",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/registry/objection/resolve.html", context)


extend_asset_page(AssetPagePart(inlines=(PledgeInline,)))
