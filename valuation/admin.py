"""Registrar admin for quality assessments, usage records and appraisals.

Assessments and appraisals are entered on a form that shows the computed result (score and
grade; value, range and breakdown) before anything is saved; saving calls the service, which
computes again from the same inputs. Stored rows are read-only; drafts are finalised by an action.
The registry's asset page gains the quality and appraisal history and a value-over-time chart
(an `AssetPagePart`: the registry cannot import valuation, so valuation extends its page).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyInline, RegistrarOnly, error_text
from core.exceptions import DomainError
from registry.admin.assets import AssetPagePart, extend_asset_page
from registry.models import DataAsset
from valuation import selectors, services
from valuation.charts import value_chart
from valuation.forms import EXAMPLE_BODIES, AppraisalForm, QualityAssessmentForm
from valuation.methods.appraise import appraise
from valuation.methods.errors import CalculationInputError
from valuation.methods.quality_payload import grade_body
from valuation.models import Appraisal, AppraisalStatus, QualityAssessment, UsageRecord


class ReadOnlyAdmin(RegistrarOnly, admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class EntryWithPreview:
    """An add view that previews the computed result before saving (quality, appraisals)."""

    form_class: type
    template = "admin/valuation/entry.html"

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = self.initial_data(request)
        form = self.form_class(request.POST or None, initial=initial)
        preview = None
        if request.method == "POST" and form.is_valid():
            try:
                preview = self.compute(form)
            except CalculationInputError as exc:
                form.add_error(None, f"{exc.field}: {exc.message}")
            else:
                if "_save" in request.POST:
                    try:
                        with transaction.atomic():
                            saved = self.save_entry(request, form)
                    except (DomainError, ValidationError) as exc:
                        form.add_error(None, error_text(exc))
                    else:
                        messages.success(request, _("Saved."))
                        url = reverse(
                            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                            args=[saved.pk],
                        )
                        return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("New %(name)s") % {"name": self.opts.verbose_name},
            "form": form,
            "preview": preview,
            **self.extra_entry_context(form, preview),
        }
        return TemplateResponse(request, self.template, context)

    def initial_data(self, request) -> dict:
        asset_id = request.GET.get("asset")
        if asset_id and asset_id.isdigit():
            asset = DataAsset.objects.filter(pk=asset_id).first()
            if asset is not None:
                return {"asset": asset.registration_number or asset.application_number or ""}
        return {}

    def extra_entry_context(self, form, preview) -> dict:
        return {}


@admin.register(QualityAssessment)
class QualityAssessmentAdmin(EntryWithPreview, ReadOnlyAdmin):
    form_class = QualityAssessmentForm
    list_display = ("asset", "assessed_on", "score", "grade", "assessor")
    list_filter = ("grade", "assessed_on")
    search_fields = ("asset__name", "asset__registration_number", "asset__application_number")
    list_select_related = ("asset", "assessor")

    def compute(self, form):
        _inp, result = grade_body(form.body())
        return result

    def save_entry(self, request, form):
        return services.quality_assess(
            asset=form.cleaned_data["asset"],
            actor=request.user,
            body=form.body(),
            assessed_on=form.cleaned_data["assessed_on"],
            note=form.cleaned_data["note"],
        )

    def extra_entry_context(self, form, preview):
        return {"quality": True}


@admin.register(Appraisal)
class AppraisalAdmin(EntryWithPreview, ReadOnlyAdmin):
    form_class = AppraisalForm
    list_display = (
        "asset",
        "base_date",
        "method",
        "variant",
        "value_amount",
        "low_amount",
        "high_amount",
        "status",
        "origin",
    )
    list_filter = ("status", "method", "origin", "base_date")
    search_fields = ("asset__name", "asset__registration_number")
    list_select_related = ("asset",)
    actions = ["finalise"]

    def compute(self, form):
        return appraise(form.cleaned_data["inputs"])

    def save_entry(self, request, form):
        return services.appraisal_draft(
            asset=form.cleaned_data["asset"],
            actor=request.user,
            body=form.cleaned_data["inputs"],
            base_date=form.cleaned_data["base_date"],
            assumptions=form.cleaned_data["assumptions"],
        )

    def initial_data(self, request):
        return {**super().initial_data(request), "inputs": json.dumps(EXAMPLE_BODIES["income"])}

    def extra_entry_context(self, form, preview):
        return {"examples": {k: json.dumps(v, indent=1) for k, v in EXAMPLE_BODIES.items()}}

    @admin.action(description=_("Finalise (becomes immutable)"), permissions=["view"])
    def finalise(self, request, queryset):
        for appraisal in queryset.filter(status=AppraisalStatus.DRAFT):
            try:
                with transaction.atomic():
                    services.appraisal_finalise(appraisal=appraisal, actor=request.user)
            except (DomainError, ValidationError) as exc:
                messages.error(request, f"{appraisal}: {error_text(exc)}")
            else:
                messages.success(request, _("Finalised: %(a)s") % {"a": appraisal})


@admin.register(UsageRecord)
class UsageRecordAdmin(RegistrarOnly, admin.ModelAdmin):
    list_display = ("asset", "period_start", "period_end", "api_calls", "revenue_amount")
    list_filter = ("period_end",)
    search_fields = ("asset__name", "asset__registration_number")
    autocomplete_fields = ("asset",)
    fields = (
        "asset",
        "period_start",
        "period_end",
        "api_calls",
        "downloads",
        "licensees",
        "subscriptions",
        "revenue_amount",
        "note",
    )

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return  # usage records are immutable; corrections are new records
        data = {field: form.cleaned_data[field] for field in self.fields}
        saved = services.usage_record(actor=request.user, **data)
        obj.pk = saved.pk


# --- the asset page --------------------------------------------------------------------------
class QualityInline(ReadOnlyInline):
    model = QualityAssessment
    fields = readonly_fields = ("assessed_on", "score", "grade", "assessor", "note")
    ordering = ("-assessed_on", "-id")
    show_change_link = True


class AppraisalInline(ReadOnlyInline):
    model = Appraisal
    fields = readonly_fields = (
        "base_date",
        "method",
        "variant",
        "value_amount",
        "low_amount",
        "high_amount",
        "status",
        "origin",
    )
    ordering = ("-base_date", "-id")
    show_change_link = True


def _asset_page_context(request: HttpRequest, asset: DataAsset) -> dict[str, Any]:
    history = selectors.final_appraisal_history(asset)
    return {
        "value_chart": value_chart(
            [(a.base_date, a.value_amount, a.low_amount, a.high_amount) for a in history]
        ),
        "current_quality": selectors.current_quality(asset),
        "latest_value": selectors.latest_final_appraisal(asset),
        "assess_url": reverse("admin:valuation_qualityassessment_add") + f"?asset={asset.pk}",
        "appraise_url": reverse("admin:valuation_appraisal_add") + f"?asset={asset.pk}",
    }


# The registry's asset page, with grading and appraisal history and a value chart.
extend_asset_page(
    AssetPagePart(
        inlines=(QualityInline, AppraisalInline),
        context=_asset_page_context,
        panel_template="admin/valuation/asset_panel.html",
        tools_template="admin/valuation/asset_tools.html",
    )
)
