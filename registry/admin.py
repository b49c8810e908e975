"""The registrar's admin: find, enter and review assets, and move them through the workflow.

Writes go through `registry.services` only: saving a form calls the create/update service,
workflow steps are admin actions (several assets) and buttons (one asset) that collect the step's
input on an intermediate page. Registered records are read-only here: they change by amendment,
renewal or transfer, each a new version. Only registrars (and superusers) see the registry; only
superusers manage user accounts.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from pledges.models import Pledge, PledgeStatus
from pledges.services import pledge_annul
from registry import services
from registry.choices import ObjectionStatus
from registry.exceptions import IncompleteApplication, RegistryError
from registry.forms import TRANSITION_FORMS, AmendForm, ObjectionResolutionForm
from registry.models import (
    ApiReadLog,
    AssetVersion,
    CalendarOverride,
    DataAsset,
    JournalEvent,
    Objection,
    Organisation,
    User,
)
from registry.services import EDITABLE_FIELDS
from registry.workflow import ACTION_LABELS, Action, actions_from


def _error_text(exc: Exception) -> str:
    if isinstance(exc, IncompleteApplication):
        return exc.message
    if isinstance(exc, RegistryError):
        return exc.message
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return "; ".join(
                f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
            )
        return " ".join(exc.messages)
    raise exc


class RegistrarOnly:
    """Visible and usable by registrars (and superusers) only; nobody deletes registry data."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_registrar

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_registrar

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class JournalInline(ReadOnlyInline):
    model = JournalEvent
    fk_name = "asset"
    fields = readonly_fields = ("occurred_at", "event_type", "actor_label", "reason", "payload")
    ordering = ("id",)
    verbose_name_plural = _("journal")


class VersionInline(ReadOnlyInline):
    model = AssetVersion
    fields = readonly_fields = ("number", "reason", "holder", "valid_from", "valid_until", "note")


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


class ObjectionInline(ReadOnlyInline):
    model = Objection
    fields = readonly_fields = ("objector_name", "status", "filed_at", "reasons", "resolution_note")
    show_change_link = True


# --- organisations ---------------------------------------------------------------------------
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


# --- data assets -----------------------------------------------------------------------------
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
    inlines = (ObjectionInline, PledgeInline, VersionInline, JournalInline)
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

    def get_inline_instances(self, request, obj=None):
        # A new asset has no objections, versions or journal yet.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            obj = self.get_object(request, object_id)
            if obj is not None:
                extra_context["transition_buttons"] = self._buttons(obj)
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
        asset = get_object_or_404(DataAsset, pk=object_id)
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
                messages.error(request, _error_text(exc))
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
                    failed.append(f"{asset.name}: {_error_text(exc)}")
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


# --- objections ------------------------------------------------------------------------------
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
                    messages.error(request, f"{objection}: {_error_text(exc)}")
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


# --- pledges --------------------------------------------------------------------------------
@admin.register(Pledge)
class PledgeAdmin(RegistrarOnly, admin.ModelAdmin):
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

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Pledge._meta.fields]

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
                except (RegistryError, ValidationError) as exc:
                    messages.error(request, f"{pledge}: {_error_text(exc)}")
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


# --- calendar, journal, users ----------------------------------------------------------------
@admin.register(CalendarOverride)
class CalendarOverrideAdmin(RegistrarOnly, admin.ModelAdmin):
    list_display = ("date", "is_working_day", "note")
    fields = ("date", "is_working_day", "note")

    def get_readonly_fields(self, request, obj=None):
        return ("date",) if obj else ()

    def save_model(self, request, obj, form, change):
        saved = services.calendar_override_set(
            actor=request.user,
            day=obj.date,
            is_working_day=form.cleaned_data["is_working_day"],
            note=form.cleaned_data["note"],
        )
        obj.pk = saved.pk


@admin.register(JournalEvent)
class JournalEventAdmin(RegistrarOnly, admin.ModelAdmin):
    list_display = ("occurred_at", "event_type", "subject_label", "actor_label", "reason")
    list_filter = ("event_type", "subject_type", "occurred_at")
    search_fields = ("subject_label", "actor_label", "subject_id", "reason")
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in JournalEvent._meta.fields]


@admin.register(ApiReadLog)
class ApiReadLogAdmin(RegistrarOnly, admin.ModelAdmin):
    """Who read what through the bank API, when (append-only)."""

    list_display = (
        "requested_at",
        "organisation_label",
        "key_prefix",
        "method",
        "path",
        "status_code",
    )
    list_filter = ("status_code", "method", "requested_at")
    search_fields = ("organisation_label", "key_prefix", "path")
    date_hierarchy = "requested_at"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ApiReadLog._meta.fields]


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


from registry import change_request_admin  # noqa: E402,F401
