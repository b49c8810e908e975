"""The registrar's admin: find, enter and review assets, and move them through the workflow.

Writes go through `registry.services` only: saving a form calls the create/update service,
workflow steps are admin actions (several assets) and buttons (one asset) that collect the step's
input on an intermediate page. Registered records are read-only here: they change by amendment,
renewal or transfer, each a new version. Only registrars (and superusers) see the registry; only
superusers manage user accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from core.admin import RegistrarOnly, error_text
from registry import services
from registry.admin.forms import TRANSITION_FORMS, AmendForm
from registry.admin.inlines import CertificateInline, JournalInline, ObjectionInline, VersionInline
from registry.exceptions import RegistryError
from registry.models import (
    DataAsset,
    User,
)
from registry.services import EDITABLE_FIELDS
from registry.workflow import ACTION_LABELS, Action, actions_from


@dataclass(frozen=True)
class AssetPagePart:
    """What a domain above the registry adds to the registrar's asset page: inlines, and a panel
    and object tools (templates rendered with the page's context plus what `context` returns).
    The registry cannot import those domains; they register their part from their admin module."""

    inlines: tuple[type[InlineModelAdmin], ...] = ()
    context: Callable[[HttpRequest, DataAsset], dict[str, Any]] | None = None
    panel_template: str = ""
    tools_template: str = ""


ASSET_PAGE_PARTS: list[AssetPagePart] = []


def extend_asset_page(part: AssetPagePart) -> None:
    if part not in ASSET_PAGE_PARTS:
        ASSET_PAGE_PARTS.append(part)


class DataAssetForm(forms.ModelForm):
    class Meta:
        model = DataAsset
        fields = ("holder", "joint_holders", *EDITABLE_FIELDS)


WORKFLOW_FIELDS = (
    "status",
    "application_number",
    "registration_number",
    "version",
    "submitted_at",
    "correction_notice",
    "publicity_start",
    "publicity_end",
    "registered_at",
    "valid_from",
    "valid_until",
    "evidence_sha256",
    "status_reason",
    "status_changed_at",
)


@admin.register(DataAsset)
class DataAssetAdmin(RegistrarOnly, admin.ModelAdmin):
    form = DataAssetForm
    change_form_template = "admin/registry/dataasset/change_form.html"
    list_display = (
        "name",
        "holder",
        "status",
        "application_number",
        "registration_number",
        "data_category",
        "publicity_end",
        "valid_until",
    )
    list_filter = (
        "status",
        "data_category",
        "source",
        "security_level",
        ("holder", admin.RelatedOnlyFieldListFilter),
        "submitted_at",
        "registered_at",
        "valid_until",
    )
    search_fields = (
        "name",
        "application_number",
        "registration_number",
        "holder__uscc",
        "holder__name",
    )
    list_select_related = ("holder",)
    date_hierarchy = "created_at"
    autocomplete_fields = ("holder", "agent")
    filter_horizontal = ("joint_holders",)
    inlines = (ObjectionInline, VersionInline, JournalInline, CertificateInline)
    actions = [
        f"action_{action.value}"
        for action in (
            Action.SUBMIT,
            Action.RETURN,
            Action.ACCEPT,
            Action.START_PUBLICITY,
            Action.REGISTER,
            Action.REJECT,
            Action.RENEW,
            Action.CANCEL,
            Action.REVOKE,
        )
    ]
    fieldsets = (
        (_("Workflow"), {"fields": WORKFLOW_FIELDS}),
        (_("Holder"), {"fields": ("holder", "joint_holders", "agent", "power_of_attorney")}),
        (
            _("Asset"),
            {
                "fields": (
                    "name",
                    "description",
                    "industry",
                    "data_category",
                    "data_format",
                    "application_scenarios",
                    "processing_rules",
                )
            },
        ),
        (
            _("Source and rights"),
            {
                "fields": (
                    "source",
                    "source_proof",
                    "source_proof_file",
                    "source_licence_start",
                    "source_licence_end",
                    "right_holding",
                    "right_processing",
                    "right_operation",
                )
            },
        ),
        (
            _("Scale and security"),
            {
                "fields": (
                    "record_count",
                    "size_bytes",
                    "time_span_start",
                    "time_span_end",
                    "update_frequency",
                    "security_level",
                    "involves_personal_info",
                    "deidentification_method",
                    "sample_file",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            # Registered (or in-review) records change only through the workflow.
            return [f for fs in self.fieldsets for f in fs[1]["fields"]]
        readonly = list(WORKFLOW_FIELDS)
        if obj is not None:
            readonly.append("holder")
        return readonly

    def get_inlines(self, request, obj):
        return (*self.inlines, *(inline for part in ASSET_PAGE_PARTS for inline in part.inlines))

    def get_inline_instances(self, request, obj=None):
        # A new asset has no objections, versions or journal yet.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            obj = self.get_object(request, object_id)
            if obj is not None:
                extra_context["transition_buttons"] = self._buttons(obj)
                for part in ASSET_PAGE_PARTS:
                    if part.context is not None:
                        extra_context.update(part.context(request, obj))
                extra_context["asset_page_panels"] = [
                    part.panel_template for part in ASSET_PAGE_PARTS if part.panel_template
                ]
                extra_context["asset_page_tools"] = [
                    part.tools_template for part in ASSET_PAGE_PARTS if part.tools_template
                ]
                if not obj.is_editable:
                    extra_context.update(show_save=False, show_save_and_continue=False)
                    extra_context["show_save_and_add_another"] = False
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _buttons(self, obj: DataAsset) -> list[tuple[str, str]]:
        buttons = []
        for action in actions_from(obj.status):
            if action in TRANSITION_FORMS or action == Action.AMEND:
                url = reverse("admin:registry_dataasset_transition", args=[obj.pk, action.value])
                buttons.append((url, ACTION_LABELS[action]))
        return buttons

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in EDITABLE_FIELDS if f in form.cleaned_data}
        joint = list(form.cleaned_data.get("joint_holders") or [])
        if change:
            changed = {f: data[f] for f in form.changed_data if f in data}
            joint_changed = "joint_holders" in form.changed_data
            if changed or joint_changed:
                services.asset_update_draft(
                    asset=obj,
                    actor=request.user,
                    data=changed,
                    joint_holders=joint if joint_changed else None,
                )
        else:
            created = services.asset_create(
                actor=request.user,
                holder=form.cleaned_data["holder"],
                data=data,
                joint_holders=joint,
            )
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        # Joint holders were saved by the service with the asset; the inlines are read-only.
        pass

    # --- workflow steps ----------------------------------------------------------------------
    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="registry_dataasset_transition",
            )
        ]
        return custom + urls

    def transition_view(self, request: HttpRequest, object_id: str, action: str):
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            step = Action(action)
        except ValueError as exc:
            raise PermissionDenied from exc
        # The pattern is Django admin's own <path:object_id>, so "abc" or "../1" arrive here:
        # not an id, no such asset (a lookup with them would raise ValueError, a 500).
        if not (object_id.isascii() and object_id.isdigit() and len(object_id) <= 18):
            raise Http404("No asset has this id.")
        asset = get_object_or_404(DataAsset, pk=int(object_id))
        if step == Action.AMEND:
            return self._amend_view(request, asset)
        if step not in TRANSITION_FORMS:
            raise PermissionDenied
        return self._step_page(request, step, DataAsset.objects.filter(pk=asset.pk), single=True)

    def _amend_view(self, request: HttpRequest, asset: DataAsset):
        change_url = reverse("admin:registry_dataasset_change", args=[asset.pk])
        form = AmendForm(request.POST or None, request.FILES or None, instance=asset)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    services.asset_amend(
                        asset=asset,
                        actor=request.user,
                        changes=form.changes(),
                        reason=form.cleaned_data["reason"],
                        new_sample=form.cleaned_data.get("new_sample"),
                    )
            except (RegistryError, ValidationError) as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(request, _("Amended: a new version was recorded."))
                return HttpResponseRedirect(change_url)
        # The form instance was mutated by validation: show the stored record beside it.
        asset.refresh_from_db()
        return self._render_step(request, Action.AMEND, [asset], form, change_url)

    def _step_page(self, request: HttpRequest, step: Action, queryset, *, single: bool = False):
        form_class = TRANSITION_FORMS[step]
        assets = list(queryset.select_related("holder").order_by("pk"))
        if single:
            back = reverse("admin:registry_dataasset_change", args=[assets[0].pk])
        else:
            back = reverse("admin:registry_dataasset_changelist")
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, failed = 0, []
            for asset in assets:
                try:
                    with transaction.atomic():
                        self._run_step(step, asset, request.user, form.cleaned_data)
                except (RegistryError, ValidationError) as exc:
                    failed.append(f"{asset.name}: {error_text(exc)}")
                else:
                    done += 1
            if done:
                messages.success(
                    request,
                    _("%(step)s: %(count)d asset(s) done.")
                    % {"step": ACTION_LABELS[step], "count": done},
                )
            for failure in failed:
                messages.error(request, failure)
            return HttpResponseRedirect(back)
        return self._render_step(request, step, assets, form, back)

    def _render_step(self, request, step, assets, form, back_url):
        context = {
            **self.admin_site.each_context(request),
            "title": ACTION_LABELS[step],
            "step": step.value,
            "assets": assets,
            "form": form,
            "back_url": back_url,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "is_bulk": "action" in request.POST,
        }
        return TemplateResponse(request, "admin/registry/dataasset/transition.html", context)

    @staticmethod
    def _run_step(step: Action, asset: DataAsset, actor: User, data: dict) -> None:
        reason = data.get("reason", "")
        match step:
            case Action.SUBMIT:
                services.asset_submit(asset=asset, actor=actor)
            case Action.RETURN:
                services.asset_return_for_correction(
                    asset=asset, actor=actor, missing=data["missing"], reason=reason
                )
            case Action.ACCEPT:
                services.asset_accept_for_review(asset=asset, actor=actor, reason=reason)
            case Action.START_PUBLICITY:
                services.asset_start_publicity(asset=asset, actor=actor, reason=reason)
            case Action.REGISTER:
                services.asset_register(asset=asset, actor=actor, reason=reason)
            case Action.REJECT:
                services.asset_reject(asset=asset, actor=actor, reason=reason)
            case Action.RENEW:
                services.asset_renew(asset=asset, actor=actor, reason=reason)
            case Action.TRANSFER:
                services.asset_transfer(
                    asset=asset,
                    actor=actor,
                    new_holder=data["new_holder"],
                    reason=reason,
                    pledgee_consent=data["pledgee_consent"],
                )
            case Action.CANCEL:
                services.asset_cancel(
                    asset=asset,
                    actor=actor,
                    reason=reason,
                    pledgee_consent=data["pledgee_consent"],
                )
            case Action.REVOKE:
                services.asset_revoke(asset=asset, actor=actor, reason=reason)
            case _:
                raise PermissionDenied


def _make_admin_action(step: Action):
    def action(modeladmin: DataAssetAdmin, request, queryset):
        return modeladmin._step_page(request, step, queryset)

    action.__name__ = f"action_{step.value}"
    action.short_description = ACTION_LABELS[step]
    action.allowed_permissions = ("change",)
    return action


for _step in TRANSITION_FORMS:
    setattr(DataAssetAdmin, f"action_{_step.value}", _make_admin_action(_step))
